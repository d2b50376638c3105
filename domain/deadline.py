"""A working-day deadline: set, possibly extended, then met or passed.

The smallest real item the engine runs. The due moment is always computed
outside the workflow (by the working-day clock, in an activity) and arrives
here inside an event, so replaying the history never consults a calendar.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import AwareDatetime, Field

from domain.errors import Refusal
from domain.events import DomainEvent, EventMeta, EventRegistry
from domain.frozen import Frozen
from domain.kinds import Kind
from domain.requests import ChangeRequest
from domain.text import MAX_SHORT, check_text
from domain.wording import due
from domain.working_days import MAX_WORKING_DAYS

Status = Literal["open", "overdue", "met"]


class DeadlineSet(DomainEvent):
    event_type = "deadline.set"
    title: str
    owner: str
    start: date
    working_days: int
    due_at: AwareDatetime
    calendar_digest: str


class DeadlineExtended(DomainEvent):
    event_type = "deadline.extended"
    extra_working_days: int
    due_at: AwareDatetime
    calendar_digest: str
    reason: str


class DeadlinePassed(DomainEvent):
    event_type = "deadline.passed"
    due_at: AwareDatetime


class DeadlineMet(DomainEvent):
    event_type = "deadline.met"
    note: str


DEADLINE_EVENTS = EventRegistry(DeadlineSet, DeadlineExtended, DeadlinePassed, DeadlineMet)


class DeadlineState(Frozen):
    version: int
    title: str
    owner: str
    start: date
    working_days: int
    due_at: AwareDatetime
    status: Status
    set_by: str
    extensions: tuple[str, ...] = ()
    met_at: AwareDatetime | None = None
    met_by: str | None = None
    late: bool = False


def evolve(state: DeadlineState | None, event: DomainEvent, meta: EventMeta) -> DeadlineState:
    match event:
        case DeadlineSet() if state is None:
            return DeadlineState(
                version=meta.version,
                title=event.title,
                owner=event.owner,
                start=event.start,
                working_days=event.working_days,
                due_at=event.due_at,
                status="open",
                set_by=meta.actor,
            )
        case DeadlineExtended() if state is not None:
            return state.model_copy(
                update={
                    "version": meta.version,
                    "working_days": state.working_days + event.extra_working_days,
                    "due_at": event.due_at,
                    "status": "open" if event.due_at > meta.business_time else state.status,
                    "extensions": (*state.extensions, event.reason),
                }
            )
        case DeadlinePassed() if state is not None:
            return state.model_copy(update={"version": meta.version, "status": "overdue"})
        case DeadlineMet() if state is not None:
            return state.model_copy(
                update={
                    "version": meta.version,
                    "status": "met",
                    "met_at": meta.business_time,
                    "met_by": meta.actor,
                    "late": state.status == "overdue",
                }
            )
    raise ValueError(f"{event.event_type} cannot follow version {state.version if state else 0}")


class CompleteDeadline(ChangeRequest):
    actor: str = Field(min_length=1)
    note: str = ""


class ExtendDeadline(ChangeRequest):
    actor: str = Field(min_length=1)
    extra_working_days: int = Field(ge=1, le=60)
    reason: str = Field(min_length=1)


def _opened(state: DeadlineState | None) -> DeadlineState:
    if state is None:
        raise Refusal("the deadline is still being set up; try again in a moment")
    return state


def check_complete(state: DeadlineState | None, request: CompleteDeadline) -> None:
    state = _opened(state)
    if state.status == "met":
        raise Refusal(f"'{state.title}' was already met by {state.met_by}")
    if request.actor != state.owner:
        raise Refusal(f"only the owner ({state.owner}) can mark '{state.title}' as done, not {request.actor}")
    check_text("the note", request.note, MAX_SHORT)


def check_extend(state: DeadlineState | None, request: ExtendDeadline, version: int | None = None) -> None:
    """`version`: the state the new due moment was computed from, which must still be current."""
    state = _opened(state)
    if version is not None and state.version != version:
        raise Refusal(f"'{state.title}' changed while the extension was being worked out; try again")
    if state.status == "met":
        raise Refusal(f"'{state.title}' is already met; there is nothing to extend")
    if not request.reason.strip():
        raise Refusal("an extension needs a reason")
    check_text("the reason", request.reason, MAX_SHORT)
    if request.actor == state.owner:
        raise Refusal(f"{request.actor} owns '{state.title}' and cannot extend their own deadline")
    if state.working_days + request.extra_working_days > MAX_WORKING_DAYS:
        raise Refusal(f"a deadline cannot run past {MAX_WORKING_DAYS} working days from its start")


def check_passing(state: DeadlineState | None, due_at: datetime) -> None:
    """The timer for `due_at` may record a breach only if nothing moved or met it meanwhile."""
    state = _opened(state)
    if state.status != "open" or state.due_at != due_at:
        raise Refusal(f"'{state.title}' is no longer due at {due_at.isoformat()}")


# --- the kind ---------------------------------------------------------------------------------

KIND = Kind(
    name="deadline",
    prefix="deadline.",
    events=DEADLINE_EVENTS,
    evolve=evolve,
    workflow_type="Deadline",
    closing=("deadline.met",),
    show=("deadline", "show"),
    people=lambda s: {s.owner, s.set_by},
    words={
        "deadline.set": lambda p: (
            f"deadline '{p['title']}' set for {p['owner']}: {p['working_days']} working days from {p['start']},"
            f" due {due(p['due_at'])}"
        ),
        "deadline.extended": lambda p: (
            f"extended by {p['extra_working_days']} working days to {due(p['due_at'])}: {p['reason']}"
        ),
        "deadline.passed": lambda p: f"deadline passed (was due {due(p['due_at'])})",
        "deadline.met": lambda p: "marked done" + (f": {p['note']}" if p.get("note") else ""),
    },
)
