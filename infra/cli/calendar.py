"""`qa calendar`: due dates and the authority's closure days."""

from __future__ import annotations

from datetime import date

import click

from infra.cli.common import ALLOW_NEGATIVE, JSON_OPTION, app, emit, fail, parse_date, parse_working_days, settings


@app.group("calendar")
def calendar_app() -> None:
    """The working-day calendar: due dates and closure days."""


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
