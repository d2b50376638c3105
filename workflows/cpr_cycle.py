"""A Collaborative Practice Review cycle as a durable workflow.

It computes the 20-working-day review window once, draws the sample provably at
random, and waits for a QA officer to allocate a reviewer to each child; each
allocation starts that child's Review workflow. Reviews report their submission
back; the reviews close when all are in or the window ends, whichever is first.
"""

from __future__ import annotations

from datetime import date, timedelta

from pydantic import BaseModel, ConfigDict, Field
from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.workflow import ParentClosePolicy

from domain import cpr_cycle
from domain.cpr_cycle import (
    REVIEW_WINDOW,
    AllocateReviewer,
    CycleStarted,
    CycleState,
    ReviewerAllocated,
    ReviewOutcome,
    ReviewsClosed,
    ReviewSubmitted,
    SampleDrawn,
)
from domain.directory import Role
from domain.errors import Refusal
from domain.events import SYSTEM_ACTOR
from workflows.recording import EventRecorder, check, refused
from workflows.review import ReviewInput, ReviewWorkflow
from workflows.timing import wait_for_moment

with workflow.unsafe.imports_passed_through():
    from activities.deadlines import CalendarActivities, DueRequest
    from activities.directory import DirectoryActivities, DrawSample, StaffLookup

ACTIVITY_TIMEOUT = timedelta(seconds=60)
ACTIVITY_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    maximum_interval=timedelta(minutes=1),
    non_retryable_error_types=["SampleRefused"],
)


class CycleInput(BaseModel):
    model_config = ConfigDict(frozen=True)

    service: str = Field(min_length=1)
    start: date
    sample_size: int = Field(ge=1, le=200)
    seed: str | None = None
    started_by: str = Field(min_length=1)


@workflow.defn(name="CprCycle")
class CprCycleWorkflow:
    @workflow.init
    def __init__(self, request: CycleInput) -> None:
        self._id = workflow.info().workflow_id
        self._recorder: EventRecorder[CycleState] = EventRecorder(self._id, cpr_cycle.evolve)

    @workflow.run
    async def run(self, request: CycleInput) -> CycleState:
        due = await self._activity(
            CalendarActivities.due_at, DueRequest(start=request.start, working_days=REVIEW_WINDOW)
        )
        await self._recorder.record(
            request.started_by,
            CycleStarted(
                service=request.service,
                start=request.start,
                sample_size=request.sample_size,
                review_due_on=due.due_at.date(),
                review_due_at=due.due_at,
                calendar_digest=due.calendar_digest,
            ),
        )
        # An unseeded cycle still records its seed, so the draw can be redone by anyone.
        seed = request.seed or workflow.uuid4().hex
        drawn = await self._activity(
            DirectoryActivities.draw_sample,
            DrawSample(service=request.service, on=request.start, size=request.sample_size, seed=seed),
        )
        await self._recorder.record(
            request.started_by, SampleDrawn(snapshot_id=drawn.snapshot_id, draw=drawn.draw, cases=drawn.cases)
        )

        await wait_for_moment(
            lambda: self._state().review_due_at if self._state().outstanding else None, lambda due_at: due_at
        )
        state = self._state()
        await self._recorder.record(
            SYSTEM_ACTOR,
            ReviewsClosed(submitted=len(state.cases) - len(state.outstanding), outstanding=state.outstanding),
        )
        # Late reviews still report in; the cycle ends once every review is submitted.
        await workflow.wait_condition(lambda: not self._state().outstanding)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._state()

    @workflow.query
    def state(self) -> CycleState | None:
        return self._recorder.state

    @workflow.update
    async def allocate(self, request: AllocateReviewer) -> CycleState:
        await workflow.wait_condition(lambda: self._recorder.state is not None)
        check(cpr_cycle.check_allocation, self._state(), request)
        await self._require_role(request.actor, Role.QA_OFFICER, "allocate reviewers")
        await self._require_role(request.reviewer, Role.REVIEWER, "review")
        case = self._state().case(request.case_number)
        assert case is not None  # check_allocation: the case is in the sample
        managers = await self._activity(DirectoryActivities.management_chain, StaffLookup(staff_id=case.practitioner))
        team_manager = next((m.staff_id for m in managers if Role.TEAM_MANAGER in m.roles), None)
        head_of_service = next((m.staff_id for m in managers if Role.HEAD_OF_SERVICE in m.roles), None)
        if team_manager is None or head_of_service is None:
            raise refused(
                Refusal(
                    f"the directory gives practitioner {case.practitioner} no team manager and head of service"
                    " above them: fix the staff file, then allocate"
                )
            )
        review_id = f"{self._id}-review-{request.case_number}"
        state = await self._recorder.record(
            request.actor,
            ReviewerAllocated(
                case_number=request.case_number,
                reviewer=request.reviewer,
                team_manager=team_manager,
                head_of_service=head_of_service,
                review_id=review_id,
            ),
            rule=lambda s: cpr_cycle.check_allocation(s, request),
        )
        await workflow.start_child_workflow(
            ReviewWorkflow.run,
            ReviewInput(
                cycle_id=self._id,
                case_number=case.case_number,
                service=state.service,
                team=case.team,
                practitioner=case.practitioner,
                reviewer=request.reviewer,
                team_manager=team_manager,
                head_of_service=head_of_service,
                due_on=state.review_due_on,
                opened_by=request.actor,
            ),
            id=review_id,
            # A review lives on (actions, late submission) whatever happens to its cycle.
            parent_close_policy=ParentClosePolicy.ABANDON,
        )
        return state

    @allocate.validator
    def _validate_allocate(self, request: AllocateReviewer) -> None:
        self._recorder.validate(cpr_cycle.check_allocation, request)

    @workflow.signal
    async def review_submitted(self, outcome: ReviewOutcome) -> None:
        await self._recorder.record_built(
            SYSTEM_ACTOR,
            lambda state: (
                ()
                if state.case(outcome.case_number) is None or state.case(outcome.case_number).submitted
                else (ReviewSubmitted(case_number=outcome.case_number, grade=outcome.grade, late=outcome.late),)
            ),
        )

    def _state(self) -> CycleState:
        state = self._recorder.state
        assert state is not None, "read before the cycle started"
        return state

    async def _require_role(self, staff_id: str, role: Role, what: str) -> None:
        member = await self._activity(DirectoryActivities.staff_member, StaffLookup(staff_id=staff_id))
        if member is None or not member.active or role not in member.roles:
            raise refused(Refusal(f"{staff_id} cannot {what}: the directory does not list them as a {role.value}"))

    async def _activity(self, method, argument):  # type: ignore[no-untyped-def]
        return await workflow.execute_activity_method(
            method, argument, start_to_close_timeout=ACTIVITY_TIMEOUT, retry_policy=ACTIVITY_RETRY
        )
