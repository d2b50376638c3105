"""Working-day arithmetic for QA deadlines.

Pure and deterministic so workflow code can use it during replay: the calendar
is plain data handed in from outside (see ``domain.bank_holidays``), never
looked up here, so a holiday-library upgrade cannot change a replayed deadline.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")
# About a year of working days: longer windows are almost certainly a data error.
MAX_WORKING_DAYS = 260

_END_OF_DAY = time(23, 59, 59)
_ONE_DAY = timedelta(days=1)
_DIGEST_VERSION = "working-day-calendar/v1"


class CalendarRangeError(ValueError):
    """A computation needs a year whose closed days the calendar does not know."""


def _require_date(value: object, name: str) -> None:
    # A datetime is a date subclass but never equals one, so it would silently
    # miss every closed day.
    if not isinstance(value, date) or isinstance(value, datetime):
        raise TypeError(f"{name} must be a datetime.date, got {type(value).__name__}")


def _check_working_days(n: object) -> int:
    if isinstance(n, bool) or not isinstance(n, int):
        raise ValueError(f"working days must be an integer, got {n!r}")
    if not 0 <= n <= MAX_WORKING_DAYS:
        raise ValueError(f"working days must be between 0 and {MAX_WORKING_DAYS}, got {n}")
    return n


def _weekdays_after(start: date, end: date) -> int:
    """Mondays to Fridays in (start, end], for start <= end, without iterating."""
    days = (end - start).days
    full_weeks, remainder = divmod(days, 7)
    first = start.weekday()
    tail = sum(1 for offset in range(1, remainder + 1) if (first + offset) % 7 < 5)
    return full_weeks * 5 + tail


@dataclass(frozen=True, slots=True)
class WorkingDayCalendar:
    """Working days are Monday to Friday less ``closed_days``.

    ``closed_days`` is only trusted for ``first_year``..``last_year``
    (inclusive); asking about any other year raises CalendarRangeError rather
    than guessing that it has no holidays.
    """

    closed_days: frozenset[date]
    first_year: int
    last_year: int

    def __post_init__(self) -> None:
        object.__setattr__(self, "closed_days", frozenset(self.closed_days))
        if self.first_year > self.last_year:
            raise ValueError(f"first_year {self.first_year} is after last_year {self.last_year}")
        for day in self.closed_days:
            _require_date(day, "closed day")
            # Out-of-range days could never matter but would change the digest.
            if not self.first_year <= day.year <= self.last_year:
                raise ValueError(
                    f"closed day {day.isoformat()} is outside the calendar's years "
                    f"{self.first_year} to {self.last_year}"
                )

    def _check_year(self, year: int) -> None:
        if not self.first_year <= year <= self.last_year:
            raise CalendarRangeError(
                f"the working-day calendar does not cover {year}: it covers {self.first_year} to {self.last_year}"
            )

    def is_working_day(self, d: date) -> bool:
        _require_date(d, "d")
        self._check_year(d.year)
        return d.weekday() < 5 and d not in self.closed_days

    def next_working_day_on_or_after(self, d: date) -> date:
        while not self.is_working_day(d):
            d += _ONE_DAY
        return d

    def add_working_days(self, d: date, n: int) -> date:
        """The nth working day after d; d is day 0 and need not be a working day."""
        _require_date(d, "d")
        remaining = _check_working_days(n)
        while remaining:
            d += _ONE_DAY
            if self.is_working_day(d):
                remaining -= 1
        return d

    def due_at(self, d: date, n: int) -> datetime:
        """End of the local day n working days after d, with the offset in force then."""
        return datetime.combine(self.add_working_days(d, n), _END_OF_DAY, tzinfo=LONDON)

    def add_working_hours(self, start: datetime, duration: timedelta, opens: time, closes: time) -> datetime:
        """The moment `duration` of working hours after `start`, in London: only the hours from `opens` to
        `closes` of working days count (an alert raised on Friday at 16:30 with a two-hour window is due on
        Monday at 10:30, or Tuesday's after a bank holiday)."""
        if start.tzinfo is None:
            raise TypeError("start must be an aware datetime")
        if not opens < closes:
            raise ValueError(f"the working day opens ({opens}) before it closes ({closes})")
        if duration <= timedelta(0):
            raise ValueError(f"working hours must be more than none, got {duration}")
        moment = start.astimezone(LONDON)
        remaining = duration
        while True:
            day = moment.date()
            if not self.is_working_day(day) or moment >= datetime.combine(day, closes, tzinfo=LONDON):
                day = self.next_working_day_on_or_after(day + _ONE_DAY)
            moment = max(moment, datetime.combine(day, opens, tzinfo=LONDON))
            # Within one working day the wall clock is the clock: clocks change at night.
            closing = datetime.combine(day, closes, tzinfo=LONDON)
            if remaining <= closing - moment:
                return moment + remaining
            remaining -= closing - moment
            moment = closing

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in (start, end]; negative when end is before start."""
        _require_date(start, "start")
        _require_date(end, "end")
        if end < start:
            return -self.working_days_between(end, start)
        if end == start:
            return 0
        self._check_year((start + _ONE_DAY).year)
        self._check_year(end.year)
        closed = sum(1 for c in self.closed_days if start < c <= end and c.weekday() < 5)
        return _weekdays_after(start, end) - closed

    def digest(self) -> str:
        """Fingerprint recorded beside a deadline to show which calendar produced it."""
        lines = [_DIGEST_VERSION, f"years {self.first_year}-{self.last_year}"]
        lines += sorted(day.isoformat() for day in self.closed_days)
        return hashlib.sha256("\n".join(lines).encode("ascii")).hexdigest()
