"""CPR cycles: who may start one and on what sample, and allocating a reviewer to each sampled child."""

from __future__ import annotations

from contextlib import suppress
from typing import Any

from infra.application.errors import AppError
from infra.application.items import change, opened
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


async def allocate_reviewer(cycle_id: str, request: Any) -> str:
    """Allocate a reviewer to one sampled child (domain.cpr_cycle.AllocateReviewer); the review it opens."""
    from domain import cpr_cycle, review
    from workflows.cpr_cycle import CprCycleWorkflow

    state = await change(cycle_id, cpr_cycle.KIND, CprCycleWorkflow.allocate, request)
    case = state.case(request.case_number)
    assert case is not None and case.review_id is not None  # the cycle refuses a case outside its sample
    # A moment for the review to record its opening, so the next command finds it. Only a moment: the
    # allocation is recorded whatever the review's own start does, and `qa review show` says where it stands.
    client = await temporal_client()
    with suppress(AppError):
        await opened(review.KIND, client.get_workflow_handle(case.review_id), wait_seconds=REVIEW_OPEN_WAIT_SECONDS)
    return case.review_id
