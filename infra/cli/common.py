"""What every `qa` command shares: the root group, input parsing, output, errors, Temporal calls.

Heavy libraries (Temporal, asyncpg, the holiday tables) are imported inside the
functions that use them, so `qa --help` and `qa calendar due` start quickly.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable, Coroutine
from datetime import date
from typing import Any, NoReturn, TypeVar

import click

T = TypeVar("T")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def app() -> None:
    """Quality Assurance Framework engine: durable QA workflows with a tamper-evident audit log."""


# Arguments that may look like negative numbers are parsed by us, not taken for options.
ALLOW_NEGATIVE = {"ignore_unknown_options": True}
JSON_OPTION = click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")


class CliError(Exception):
    """A one-line message for the user; exit code 1 (refused or failed) or 2 (bad input)."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


def fail(message: str, code: int = 2) -> NoReturn:
    raise CliError(message, code)


def parse_date(text: str, what: str = "date") -> date:
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        fail(f"{what} {text!r} is not a date: expected YYYY-MM-DD")
    try:
        return date.fromisoformat(text)
    except ValueError:
        fail(f"{what} {text!r} is not a real date")


def parse_working_days(text: str) -> int:
    from domain.working_days import MAX_WORKING_DAYS

    if not re.fullmatch(r"[+-]?\d+", text.strip()):
        fail(f"working days {text!r} is not a whole number")
    n = int(text)
    if not 0 <= n <= MAX_WORKING_DAYS:
        fail(f"working days must be between 0 and {MAX_WORKING_DAYS}, got {n}")
    return n


def settings():  # type: ignore[no-untyped-def]
    from infra.settings import Settings

    return Settings.from_env()


def emit(data: Any, as_json: bool, human: Callable[[], None]) -> None:
    if as_json:
        click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))
    else:
        human()


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


def model(cls: type[T], **values: Any) -> T:
    from pydantic import ValidationError

    try:
        return cls(**values)  # type: ignore[call-arg]
    except ValidationError as exc:
        first = exc.errors()[0]
        fail(f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}")


async def temporal_client():  # type: ignore[no-untyped-def]
    from infra.temporal import connect

    s = settings()
    try:
        return await connect(s)
    except RuntimeError as exc:
        if "Connection refused" in str(exc) or "connect" in str(exc).lower():
            raise CliError(f"cannot reach Temporal at {s.require_temporal_address()}: is `qa up` running?") from None
        raise


async def query(workflow_id: str, query):  # type: ignore[no-untyped-def]
    client = await temporal_client()
    return await _not_found_as_error(workflow_id, client.get_workflow_handle(workflow_id).query(query))


async def update(workflow_id: str, update, request):  # type: ignore[no-untyped-def]
    from temporalio.client import WorkflowUpdateFailedError

    client = await temporal_client()
    try:
        return await _not_found_as_error(
            workflow_id, client.get_workflow_handle(workflow_id).execute_update(update, request)
        )
    except WorkflowUpdateFailedError as exc:
        raise CliError(f"refused: {getattr(exc.cause, 'message', exc.cause)}") from None


async def _not_found_as_error(workflow_id: str, call):  # type: ignore[no-untyped-def]
    from temporalio.service import RPCError, RPCStatusCode

    try:
        return await call
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            raise CliError(f"no item with id {workflow_id!r}") from None
        raise CliError(f"Temporal refused the request: {exc.message}") from None
