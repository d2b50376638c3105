"""Thematic reviews and dip audits (case audits): starting one on a sample or on listed cases."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from infra.application.errors import AppError
from infra.application.items import start_opened
from infra.application.samples import check_draw, sample_cases

if TYPE_CHECKING:
    from domain.kinds import Kind


def check_sampling(request: Any) -> None:
    """A sample size or listed cases, not both (domain.case_audit.check_sampling): bad input (exit code 2)."""
    from domain.case_audit import check_sampling as check
    from domain.errors import Refusal

    try:
        check(request.sample_size, request.cases, request.service)
    except Refusal as exc:
        raise AppError(str(exc), 2) from None


async def start_audit(kind: Kind, workflow: Any, request: Any, item_id: str, taken: str) -> Any:
    """Check what can be checked before anything starts, start, and return the audit once its sample is recorded."""
    check_sampling(request)
    await _may_start(kind, request)
    return await start_opened(kind, workflow, request, item_id, taken=taken)


async def _may_start(kind: Kind, request: Any) -> None:
    """Refuse before anything starts: the starter is no QA officer, or the sample cannot be taken."""
    from domain.case_audit import listed_sample
    from domain.errors import Refusal

    snapshot_id, cases = await sample_cases(request.started_by, kind.name)
    if request.cases:
        try:
            listed_sample(request.cases, cases, snapshot_id)
        except Refusal as exc:
            raise AppError(f"refused: {exc}") from None
        return
    if request.service is not None:
        cases = [c for c in cases if c.service == request.service]
        if not cases:
            raise AppError(f"refused: open-cases snapshot {snapshot_id} has no cases of service {request.service!r}")
    check_draw(cases, request.start, request.sample_size, request.service or "all services")
