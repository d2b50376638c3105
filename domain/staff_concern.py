"""A practice concern about a member of staff: raised with their line manager, kept apart from any child.

The framework's rule: "If performance issues are identified during the collaborative
review, these are to be raised with the appropriate manager (these are not to be
recorded on the child's review record)." So a concern is its own item, with its own
stream (`concern-<uuid>`, never derived from a case number) and its own workflow. It
may point at the review it arose from (`context`); the review never points at it,
and nothing about it is recorded in the review's stream or history.

The appropriate manager is the staff member's line manager; only they respond, with
the action taken. Only managers (the manager concerned and those above them), the
person who raised it and auditors may read it: see `may_read`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Literal

from pydantic import AwareDatetime, Field

from domain.directory import Role, StaffMember
from domain.errors import Refusal
from domain.events import DomainEvent, EventMeta, EventRegistry
from domain.frozen import Frozen
from domain.kinds import Kind
from domain.requests import ChangeRequest
from domain.wording import due

STREAM_PREFIX = "concern-"
"""Every concern's stream (and workflow) id starts with this; nothing else's does."""

RESPONSE_WORKING_DAYS = 5
"""The manager's task to respond is due within this many working days of the concern being raised."""

MAX_CONCERN = 4000
MAX_RESPONSE = 2000
_CONTEXT = re.compile(r"[A-Za-z0-9._:/-]{1,200}")

Status = Literal["open", "responded"]


def is_concern_stream(stream_id: str) -> bool:
    """Whether an audit stream holds a staff concern (restricted: see `may_read`)."""
    return stream_id.startswith(STREAM_PREFIX)


# --- events -----------------------------------------------------------------------------------


class ConcernRaised(DomainEvent):
    event_type = "concern.raised"
    about: str
    manager: str
    concern: str
    context: str | None
    respond_by: AwareDatetime
    calendar_digest: str


class ConcernResponded(DomainEvent):
    event_type = "concern.responded"
    response: str


CONCERN_EVENTS = EventRegistry(ConcernRaised, ConcernResponded)


# --- state ------------------------------------------------------------------------------------


class ConcernState(Frozen):
    version: int
    about: str
    manager: str
    raised_by: str
    raised_at: AwareDatetime
    concern: str
    context: str | None = None
    respond_by: AwareDatetime
    status: Status = "open"
    response: str | None = None
    responded_by: str | None = None
    responded_at: AwareDatetime | None = None


def evolve(state: ConcernState | None, event: DomainEvent, meta: EventMeta) -> ConcernState:
    match event:
        case ConcernRaised() if state is None:
            return ConcernState(
                version=meta.version,
                about=event.about,
                manager=event.manager,
                raised_by=meta.actor,
                raised_at=meta.business_time,
                concern=event.concern,
                context=event.context,
                respond_by=event.respond_by,
            )
        case ConcernResponded() if state is not None and state.status == "open":
            return state.model_copy(
                update={
                    "version": meta.version,
                    "status": "responded",
                    "response": event.response,
                    "responded_by": meta.actor,
                    "responded_at": meta.business_time,
                }
            )
    raise ValueError(f"{event.event_type} cannot follow version {state.version if state else 0} of a concern")


# --- requests ---------------------------------------------------------------------------------


class RaiseConcern(Frozen):
    """What the person raising a concern gives; also the workflow's input."""

    about: str = Field(min_length=1, max_length=200)
    raised_by: str = Field(min_length=1, max_length=200)
    concern: str = Field(min_length=1, max_length=MAX_CONCERN)
    context: str | None = Field(default=None, description="the review the concern arose from, if any")


class RespondToConcern(ChangeRequest):
    actor: str = Field(min_length=1, max_length=200)
    response: str = Field(min_length=1, max_length=MAX_RESPONSE)


# --- rules ------------------------------------------------------------------------------------


def check_raise(
    request: RaiseConcern,
    about: StaffMember | None,
    chain: Sequence[StaffMember],
    raiser: StaffMember | None,
) -> str:
    """The manager the concern goes to (the line manager of `about`); a Refusal if it cannot be raised.

    `about` and `raiser` are the directory's entries (None if missing), `chain` the
    management chain of `about` (their line manager first).
    """
    if raiser is None:
        raise Refusal(f"{request.raised_by} is not in the staff directory: only active staff may raise a concern")
    if not raiser.active:
        raise Refusal(f"{request.raised_by} is no longer active in the staff directory")
    if about is None:
        raise Refusal(f"{request.about} is not in the staff directory")
    if not about.active:
        raise Refusal(f"{request.about} is no longer active in the staff directory")
    if request.about == request.raised_by:
        raise Refusal("a practice concern is raised about someone else, not about yourself")
    if not chain:
        raise Refusal(f"{request.about} has no line manager in the staff directory: there is nobody to raise it with")
    manager = chain[0]
    if not manager.active:
        raise Refusal(
            f"{request.about}'s line manager {manager.staff_id} is no longer active: update the staff directory first"
        )
    if not request.concern.strip():
        raise Refusal("the concern cannot be empty")
    if request.context is not None and not _CONTEXT.fullmatch(request.context):
        raise Refusal(f"{request.context!r} is not a review id")
    return manager.staff_id


def _raised(state: ConcernState | None) -> ConcernState:
    if state is None:
        raise Refusal("the concern is still being raised; try again in a moment")
    return state


def check_respond(state: ConcernState | None, request: RespondToConcern) -> None:
    state = _raised(state)
    if request.actor != state.manager:
        raise Refusal(
            f"only {state.manager}, the line manager this concern was raised with, can respond to it;"
            f" {request.actor} cannot"
        )
    if state.status == "responded":
        raise Refusal(f"{state.responded_by} already responded to this concern")
    if not request.response.strip():
        raise Refusal("say what was done (e.g. 'discussed in supervision', 'no further action')")


# --- who may read -----------------------------------------------------------------------------


def may_read(reader: StaffMember, concern_state: ConcernState, chain: Sequence[StaffMember]) -> bool:
    """Whether `reader` may read the concern.

    `chain` is the management chain above the concern's manager (the directory's
    `management_chain(concern_state.manager)`): those above the manager. Readers
    are active staff who are the manager, someone in that chain, the person who
    raised it, or an auditor; never the staff member it is about, nor their peers.
    """
    if not reader.active or reader.staff_id == concern_state.about:
        return False
    if reader.has(Role.AUDITOR):
        return True
    if reader.staff_id in (concern_state.manager, concern_state.raised_by):
        return True
    return any(member.staff_id == reader.staff_id for member in chain)


def reading_refused(concern_id: str) -> str:
    """The one line anyone who may not read a concern sees; it says nothing about the concern."""
    return (
        f"{concern_id} is restricted: only the manager it was raised with, those above them,"
        " the person who raised it and auditors may read it"
    )


# --- the kind ---------------------------------------------------------------------------------

KIND = Kind(
    name="staff concern",
    prefix="concern.",
    events=CONCERN_EVENTS,
    evolve=evolve,
    workflow_type="StaffConcern",
    closing=("concern.responded",),
    show=("concern", "show"),
    people=lambda s: {s.about, s.manager, s.raised_by},
    restricted=True,
    words={
        "concern.raised": lambda p: (
            f"practice concern about {p['about']} raised with {p['manager']}, response due {due(p['respond_by'])}:"
            f" {p['concern']}"
        ),
        "concern.responded": lambda p: f"responded to: {p['response']}",
    },
)
