"""What every `qa` command shares: the root group, input parsing, output, errors, Temporal calls.

Heavy libraries (Temporal, asyncpg, the holiday tables) are imported inside the
functions that use them, so `qa --help` and `qa calendar due` start quickly.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click

from infra.cli.lazy import LazyGroup

if TYPE_CHECKING:  # imported where used: `qa --help` loads no domain module
    from domain.kinds import Kind

T = TypeVar("T")


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
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
    from domain.dates import ISO_DATE, check_date
    from domain.errors import Refusal

    if not ISO_DATE.fullmatch(text):
        fail(f"{what} {text!r} is not a date: expected YYYY-MM-DD")
    try:
        day = date.fromisoformat(text)
    except ValueError:
        fail(f"{what} {text!r} is not a real date")
    try:
        check_date(day, what)
    except Refusal as refusal:
        fail(str(refusal))
    return day


def parse_working_days(text: str) -> int:
    from domain.working_days import MAX_WORKING_DAYS

    n = whole_number(text, "working days")
    if not 0 <= n <= MAX_WORKING_DAYS:
        fail(f"working days must be between 0 and {MAX_WORKING_DAYS}, got {n}")
    return n


def read_text(path: Path) -> str:
    """A file a person wrote (questions, actions), which must be UTF-8."""
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        fail(f"{path}: not UTF-8 text")


def settings():  # type: ignore[no-untyped-def]
    from infra.settings import Settings

    return Settings.from_env()


@asynccontextmanager
async def database(max_size: int = 1) -> AsyncIterator[Any]:
    """A pool on the stack's PostgreSQL for one command, closed once the command is done with it."""
    from infra.db import create_pool

    pool = await create_pool(settings().require_database_url(), max_size=max_size)
    try:
        yield pool
    finally:
        await pool.close()


def emit(data: Any, as_json: bool, human: Callable[[], None]) -> None:
    if as_json:
        click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))
    else:
        human()


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


def read_form(path: str, blank: str) -> dict[str, Any]:
    """A JSON form filled in by hand; `blank` is the command that prints an empty one."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        fail(f"{path}: not JSON (line {exc.lineno}: {exc.msg})")
    if not isinstance(data, dict):
        fail(f"{path}: the form is a JSON object (see `{blank}`)")
    return data


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


# --- items: the workflows people act on, by id -----------------------------------------------------

AS_OPTION = click.option("--as", "actor", required=True, help="Who is acting (their staff id).")
FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


def plan_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """`--plan PLAN_ID --actions FILE`: the SMART actions a published report adds to an action plan."""
    command = click.option(
        "--actions",
        "actions_file",
        type=FILE,
        help="SMART actions, CSV: action,support,responsible,by_when,evidence.",
    )(command)
    return click.option(
        "--plan", "plan_id", help="The action plan the SMART actions go to (e.g. plan-team-children-in-need)."
    )(command)


def plan_actions(plan_id: str | None, actions_file: Path | None) -> dict[str, Any]:
    """The request's `plan_id` and `actions` from `plan_options`; a file that cannot be read is one line."""
    from domain.action_plan import parse_actions
    from domain.files import FileError

    actions: tuple[Any, ...] = ()
    if actions_file is not None:
        try:
            actions = parse_actions(read_text(actions_file), str(actions_file))
        except FileError as exc:
            fail(str(exc))
    return {"plan_id": plan_id.strip() if plan_id is not None else None, "actions": actions}


def echo_added(plan_id: str | None, action_ids: tuple[str, ...]) -> None:
    """The actions a publication added to a plan, as the ids the plan gave them (nothing if none)."""
    if plan_id:
        click.echo(f"  actions {', '.join(action_ids)} added to {plan_id}")


def person(actor: str, option: str = "--as") -> str:
    actor = actor.strip()
    if not actor:
        fail(f"{option} needs a person's user name")
    return actor


def whole_number(text: str, what: str) -> int:
    # [0-9], not \d: int() also reads other scripts' digits, which nobody typed here as a number.
    if not re.fullmatch(r"[+-]?[0-9]+", text.strip()):
        fail(f"{what} {text!r} is not a whole number")
    return int(text)


async def describe_item(workflow_id: str):  # type: ignore[no-untyped-def]
    """The workflow `workflow_id` and Temporal's description of it; an unknown id is one line."""
    from temporalio.service import RPCError, RPCStatusCode

    client = await temporal_client()
    handle = client.get_workflow_handle(workflow_id)
    try:
        return handle, await handle.describe()
    except RPCError as exc:
        if exc.status in (RPCStatusCode.NOT_FOUND, RPCStatusCode.INVALID_ARGUMENT):
            raise CliError(f"no item with id {workflow_id!r}") from None
        raise CliError(f"Temporal refused the request: {exc.message}") from None


async def _handle(workflow_id: str, kind: Kind, *, for_change: bool):  # type: ignore[no-untyped-def]
    """The workflow `workflow_id`, refused in one line if it is unknown, of another kind, or (to change) ended."""
    from temporalio.client import WorkflowExecutionStatus

    from domain.items import kind_of_workflow

    handle, described = await describe_item(workflow_id)
    if described.workflow_type != kind.workflow_type:
        found = kind_of_workflow(described.workflow_type)
        raise CliError(f"{workflow_id} is a {found.name if found else described.workflow_type}, not a {kind.name}")
    if for_change and described.status != WorkflowExecutionStatus.RUNNING:
        raise CliError(_ended(workflow_id, kind, described.status))
    return handle


def _ended(workflow_id: str, kind: Kind, status) -> str:  # type: ignore[no-untyped-def]
    from temporalio.client import WorkflowExecutionStatus

    if status == WorkflowExecutionStatus.COMPLETED:
        return f"refused: {kind.name} {workflow_id} is closed; nothing more can be recorded on it"
    return f"refused: {kind.name} {workflow_id} has ended ({status.name.lower()}); nothing more can be recorded"


async def start_item(run_method, request, item_id: str, *, taken: str, refusable: bool = False):  # type: ignore[no-untyped-def]
    """Start the workflow for a new item; `taken` is the one line if that id was ever used.

    An item's id is also its audit stream, so it is never reused, even after the item ended;
    except, if `refusable`, after a start the workflow refused, which recorded nothing.
    """
    from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
    from temporalio.exceptions import WorkflowAlreadyStartedError

    client = await temporal_client()
    try:
        return await client.start_workflow(
            run_method,
            request,
            id=item_id,
            task_queue=settings().task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
            id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY
            if refusable
            else WorkflowIDReusePolicy.REJECT_DUPLICATE,
        )
    except WorkflowAlreadyStartedError:
        raise CliError(taken) from None


async def opened(handle, query, *, ready: Callable[[Any], bool] = bool, wait_seconds: float = 60.0) -> Any:  # type: ignore[no-untyped-def]
    """An item's state once `ready` (by default: once its opening is recorded).

    A start the workflow refused (a wrong person, a sample it cannot draw) ends it
    as failed, having recorded nothing: that refusal is the one line shown.
    """
    import asyncio
    from datetime import timedelta

    from temporalio.client import WorkflowExecutionStatus
    from temporalio.service import RPCError

    loop = asyncio.get_running_loop()
    give_up = loop.time() + wait_seconds
    while True:
        status = (await handle.describe()).status
        if status not in (WorkflowExecutionStatus.RUNNING, WorkflowExecutionStatus.COMPLETED):
            raise CliError(await _why_it_ended(handle, status))
        try:
            state = await handle.query(query, rpc_timeout=timedelta(seconds=5))
        except RPCError:
            state = None  # no workflow task has run yet, or no worker answered in time
        if state is not None and ready(state):
            return state
        if loop.time() > give_up:
            raise CliError(
                f"{handle.id} was started but is still being set up after {wait_seconds:.0f} s:"
                " is a worker running (`qa up`)?"
            )
        await asyncio.sleep(0.1)


async def _why_it_ended(handle, status) -> str:  # type: ignore[no-untyped-def]
    from temporalio.client import WorkflowExecutionStatus, WorkflowFailureError
    from temporalio.exceptions import ApplicationError

    if status != WorkflowExecutionStatus.FAILED:
        return f"{handle.id} ended while it was being set up ({status.name.lower()})"
    try:
        await handle.result()
    except WorkflowFailureError as exc:
        cause: BaseException | None = exc.cause
        deepest: BaseException = exc
        while cause is not None:
            if isinstance(cause, ApplicationError) and cause.type in ("Refused", "SampleRefused"):
                return f"refused: {cause.message}"
            deepest = cause
            cause = cause.__cause__ or getattr(cause, "cause", None)
        return f"{handle.id} failed: {getattr(deepest, 'message', deepest)}"
    return f"{handle.id} ended while it was being set up"


def start_and_show(  # type: ignore[no-untyped-def]
    workflow,
    request: Any,
    item_id: str,
    as_json: bool,
    show: Callable[[str, Any], None],
    *,
    taken: str,
    refusable: bool = True,
    ready: Callable[[Any], bool] = bool,
) -> None:
    """Start an item's workflow (see `start_item`), wait until it is `opened`, and show it as `show_item` does."""

    async def start() -> Any:
        handle = await start_item(workflow.run, request, item_id, taken=taken, refusable=refusable)
        return await opened(handle, workflow.state, ready=ready)

    emit_item(item_id, run(start()), as_json, show)


def show_item(item_id: str, kind: Kind, workflow, as_json: bool, show: Callable[[str, Any], None]) -> None:  # type: ignore[no-untyped-def]
    """An item by its id, read with its workflow's `state` query: `show(item_id, state)`, or JSON."""
    emit_item(item_id, run(read_state(item_id, kind, workflow.state)), as_json, show)


def emit_item(item_id: str, state: Any, as_json: bool, show: Callable[[str, Any], None]) -> None:
    """An item's state: as JSON with its id, or as `show(item_id, state)` prints it."""
    emit({"id": item_id, **state.model_dump(mode="json")}, as_json, lambda: show(item_id, state))


async def read_state(workflow_id: str, kind: Kind, query) -> Any:  # type: ignore[no-untyped-def]
    """An item's state by its query; one line while its opening event is still being recorded."""
    state = await read(workflow_id, kind, query)
    if state is None:
        raise CliError(f"{workflow_id} is still being set up; try again in a moment")
    return state


async def read(workflow_id: str, kind: Kind, query) -> Any:  # type: ignore[no-untyped-def]
    """A workflow's query, with unknown ids and Temporal's errors as one line."""
    from temporalio.client import WorkflowQueryFailedError
    from temporalio.service import RPCError

    handle = await _handle(workflow_id, kind, for_change=False)
    try:
        return await handle.query(query)
    except (RPCError, WorkflowQueryFailedError) as exc:
        raise CliError(f"cannot read {workflow_id}: {getattr(exc, 'message', exc)}") from None


async def change(workflow_id: str, kind: Kind, update, request) -> Any:  # type: ignore[no-untyped-def]
    """A workflow's update: a refusal comes back as one line ("refused: ..."), and nothing is recorded."""
    from temporalio.client import WorkflowUpdateFailedError
    from temporalio.service import RPCError, RPCStatusCode

    handle = await _handle(workflow_id, kind, for_change=True)
    try:
        return await handle.execute_update(update, request)
    except WorkflowUpdateFailedError as exc:
        raise CliError(f"refused: {getattr(exc.cause, 'message', exc.cause)}") from None
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:  # it ended between our look and the update
            from temporalio.client import WorkflowExecutionStatus

            raise CliError(_ended(workflow_id, kind, WorkflowExecutionStatus.COMPLETED)) from None
        raise CliError(f"Temporal refused the request: {exc.message}") from None


# --- samples: what a CPR cycle and a case audit check before they start -----------------------------


async def sample_cases(started_by: str, noun: str):  # type: ignore[no-untyped-def]
    """The newest open-cases snapshot's id and cases, for a QA officer about to start a `noun` on a sample.

    Anyone the directory does not list as an active QA officer is refused in one line,
    as is a start before any open cases were imported.
    """
    from domain.directory import Role
    from infra.store.audit_log import AuditLog
    from infra.store.directory import Directory

    async with database() as pool:
        directory = Directory(pool, AuditLog(pool))
        member = await directory.staff_member(started_by)
        if member is None or not member.active or Role.QA_OFFICER not in member.roles:
            raise CliError(
                f"refused: {started_by} cannot start a {noun}:"
                f" the directory does not list them as a {Role.QA_OFFICER.value}"
            )
        snapshot_id, cases = await directory.latest_cases()
    if snapshot_id is None:
        raise CliError("refused: no open cases were imported yet: run `qa cases import`")
    return snapshot_id, cases


def check_seed(seed: str | None) -> None:
    """--seed is left out (the workflow draws a random one) or given in full."""
    if seed is not None and not seed.strip():
        fail("--seed cannot be empty (leave it out for a random seed)")


def check_draw(cases, start: date, size: int, where: str) -> None:  # type: ignore[no-untyped-def]
    """Refuse a sample the workflow's draw could not take from `cases` (only its size matters, not the seed)."""
    from domain import sampling

    candidates = [sampling.Candidate(case_number=c.case_number, support_began=c.support_began) for c in cases]
    try:
        sampling.draw(candidates, on=start, size=size, seed="check")
    except ValueError as exc:
        raise CliError(f"refused: {where}: {exc}") from None


async def replay_streams(
    opening: str, closing: tuple[str, ...] | None, reducer: Callable[..., T], registry
) -> list[tuple[str, T]]:  # type: ignore[no-untyped-def]
    """Every item the audit log opened with event type `opening` (and never closed with one of `closing`),
    rebuilt with the same reducer the workflows and auditors use."""
    from domain.events import fold
    from infra.store.audit_log import AuditLog

    async with database() as pool:
        log = AuditLog(pool)
        opened = await log.streams_opened_without(opening, closing or ())
        return [(stream_id, fold(reducer, registry, await log.read_stream(stream_id))) for stream_id in opened]


def line(label: str, text: str) -> None:
    """One labelled line of an item's details."""
    click.echo(f"  {label:<18}{text}")


def show_duties(duties) -> None:  # type: ignore[no-untyped-def]
    """An item's duties (domain.duties), each with its owner, due moment and where it stands."""
    for d in duties:
        where = f"done {when(d.done_at)}" + (" (late)" if d.late else "") if d.done_at else "awaited"
        if d.open and d.overdue:
            where = f"OVERDUE (escalation level {d.escalation_level})"
        line(d.key, f"{d.owner}: due {when(d.due_at)}, {where}")


def table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    """Rows in columns under their header, each padded to its widest cell but the last."""
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header) - 1)]
    for row in (header, *rows):
        click.echo("  " + "  ".join(f"{cell:<{w}}" for cell, w in zip(row, widths, strict=False)) + f"  {row[-1]}")


def when(moment: datetime) -> str:
    """A moment in Europe/London local time, e.g. 'Mon 29 Nov 2027 23:59 GMT'."""
    from domain.working_days import LONDON

    local = moment.astimezone(LONDON)
    return f"{local:%a} {local.day} {local:%b %Y %H:%M} {local.tzname()}"
