"""Work one person owes an item by a recorded moment, chased on a recorded schedule.

A spotlight's key documents, a member's information record, a thematic
reviewer's cases: each is a duty with an owner, a due moment from the working-day
clock and the chase schedule worked out with it (domain.chasing). An item keeps
its duties in its state; its own event types (e.g. "spotlight.duty_set", from
`family`) extend the bases here, so every item records duties the same way, under its own prefix,
and one reducer step and one chasing loop (workflows.duties) serve them all.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple, Protocol

from pydantic import AwareDatetime

from domain.chasing import ChaseStep
from domain.errors import Refusal
from domain.events import DomainEvent, EventMeta, member
from domain.frozen import Frozen
from domain.kinds import Words
from domain.wording import due, people

LEVEL_NAMES = {1: "their line manager", 2: "the next manager up", 3: "the Head of QA"}


class Duty(Frozen):
    key: str
    owner: str
    what: str  # in words, completing "<owner> is to ..."
    due_at: AwareDatetime
    chase: tuple[ChaseStep, ...] = ()
    chased: int = 0
    escalation_level: int = 0
    overdue: bool = False
    done_at: AwareDatetime | None = None
    done_by: str | None = None
    late: bool = False

    @property
    def open(self) -> bool:
        return self.done_at is None

    @property
    def next_chase(self) -> ChaseStep | None:
        if self.open and self.chased < len(self.chase):
            return self.chase[self.chased]
        return None


class DutySet(DomainEvent):
    """A duty given (or given again: a new due moment replaces the old, with a new chase).

    A base: each kind records it under its own event type (`family`).
    """

    key: str
    owner: str
    what: str
    due_at: AwareDatetime
    chase: tuple[ChaseStep, ...]


class DutyChased(DomainEvent):
    """A step of a duty's chase taken: a reminder, the breach, or an escalation."""

    key: str
    step: ChaseStep
    recipients: tuple[str, ...]


class DutyDone(DomainEvent):
    key: str


class DutyEvents(NamedTuple):
    """One kind's duty events: the three bases above under its own prefix."""

    given: type[DutySet]
    chased: type[DutyChased]
    done: type[DutyDone]

    @property
    def words(self) -> dict[str, Words]:
        return {
            self.given.event_type: lambda p: f"{p['owner']} is to {p['what']} by {due(p['due_at'])}",
            self.chased.event_type: _chase_words,
            self.done.event_type: lambda p: f"{p['key']} done",
        }


def family(name: str) -> DutyEvents:
    """The duty events of the kind whose event types start with `name` and a dot."""
    return DutyEvents(
        member(DutySet, f"{name}.duty_set"),
        member(DutyChased, f"{name}.duty_chased"),
        member(DutyDone, f"{name}.duty_done"),
    )


def _chase_words(p: Mapping[str, Any]) -> str:
    step, told = p["step"], people(p["recipients"])
    if step["kind"] == "reminder":
        return f"{p['key']}: reminder sent to {told}"
    if step["kind"] == "overdue":
        return f"{p['key']} overdue: {told} told"
    return f"{p['key']} escalated to level {step['level']}: {told} told"


class HasDuties(Protocol):
    duties: tuple[Duty, ...]


def duty(state: HasDuties, key: str) -> Duty | None:
    return next((d for d in state.duties if d.key == key), None)


def evolve_duties(duties: tuple[Duty, ...], event: DomainEvent, meta: EventMeta) -> tuple[Duty, ...] | None:
    """The duties after `event`, or None when it is not a duty event (the item's reducer handles it)."""
    at = meta.business_time
    match event:
        case DutySet():
            # Only the chase steps still ahead count: a duty set late is not reminded of the past.
            given = Duty(
                key=event.key,
                owner=event.owner,
                what=event.what,
                due_at=event.due_at,
                chase=tuple(step for step in event.chase if step.at > at),
            )
            if not any(d.key == event.key for d in duties):
                return (*duties, given)
            return tuple(given if d.key == event.key else d for d in duties)
        case DutyChased():
            return _replace(duties, event.key, lambda d: _chased(d, event.step))
        case DutyDone():
            return _replace(
                duties,
                event.key,
                lambda d: d.model_copy(update={"done_at": at, "done_by": meta.actor, "late": at > d.due_at}),
            )
    return None


def _chased(duty: Duty, step: ChaseStep) -> Duty:
    update: dict[str, object] = {"chased": duty.chased + 1}
    if step.kind == "overdue":
        update["overdue"] = True
    elif step.kind == "escalation":
        update["escalation_level"] = step.level
    return duty.model_copy(update=update)


def _replace(duties: tuple[Duty, ...], key: str, change) -> tuple[Duty, ...]:  # type: ignore[no-untyped-def]
    if not any(d.key == key for d in duties):
        raise ValueError(f"no duty {key!r}")
    return tuple(change(d) if d.key == key else d for d in duties)


def next_chase(duties: tuple[Duty, ...]) -> tuple[str, ChaseStep] | None:
    """The earliest chase step of any open duty, with its duty's key."""
    steps = [(d.next_chase, d.key) for d in duties if d.next_chase is not None]
    if not steps:
        return None
    step, key = min(steps, key=lambda pair: (pair[0].at, pair[1]))  # type: ignore[union-attr]
    return key, step  # type: ignore[return-value]


def check_chase(state: HasDuties | None, key: str, step: ChaseStep) -> None:
    """A chase step is taken only if it is still its duty's next one (not done, not moved)."""
    current = duty(state, key) if state is not None else None
    if current is None or current.next_chase != step:
        raise Refusal(f"{key} no longer needs chasing at {step.at.isoformat()}")


def overdue(duties: tuple[Duty, ...]) -> tuple[Duty, ...]:
    return tuple(d for d in duties if d.open and d.overdue)
