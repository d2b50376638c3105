"""The dates the engine works with: 2000 to 2200, a documented range checked wherever a date comes in.

A date far outside it is a typing slip (9999-12-31, 1800-01-01), not a plan: the working-day
clock would walk centuries of days for it, or overflow at the end of the calendar.
"""

from __future__ import annotations

from datetime import date

from domain.errors import Refusal

EARLIEST = date(2000, 1, 1)
LATEST = date(2200, 12, 31)


def check_date(day: date, what: str) -> None:
    """Refuse `day` (called `what`) outside EARLIEST..LATEST."""
    if not EARLIEST <= day <= LATEST:
        raise Refusal(
            f"{what} {day.isoformat()} is outside the dates the engine works with"
            f" ({EARLIEST.isoformat()} to {LATEST.isoformat()})"
        )
