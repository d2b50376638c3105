"""The `qa` command line.

Heavy libraries (Temporal, asyncpg, the holiday tables) are imported inside the
commands that use them, so `qa --help` and `qa calendar due` start quickly.
Every failure a person can cause ends in one line on stderr and a non-zero exit.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
from collections.abc import Callable, Coroutine
from datetime import date
from typing import Any, NoReturn, TypeVar

import click

T = TypeVar("T")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def app() -> None:
    """Quality Assurance Framework engine: durable QA workflows with a tamper-evident audit log."""


@app.group("calendar")
def calendar_app() -> None:
    """The working-day calendar: due dates and closure days."""


@app.group("db")
def db_app() -> None:
    """The PostgreSQL database."""


@app.group("audit")
def audit_app() -> None:
    """The audit log: verification for auditors."""


@app.group("deadline")
def deadline_app() -> None:
    """Working-day deadlines as durable workflows."""


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


# --- calendar ---------------------------------------------------------------------------------


def _calendar(start: date):  # type: ignore[no-untyped-def]
    from infra.calendar_source import load_calendar

    return load_calendar(start, settings().closure_days_path)


@calendar_app.command("due", context_settings=ALLOW_NEGATIVE)
@click.argument("start")
@click.argument("working_days")
@JSON_OPTION
def calendar_due(start: str, working_days: str, as_json: bool) -> None:
    """When something started on START (YYYY-MM-DD, day 0) is due 'within WORKING_DAYS working days'.

    The answer is the end (23:59:59 Europe/London) of the Nth working day after START.
    """
    day0 = parse_date(start, "start date")
    n = parse_working_days(working_days)
    calendar = _calendar(day0)
    due_at = calendar.due_at(day0, n)
    data = {
        "start": day0.isoformat(),
        "working_days": n,
        "due_date": due_at.date().isoformat(),
        "due_at": due_at.isoformat(),
        "calendar_digest": calendar.digest(),
    }
    emit(data, as_json, lambda: click.echo(due_at.isoformat()))


@calendar_app.command("closures")
@JSON_OPTION
def calendar_closures(as_json: bool) -> None:
    """The authority's extra closure days (beyond bank holidays)."""
    from infra.calendar_source import read_closure_days

    path = settings().closure_days_path
    days = read_closure_days(path)
    emit(
        [{"date": d.day.isoformat(), "reason": d.reason} for d in days],
        as_json,
        lambda: click.echo("\n".join(f"{d.day.isoformat()}  {d.reason}" for d in days) or f"no closure days ({path})"),
    )


@calendar_app.command("close")
@click.argument("day")
@click.option("--reason", required=True, help="Why the authority is closed that day.")
def calendar_close(day: str, reason: str) -> None:
    """Add DAY (YYYY-MM-DD) as an authority closure day: deadlines computed from now on skip it."""
    from domain.closures import ClosureDay, render_closure_days
    from infra.calendar_source import read_closure_days

    closed = parse_date(day, "closure day")
    if not reason.strip() or "\n" in reason:
        fail("a closure day needs a one-line reason")
    path = settings().closure_days_path
    days = read_closure_days(path)
    if any(d.day == closed for d in days):
        fail(f"{closed.isoformat()} is already a closure day", 1)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = render_closure_days([*days, ClosureDay(day=closed, reason=reason.strip())])
    # Written aside then renamed, so a reader never sees half a file.
    partial = path.with_suffix(".tmp")
    partial.write_text(text, encoding="utf-8")
    partial.replace(path)
    click.echo(f"{closed.isoformat()} is now a closure day ({path})")


# --- database ---------------------------------------------------------------------------------


@db_app.command("migrate")
def db_migrate() -> None:
    """Apply any migrations not yet applied (safe to repeat)."""
    from infra.db import migrate

    applied = run(migrate(settings().require_admin_database_url()))
    click.echo(
        "\n".join(f"applied {m.version:04d}_{m.name}" for m in applied) if applied else "database is up to date"
    )


# --- audit ------------------------------------------------------------------------------------


@audit_app.command("verify")
@click.argument("stream", required=False)
@click.option("--all", "all_streams", is_flag=True, help="Verify every item (the default).")
@JSON_OPTION
def audit_verify(stream: str | None, all_streams: bool, as_json: bool) -> None:
    """Recompute the hash chains (of one item, STREAM, or all) and report each first broken link."""
    if stream and all_streams:
        fail("give an item id or --all, not both")
    reports = run(_verify(stream))
    if stream and not reports:
        fail(f"no audit record for {stream!r}", 1)
    breaks = [r.first_break for r in reports if r.first_break]
    data = {
        "ok": not breaks,
        "streams": len(reports),
        "events": sum(r.events for r in reports),
        "breaks": [
            {"stream_id": b.stream_id, "version": b.version, "kind": b.kind, "detail": b.detail} for b in breaks
        ],
    }

    def human() -> None:
        for b in breaks:
            click.echo(f"BROKEN {b.describe()}")
        verdict = "all chains intact" if not breaks else f"{len(breaks)} broken"
        click.echo(f"verified {data['streams']} items, {data['events']} events: {verdict}")

    emit(data, as_json, human)
    if breaks:
        raise SystemExit(1)


async def _verify(stream: str | None):  # type: ignore[no-untyped-def]
    from activities.audit_log import AuditLog
    from infra.db import create_pool

    pool = await create_pool(settings().require_database_url(), max_size=1)
    try:
        return await AuditLog(pool).verify(stream)
    finally:
        await pool.close()


# --- deadlines --------------------------------------------------------------------------------


@deadline_app.command("start")
@click.option("--title", required=True, help="What is due, e.g. 'CPR review 1234567'.")
@click.option("--owner", required=True, help="Who must do it.")
@click.option("--start", required=True, help="Day 0, YYYY-MM-DD.")
@click.option("--days", "working_days", required=True, help="Due within this many working days.")
@click.option("--as", "actor", required=True, help="Who is setting the deadline.")
def deadline_start(title: str, owner: str, start: str, working_days: str, actor: str) -> None:
    """Start a deadline: it is due at the end of the Nth working day after START."""
    from workflows.deadline import DeadlineInput

    request = _model(
        DeadlineInput,
        title=title,
        owner=owner,
        start=parse_date(start, "start date"),
        working_days=parse_working_days(working_days),
        set_by=actor,
    )
    deadline_id = run(_start_deadline(request))
    click.echo(deadline_id)


async def _start_deadline(request) -> str:  # type: ignore[no-untyped-def]
    import uuid

    from workflows.deadline import DeadlineWorkflow

    client = await _client()
    deadline_id = f"deadline-{uuid.uuid4().hex[:10]}"
    await client.start_workflow(
        DeadlineWorkflow.run, request, id=deadline_id, task_queue=settings().task_queue
    )
    return deadline_id


@deadline_app.command("show")
@click.argument("deadline_id")
@JSON_OPTION
def deadline_show(deadline_id: str, as_json: bool) -> None:
    """A deadline as it stands now."""
    from workflows.deadline import DeadlineWorkflow

    state = run(_query(deadline_id, DeadlineWorkflow.state))
    if state is None:
        fail(f"{deadline_id} is still being set up; try again in a moment", 1)
    _show_deadline(deadline_id, state, as_json)


@deadline_app.command("done")
@click.argument("deadline_id")
@click.option("--as", "actor", required=True, help="Who did the work (the owner).")
@click.option("--note", default="", help="What was done.")
def deadline_done(deadline_id: str, actor: str, note: str) -> None:
    """Record that the work is done."""
    from domain.deadline import CompleteDeadline
    from workflows.deadline import DeadlineWorkflow

    state = run(_update(deadline_id, DeadlineWorkflow.complete, _model(CompleteDeadline, actor=actor, note=note)))
    _show_deadline(deadline_id, state, False)


@deadline_app.command("extend")
@click.argument("deadline_id")
@click.option("--days", "working_days", required=True, help="Extra working days.")
@click.option("--reason", required=True, help="Why the deadline moves.")
@click.option("--as", "actor", required=True, help="Who grants the extension.")
def deadline_extend(deadline_id: str, working_days: str, reason: str, actor: str) -> None:
    """Extend a deadline by some working days, with a reason; the running timer follows."""
    from domain.deadline import ExtendDeadline
    from workflows.deadline import DeadlineWorkflow

    request = _model(ExtendDeadline, actor=actor, extra_working_days=parse_working_days(working_days), reason=reason)
    state = run(_update(deadline_id, DeadlineWorkflow.extend, request))
    _show_deadline(deadline_id, state, False)


def _show_deadline(deadline_id: str, state, as_json: bool) -> None:  # type: ignore[no-untyped-def]
    def human() -> None:
        click.echo(f"{deadline_id}: {state.title}")
        click.echo(f"  owner     {state.owner}")
        click.echo(f"  start     {state.start.isoformat()} + {state.working_days} working days")
        click.echo(f"  due       {state.due_at.isoformat()}")
        late = " (late)" if state.late else ""
        click.echo(f"  status    {state.status}{late}")
        for reason in state.extensions:
            click.echo(f"  extended  {reason}")

    emit({"id": deadline_id, **state.model_dump(mode="json")}, as_json, human)


def _model(cls: type[T], **values: Any) -> T:
    from pydantic import ValidationError

    try:
        return cls(**values)  # type: ignore[call-arg]
    except ValidationError as exc:
        first = exc.errors()[0]
        fail(f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}")


async def _client():  # type: ignore[no-untyped-def]
    from infra.temporal import connect

    s = settings()
    try:
        return await connect(s)
    except RuntimeError as exc:
        if "Connection refused" in str(exc) or "connect" in str(exc).lower():
            raise CliError(
                f"cannot reach Temporal at {s.require_temporal_address()}: is `qa up` running?"
            ) from None
        raise


async def _query(workflow_id: str, query):  # type: ignore[no-untyped-def]
    client = await _client()
    return await _not_found_as_error(workflow_id, client.get_workflow_handle(workflow_id).query(query))


async def _update(workflow_id: str, update, request):  # type: ignore[no-untyped-def]
    from temporalio.client import WorkflowUpdateFailedError

    client = await _client()
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


# --- services ---------------------------------------------------------------------------------


@app.command("up")
def up() -> None:
    """Run the whole stack in the foreground: PostgreSQL, Temporal (with its Web UI) and a worker."""
    from infra.stack import run_stack

    run(run_stack(settings()))


@app.command("worker")
def worker() -> None:
    """Run a worker against QA_DATABASE_URL and QA_TEMPORAL_ADDRESS (or a running `qa up`)."""
    from infra.stack import run_worker

    run(run_worker(settings()))


# --- entry point ------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    try:
        app.main(args=argv, prog_name="qa", standalone_mode=False)
    except SystemExit as exc:
        return int(exc.code or 0)
    except click.exceptions.Abort:
        click.echo("qa: interrupted", err=True)
        return 130
    except click.exceptions.NoArgsIsHelpError as exc:
        click.echo(exc.ctx.get_help() if exc.ctx else exc.format_message())
        return 0
    except click.ClickException as exc:
        click.echo(f"qa: {exc.format_message()}", err=True)
        return exc.exit_code
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except CliError as exc:
        click.echo(f"qa: {exc}", err=True)
        return exc.code
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # noqa: BLE001 - the last line of defence against a traceback
        known = _known_error(exc)
        if known is None:
            raise
        click.echo(f"qa: {known}", err=True)
        return 1
    return 0


def _known_error(exc: Exception) -> str | None:
    """Errors from settings, files, the database and the calendar that a person can act on."""
    from domain.closures import ClosureFileError
    from domain.working_days import CalendarRangeError
    from infra.settings import SettingsError

    if isinstance(exc, (SettingsError, ClosureFileError, CalendarRangeError)):
        return str(exc)
    if isinstance(exc, (OSError, UnicodeDecodeError)):
        return f"{exc}"
    if type(exc).__module__.startswith("asyncpg"):
        return f"database: {exc}"
    if type(exc).__name__ in ("MigrationError", "EmbeddedError"):
        return str(exc)
    return None


def entry() -> NoReturn:
    """The `qa` console script."""
    code = main()
    if "temporalio.bridge" in sys.modules:
        # Temporal's Rust runtime threads can abort CPython's finalisation
        # (temporalio/sdk-python#300): once our output is flushed, skip it.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)


if __name__ == "__main__":
    entry()
