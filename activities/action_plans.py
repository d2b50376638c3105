"""Carrying a finding's actions into an action plan: another workflow, reached through the engine.

"Recommendations from this activity will be transferred into service and team
action plans." A spotlight's report (or a thematic review's, or a dip audit's)
hands its SMART actions to the plan's own `add_from_finding` update, so the
plan's rules judge them and its audit stream records them. A team without a plan
gets one, owned by its team manager. Each action carries its finding's link as
its source, which the plan accepts once: a retried call adds nothing twice.
"""

from __future__ import annotations

from temporalio import activity
from temporalio.client import (
    Client,
    WorkflowExecutionStatus,
    WorkflowFailureError,
    WorkflowHandle,
    WorkflowUpdateFailedError,
)
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from domain import action_plan
from domain.action_plan import AddFromFinding, PlanInput, PlanState, SmartAction
from domain.frozen import Frozen


class AddFindings(Frozen):
    plan_id: str
    actor: str
    source: str  # the finding, e.g. a spotlight's id; each action's source is "<source> action <n>"
    actions: tuple[SmartAction, ...]  # checked SMART by the item before it asks
    # A team plan to start if it does not exist yet, and its team manager.
    team: str | None = None
    team_manager: str | None = None


class AddedFindings(Frozen):
    plan_id: str
    action_ids: tuple[str, ...]


class ActionPlanActivities:
    def __init__(self, client: Client, task_queue: str) -> None:
        self._client = client
        self._task_queue = task_queue

    @activity.defn(name="plans.add_findings")
    async def add_findings(self, request: AddFindings) -> AddedFindings:
        if request.team is not None and request.team_manager is not None:
            handle = await self._client.start_workflow(
                action_plan.KIND.workflow_type,
                PlanInput(kind="team", team=request.team, owner=request.team_manager, started_by=request.actor),
                id=request.plan_id,
                task_queue=self._task_queue,
                result_type=PlanState,
                # An existing plan is the one to add to; a start refused earlier may be tried again.
                id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
                id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
            )
        else:
            handle = self._client.get_workflow_handle(request.plan_id, result_type=PlanState)
        action_ids = []
        for number, action in enumerate(request.actions, start=1):
            source = f"{request.source} action {number}"
            try:
                state = await handle.execute_update(
                    "add_from_finding",
                    AddFromFinding(actor=request.actor, source=source, **action.model_dump()),
                    result_type=PlanState,
                )
            except WorkflowUpdateFailedError as exc:
                raise _refused(request.plan_id, await _why(handle, exc.cause)) from None
            except RPCError as exc:
                if exc.status in (RPCStatusCode.NOT_FOUND, RPCStatusCode.FAILED_PRECONDITION):
                    raise _refused(request.plan_id, "no such running plan") from None
                raise
            added = state.action_from(source)
            assert added is not None
            action_ids.append(added.action_id)
        return AddedFindings(plan_id=request.plan_id, action_ids=tuple(action_ids))


async def _why(handle: WorkflowHandle, cause: BaseException | None) -> str:
    """The plan's own refusal; if the plan itself could not start, why it could not."""
    status = (await handle.describe()).status
    if status == WorkflowExecutionStatus.FAILED:
        try:
            await handle.result()
        except WorkflowFailureError as failure:
            return f"the plan could not start: {getattr(failure.cause, 'message', failure.cause)}"
    return getattr(cause, "message", str(cause))


def _refused(plan_id: str, why: str) -> ApplicationError:
    return ApplicationError(f"{plan_id}: {why}", type="PlanRefused", non_retryable=True)
