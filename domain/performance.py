"""Service performance data for the QAPM meeting: indicators per service and month, imported as a CSV.

The framework: the meeting "interrogates performance data by service area". The authority's performance team
exports its indicators (e.g. "Assessments completed within 45 working days, %") as a CSV::

    service,month,indicator,value
    # blank lines and lines starting with '#' are ignored
    Children in Need,2027-01,Assessments within 45 working days (%),82.5

Each import is recorded whole in the audit log (`performance.imported`, with the file's SHA-256), so the pack is
compiled from the log alone; a later import's value for the same service, month and indicator replaces an earlier
one (a correction). The pack compares each indicator's newest month in its period with its newest month before it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import date
from decimal import Decimal, InvalidOperation

from domain.events import DomainEvent, EventRegistry
from domain.files import FileError, csv_rows
from domain.frozen import Frozen
from domain.kinds import Kind
from domain.text import MAX_SHORT

HEADER = ("service", "month", "indicator", "value")
STREAM = "performance-data"
MAX_ROWS = 20_000


class Indicator(Frozen):
    service: str
    month: date  # its first day
    indicator: str
    value: Decimal


class PerformanceImported(DomainEvent):
    event_type = "performance.imported"
    digest: str  # SHA-256 of the file's text
    rows: tuple[Indicator, ...]


def _month(text: str) -> date:
    try:
        year, month = text.split("-")
        return date(int(year), int(month), 1)
    except ValueError:
        raise ValueError(f"month {text!r} is not a month such as 2027-01") from None


def parse_performance(text: str, source: str) -> PerformanceImported:
    """The file's indicators; a FileError naming the line on the first problem (nothing is imported then)."""
    rows: dict[tuple[str, date, str], int] = {}
    found: list[Indicator] = []
    for number, row in csv_rows(text, source, HEADER):
        try:
            for column in ("service", "indicator"):
                if not row[column]:
                    raise ValueError(f"the {column} is empty")
                if len(row[column]) > MAX_SHORT:
                    raise ValueError(f"the {column} is longer than {MAX_SHORT} characters")
            month = _month(row["month"])
            try:
                value = Decimal(row["value"])
            except InvalidOperation:
                raise ValueError(f"value {row['value']!r} is not a number") from None
            if not value.is_finite():
                raise ValueError(f"value {row['value']!r} is not a number")
            key = (row["service"], month, row["indicator"])
            if key in rows:
                raise ValueError(f"repeats line {rows[key]} ({row['service']}, {row['month']}, {row['indicator']})")
            rows[key] = number
            found.append(Indicator(service=row["service"], month=month, indicator=row["indicator"], value=value))
        except ValueError as exc:
            raise FileError(f"{source} line {number}: {exc}") from None
        if len(found) > MAX_ROWS:
            raise FileError(f"{source}: more than {MAX_ROWS:,} rows; import a year at a time")
    if not found:
        raise FileError(f"{source}: no indicators (one a line: {','.join(HEADER)})")
    return PerformanceImported(digest=hashlib.sha256(text.encode("utf-8")).hexdigest(), rows=tuple(found))


class Compared(Frozen):
    """One service's indicator in the pack: its newest month in the period, against its newest month before it."""

    service: str
    indicator: str
    month: date
    value: Decimal
    previous_month: date | None = None
    previous: Decimal | None = None

    @property
    def change(self) -> Decimal | None:
        return None if self.previous is None else self.value - self.previous


def compared(imports: Iterable[PerformanceImported], since: date, until: date) -> tuple[Compared, ...]:
    """Each (service, indicator) with a month in [since's month, until's month], in service then indicator order;
    `imports` oldest first (a later import's value for the same month replaces an earlier one)."""
    values: dict[tuple[str, str], dict[date, Decimal]] = {}
    for imported in imports:
        for row in imported.rows:
            values.setdefault((row.service, row.indicator), {})[row.month] = row.value
    first, last = since.replace(day=1), until.replace(day=1)
    lines = []
    for (service, indicator), by_month in sorted(values.items()):
        within = [m for m in by_month if first <= m <= last]
        if not within:
            continue
        month = max(within)
        before = [m for m in by_month if m < first]
        previous = max(before) if before else None
        lines.append(
            Compared(
                service=service,
                indicator=indicator,
                month=month,
                value=by_month[month],
                previous_month=previous,
                previous=by_month[previous] if previous else None,
            )
        )
    return tuple(lines)


def in_words(line: Compared) -> str:
    said = f"{line.service}: {line.indicator}: {line.value} ({line.month:%b %Y})"
    if line.previous is None or line.previous_month is None:
        return said + "; no earlier month"
    change = line.change
    assert change is not None
    sign = "+" if change > 0 else ""
    return said + f", {sign}{change} on {line.previous} ({line.previous_month:%b %Y})"


KIND = Kind(
    name="performance data import",
    prefix="performance.",
    events=EventRegistry(PerformanceImported),
    words={
        "performance.imported": lambda p: (
            f"performance data imported: {len(p['rows'])} indicator values (SHA-256 {p['digest'][:12]}...)"
        ),
    },
)
