"""A dip audit as a durable workflow: the shared case audit body (workflows.case_audit), over the window it is given."""

from __future__ import annotations

from pydantic import Field
from temporalio import workflow

from domain import dip_audit
from domain.case_audit import CaseAuditState
from workflows.case_audit import CaseAuditInput, CaseAuditWorkflow


class DipAuditInput(CaseAuditInput):
    window: int = Field(ge=dip_audit.MIN_WINDOW, le=dip_audit.MAX_WINDOW)  # working days from the start


@workflow.defn(name=dip_audit.KIND.workflow_type)
class DipAuditWorkflow(CaseAuditWorkflow):
    noun = dip_audit.KIND.name
    prefix = dip_audit.KIND.prefix
    events = dip_audit.EVENTS

    @workflow.init
    def __init__(self, request: DipAuditInput) -> None:
        super().__init__()

    @workflow.run
    async def run(self, request: DipAuditInput) -> CaseAuditState:
        return await self._run(request, request.window)
