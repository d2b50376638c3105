"""The ids of items people and the engine start alike: one spelling, wherever they are made.

An item's id is its workflow id and its audit stream, and says what it is:
`cpr-2027-11-01-children-in-need`, `spotlight-2027-03-16-children-in-need`,
`plan-team-children-in-need`.
"""

from __future__ import annotations

import re
from datetime import date

from domain.errors import Refusal

MAX_ITEM_ID = 200
_ITEM_ID = re.compile(rf"[A-Za-z0-9][A-Za-z0-9._:-]{{0,{MAX_ITEM_ID - 1}}}")


def check_item_id(text: str) -> str:
    """An item id as a person typed it: what the functions below make (letters, digits, '.', '_', ':', '-'),
    so nothing else (a space, a control character that would forge a line of output) reaches a query."""
    if not _ITEM_ID.fullmatch(text):
        raise Refusal(
            f"{text[:MAX_ITEM_ID]!r} is not an item id: item ids are letters, digits, '.', '_', ':' and '-'"
            " (e.g. cpr-2027-11-01-children-in-need)"
        )
    return text


def slug(text: str) -> str:
    """Lower case letters and digits, the rest one hyphen: 'CiC - Family Support + Safeguarding' ->
    'cic-family-support-safeguarding'. Empty when `text` has no letter or digit."""
    return re.sub(r"[^a-z0-9]+", "-", text.casefold()).strip("-")


def cycle_id(service: str, start: date) -> str:
    return f"cpr-{start.isoformat()}-{slug(service)}"


def spotlight_id(team: str, day: date) -> str:
    return f"spotlight-{day.isoformat()}-{slug(team)}"


def team_plan_id(team: str) -> str:
    """A team has one plan for its whole life, whoever starts it (the CLI, a spotlight's report)."""
    return f"plan-team-{slug(team)}"


def case_audit_id(kind: str, start: date, focus: str) -> str:
    """`thematic-2027-04-12-neglect`, `dip-...`: one per kind, focus and start, ever (a long focus shortened)."""
    short = slug(focus)
    if len(short) > 60:
        short = short[:60].rsplit("-", 1)[0]
    return f"{kind}-{start.isoformat()}-{short}"
