"""The dates the engine works with: 2000 to 2200, a documented range checked wherever a date comes in.

A date far outside it is a typing slip (9999-12-31, 1800-01-01), not a plan: the working-day
clock would walk centuries of days for it, or overflow at the end of the calendar.
"""

from __future__ import annotations

import re
from datetime import date

from domain.errors import Refusal

# How a date is written in every file and argument: date.fromisoformat also takes "20271229" and
# "2027-W52-3", and \d also takes other scripts' digits; only this form is unambiguous to a person.
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

EARLIEST = date(2000, 1, 1)
LATEST = date(2200, 12, 31)


def check_date(day: date, what: str) -> None:
    """Refuse `day` (called `what`) outside EARLIEST..LATEST."""
    if not EARLIEST <= day <= LATEST:
        raise Refusal(
            f"{what} {day.isoformat()} is outside the dates the engine works with"
            f" ({EARLIEST.isoformat()} to {LATEST.isoformat()})"
        )
