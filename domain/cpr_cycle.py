"""A Collaborative Practice Review cycle: the sample, the reviewers, the reviews' window.

A cycle (six a year) reviews a random sample of one service's children within 20
working days. The QA team draws the sample and allocates a reviewer to each
child, never the child's own practitioner; each allocation starts that child's
review. Moderation and the findings report follow once the reviews close.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict

from domain.errors import Refusal
from domain.events import DomainEvent, EventMeta, EventRegistry
from domain.rubric import Grade
from domain.sampling import SampleDraw

REVIEW_WINDOW = 20  # working days, from the cycle's start
Phase = Literal["sampling", "reviewing", "reviews_closed"]


class SampledCase(BaseModel):
    model_config = ConfigDict(frozen=True)

    case_number: str
    team: str
    practitioner: str


class CycleStarted(DomainEvent):
    event_type = "cycle.started"
    service: str
    start: date
    sample_size: int
    review_due_on: date
    review_due_at: AwareDatetime
    calendar_digest: str


class SampleDrawn(DomainEvent):
    event_type = "cycle.sample_drawn"
    snapshot_id: int
    draw: SampleDraw
    cases: tuple[SampledCase, ...]


class ReviewerAllocated(DomainEvent):
    event_type = "cycle.reviewer_allocated"
    case_number: str
    reviewer: str
    team_manager: str
    head_of_service: str
    review_id: str


class ReviewSubmitted(DomainEvent):
    event_type = "cycle.review_submitted"
    case_number: str
    grade: Grade
    late: bool


class ReviewsClosed(DomainEvent):
    event_type = "cycle.reviews_closed"
    submitted: int
    outstanding: tuple[str, ...]


CYCLE_EVENTS = EventRegistry(CycleStarted, SampleDrawn, ReviewerAllocated, ReviewSubmitted, ReviewsClosed)


class ReviewOutcome(BaseModel):
    """What a review tells its cycle when it is submitted."""

    model_config = ConfigDict(frozen=True)

    case_number: str
    grade: Grade
    late: bool


class CycleCase(BaseModel):
    model_config = ConfigDict(frozen=True)

    case_number: str
    team: str
    practitioner: str
    reviewer: str | None = None
    review_id: str | None = None
    grade: Grade | None = None
    late: bool = False

    @property
    def submitted(self) -> bool:
        return self.grade is not None


class CycleState(BaseModel):
    model_config = ConfigDict(frozen=True)

    version: int
    service: str
    start: date
    sample_size: int
    review_due_at: AwareDatetime
    review_due_on: date
    started_by: str
    phase: Phase = "sampling"
    draw: SampleDraw | None = None
    snapshot_id: int | None = None
    cases: tuple[CycleCase, ...] = ()

    def case(self, case_number: str) -> CycleCase | None:
        return next((c for c in self.cases if c.case_number == case_number), None)

    @property
    def unallocated(self) -> tuple[str, ...]:
        return tuple(c.case_number for c in self.cases if c.reviewer is None)

    @property
    def outstanding(self) -> tuple[str, ...]:
        return tuple(c.case_number for c in self.cases if not c.submitted)


def _replace_case(state: CycleState, case_number: str, **changes: object) -> tuple[CycleCase, ...]:
    return tuple(c.model_copy(update=changes) if c.case_number == case_number else c for c in state.cases)


def evolve(state: CycleState | None, event: DomainEvent, meta: EventMeta) -> CycleState:
    if state is None:
        if not isinstance(event, CycleStarted):
            raise ValueError(f"a cycle starts with cycle.started, not {event.event_type}")
        return CycleState(
            version=meta.version,
            started_by=meta.actor,
            **event.model_dump(exclude={"calendar_digest"}),
        )
    match event:
        case SampleDrawn():
            update: dict[str, object] = {
                "draw": event.draw,
                "snapshot_id": event.snapshot_id,
                "cases": tuple(CycleCase(**c.model_dump()) for c in event.cases),
                "phase": "reviewing",
            }
        case ReviewerAllocated():
            update = {
                "cases": _replace_case(state, event.case_number, reviewer=event.reviewer, review_id=event.review_id)
            }
        case ReviewSubmitted():
            update = {"cases": _replace_case(state, event.case_number, grade=event.grade, late=event.late)}
        case ReviewsClosed():
            update = {"phase": "reviews_closed"}
        case _:
            raise ValueError(f"{event.event_type} does not belong to a cycle")
    return state.model_copy(update={"version": meta.version, **update})


class AllocateReviewer(BaseModel):
    model_config = ConfigDict(frozen=True)

    actor: str
    case_number: str
    reviewer: str


def check_allocation(state: CycleState | None, request: AllocateReviewer) -> None:
    if state is None or state.phase == "sampling":
        raise Refusal("the sample is still being drawn; allocate once it is recorded")
    if state.phase != "reviewing":
        raise Refusal("the reviews of this cycle have closed; no more allocations")
    case = state.case(request.case_number)
    if case is None:
        sampled = ", ".join(c.case_number for c in state.cases)
        raise Refusal(f"case {request.case_number} is not in this cycle's sample ({sampled})")
    if case.reviewer is not None:
        raise Refusal(f"case {request.case_number} already has a reviewer ({case.reviewer})")
    if request.reviewer == case.practitioner:
        raise Refusal(
            f"{request.reviewer} is the allocated practitioner for case {request.case_number}"
            " and cannot review their own work"
        )
