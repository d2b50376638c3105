"""The calendar in force: England and Wales bank holidays plus the authority's closure days file."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from domain.bank_holidays import calendar_for
from domain.closures import ClosureDay, parse_closure_days
from domain.working_days import WorkingDayCalendar


def read_closure_days(path: Path) -> tuple[ClosureDay, ...]:
    """The authority's extra closure days; a missing file means none."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return ()
    return parse_closure_days(text, source=str(path))


def load_calendar(start: date, closure_days_path: Path) -> WorkingDayCalendar:
    return calendar_for(start, [c.day for c in read_closure_days(closure_days_path)])
