"""The calendar in force: England and Wales bank holidays plus the authority's closure days file.

Building a calendar loads the `holidays` library (which registers every country)
and parses the closure days file: a quarter of a second, more than the rest of
`qa calendar due`. So, given a cache folder, a calendar is kept there as the
closed days it came to, under a key of everything it depends on: its years, the
closure days file's exact bytes and the installed `holidays` release. Any change
to one of them is a new key, so a cached calendar is always the one that would be
built; and without the release's name (no installed distribution found) nothing
is cached.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from domain.bank_holidays import calendar_years
from domain.working_days import WorkingDayCalendar

if TYPE_CHECKING:
    from domain.closures import ClosureDay
    from domain.qa_calendar import QaCalendar

_CACHE_FORMAT = "working-day-calendar-cache/v1"


DEFAULT_QA_CALENDAR = Path(__file__).parent / "data" / "qa-calendar.csv"


def read_qa_calendar(path: Path) -> QaCalendar:
    """The QA calendar in force: the one loaded into `path`, or the framework's Appendix 1."""
    from domain.qa_calendar import parse_calendar

    source = path if path.exists() else DEFAULT_QA_CALENDAR
    return parse_calendar(source.read_text(encoding="utf-8"), source=str(source))


def read_closure_days(path: Path) -> tuple[ClosureDay, ...]:
    """The authority's extra closure days; a missing file means none."""
    from domain.closures import parse_closure_days

    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return ()
    return parse_closure_days(text, source=str(path))


def load_calendar(start: date, closure_days_path: Path, cache_dir: Path | None = None) -> WorkingDayCalendar:
    """calendar_for(start) with the closure days in closure_days_path; kept in cache_dir if given."""
    key = _cache_key(start, closure_days_path) if cache_dir is not None else None
    if key is not None and cache_dir is not None:
        cached = _read_cached(cache_dir / f"{key}.json")
        if cached is not None:
            return cached
    from domain.bank_holidays import calendar_for

    calendar = calendar_for(start, [c.day for c in read_closure_days(closure_days_path)])
    if key is not None and cache_dir is not None:
        _write_cached(cache_dir / f"{key}.json", calendar)
    return calendar


def holidays_release() -> str | None:
    """The installed `holidays` distribution's name and version (its dist-info folder), without importing it."""
    spec = importlib.util.find_spec("holidays")
    if spec is None or spec.origin is None:
        return None
    site = Path(spec.origin).parent.parent
    try:
        found = sorted(n for n in os.listdir(site) if n.startswith("holidays-") and n.endswith(".dist-info"))
    except OSError:
        return None
    return found[0] if len(found) == 1 else None


def _cache_key(start: date, closure_days_path: Path) -> str | None:
    release = holidays_release()
    if release is None:
        return None
    try:
        closures = hashlib.sha256(closure_days_path.read_bytes()).hexdigest()
    except FileNotFoundError:
        closures = "none"
    except OSError:
        return None
    years = calendar_years(start)
    text = json.dumps([_CACHE_FORMAT, release, years.start, years.stop - 1, closures])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _read_cached(path: Path) -> WorkingDayCalendar | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return WorkingDayCalendar(
            closed_days=frozenset(date.fromisoformat(d) for d in data["closed_days"]),
            first_year=int(data["first_year"]),
            last_year=int(data["last_year"]),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None  # missing or unreadable: build it again


def _write_cached(path: Path, calendar: WorkingDayCalendar) -> None:
    data = {
        "first_year": calendar.first_year,
        "last_year": calendar.last_year,
        "closed_days": sorted(d.isoformat() for d in calendar.closed_days),
    }
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written aside then renamed: a reader never sees half a file.
        partial = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        partial.write_text(json.dumps(data), encoding="utf-8")
        partial.replace(path)
    except OSError:
        pass  # a read-only home still gets its calendar, just not cached
