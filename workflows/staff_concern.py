"""A practice concern about a member of staff as its own small workflow, apart from any review.

Started by `qa concern raise` (which checks the people first, so bad input never
starts one) with an id `concern-<uuid>`. It records `concern.raised` in its own
stream, gives the staff member's line manager a task to respond, and ends when
that manager records what was done (`concern.responded`). Nothing about it passes
through a review workflow: it may name the review it arose from, never the other
way round, and its notification names the staff member, never a case or a child.
"""

from __future__ import annotations

from temporalio import workflow

from domain import staff_concern
from domain.errors import Refusal
from domain.staff_concern import (
    RESPONSE_WORKING_DAYS,
    ConcernRaised,
    ConcernResponded,
    ConcernState,
    RaiseConcern,
    RespondToConcern,
)
from workflows.common import ItemWorkflow, run_activity
from workflows.recording import recorded_update, refused
from workflows.timing import london_today

with workflow.unsafe.imports_passed_through():
    from activities.deadlines import CalendarActivities, DueMoment, DueRequest
    from activities.directory import DirectoryActivities, StaffLookup

TASK_KEY = "respond"


@workflow.defn(name=staff_concern.KIND.workflow_type)
class StaffConcernWorkflow(ItemWorkflow[ConcernState]):
    @workflow.init
    def __init__(self, request: RaiseConcern) -> None:
        super().__init__(staff_concern.evolve)

    @workflow.run
    async def run(self, request: RaiseConcern) -> ConcernState:
        manager = await self._manager(request)
        due = await run_activity(
            CalendarActivities.due_at,
            DueRequest(start=london_today(), working_days=RESPONSE_WORKING_DAYS),
        )
        state = await self._recorder.record(
            request.raised_by,
            ConcernRaised(
                about=request.about,
                manager=manager,
                concern=request.concern,
                context=request.context,
                respond_by=due.due_at,
                calendar_digest=due.calendar_digest,
            ),
        )
        await self._notify_manager(state, due)
        await workflow.wait_condition(lambda: self._state().status == "responded")
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._state()

    @workflow.query
    def state(self) -> ConcernState | None:
        return self._recorder.state

    @recorded_update(staff_concern.check_respond)
    async def respond(self, request: RespondToConcern) -> ConcernState:
        state = await self._recorder.record(
            request.actor,
            ConcernResponded(response=request.response),
            rule=lambda state: staff_concern.check_respond(state, request),
        )
        await self._notifier.close(TASK_KEY)
        return state

    # --- plumbing -----------------------------------------------------------------------------

    async def _manager(self, request: RaiseConcern) -> str:
        """The line manager of `about`, by the same rule the CLI checked before starting.

        Only a directory change between that check and this start can refuse here;
        the workflow then fails before recording anything.
        """
        about = await run_activity(DirectoryActivities.staff_member, StaffLookup(staff_id=request.about))
        chain = await run_activity(DirectoryActivities.management_chain, StaffLookup(staff_id=request.about))
        raiser = await run_activity(DirectoryActivities.staff_member, StaffLookup(staff_id=request.raised_by))
        try:
            return staff_concern.check_raise(request, about, chain, raiser)
        except Refusal as exc:
            raise refused(exc) from None

    async def _notify_manager(self, state: ConcernState, due: DueMoment) -> None:
        # Names the staff member only: no case number, no child, not the concern itself
        # (notifications may be delivered beyond the engine; the concern is restricted).
        body = (
            f"Raised with you as {state.about}'s line manager by {state.raised_by}."
            f" Read it with `qa concern show {self._id} --as {state.manager}` and record what was done"
            f" with `qa concern respond {self._id} --response TEXT --as {state.manager}`."
        )
        subject = f"Respond to a practice concern about {state.about}"
        await self._notifier.post(
            self._notifier.task(state.manager, TASK_KEY, subject, due.due_at, body, state.version)
        )
