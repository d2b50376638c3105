"""Builds working-day calendars from the ``holidays`` library.

The only module that imports ``holidays``: call it from activities or the CLI
and pass the resulting calendar into workflows as data, so that upgrading the
library never changes a deadline computed during workflow replay.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from domain.working_days import WorkingDayCalendar

# England and Wales share bank holidays; the library's ENG list is theirs.
_COUNTRY = "GB"
_SUBDIVISION = "ENG"
# 260 working days from 31 December reach into the January two years on.
_YEARS_AHEAD = 2


def england_and_wales_calendar(years: range | Iterable[int], closure_days: Iterable[date] = ()) -> WorkingDayCalendar:
    """Bank holidays (with weekend substitutes) plus the authority's closure days.

    ``years`` must be consecutive; closure days outside them are ignored, since
    a closure file usually spans more years than one calendar needs.
    """
    wanted = sorted(set(years))
    if not wanted:
        raise ValueError("a calendar needs at least one year")
    first, last = wanted[0], wanted[-1]
    if wanted != list(range(first, last + 1)):
        raise ValueError(f"calendar years must be consecutive, got {wanted}")

    # Imported here, not at the top: loading the library (it registers every country)
    # costs more than a `qa calendar due` that finds its calendar cached.
    import holidays

    # observed=True adds the weekday substitutes ("Boxing Day (observed)" etc.);
    # expand=False stops lookups from quietly loading other years.
    bank_holidays = holidays.country_holidays(_COUNTRY, subdiv=_SUBDIVISION, years=wanted, observed=True, expand=False)
    closed = {d for d in bank_holidays if first <= d.year <= last}
    closed.update(d for d in closure_days if first <= d.year <= last)
    return WorkingDayCalendar(closed_days=frozenset(closed), first_year=first, last_year=last)


def calendar_years(start: date) -> range:
    """The years of calendar_for(start): and the year before it, where a moment before an early-January start falls
    (a spotlight's documents due 5 working days before its day, the reminders before a meeting on 4 January)."""
    return range(start.year - 1, start.year + _YEARS_AHEAD + 1)


def calendar_for(start: date, closure_days: Iterable[date] = ()) -> WorkingDayCalendar:
    """A calendar long enough for any deadline of up to MAX_WORKING_DAYS from start."""
    return england_and_wales_calendar(calendar_years(start), closure_days)
