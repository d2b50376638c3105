"""A thematic review as a durable workflow: the shared case audit body (workflows.case_audit), 20 working days."""

from __future__ import annotations

from pydantic import Field
from temporalio import workflow

from domain import thematic
from domain.case_audit import CaseAuditState
from workflows.case_audit import CaseAuditInput, CaseAuditWorkflow


class ThematicInput(CaseAuditInput):
    """A thematic review's sample is drawn at random, as a CPR's is."""

    sample_size: int = Field(ge=1, le=200)


@workflow.defn(name=thematic.KIND.workflow_type)
class ThematicReviewWorkflow(CaseAuditWorkflow):
    noun = thematic.KIND.name
    prefix = thematic.KIND.prefix
    events = thematic.EVENTS

    @workflow.init
    def __init__(self, request: ThematicInput) -> None:
        super().__init__()

    @workflow.run
    async def run(self, request: ThematicInput) -> CaseAuditState:
        return await self._run(request, thematic.REVIEW_WINDOW)
