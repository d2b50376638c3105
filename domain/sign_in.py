"""Signing in: how long a token lives, what a password must be, when sign-in is held back.

Pure rules; the tables are infra.store.sign_in, the commands infra.application.sign_in.
"""

from __future__ import annotations

import re
from datetime import timedelta

from domain.errors import Refusal

TOKEN_LIFETIME = timedelta(hours=8)  # a working day's sign-in, unless asked otherwise
LONGEST_TOKEN = timedelta(days=90)  # a script's token is renewed at least each quarter
INVITATION_LIFETIME = timedelta(days=14)

# Five wrong passwords for one person, or twenty from one address, within 15 minutes hold back the
# next attempt until the window has passed: slow enough to stop guessing, short enough for a person
# who mistyped to get back to work.
FAILURE_WINDOW = timedelta(minutes=15)
FAILURES_PER_PERSON = 5
FAILURES_PER_SOURCE = 20

SHORTEST_PASSWORD = 12
LONGEST_PASSWORD = 200

_LIFETIME = re.compile(r"([0-9]{1,6})([mhd])")  # 129600m is the longest
_UNITS = {"m": "minutes", "h": "hours", "d": "days"}


def parse_lifetime(text: str) -> timedelta:
    """'30m', '8h' or '7d': how long a token lives, at least a minute and at most LONGEST_TOKEN."""
    match = _LIFETIME.fullmatch(text.strip())
    if match is None:
        raise Refusal(f"a lifetime is a whole number of minutes, hours or days, e.g. 30m, 8h or 7d, not {text!r}")
    lifetime = timedelta(**{_UNITS[match[2]]: int(match[1])})
    if not timedelta(minutes=1) <= lifetime <= LONGEST_TOKEN:
        raise Refusal(f"a token lives at least a minute and at most {LONGEST_TOKEN.days} days, not {text!r}")
    return lifetime


def password_problem(password: str, staff_id: str) -> str | None:
    """Why `password` will not do for `staff_id` (NCSC: length over complexity), or None."""
    if len(password) < SHORTEST_PASSWORD:
        return f"a password has at least {SHORTEST_PASSWORD} characters"
    if len(password) > LONGEST_PASSWORD:
        return f"a password has at most {LONGEST_PASSWORD} characters"
    if password.strip() != password:
        return "a password does not start or end with a space"
    if staff_id.lower() in password.lower():
        return "a password does not contain the user name"
    if len(set(password)) < 4:
        return "a password is not one or two characters repeated"
    return None
