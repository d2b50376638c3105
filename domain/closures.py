"""The authority's extra closure days file: parse and render, no I/O.

Format (CSV, UTF-8)::

    date,reason
    # blank lines and lines starting with '#' are ignored
    2027-12-29,Council closure day

Errors are one line naming the source and line, so an officer editing the file
by hand can find and fix the mistake without reading a traceback.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Iterable
from datetime import date

from pydantic import ValidationError, field_validator

from domain.dates import ISO_DATE, check_date
from domain.files import csv_records
from domain.frozen import Frozen

HEADER = ("date", "reason")
# Anything str.splitlines() would break on, plus other controls: the format is
# one closure per line, so a reason must not span lines.
_LINE_BREAKING_CATEGORIES = {"Cc", "Zl", "Zp"}


class ClosureDay(Frozen):
    """A day the authority closes on top of the bank holidays."""

    day: date
    reason: str

    @field_validator("reason")
    @classmethod
    def _one_line_reason(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("reason must not be empty")
        if any(unicodedata.category(c) in _LINE_BREAKING_CATEGORIES for c in value):
            raise ValueError("reason must be a single line without control characters")
        return value


class ClosureFileError(ValueError):
    """The closure days file is malformed; the message is one line."""


def _parse_date(text: str) -> date:
    if not ISO_DATE.fullmatch(text):
        raise ValueError(f"{text!r} is not a date (expected YYYY-MM-DD)")
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a real date (expected YYYY-MM-DD)") from None
    check_date(day, "the closure day")  # a Refusal: the file's line names it
    return day


def _parse_row(cells: list[str]) -> ClosureDay:
    """One closure from a data row; ValueError says what is wrong with it."""
    if len(cells) > 2:
        raise ValueError(
            f"expected 2 columns (date,reason), got {len(cells)}; put a reason containing commas in double quotes"
        )
    day = _parse_date(cells[0])
    if len(cells) < 2 or not cells[1]:
        raise ValueError(f"closure on {day.isoformat()} has no reason (expected 'date,reason')")
    try:
        return ClosureDay(day=day, reason=cells[1])
    except ValidationError as exc:
        problem = exc.errors()[0]["ctx"]["error"]
        raise ValueError(f"closure on {day.isoformat()}: {problem}") from None


def parse_closure_days(text: str, source: str = "closure days") -> tuple[ClosureDay, ...]:
    """Closure days in date order; raises ClosureFileError on the first problem."""
    line_of: dict[date, int] = {}
    days: list[ClosureDay] = []
    header_seen = False
    for number, cells, stripped in csv_records(text, source, ClosureFileError):
        try:
            if not header_seen:
                if tuple(cell.lower() for cell in cells) != HEADER:
                    raise ValueError(f"expected the header 'date,reason', got {stripped!r}")
                header_seen = True
                continue
            closure = _parse_row(cells)
            if closure.day in line_of:
                raise ValueError(
                    f"{closure.day.isoformat()} is listed twice (lines {line_of[closure.day]} and {number})"
                )
        except ValueError as exc:
            raise ClosureFileError(f"{source} line {number}: {exc}") from None
        line_of[closure.day] = number
        days.append(closure)

    if not header_seen:
        raise ClosureFileError(f"{source}: missing the header line 'date,reason'")
    return tuple(sorted(days, key=lambda closure: closure.day))


def render_closure_days(days: Iterable[ClosureDay]) -> str:
    """The file text for days, sorted by date, that parse_closure_days reads back."""
    ordered = sorted(days, key=lambda closure: closure.day)
    for earlier, later in zip(ordered, ordered[1:], strict=False):
        if earlier.day == later.day:
            raise ValueError(f"{later.day.isoformat()} appears more than once")
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(HEADER)
    writer.writerows((closure.day.isoformat(), closure.reason) for closure in ordered)
    return buffer.getvalue()
