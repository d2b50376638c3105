"""What every `qa` command shares: the root group, input parsing, output, errors, Temporal calls.

Heavy libraries (Temporal, asyncpg, the holiday tables) are imported inside the
functions that use them, so `qa --help` and `qa calendar due` start quickly.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable, Coroutine
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click

from infra.application.errors import AppError
from infra.cli.lazy import LazyGroup

if TYPE_CHECKING:  # imported where used: `qa --help` loads no domain module
    from domain.kinds import Kind

T = TypeVar("T")


def _request_id(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    from infra.application.requests import REQUEST_ID, check_request_id

    if value is not None:
        REQUEST_ID.set(check_request_id(value))
    return value


def _token(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    from infra.cli.client import TOKEN

    if value is not None:
        TOKEN.set(value.strip())
    return value


def _seen(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    from infra.application.requests import SEEN, check_seen

    if value is not None:
        SEEN.set(check_seen(value))
    return value


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--seen",
    callback=_seen,
    expose_value=False,
    metavar="VERSION",
    help="The item's version you decided on (its `version` in `show --json`): refused, with what changed, if it moved on.",
)
@click.option(
    "--request-id",
    callback=_request_id,
    expose_value=False,
    help="Your id for this request: asked again with the same id, a change is recorded once (for scripts that retry).",
)
@click.option(
    "--token",
    callback=_token,
    expose_value=False,
    metavar="TOKEN",
    help="Act as the person this bearer token proves (for scripts; else QA_TOKEN, else `qa login`'s).",
)
def app() -> None:
    """Quality Assurance Framework engine: durable QA workflows with a tamper-evident audit log."""


# Arguments that may look like negative numbers are parsed by us, not taken for options.
ALLOW_NEGATIVE = {"ignore_unknown_options": True}
JSON_OPTION = click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")


class CliError(AppError):
    """What the CLI itself refuses before it asks anything: a one-line message, exit code 2 (bad input) or 1."""


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
    """A file a person wrote (questions, actions, a form), which must be there and UTF-8."""
    if not path.is_file():
        fail(f"{path}: no such file")
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        fail(f"{path}: not UTF-8 text")
    except OSError as exc:
        fail(f"{path}: cannot be read ({exc.strerror})")


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
        data = json.loads(read_text(Path(path)))
    except json.JSONDecodeError as exc:
        fail(f"{path}: not JSON (line {exc.lineno}: {exc.msg})")
    if not isinstance(data, dict):
        fail(f"{path}: the form is a JSON object (see `{blank}`)")
    return data


# --- items: the workflows people act on, by id -----------------------------------------------------


def as_option(help: str = "Who is acting (their staff id).", name: str = "actor") -> Callable[[T], T]:
    """`--as PERSON`: a staff id's shape, checked before anything is asked (person). Signed in, it may be
    left out: the signed-in person acts (infra.cli.client), and the server refuses anyone else."""
    return click.option(
        "--as",
        name,
        help=f"{help} Signed in: yourself, the default.",
        callback=lambda _ctx, _param, value: actor(value),
    )


def actor(named: str | None) -> str:
    """The person acting: the signed-in person (whom --as may only name), or, not signed in, as --as names."""
    from infra.application.errors import not_yourself
    from infra.cli.client import credentials, whoami

    creds = credentials()
    if creds is None:
        if named is None:
            fail("say who is acting with --as, or sign in with `qa login`")
        return person(named)
    signed_in = run(whoami(creds))
    if named is not None and person(named) != signed_in:
        raise not_yourself(signed_in, person(named))
    return signed_in


AS_OPTION = as_option()
# Why work goes to someone else: every reallocation (a review, a moderation, a dispute's moderator, a case) says.
REALLOCATION_REASON = click.option("--reason", required=True, help="Why: absence, a conflict of interest.")
READER_OPTION = click.option(
    "--as",
    "actor",
    help="Who is reading (their staff id). Signed in: yourself, the default; not signed in and left out:"
    " the host's administrator, who holds the database's login.",
    callback=lambda _ctx, _param, value: reader(value),
)


def reader(named: str | None) -> str:
    """The person reading, as `actor` says; not signed in and nobody named, the host's administrator
    (infra.application.directory.AS_HOST), as the access log then records."""
    from infra.cli.client import credentials

    if named is None and credentials() is None:
        from infra.application.directory import AS_HOST
        from infra.application.sign_in import host_administrator

        AS_HOST.set(True)
        return host_administrator()
    return actor(named)


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
    """A person named on the command line: a staff id's shape (domain.directory), whether listed or not."""
    from domain.directory import check_staff_id

    actor = actor.strip()
    if not actor:
        fail(f"{option} needs a person's user name")
    try:
        return check_staff_id(actor, option)
    except ValueError as exc:
        fail(str(exc))


def whole_number(text: str, what: str) -> int:
    # [0-9], not \d: int() also reads other scripts' digits, which nobody typed here as a number.
    if not re.fullmatch(r"[+-]?[0-9]+", text.strip()):
        fail(f"{what} {text!r} is not a whole number")
    return int(text)


def start_and_show(  # type: ignore[no-untyped-def]
    kind: Kind,
    workflow,
    request: Any,
    item_id: str,
    as_json: bool,
    show: Callable[[str, Any], None],
    *,
    taken: str,
    refusable: bool = True,
) -> None:
    """Start an item (infra.cli.client.start_opened) and show it, once open, as `show_item` does."""
    from infra.cli.client import start_opened

    state = run(start_opened(kind, workflow, request, item_id, taken=taken, refusable=refusable))
    emit_item(item_id, state, as_json, show)


def show_item(item_id: str, kind: Kind, as_json: bool, show: Callable[[str, Any], None]) -> None:
    """An item by its id, as its audit record holds it: `show(item_id, state)`, or JSON."""
    from infra.cli.client import recorded

    emit_item(item_id, run(recorded(kind, item_id)), as_json, show)


def emit_item(item_id: str, state: Any, as_json: bool, show: Callable[[str, Any], None]) -> None:
    """An item's state: as JSON with its id, or as `show(item_id, state)` prints it."""
    emit({"id": item_id, **state.model_dump(mode="json")}, as_json, lambda: show(item_id, state))


def check_seed(seed: str | None) -> None:
    """--seed is left out (the workflow draws a random one) or given in full."""
    if seed is not None and not seed.strip():
        fail("--seed cannot be empty (leave it out for a random seed)")


def line(label: str, text: str) -> None:
    """One labelled line of an item's details."""
    click.echo(f"  {label:<18}{text}")


def show_duties(duties) -> None:  # type: ignore[no-untyped-def]
    """An item's duties (domain.duties), each with its owner, due moment and where it stands."""
    for d in duties:
        line(d.key, duty_line(d))


def duty_line(d) -> str:  # type: ignore[no-untyped-def]
    """A duty's owner, due moment and where it stands."""
    where = f"done {when(d.done_at)}" + (" (late)" if d.late else "") if d.done_at else "awaited"
    if d.open and d.overdue:
        where = f"OVERDUE (escalation level {d.escalation_level})"
    return f"{d.owner}: due {when(d.due_at)}, {where}"


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


def parse_year(text: str) -> int:
    """A `--year` as given: a year the engine plans (2000 to 2200), or a one-line refusal."""
    if not text.isdigit():
        fail(f"--year must be a year such as 2027, not {text!r}")
    if not 2000 <= int(text) <= 2200:
        fail(f"--year must be between 2000 and 2200, not {text}")
    return int(text)


def voice_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Whose voice (--child or --family), what was heard and whether it was obtained: a review's and a case audit's
    voice commands take the same options; `whose_voice` reads them."""
    for option in reversed(
        (
            click.option("--child", is_flag=True, help="The child's voice."),
            click.option("--family", is_flag=True, help="The family's or carer's voice."),
            click.option("--summary", required=True, help="What was heard (or why it could not be heard)."),
            click.option("--not-obtained", is_flag=True, help="The voice was sought but could not be obtained."),
        )
    ):
        command = option(command)
    return command


def whose_voice(child: bool, family: bool) -> str:
    if child == family:
        fail("say whose voice: --child or --family (one of them)")
    return "child" if child else "family"
