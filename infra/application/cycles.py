"""CPR cycles: who may start one and on what sample, and allocating a reviewer to each sampled child."""

from __future__ import annotations

from contextlib import suppress
from typing import Any

from pydantic import BaseModel

from domain.cpr_cycle import CycleState
from domain.grade_of_record import GradeOfRecord
from domain.my_practice import PracticeReview
from domain.trends import ServiceTrend
from infra.application.commands import Nothing, command
from infra.application.directory import require
from infra.application.errors import AppError, typed
from infra.application.items import change, open_items, opened
from infra.application.samples import check_draw, sample_cases
from infra.application.services import temporal_client

REVIEW_OPEN_WAIT_SECONDS = 5.0


async def may_start(request: Any) -> None:
    """Refuse before anything is started: the actor is no QA officer, or the sample cannot be drawn."""
    snapshot_id, cases = await sample_cases(request.started_by, "CPR cycle")
    of_service = [c for c in cases if c.service == request.service]
    if not of_service:
        services = ", ".join(sorted({c.service for c in cases}))
        raise AppError(
            f"refused: open-cases snapshot {snapshot_id} has no cases of service {request.service!r}"
            f" (its services: {services})"
        )
    check_draw(of_service, request.start, request.sample_size, request.service)


class Allocation(BaseModel):
    cycle_id: str
    case_number: str
    reviewer: str


class Listing(BaseModel):
    closed_too: bool = False  # every cycle the audit log holds, the completed ones too


@command("cycles")
async def cycles(ask: Listing, reader: str) -> list[tuple[str, CycleState]]:
    """The CPR cycles still open (or every one), each as its audit record holds it; for those who may read
    every CPR item (the read is in the access log)."""
    from domain import cpr_cycle
    from infra.application.status import logged

    await require("cycles", reader)
    await logged(reader, "*", "cpr list")
    return await open_items(cpr_cycle.KIND, closed_too=ask.closed_too)


@command("cpr.allocate", changes=True)
async def allocate_reviewer(ask: Allocation, actor: str) -> str:
    """Allocate a reviewer to one sampled child (domain.cpr_cycle.AllocateReviewer); the review it opens."""
    from domain import cpr_cycle, review
    from domain.cpr_cycle import AllocateReviewer
    from workflows.cpr_cycle import CprCycleWorkflow

    await require("cycle.allocate", actor)
    request = typed(AllocateReviewer, actor=actor, case_number=ask.case_number, reviewer=ask.reviewer)
    state = await change(ask.cycle_id, cpr_cycle.KIND, CprCycleWorkflow.allocate, request)
    case = state.case(request.case_number)
    assert case is not None and case.review_id is not None  # the cycle refuses a case outside its sample
    # A moment for the review to record its opening, so the next command finds it. Only a moment: the
    # allocation is recorded whatever the review's own start does, and `qa review show` says where it stands.
    client = await temporal_client()
    with suppress(AppError):
        await opened(review.KIND, client.get_workflow_handle(case.review_id), wait_seconds=REVIEW_OPEN_WAIT_SECONDS)
    return case.review_id


class CycleId(BaseModel):
    cycle_id: str


@command("cpr.grades")
async def grades(ask: CycleId, reader: str) -> dict[str, GradeOfRecord]:
    """Each submitted review's grade of record (domain.grade_of_record), by case number: the cycle read as
    `reader` (authorised, in the access log), with its reviews' disputes' final decisions."""
    from domain import cpr_cycle
    from domain.audit_access import show_refusal
    from domain.grade_of_record import decided_in, grades_of_record
    from infra.application.audit import read_item
    from infra.application.services import database
    from infra.store.audit_log import AuditLog

    async with database(max_size=2) as pool:
        item = await read_item(pool, ask.cycle_id, reader, "cpr grades", rule=show_refusal)
        if item.kind is not cpr_cycle.KIND or item.state is None:
            raise AppError(f"{ask.cycle_id} is not a CPR cycle")
        reviews = [case.review_id for case in item.state.cases if case.review_id]
        disputes = await AuditLog(pool).read_streams_opened_with("dispute.raised", "review_id", reviews)
    return grades_of_record(ask.cycle_id, item.state, decided_in(disputes))


class Proof(BaseModel):
    """A cycle's recorded draw, done again from the stored snapshot it came from."""

    cycle_id: str
    method: str  # in words
    snapshot_id: int
    seed: str
    sample: list[tuple[str, str]]  # (case number, its rank) in rank order, as recorded
    problems: list[str]  # empty: the draw is proven


@command("cpr.prove")
async def prove(ask: CycleId, reader: str) -> Proof:
    """Redo a cycle's recorded draw from the stored snapshot, for those who may read its audit record (auditors, the
    QA team, its managers); the read is in the access log."""
    from domain import cpr_cycle, sampling
    from infra.application.audit import read_item
    from infra.application.services import database
    from infra.store.audit_log import AuditLog
    from infra.store.directory import Directory

    async with database(max_size=2) as pool:
        item = await read_item(pool, ask.cycle_id, reader, "cpr prove")
        state = item.state
        if item.kind is not cpr_cycle.KIND or state is None:
            raise AppError(f"{ask.cycle_id} is not a CPR cycle")
        if state.draw is None or state.snapshot_id is None:
            raise AppError(f"{ask.cycle_id} has no sample drawn yet")
        cases = await Directory(pool, AuditLog(pool)).snapshot_cases(state.snapshot_id, state.service)
    draw = state.draw
    candidates = [sampling.Candidate(case_number=c.case_number, support_began=c.support_began) for c in cases]
    return Proof(
        cycle_id=ask.cycle_id,
        method=sampling.method_in_words(draw, state.snapshot_id, f"service {state.service}"),
        snapshot_id=state.snapshot_id,
        seed=draw.seed,
        sample=[(n, sampling.rank(draw.seed, n)) for n in draw.sample],
        problems=sampling.redo(draw, candidates)
        if cases
        else [f"open-cases snapshot {state.snapshot_id} holds no case of {state.service}"],
    )


class TrendsAsked(BaseModel):
    service: str | None = None  # one service's, or every service's


@command("trends")
async def trends(ask: TrendsAsked, reader: str) -> tuple[ServiceTrend, ...]:
    """Each service's trend across every CPR cycle (domain.trends), from the audit log: for the QA team, auditors and
    managers (figures, no child's name); the read is in the access log."""
    from infra.application.services import database
    from infra.application.status import logged
    from infra.store.audit_log import AuditLog
    from infra.store.trends import read_trends

    await require("trends", reader)
    await logged(reader, "*", "trends" + (f" of {ask.service}" if ask.service else ""))
    async with database(max_size=2) as pool:
        return await read_trends(AuditLog(pool), ask.service)


@command("practice.mine")
async def my_practice(ask: Nothing, reader: str) -> list[PracticeReview]:
    """The submitted CPR reviews of `reader`'s own cases and of those who report to them (domain.my_practice), for
    supervision and appraisal; each review read is in the access log."""
    from domain import cpr_cycle, dispute, review
    from domain.events import fold
    from domain.grade_of_record import decided_in
    from domain.my_practice import practice_reviews, whose_practice
    from infra.application.services import database
    from infra.store.access_log import AccessLog
    from infra.store.audit_log import AuditLog
    from infra.store.directory import Directory

    async with database(max_size=2) as pool:
        log = AuditLog(pool)
        staff = await Directory(pool, log).all_staff()
        if not any(m.staff_id == reader and m.active for m in staff):
            raise AppError(f"{reader} is not active staff: My practice is for the directory's staff")
        opened: list[str] = []
        for practitioner in sorted(whose_practice(reader, staff)):
            opened += [e.stream_id for e in await log.events_of_type("review.opened", "practitioner", practitioner)]
        streams = await log.read_streams(opened)
        reviews = {i: fold(review.evolve, review.REVIEW_EVENTS, events) for i, events in streams.items() if events}
        cycle_ids = sorted({s.cycle_id for s in reviews.values()})
        cycles = {
            i: fold(cpr_cycle.evolve, cpr_cycle.CYCLE_EVENTS, events)
            for i, events in (await log.read_streams(cycle_ids)).items()
            if events
        }
        decided = decided_in(
            await log.read_streams_opened_with(dispute.DisputeRaised.event_type, "review_id", list(reviews))
        )
        lines = practice_reviews(reviews, cycles, decided)
        access = AccessLog(pool)
        for line in lines:
            await access.record(reader, line.review_id, "my practice", True)
    return lines
