"""A safeguarding alert: immediate steps to keep a child safe, raised by anyone who reads the child's record.

From the framework: such steps are "raised by the reviewer immediately with the relevant team manager
and Head of Service and documented on the child's record". Not only reviewers read a child's record
for it: moderators, thematic and dip reviewers, spotlight members, Practice Week observers and
dispute moderators do too. So an alert is its own item (`alert-<uuid>`), raised from the item whose
work the raiser was doing when they read the record (`from_item`: it must name them and be about the
case), never refused for want of a manager: it goes to the case's team manager and head of service
(or, if the directory gives the case none, to the Head of QA).

It cannot be missed: each of them acknowledges it; anyone who has not within a window of working
hours (from settings, counted in Europe/London's working day) sees it go up to the Head of QA, then
the Director, each step recorded. And the team manager confirms it is documented on the child's
record (the LCS or EHM entry's reference), a duty chased like every other. It closes once everyone
has it and it is on the record.

The raiser is told only what has happened: it is recorded and in their inboxes (and e-mailed when the
delivery process has sent it: `qa alerts` shows each e-mail's state), acknowledged, escalated.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal

from pydantic import AwareDatetime, Field

from domain import duties
from domain.duties import Duty
from domain.errors import Refusal
from domain.events import DomainEvent, EventMeta, EventRegistry
from domain.frozen import Frozen
from domain.kinds import Kind
from domain.requests import ChangeRequest
from domain.text import MAX_SHORT, required_text
from domain.wording import due, people

STREAM_PREFIX = "alert-"
ON_FILE = "on-file"  # the team manager's duty: the alert documented on the child's record
ON_FILE_WORKING_DAYS = 1  # by the end of the next working day: "immediately"

# An unacknowledged alert goes up to these, one working-hours window after another.
ESCALATED_TO = {1: "the Head of QA", 2: "the Director"}

Status = Literal["open", "closed"]


# --- events -----------------------------------------------------------------------------------


class AlertRaised(DomainEvent):
    event_type = "alert.raised"
    case_number: str
    system: str | None  # where the child's record is kept (LCS or EHM), as the cases snapshot has it
    from_item: str  # the item whose work the raiser was doing when they read the record
    concern: str
    notified: tuple[str, ...]  # the team manager and head of service (or the Head of QA), to acknowledge it
    # When each level of its escalation (ESCALATED_TO) falls due if it is still unacknowledged: worked out
    # once, in working hours, from the settings' window.
    escalate_at: tuple[AwareDatetime, ...]
    calendar_digest: str


class AlertAcknowledged(DomainEvent):
    """One of the people it went to says they have it (the event's actor)."""

    event_type = "alert.acknowledged"


class AlertEscalated(DomainEvent):
    """Not acknowledged by everyone it went to within its window: taken up a level."""

    event_type = "alert.escalated"
    level: int
    recipients: tuple[str, ...]
    awaited: tuple[str, ...]  # who had still not acknowledged it


DUTIES = duties.family("alert")


class AlertDocumented(DomainEvent):
    """The team manager confirms the alert is on the child's record: the entry's reference there."""

    event_type = "alert.documented"
    reference: str


class AlertClosed(DomainEvent):
    event_type = "alert.closed"


ALERT_EVENTS = EventRegistry(AlertRaised, AlertAcknowledged, AlertEscalated, *DUTIES, AlertDocumented, AlertClosed)


# --- state ------------------------------------------------------------------------------------


class AlertState(Frozen):
    version: int
    case_number: str
    system: str | None = None
    from_item: str
    concern: str
    raised_by: str
    raised_at: AwareDatetime
    notified: tuple[str, ...]
    escalate_at: tuple[AwareDatetime, ...] = ()
    acknowledged: dict[str, AwareDatetime] = {}  # by whom of `notified`, when
    escalated_to: tuple[str, ...] = ()  # everyone it went up to, in order
    escalations: int = 0  # levels taken
    duties: tuple[Duty, ...] = ()
    reference: str | None = None  # the entry on the child's record
    documented_by: str | None = None
    documented_at: AwareDatetime | None = None
    status: Status = "open"

    @property
    def awaited(self) -> tuple[str, ...]:
        """Who of those it went to has not yet acknowledged it."""
        return tuple(p for p in self.notified if p not in self.acknowledged)

    @property
    def next_escalation(self) -> tuple[int, datetime] | None:
        """The next level (ESCALATED_TO) and its moment, while someone has still not acknowledged it."""
        if self.awaited and self.escalations < len(self.escalate_at):
            return self.escalations + 1, self.escalate_at[self.escalations]
        return None

    @property
    def settled(self) -> bool:
        """Everyone it went to has it, and it is on the child's record: nothing more is awaited."""
        return not self.awaited and self.reference is not None

    @property
    def ended(self) -> bool:
        return self.status == "closed"

    @property
    def title(self) -> str:
        return f"the safeguarding alert for case {self.case_number}"

    @property
    def record(self) -> str:
        """The child's record in words: "the child's LCS record"."""
        return f"the child's {self.system} record" if self.system else "the child's record"


def evolve(state: AlertState | None, event: DomainEvent, meta: EventMeta) -> AlertState:
    at = meta.business_time
    if state is None:
        if not isinstance(event, AlertRaised):
            raise ValueError(f"a safeguarding alert starts with alert.raised, not {event.event_type}")
        return AlertState(
            version=meta.version,
            case_number=event.case_number,
            system=event.system,
            from_item=event.from_item,
            concern=event.concern,
            raised_by=meta.actor,
            raised_at=at,
            notified=event.notified,
            escalate_at=event.escalate_at,
        )
    update: dict[str, object]
    if (changed := duties.evolve_duties(state.duties, event, meta)) is not None:
        update = {"duties": changed}
    else:
        match event:
            case AlertAcknowledged():
                update = {"acknowledged": {**state.acknowledged, meta.actor: at}}
            case AlertEscalated():
                update = {"escalations": event.level, "escalated_to": (*state.escalated_to, *event.recipients)}
            case AlertDocumented():
                update = {"reference": event.reference, "documented_by": meta.actor, "documented_at": at}
            case AlertClosed():
                update = {"status": "closed"}
            case _:
                raise ValueError(f"{event.event_type} does not belong to a safeguarding alert")
    return state.model_copy(update={"version": meta.version, **update})


# --- requests and rules -----------------------------------------------------------------------


class RaiseAlert(Frozen):
    """What the person raising an alert gives; also the workflow's input."""

    raised_by: str = Field(min_length=1, max_length=200)
    case_number: str = Field(min_length=1, max_length=100)
    from_item: str = Field(min_length=1, max_length=200)
    concern: str  # at most MAX_LONG characters (check_reader): longer is refused in words, not as bad input


class AcknowledgeAlert(ChangeRequest):
    pass


class DocumentAlert(ChangeRequest):
    reference: str


def no_item(item_id: str) -> str:
    return f"there is no item {item_id!r} to raise an alert from: give the item whose work you were doing"


def check_reader(kind: Kind | None, state: Any, request: RaiseAlert) -> None:
    """Only a person who reads the child's record for the framework raises an alert from an item: the item
    names them and is about the case. A staff concern is never one (it never touches a child's record)."""
    item_id = request.from_item
    if kind is None or state is None:
        raise Refusal(no_item(item_id))
    if kind.restricted or kind is KIND:
        raise Refusal(f"an alert is raised from the work on a child's record, not from a {kind.name}")
    cases = kind.case_numbers(state)
    if request.case_number not in cases:
        about = ", ".join(cases) or "no case"
        raise Refusal(f"{item_id} is not about case {request.case_number} (it is about {about})")
    if request.raised_by not in kind.people(state):
        raise Refusal(
            f"{item_id} does not name {request.raised_by}: an alert is raised by one who reads the child's record"
            " for it (raise it from the item you work on)"
        )
    required_text(request.concern, "the safeguarding concern")


def _raised(state: AlertState | None) -> AlertState:
    if state is None:
        raise Refusal("the alert is still being raised; try again in a moment")
    return state


def check_acknowledge(state: AlertState | None, request: AcknowledgeAlert) -> None:
    state = _raised(state)
    if request.actor not in state.notified:
        raise Refusal(f"{state.title} went to {' and '.join(state.notified)}: only they acknowledge it")
    if request.actor in state.acknowledged:
        raise Refusal(f"{request.actor} already acknowledged {state.title}")


def check_document(state: AlertState | None, request: DocumentAlert) -> None:
    state = _raised(state)
    duty = duties.duty(state, ON_FILE)
    assert duty is not None  # given with the alert
    if request.actor != duty.owner:
        raise Refusal(f"{duty.owner}, the manager it went to, confirms it is on {state.record}")
    if state.reference is not None:
        raise Refusal(f"{state.documented_by} already confirmed it is on {state.record}: {state.reference}")
    required_text(request.reference, f"the reference of its entry on {state.record}", MAX_SHORT)


def check_escalation(state: AlertState | None, level: int) -> None:
    """The engine's own rule, checked against the newest state: still unacknowledged, this level not yet taken."""
    state = _raised(state)
    step = state.next_escalation
    if step is None or step[0] != level:
        raise Refusal(f"{state.title} is acknowledged or already went to {ESCALATED_TO[level]}")


def check_close(state: AlertState | None) -> None:
    state = _raised(state)
    if not state.settled or state.ended:
        raise Refusal(f"{state.title} is still awaited or already closed")


# --- the kind ---------------------------------------------------------------------------------


def _raised_words(p: Mapping[str, Any]) -> str:
    levels = "; ".join(
        f"to {whom} if not acknowledged by {due(at)}"
        for whom, at in zip(ESCALATED_TO.values(), p["escalate_at"], strict=False)
    )
    return (
        f"SAFEGUARDING alert for case {p['case_number']} raised from {p['from_item']}, sent at once to"
        f" {people(p['notified'])} (escalates {levels}): {p['concern']}"
    )


KIND = Kind(
    name="safeguarding alert",
    prefix="alert.",
    events=ALERT_EVENTS,
    evolve=evolve,
    workflow_type="SafeguardingAlert",
    closing=("alert.closed",),
    show=("alert", "show"),
    people=lambda s: {s.raised_by, *s.notified, *s.escalated_to},
    case_numbers=lambda s: [s.case_number],
    duty_title="Safeguarding alerts on the child's record",
    words={
        "alert.raised": _raised_words,
        "alert.acknowledged": lambda p: "acknowledged",
        "alert.escalated": lambda p: (
            f"not acknowledged by {people(p['awaited'])} in time: escalated to {ESCALATED_TO[p['level']]},"
            f" {people(p['recipients'])}"
        ),
        **DUTIES.words,
        "alert.documented": lambda p: f"documented on the child's record: {p['reference']}",
        "alert.closed": lambda p: "closed: acknowledged by everyone it went to, and on the child's record",
    },
)
