"""A Collaborative Practice Review cycle as a durable workflow.

It computes the 20-working-day review window once, draws the sample provably at
random, and waits for a QA officer to allocate a reviewer to each child; each
allocation starts that child's Review workflow. Reviews report their submission
back; the reviews close when all are in or the window ends, whichever is first.
Publishing the findings report carries its SMART actions, if any, to an action
plan, through the plan's own update, before the report is written and recorded.
"""

from __future__ import annotations

import asyncio
from datetime import date
from functools import partial

from pydantic import Field
from temporalio import workflow
from temporalio.exceptions import ApplicationError
from temporalio.workflow import ParentClosePolicy

from domain import cpr_cycle
from domain.cpr_cycle import (
    ALLOCATE_MODERATORS,
    ALLOCATE_REVIEWERS,
    ALLOCATION_WINDOW,
    FINDINGS_REPORT,
    MODERATION_WINDOW,
    REPORT_WINDOW,
    REVIEW_WINDOW,
    AllocateModerator,
    AllocateReviewer,
    CycleCase,
    CycleFollows,
    CycleStarted,
    CycleState,
    FindingsReportPublished,
    ModerateReview,
    ModerationClosed,
    ModerationOverdue,
    ModeratorAllocated,
    ModeratorReallocated,
    Narrative,
    PublishReport,
    ReallocateModerator,
    ReallocateReviewer,
    ReviewerAllocated,
    ReviewerReallocated,
    ReviewModerated,
    ReviewOutcome,
    ReviewsClosed,
    ReviewSubmitted,
    SampleDrawn,
)
from domain.directory import Role
from domain.errors import Refusal
from domain.events import SYSTEM_ACTOR, DomainEvent, StartedBy
from domain.sampling import MAX_SAMPLE
from workflows.common import (
    ItemWorkflow,
    add_report_actions,
    case_managers,
    opener,
    require,
    require_cpr_reviewer,
    require_role,
    run_activity,
)
from workflows.duties import DutyKeeper
from workflows.recording import check, recorded_update, refused
from workflows.review import ReviewerChange, ReviewInput, ReviewWorkflow
from workflows.timing import london_today, wait_for_moment

with workflow.unsafe.imports_passed_through():
    from activities.deadlines import CalendarActivities, DueRequest
    from activities.directory import DirectoryActivities, DrawSample
    from activities.qapm import CarriedAsk, QapmActivities
    from activities.reports import ReportActivities, WriteFindingsReport


class CycleInput(StartedBy):
    service: str = Field(min_length=1)
    start: date
    sample_size: int = Field(ge=1, le=MAX_SAMPLE)
    seed: str | None = None


@workflow.defn(name=cpr_cycle.KIND.workflow_type)
class CprCycleWorkflow(ItemWorkflow[CycleState]):
    @workflow.init
    def __init__(self, request: CycleInput) -> None:
        super().__init__(cpr_cycle.evolve)
        self._duties = DutyKeeper(self._recorder, self._notifier, cpr_cycle.DUTIES, self._title)

    def _title(self, state: CycleState) -> str:
        return f"The {state.service} CPR cycle ({self._id})."

    @workflow.run
    async def run(self, request: CycleInput) -> CycleState:
        if workflow.patched("cpr-cycle-checks-its-starter"):
            # Defence in depth: `qa` checks the starter first, but a cycle started straight in Temporal
            # (its CLI, another client) must be refused too, before anything is recorded.
            await require(request.started_by, "cycle.start")
        actor, owner = opener(request)
        due = await run_activity(CalendarActivities.due_at, DueRequest(start=request.start, working_days=REVIEW_WINDOW))
        # An unseeded cycle still records its seed, so the draw can be redone by anyone.
        seed = request.seed or workflow.uuid4().hex
        drawn = await run_activity(
            DirectoryActivities.draw_sample,
            DrawSample(service=request.service, on=request.start, size=request.sample_size, seed=seed),
        )
        # Its place in the service's run: the cycle before it and what the QAPM meetings carried forward from it.
        follows: tuple[DomainEvent, ...] = ()
        if workflow.patched("cycle-follows-its-service"):
            carried = await run_activity(
                QapmActivities.carried_forward,
                CarriedAsk(cycle_id=self._id, service=request.service, start=request.start),
            )
            if carried.previous is not None:
                follows = (CycleFollows(previous=carried.previous, revisits=carried.revisits),)
        # The QA team's work as duties, chased and escalated like everyone's; cycles started before keep their old
        # ways (no duties: the moderation flag, the report's plain task).
        qa_duties = workflow.patched("cycle-qa-duties")
        allocate: tuple[DomainEvent, ...] = ()
        if qa_duties:
            what = f"allocate a reviewer to each child in the sample of the {request.service} CPR cycle"
            allocation_due = await self._duties.due(request.start, ALLOCATION_WINDOW)
            allocate = (self._duties.given(ALLOCATE_REVIEWERS, owner or actor, what, allocation_due),)
        # Recorded together, after the draw (a cycle whose sample cannot be drawn records nothing), with the duty to
        # allocate its reviewers: no version anyone sees lacks it.
        state = await self._recorder.record(
            actor,
            CycleStarted(
                service=request.service,
                start=request.start,
                sample_size=request.sample_size,
                review_due_on=due.due_at.date(),
                review_due_at=due.due_at,
                calendar_digest=due.calendar_digest,
                owner=owner,
            ),
            *follows,
            SampleDrawn(snapshot_id=drawn.snapshot_id, draw=drawn.draw, cases=drawn.cases),
            *allocate,
        )
        if qa_duties:
            await self._duties.tell_owners(state, ALLOCATE_REVIEWERS)
            await asyncio.gather(self._through(), self._duties.chase(finished=lambda: self._state().ended))
        else:
            await self._through()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._state()

    async def _through(self) -> None:
        """From the reviews to the findings report, and any review still awaited reporting in late."""
        await wait_for_moment(
            lambda: self._state().review_due_at if self._state().outstanding else None, lambda due_at: due_at
        )
        state = self._state()
        await self._recorder.record(
            SYSTEM_ACTOR,
            ReviewsClosed(submitted=len(state.cases) - len(state.outstanding), outstanding=state.outstanding),
        )
        # Cycles started before their work became duties have none: they keep their old ways to the end.
        keeps_duties = bool(self._state().duties)
        if keeps_duties:
            await self._duty(
                ALLOCATE_MODERATORS,
                london_today(),
                f"allocate a moderator to each submitted review of the {state.service} CPR cycle",
                lambda s: not s.allocated_moderators,
            )
            await workflow.wait_condition(lambda: self._state().moderation_complete)
        else:
            await self._moderate()
        if keeps_duties:
            state = self._state()
            report_due = await self._duties.due(london_today(), REPORT_WINDOW)
            state = await self._recorder.record(
                SYSTEM_ACTOR,
                ModerationClosed(report_due_at=report_due.due_at),
                self._duties.given(
                    FINDINGS_REPORT,
                    state.started_by,
                    f"publish the findings report of the {state.service} CPR cycle",
                    report_due,
                ),
            )
            await self._duties.tell_owners(state, FINDINGS_REPORT)
        else:
            report_due = await run_activity(
                CalendarActivities.due_at, DueRequest(start=london_today(), working_days=REPORT_WINDOW)
            )
            state = await self._recorder.record(SYSTEM_ACTOR, ModerationClosed(report_due_at=report_due.due_at))
            await self._notifier.post(
                self._notifier.task(
                    state.started_by,
                    "findings-report",
                    f"Publish the findings report of the {state.service} CPR cycle",
                    report_due.due_at,
                    f"Cycle {self._id}: moderation has ended.",
                    state.version,
                )
            )
        await workflow.wait_condition(lambda: self._state().phase == "complete")
        # A review still awaited reports in late; the cycle stays open for it.
        await workflow.wait_condition(lambda: not self._state().in_review)

    async def _duty(self, key: str, start: date, what: str, needed) -> None:  # type: ignore[no-untyped-def]
        """The QA team's duty `key`, due ALLOCATION_WINDOW working days after `start`, given while `needed`."""
        due = await self._duties.due(start, ALLOCATION_WINDOW)
        state = await self._recorder.record_built(
            SYSTEM_ACTOR, lambda s: (self._duties.given(key, s.started_by, what, due),) if needed(s) else ()
        )
        if cpr_cycle.duties.duty(state, key) is not None:
            await self._duties.tell_owners(state, key)

    async def _moderate(self) -> None:
        """Until every submitted review is moderated; a moderation past its window is flagged once (the cycles
        recorded before their moderations became duties)."""
        while not self._state().moderation_complete:
            late = await wait_for_moment(self._next_moderation_due, lambda case: case.moderation.due_at)
            if late is None:
                await workflow.wait_condition(
                    lambda: self._state().moderation_complete or self._next_moderation_due() is not None
                )
                continue
            assert late.moderation is not None
            try:
                state = await self._recorder.record(
                    SYSTEM_ACTOR,
                    ModerationOverdue(case_number=late.case_number, due_at=late.moderation.due_at),
                    rule=partial(_still_due, case=late),
                )
            except ApplicationError:
                continue  # moderated while the flag waited its turn
            subject = f"Overdue: the moderation of the review of case {late.case_number}"
            await self._notifier.post(
                *(
                    self._notifier.message(
                        person,
                        "escalation",
                        f"moderation-{late.case_number}",
                        subject,
                        f"Cycle {self._id}: it was due {late.moderation.due_at.isoformat()}.",
                    )
                    for person in (late.moderation.moderator, state.started_by)
                )
            )

    def _next_moderation_due(self) -> CycleCase | None:
        state = self._state()
        return None if state.moderation_complete else state.next_moderation_due

    def _is_open(self, state: CycleState) -> bool:
        return state.phase != "sampling"  # its sample is recorded: the cycle can be shown and allocated

    def _done_when(self, state: CycleState, key: str, done: bool) -> tuple[DomainEvent, ...]:
        """The duty `key` done, if the cycle keeps it, it is open and `done` says its work is over."""
        duty = cpr_cycle.duties.duty(state, key)
        return (self._duties.completed(key),) if done and duty is not None and duty.open else ()

    async def _close_done(self, state: CycleState, key: str) -> None:
        duty = cpr_cycle.duties.duty(state, key)
        if duty is not None and not duty.open:
            await self._duties.close_tasks(key)

    @workflow.query
    def state(self) -> CycleState | None:
        return self._recorder.state

    @recorded_update(cpr_cycle.check_allocation)
    async def allocate(self, request: AllocateReviewer) -> CycleState:
        await workflow.wait_condition(lambda: self._recorder.state is not None)
        check(cpr_cycle.check_allocation, self._state(), request)
        await require(request.actor, "cycle.allocate")
        await require_cpr_reviewer(request.reviewer)
        case = self._state().case(request.case_number)
        assert case is not None  # check_allocation: the case is in the sample
        # A manager who has left is nobody's to task (a review opened before skipped nobody: it replays so).
        team_manager, head_of_service = await case_managers(
            case.practitioner, active_only=workflow.patched("case-managers-are-active")
        )
        if team_manager is None or head_of_service is None:
            raise refused(
                Refusal(
                    f"the directory gives practitioner {case.practitioner} no team manager and head of service"
                    " above them: fix the staff file, then allocate"
                )
            )
        review_id = f"{self._id}-review-{request.case_number}"
        allocated = ReviewerAllocated(
            case_number=request.case_number,
            reviewer=request.reviewer,
            team_manager=team_manager,
            head_of_service=head_of_service,
            review_id=review_id,
        )
        state = await self._recorder.record_built(
            request.actor,
            lambda s: (
                allocated,
                *self._done_when(s, ALLOCATE_REVIEWERS, not set(s.unallocated) - {request.case_number}),
            ),
            rule=lambda s: cpr_cycle.check_allocation(s, request),
        )
        await self._close_done(state, ALLOCATE_REVIEWERS)
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

    @recorded_update(cpr_cycle.check_reviewer_reallocation)
    async def reallocate(self, request: ReallocateReviewer) -> CycleState:
        """The QA team gives a review another reviewer (absence, conflict): recorded here, then told to the review,
        which records it too while it is open, and to both reviewers."""
        await workflow.wait_condition(lambda: self._recorder.state is not None)
        check(cpr_cycle.check_reviewer_reallocation, self._state(), request)
        await require(request.actor, "cycle.reallocate")
        await require_cpr_reviewer(request.reviewer)
        previous = self._state().case(request.case_number).reviewer  # type: ignore[union-attr]
        assert previous is not None  # check_reviewer_reallocation: the case has a reviewer
        state = await self._recorder.record(
            request.actor,
            ReviewerReallocated(
                case_number=request.case_number, reviewer=request.reviewer, previous=previous, reason=request.reason
            ),
            rule=lambda s: cpr_cycle.check_reviewer_reallocation(s, request),
        )
        case = state.case(request.case_number)
        assert case is not None and case.review_id is not None
        await workflow.get_external_workflow_handle(case.review_id).signal(
            ReviewWorkflow.reallocated,
            ReviewerChange(reviewer=request.reviewer, previous=previous, reason=request.reason, by=request.actor),
        )
        await self._notifier.post(
            self._notifier.message(
                previous,
                "info",
                f"reallocated-{request.case_number}",
                f"The review of case {request.case_number} is no longer yours: {request.reviewer} has it now",
                f"Cycle {self._id}: {request.reason}",
            )
        )
        return state

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

    # --- moderation and the findings report ---------------------------------------------------

    @recorded_update(cpr_cycle.check_moderator_allocation)
    async def allocate_moderator(self, request: AllocateModerator) -> CycleState:
        await workflow.wait_condition(lambda: self._recorder.state is not None)
        check(cpr_cycle.check_moderator_allocation, self._state(), request)
        await require(request.actor, "cycle.allocate_moderator")
        await require_role(request.moderator, Role.MODERATOR, "moderate")
        due = await self._duties.due(london_today(), MODERATION_WINDOW)
        key = cpr_cycle.moderation_key(request.case_number)

        def events(s: CycleState) -> tuple[DomainEvent, ...]:
            allocated = ModeratorAllocated(
                case_number=request.case_number, moderator=request.moderator, due_at=due.due_at
            )
            if not s.duties:  # a cycle recorded before moderations were duties: a plain task, flagged once if late
                return (allocated,)
            others = [
                c for c in s.cases if c.submitted and c.moderation is None and c.case_number != request.case_number
            ]
            return (
                allocated,
                self._duties.given(key, request.moderator, _moderate_what(request.case_number, s.service), due),
                *self._done_when(s, ALLOCATE_MODERATORS, not others),
            )

        state = await self._recorder.record_built(
            request.actor, events, rule=lambda s: cpr_cycle.check_moderator_allocation(s, request)
        )
        case = state.case(request.case_number)
        assert case is not None
        if state.duties:
            await self._duties.tell_owners(state, key)
            await self._close_done(state, ALLOCATE_MODERATORS)
        else:
            await self._notifier.post(
                self._notifier.task(
                    request.moderator,
                    key,
                    f"Moderate the review of case {request.case_number} ({state.service})",
                    due.due_at,
                    f"Cycle {self._id}, review {case.review_id}, reviewer {case.reviewer}.",
                    state.version,
                )
            )
        return state

    @recorded_update(cpr_cycle.check_moderator_reallocation)
    async def reallocate_moderator(self, request: ReallocateModerator) -> CycleState:
        """The QA team gives a moderation another moderator: their 10 working days start now, the report waits for
        them alone, and both moderators are told."""
        await workflow.wait_condition(lambda: self._recorder.state is not None)
        check(cpr_cycle.check_moderator_reallocation, self._state(), request)
        await require(request.actor, "cycle.reallocate_moderator")
        await require_role(request.moderator, Role.MODERATOR, "moderate")
        due = await self._duties.due(london_today(), MODERATION_WINDOW)
        previous = self._state().case(request.case_number).moderation.moderator  # type: ignore[union-attr]
        key = cpr_cycle.moderation_key(request.case_number)
        moved = ModeratorReallocated(
            case_number=request.case_number,
            moderator=request.moderator,
            previous=previous,
            reason=request.reason,
            due_at=due.due_at,
        )
        state = await self._recorder.record_built(
            request.actor,
            lambda s: (
                moved,
                # Given again to the new moderator: a new due moment and chase replace the old.
                *(
                    (self._duties.given(key, request.moderator, _moderate_what(request.case_number, s.service), due),)
                    if cpr_cycle.duties.duty(s, key) is not None
                    else ()
                ),
            ),
            rule=lambda s: cpr_cycle.check_moderator_reallocation(s, request),
        )
        case = state.case(request.case_number)
        assert case is not None
        await self._notifier.close(key)
        await self._notifier.post(
            self._notifier.task(
                request.moderator,
                key,
                f"Moderate the review of case {request.case_number} ({state.service})",
                due.due_at,
                f"Cycle {self._id}, review {case.review_id}, reviewer {case.reviewer} (reallocated from {previous}).",
                state.version,
            ),
            self._notifier.message(
                previous,
                "info",
                f"moderation-reallocated-{request.case_number}",
                f"The moderation of case {request.case_number} is no longer yours: {request.moderator} has it now",
                f"Cycle {self._id}: {request.reason}",
            ),
        )
        return state

    @recorded_update(cpr_cycle.check_moderation)
    async def moderate(self, request: ModerateReview) -> CycleState:
        moderated = ReviewModerated(
            case_number=request.case_number,
            grade=request.grade,
            rationale=request.rationale,
            conversation=request.conversation,
            sampled=request.sampled,
        )
        key = cpr_cycle.moderation_key(request.case_number)
        # A moderation recorded before its sample was asked for replays under the rule it was recorded under.
        sampled = workflow.patched("moderation-samples")
        state = await self._recorder.record_built(
            request.actor,
            lambda s: (moderated, *self._done_when(s, key, True)),
            rule=lambda s: cpr_cycle.check_moderation(s, request, sampled=sampled),
        )
        await self._notifier.close(key)
        case = state.case(request.case_number)
        assert case is not None and case.reviewer is not None
        await self._notifier.post(
            self._notifier.message(
                case.reviewer,
                "info",
                f"moderated-{request.case_number}",
                f"Your review of case {request.case_number} was moderated: {request.grade.value}"
                f" ({'agreed' if case.agreed else 'differed from your ' + (case.grade.value if case.grade else '')})",
                request.rationale,
            )
        )
        return state

    @recorded_update(cpr_cycle.check_publication, london_today)
    async def publish_report(self, request: PublishReport) -> CycleState:
        await workflow.wait_condition(lambda: self._recorder.state is not None)
        today = london_today()
        # A report published before voices were summarised replays under the rule it was published under.
        voices = workflow.patched("report-voices")
        check(cpr_cycle.check_publication, self._state(), request, today, voices)
        await require(request.actor, "cycle.publish_report")
        # Only a report with actions reaches the patch: none published before it had any, so their histories
        # replay unmarked. The plan judges and records the actions (once each, however often this is retried).
        added = (
            await add_report_actions(request, self._id)
            if request.actions and workflow.patched("cpr-report-actions")
            else None
        )
        plan_actions = added.action_ids if added else ()
        written = await run_activity(
            ReportActivities.write_findings,
            WriteFindingsReport(
                cycle_id=self._id,
                cycle=self._state(),
                narrative=request,
                plan_actions=plan_actions,
                published_at=workflow.now(),
            ),
        )
        published = FindingsReportPublished(
            **written.model_dump(),
            plan_id=added.plan_id if added else None,
            plan_actions=plan_actions,
            voices_summary=request.voices_summary,
            narrative=Narrative.of(request),
        )
        state = await self._recorder.record_built(
            request.actor,
            lambda s: (published, *self._done_when(s, FINDINGS_REPORT, True)),
            rule=lambda s: cpr_cycle.check_publication(s, request, today, voices=voices),
        )
        await self._notifier.close("findings-report")
        if workflow.patched("cpr-report-told"):
            await self._notifier.tell_managers(
                [c.practitioner for c in state.cases],
                f"The findings of the CPR cycle {self._id} ({state.service}) are published",
                f"Read them with `qa cpr report show {self._id}`.",
            )
        return state


def _moderate_what(case_number: str, service: str) -> str:
    return f"moderate the review of case {case_number} ({service} CPR cycle)"


def _still_due(state: CycleState | None, *, case: CycleCase) -> None:
    if state is None or state.case(case.case_number) != case:
        raise Refusal(f"the moderation of case {case.case_number} is no longer awaited")
