"""The pieces every kind's words are made of: times, people, draws, actions added to a plan.

Each kind says what its events changed in `words` beside its events (domain.kinds);
these are the phrases two or more kinds share, so they read the same everywhere.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from domain.working_days import LONDON


def sentence(text: str) -> str:
    """`text` begun with a capital, the rest as it is: a kind's name or a duty in words, heading a line."""
    return text[:1].upper() + text[1:]


def local(moment: datetime) -> str:
    """A moment in Europe/London time to the second, e.g. '2027-11-01 09:00:05 GMT'."""
    at = moment.astimezone(LONDON)
    return f"{at:%Y-%m-%d %H:%M:%S} {at.tzname()}"


def due(value: str) -> str:
    """A recorded moment (ISO 8601 text) as `local` shows it."""
    return local(datetime.fromisoformat(value))


def people(names: Iterable[str]) -> str:
    names = list(names)
    return ", ".join(names) if names else "nobody"


def sample_drawn(p: Mapping[str, Any]) -> str:
    """A random sample from an open-cases snapshot (domain.sampling), with what makes it repeatable."""
    draw = p["draw"]
    cases = ", ".join(c["case_number"] for c in p["cases"])
    return (
        f"sample of {len(p['cases'])} drawn from open-cases snapshot {p['snapshot_id']}"
        f" ({draw['eligible_count']} eligible, seed {draw['seed']}): {cases}"
    )


def actions_added(p: Mapping[str, Any]) -> str:
    """The actions a report added to a plan; nothing for a report without (or recorded before they could be)."""
    return f"; actions {', '.join(p['plan_actions'])} added to {p['plan_id']}" if p.get("plan_id") else ""


def reviews_closed(p: Mapping[str, Any]) -> str:
    """A window for reviews closing: how many were submitted and which cases were not."""
    return f"reviews closed: {p['submitted']} submitted" + (
        f", outstanding {', '.join(p['outstanding'])}" if p["outstanding"] else ", none outstanding"
    )
