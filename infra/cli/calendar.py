"""`qa calendar`: due dates, the authority's closure days, and the annual QA calendar in the engine."""

from __future__ import annotations

from datetime import date

import click

from infra.application.errors import typed
from infra.application.services import settings
from infra.cli.common import (
    ALLOW_NEGATIVE,
    AS_OPTION,
    JSON_OPTION,
    READER_OPTION,
    app,
    emit,
    fail,
    parse_date,
    parse_working_days,
    parse_year,
    run,
)


@app.group("calendar")
def calendar_app() -> None:
    """The working-day calendar (due dates, closure days) and the annual QA calendar (plan, install, pause)."""


def _calendar(start: date):  # type: ignore[no-untyped-def]
    # infra.home rather than settings(): the same files, without loading pydantic.
    from infra import home
    from infra.calendar_source import load_calendar

    return load_calendar(start, home.closure_days_path(), cache_dir=home.home() / "cache" / "calendars")


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


# --- the annual QA calendar ---------------------------------------------------------------------

YEAR_OPTION = click.option("--year", required=True, help="The calendar year, e.g. 2027.")


def _qa_calendar():  # type: ignore[no-untyped-def]
    from infra import home
    from infra.calendar_source import read_qa_calendar

    return read_qa_calendar(home.qa_calendar_path())


def _plan(year: int):  # type: ignore[no-untyped-def]
    from domain.qa_calendar import plan_year

    return plan_year(_qa_calendar(), year, _calendar(date(year, 1, 1)))


@calendar_app.command("load")
@click.argument("path")
def calendar_load(path: str) -> None:
    """Put FILE in force as the QA calendar (month,activity,subject,day); a malformed file changes nothing."""
    from pathlib import Path

    from domain.qa_calendar import CalendarFileError, parse_calendar
    from infra import home

    text = Path(path).read_text(encoding="utf-8")
    try:
        loaded = parse_calendar(text, source=path)
    except CalendarFileError as exc:
        fail(str(exc))
    target = home.qa_calendar_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".tmp")
    partial.write_text(text, encoding="utf-8")
    partial.replace(target)
    click.echo(
        f"QA calendar in force: {len(loaded.entries)} activities, {len(loaded.closed)} months without core activity"
        f" (sha256 {loaded.digest[:12]}); `qa calendar install --year YEAR` puts a year into the engine"
    )


@calendar_app.command("plan")
@YEAR_OPTION
@click.option(
    "--file-only", is_flag=True, help="The calendar file's plan alone, without the repeats (needs no database)."
)
@READER_OPTION
@JSON_OPTION
def calendar_plan(year: str, file_only: bool, actor: str, as_json: bool) -> None:
    """Every activity of the year: its start (a working day), its windows' due dates, who is involved; and the
    cycles QAPM meetings decided to repeat, from the audit log."""
    from infra.cli.client import perform

    plan = _plan(parse_year(year))
    repeats = [] if file_only else run(perform("calendar.repeats", actor, year=plan.year))

    def human() -> None:
        from domain.qa_calendar import MONTHS

        _show_plan(plan)
        if repeats:
            click.echo()
            click.echo("Repeats decided by QAPM meetings")
        for r in repeats:
            windows = "; ".join(f"{w.name} {w.due.isoformat()}" for w in r.windows)
            click.echo(f"{MONTHS[r.month - 1]}  {r.start.isoformat()}  {r.title}")
            click.echo(f"     {windows}")

    emit(
        {
            **plan.model_dump(mode="json"),
            **({} if file_only else {"repeats": [r.model_dump(mode="json") for r in repeats]}),
        },
        as_json,
        human,
    )


def _show_plan(plan) -> None:  # type: ignore[no-untyped-def]
    from domain.qa_calendar import MONTHS

    click.echo(f"QA calendar {plan.year} (calendar sha256 {plan.calendar_digest[:12]})")
    closed = {c.month: c.reason for c in plan.closed}
    _show_grid(plan, closed)
    click.echo()
    for month in range(1, 13):
        if month in closed:
            click.echo(f"{MONTHS[month - 1]}  {closed[month]}")
            continue
        for a in (a for a in plan.activities if a.month == month):
            windows = "; ".join(f"{w.name} {w.due.isoformat()}" for w in a.windows)
            click.echo(f"{MONTHS[month - 1]}  {a.start.isoformat()}  {a.title}")
            click.echo(f"     {windows}")
            click.echo(f"     {a.involved}")


# Appendix 1's columns: the activity each shows.
_GRID = (
    ("CPR (service)", "cpr"),
    ("Team Spotlight", "spotlight"),
    ("GPC", "gpc"),
    ("CSLT", "cslt"),
    ("QAPM", "qapm"),
    ("Thematic", "thematic"),
    ("other", "practice-week"),
)


def _show_grid(plan, closed: dict[int, str]) -> None:  # type: ignore[no-untyped-def]
    """The year in Appendix 1's shape: a row a month, a column an activity."""
    from domain.qa_calendar import ACTIVITIES, MONTHS

    rows = [("month", *(title for title, _ in _GRID))]
    for month in range(1, 13):
        if month in closed:
            continue
        held = {a.activity: a for a in plan.activities if a.month == month}
        cells = [
            "-" if kind not in held else held[kind].subject or (ACTIVITIES[kind] if kind == "practice-week" else "yes")
            for _, kind in _GRID
        ]
        rows.append((MONTHS[month - 1], *cells))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = {row[0]: "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows}
    click.echo(lines["month"])
    for month in range(1, 13):
        name = MONTHS[month - 1]
        click.echo(f"{name.ljust(widths[0])}  {closed[month]}" if month in closed else lines[name])


@calendar_app.command("install")
@YEAR_OPTION
@click.option("--sample", "sample", default="6", help="Children sampled by each scheduled CPR and thematic review.")
@AS_OPTION
def calendar_install(year: str, sample: str, actor: str) -> None:
    """Put the year's plan into the engine: a Temporal Schedule per activity (installing again is harmless)."""
    from domain.sampling import MAX_SAMPLE
    from infra.cli.client import perform
    from infra.cli.common import run, whole_number

    plan = _plan(parse_year(year))
    size = whole_number(sample, "--sample")
    if not 1 <= size <= MAX_SAMPLE:
        fail(f"--sample is 1 to {MAX_SAMPLE} children, not {size}")
    report = run(perform("calendar.install", actor, plan=plan, sample_size=size))
    click.echo(
        f"QA calendar {plan.year}: {len(report.created)} scheduled, {len(report.updated)} updated,"
        f" {len(report.unchanged)} unchanged, {len(report.removed)} removed,"
        f" {len(report.already_fired)} already started, {len(report.past)} past (not scheduled)"
    )


@calendar_app.command("schedules")
@YEAR_OPTION
@READER_OPTION
@JSON_OPTION
def calendar_schedules(year: str, actor: str, as_json: bool) -> None:
    """The year's schedules in the engine: what each starts, when, paused or not."""
    from dataclasses import asdict

    from infra.cli.client import perform
    from infra.cli.common import run, when

    listed = run(perform("calendar.list", actor, year=parse_year(year)))

    def human() -> None:
        for s in listed:
            state = "PAUSED " if s.paused else ""
            at = "started" if s.fired else (when(s.next_at) if s.next_at else "-")
            click.echo(f"{s.schedule_id}  {state}{at}  {s.summary}")

    emit([asdict(s) | {"next_at": s.next_at.isoformat() if s.next_at else None} for s in listed], as_json, human)


@calendar_app.command("pause")
@YEAR_OPTION
@click.option("--reason", required=True, help="Why (shown with every paused schedule).")
@AS_OPTION
def calendar_pause(year: str, reason: str, actor: str) -> None:
    """Emergency stop: nothing of the year starts until `qa calendar resume`."""
    _pause(year, paused=True, note=reason, actor=actor)


@calendar_app.command("resume")
@YEAR_OPTION
@AS_OPTION
def calendar_resume(year: str, actor: str) -> None:
    """Undo `qa calendar pause`: the year's activities start on their days again."""
    _pause(year, paused=False, note="resumed", actor=actor)


def _pause(year: str, *, paused: bool, note: str, actor: str) -> None:
    from infra.cli.client import perform
    from infra.cli.common import run

    if not note.strip():
        fail("--reason cannot be empty")
    changed = run(perform("calendar.pause", actor, year=parse_year(year), paused=paused, note=note.strip()))
    click.echo(f"{len(changed)} schedules of {year} {'paused' if paused else 'resumed'}")


@calendar_app.command("entry")
@click.argument("entry_id")
@JSON_OPTION
def calendar_entry(entry_id: str, as_json: bool) -> None:
    """A scheduled activity's calendar entry: what it started, or what it waits for."""
    from domain.calendar_entry import KIND
    from infra.cli.common import show_item

    show_item(entry_id, KIND, as_json, _show_entry)


def _show_entry(entry_id: str, s) -> None:  # type: ignore[no-untyped-def]
    from infra.cli.common import line, show_duties

    click.echo(f"{entry_id}: {s.title} ({s.status})")
    line("planned start", s.planned.start.isoformat())
    line("installed by", s.installed_by)
    if s.focus:
        line("focus", f"{s.focus} ({s.focus_source})")
    if s.arranged:
        line("arranged", f"{s.arranged.day.isoformat()}, lead {s.arranged.lead}, {', '.join(s.arranged.members)}")
    if s.item_id:
        line("started", s.item_id)
    for reason in s.refusals:
        line("refused", reason)
    if s.note:
        line("note", s.note)
    show_duties(s.duties)


@calendar_app.command("focus")
@click.argument("entry_id")
@click.option("--focus", required=True, help="The thematic review's focus.")
@AS_OPTION
def calendar_focus(entry_id: str, focus: str, actor: str) -> None:
    """Set the focus a scheduled thematic review waits for (when the QAPM meeting set none)."""
    from domain.calendar_entry import KIND, SetFocus
    from infra.cli.client import change
    from infra.cli.common import person, run
    from workflows.calendar_entry import CalendarEntryWorkflow

    request = typed(SetFocus, actor=person(actor), focus=focus)
    state = run(change(entry_id, KIND, CalendarEntryWorkflow.set_focus, request))
    click.echo(f"{entry_id}: focus {state.focus!r}; the thematic review starts now")


@calendar_app.command("arrange")
@click.argument("entry_id")
@click.option("--lead", required=True, help="The spotlight's lead: a senior manager.")
@click.option("--member", "members", multiple=True, help="A spotlight team member (3 or 4).")
@click.option("--day", help="The spotlight day, YYYY-MM-DD (default: the planned day).")
@AS_OPTION
def calendar_arrange(entry_id: str, lead: str, members: tuple[str, ...], day: str | None, actor: str) -> None:
    """Arrange a scheduled spotlight: its workflow starts, or its refusal is the one line shown."""
    from infra.cli.client import perform
    from infra.cli.common import person, run

    arranged = run(
        perform(
            "calendar.arrange",
            actor,
            entry_id=entry_id,
            lead=person(lead, "--lead"),
            members=tuple(person(m, "--member") for m in members),
            day=parse_date(day, "--day date") if day else None,
        )
    )
    click.echo(
        f"{arranged.item_id}: started for {arranged.spotlight.day.isoformat()}, led by {arranged.spotlight.lead}"
    )
