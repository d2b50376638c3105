"""A working-day deadline as a durable workflow: set, extended, met or passed."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import partial

from pydantic import Field
from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ApplicationError

from domain import deadline
from domain.deadline import (
    CompleteDeadline,
    DeadlineExtended,
    DeadlineMet,
    DeadlinePassed,
    DeadlineSet,
    DeadlineState,
    ExtendDeadline,
)
from domain.events import SYSTEM_ACTOR
from domain.frozen import Frozen
from domain.working_days import MAX_WORKING_DAYS
from workflows.common import ItemWorkflow, require, require_staff
from workflows.recording import recorded_update
from workflows.timing import wait_for_moment

with workflow.unsafe.imports_passed_through():
    from activities.deadlines import CalendarActivities, DueMoment, DueRequest

CALENDAR_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=1))
CALENDAR_TIMEOUT = timedelta(seconds=30)


class DeadlineInput(Frozen):
    title: str = Field(min_length=1, max_length=200)
    owner: str = Field(min_length=1)
    start: date
    working_days: int = Field(ge=0, le=MAX_WORKING_DAYS)
    set_by: str = Field(min_length=1)


@workflow.defn(name=deadline.KIND.workflow_type)
class DeadlineWorkflow(ItemWorkflow[DeadlineState]):
    @workflow.init
    def __init__(self, request: DeadlineInput) -> None:
        super().__init__(deadline.evolve)

    @workflow.run
    async def run(self, request: DeadlineInput) -> DeadlineState:
        if workflow.patched("deadline-people-in-directory"):
            # "Who" in the audit log is a person the authority lists, and so is the owner chased.
            await require_staff(request.set_by, "set a deadline")
            await require_staff(request.owner, "own a deadline")
        due = await self._due(request.start, request.working_days)
        await self._recorder.record(
            request.set_by,
            DeadlineSet(
                title=request.title,
                owner=request.owner,
                start=request.start,
                working_days=request.working_days,
                due_at=due.due_at,
                calendar_digest=due.calendar_digest,
            ),
        )
        while self._state().status != "met":
            due_at = await wait_for_moment(self._open_due, lambda due_at: due_at)
            if due_at is None:
                # Overdue: wait for the work, or an extension that reopens it.
                await workflow.wait_condition(lambda: self._state().status != "overdue")
                continue
            try:
                await self._recorder.record(
                    SYSTEM_ACTOR, DeadlinePassed(due_at=due_at), rule=partial(deadline.check_passing, due_at=due_at)
                )
            except ApplicationError:
                pass  # met or moved while the breach waited to be recorded
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._state()

    @workflow.query
    def state(self) -> DeadlineState | None:
        return self._recorder.state

    @recorded_update(deadline.check_complete)
    async def complete(self, request: CompleteDeadline) -> DeadlineState:
        return await self._recorder.record(
            request.actor,
            DeadlineMet(note=request.note),
            rule=lambda state: deadline.check_complete(state, request),
        )

    @recorded_update(deadline.check_extend)
    async def extend(self, request: ExtendDeadline) -> DeadlineState:
        await workflow.wait_condition(lambda: self._recorder.state is not None)
        if workflow.patched("deadline-extended-by-staff"):
            # Anyone but the owner may extend; "anyone" is still someone the authority lists, active.
            await require(request.actor, "deadline.extend")
        before = self._state()
        due = await self._due(before.start, before.working_days + request.extra_working_days)
        return await self._recorder.record(
            request.actor,
            DeadlineExtended(
                extra_working_days=request.extra_working_days,
                due_at=due.due_at,
                calendar_digest=due.calendar_digest,
                reason=request.reason,
            ),
            rule=lambda state: deadline.check_extend(state, request, version=before.version),
        )

    def _open_due(self) -> datetime | None:
        state = self._state()
        return state.due_at if state.status == "open" else None

    async def _due(self, start: date, working_days: int) -> DueMoment:
        return await workflow.execute_activity_method(
            CalendarActivities.due_at,
            DueRequest(start=start, working_days=working_days),
            start_to_close_timeout=CALENDAR_TIMEOUT,
            retry_policy=CALENDAR_RETRY,
        )
