"""The body every case audit workflow runs (a thematic review, a dip audit); not a workflow itself.

A case audit works out its window's end and chase once, takes its sample (drawn
provably at random, or listed), and records both with its start: a sample that
cannot be taken records nothing. Each reviewer's case is a duty due at the window's
end, chased like every deadline; the reviews close once every case is submitted or
the window ends, and publishing the findings is then the QA team's duty, due 10
working days after the window. Publishing carries the findings' SMART actions to
an action plan, through the plan's own update, before anything is recorded here.

Each kind (workflows.thematic_review, workflows.dip_audit) subclasses this with
its name, its event classes and its @workflow.init and @workflow.run, which
Temporal needs on the workflow class itself.
"""

from __future__ import annotations

import asyncio
from datetime import date
from typing import ClassVar

from pydantic import Field
from temporalio import workflow

from domain import case_audit
from domain.case_audit import (
    REPORT_KEY,
    REPORT_WINDOW,
    AllocateReviewer,
    AuditEvents,
    CaseAuditState,
    PublishReport,
    QuestionSet,
    ReallocateReviewer,
    RecordAnswers,
    SubmitCase,
    case_key,
)
from domain.directory import Role
from domain.events import SYSTEM_ACTOR, StartedBy
from domain.sampling import MAX_SAMPLE
from domain.working_days import LONDON
from workflows.common import ItemWorkflow, add_report_actions, opener, require, require_role, run_activity
from workflows.duties import DutyKeeper
from workflows.recording import check, recorded_update
from workflows.timing import london_today, wait_for_moment

with workflow.unsafe.imports_passed_through():
    from activities.deadlines import DueMoment
    from activities.directory import DirectoryActivities, DrawSample, ListCases


class CaseAuditInput(StartedBy):
    """What every case audit starts with; each kind's input extends it."""

    focus: str = Field(min_length=1, max_length=200)
    start: date
    service: str | None = None  # a random sample's service; None: every service
    sample_size: int | None = Field(default=None, ge=1, le=MAX_SAMPLE)
    cases: tuple[str, ...] = ()  # or the cases, listed one by one
    seed: str | None = None
    questions: QuestionSet | None = None  # None: the CPR rubric's criteria
    asks_voices: bool = False  # its reviewers seek the child's and the family's voice for each case


class CaseAuditWorkflow(ItemWorkflow[CaseAuditState]):
    """The shared body; `noun` names the kind in people's words, `events` are its event classes."""

    noun: ClassVar[str]
    prefix: ClassVar[str]  # the kind's, which names its actions (domain.permissions)
    events: ClassVar[AuditEvents]

    def __init__(self) -> None:
        super().__init__(case_audit.evolve)
        self._duties = DutyKeeper(self._recorder, self._notifier, self.events.duties, self._title)

    async def _run(self, request: CaseAuditInput, window: int) -> CaseAuditState:
        await self._start(request, window)
        await asyncio.gather(self._close_reviews(), self._duties.chase(finished=lambda: self._state().ended))
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._state()

    @workflow.query
    def state(self) -> CaseAuditState | None:
        return self._recorder.state

    # --- the QA officer's and the reviewers' parts --------------------------------------------------

    @recorded_update(case_audit.check_allocation)
    async def allocate(self, request: AllocateReviewer) -> CaseAuditState:
        await workflow.wait_condition(lambda: self._recorder.state is not None)
        check(case_audit.check_allocation, self._state(), request)
        await require(request.actor, f"{self.prefix}allocate")
        await require_role(request.reviewer, Role.REVIEWER, "review")
        key = case_key(request.case_number)
        state = await self._recorder.record_built(
            request.actor,
            lambda s: (
                self.events.reviewer_allocated(case_number=request.case_number, reviewer=request.reviewer),
                self._duties.given(
                    key,
                    request.reviewer,
                    f"answer the {self.noun}'s questions for case {request.case_number}",
                    # Every case is due when the window ends, and chased on the schedule worked out with it.
                    DueMoment(due_at=s.closes_at, calendar_digest=s.calendar_digest, chase=s.window_chase),
                ),
            ),
            rule=lambda s: case_audit.check_allocation(s, request),
        )
        await self._duties.tell_owners(state, key)
        return state

    @recorded_update(case_audit.check_reallocation)
    async def reallocate(self, request: ReallocateReviewer) -> CaseAuditState:
        """The QA team gives a case another reviewer: the duty to answer moves to them (same due moment), and both
        reviewers are told."""
        await workflow.wait_condition(lambda: self._recorder.state is not None)
        check(case_audit.check_reallocation, self._state(), request)
        await require(request.actor, f"{self.prefix}reallocate")
        await require_role(request.reviewer, Role.REVIEWER, "review")
        key = case_key(request.case_number)
        previous = self._state().case(request.case_number).reviewer  # type: ignore[union-attr]
        assert previous is not None  # check_reallocation: the case has a reviewer
        state = await self._recorder.record_built(
            request.actor,
            lambda s: (
                self.events.reviewer_reallocated(
                    case_number=request.case_number, reviewer=request.reviewer, previous=previous, reason=request.reason
                ),
                self._duties.given(
                    key,
                    request.reviewer,
                    f"answer the {self.noun}'s questions for case {request.case_number}",
                    DueMoment(due_at=s.closes_at, calendar_digest=s.calendar_digest, chase=s.window_chase),
                ),
            ),
            rule=lambda s: case_audit.check_reallocation(s, request),
        )
        await self._duties.close_tasks(key)
        await self._duties.tell_owners(state, key)
        await self._notifier.post(
            self._notifier.message(
                previous,
                "info",
                f"reallocated-{request.case_number}",
                f"Case {request.case_number} of the {self.noun} is no longer yours: {request.reviewer} has it now",
                f"{self._id}: {request.reason}",
            )
        )
        return state

    @recorded_update(case_audit.check_answers)
    async def answer(self, request: RecordAnswers) -> CaseAuditState:
        return await self._recorder.record(
            request.actor,
            self.events.answers_recorded(
                case_number=request.case_number, answers=request.answers, voices=request.voices
            ),
            rule=lambda s: case_audit.check_answers(s, request),
        )

    @recorded_update(case_audit.check_submission)
    async def submit(self, request: SubmitCase) -> CaseAuditState:
        key = case_key(request.case_number)
        state = await self._recorder.record(
            request.actor,
            self.events.case_submitted(case_number=request.case_number),
            self._duties.completed(key),
            rule=lambda s: case_audit.check_submission(s, request),
        )
        await self._duties.close_tasks(key)
        return state

    @recorded_update(case_audit.check_publication, london_today)
    async def publish(self, request: PublishReport) -> CaseAuditState:
        await workflow.wait_condition(lambda: self._recorder.state is not None)
        today = london_today()
        check(case_audit.check_publication, self._state(), request, today)
        # Past the check, every case is in and the reviews are closing: the findings follow that.
        await workflow.wait_condition(lambda: self._state().phase != "reviewing")
        await require(request.actor, f"{self.prefix}publish")
        added = await add_report_actions(request, self._id) if request.actions else None
        state = await self._recorder.record_built(
            request.actor,
            lambda s: (
                self.events.findings_published(
                    key_findings=request.key_findings.strip(),
                    strengths=request.strengths.strip(),
                    areas_for_development=request.areas_for_development.strip(),
                    recommendations=request.recommendations.strip(),
                    figures=case_audit.figures(s),
                    plan_id=added.plan_id if added else None,
                    plan_actions=added.action_ids if added else (),
                ),
                self._duties.completed(REPORT_KEY),
            ),
            rule=lambda s: case_audit.check_publication(s, request, today),
        )
        # The cases never submitted are no one's work any more: their reviewers' tasks close too.
        await self._duties.close_tasks(REPORT_KEY, *(d.key for d in state.duties if d.open))
        if workflow.patched("case-audit-findings-told"):
            await self._notifier.tell_managers(
                [c.practitioner for c in state.cases],
                f"The findings of the {self.noun} on {state.focus} are published",
                f"Read them with `qa {self.prefix.rstrip('.')} show {self._id}`.",
            )
        return state

    # --- the engine's part -------------------------------------------------------------------------

    async def _start(self, request: CaseAuditInput, window: int) -> None:
        """Check the starter and the sample, then record the start and the sample together."""
        check(case_audit.check_sampling, request.sample_size, request.cases, request.service)
        await require(request.started_by, f"{self.prefix}start")
        actor, owner = opener(request)
        closes = await self._duties.due(request.start, window)
        if request.cases:
            listed = await run_activity(DirectoryActivities.listed_cases, ListCases(case_numbers=request.cases))
            sample = self.events.sample_taken(snapshot_id=listed.snapshot_id, draw=None, cases=listed.cases)
        else:
            assert request.sample_size is not None  # check_sampling: a size or listed cases
            # An unseeded draw still records its seed, so anyone can redo it.
            seed = request.seed or workflow.uuid4().hex
            drawn = await run_activity(
                DirectoryActivities.draw_sample,
                DrawSample(service=request.service, on=request.start, size=request.sample_size, seed=seed),
            )
            sample = self.events.sample_taken(snapshot_id=drawn.snapshot_id, draw=drawn.draw, cases=drawn.cases)
        await self._recorder.record(
            actor,
            self.events.started(
                focus=" ".join(request.focus.split()),
                service=request.service,
                start=request.start,
                window=window,
                closes_at=closes.due_at,
                window_chase=closes.chase,
                calendar_digest=closes.calendar_digest,
                questions=request.questions or case_audit.RUBRIC_QUESTIONS,
                owner=owner,
                asks_voices=request.asks_voices,
            ),
            sample,
        )

    async def _close_reviews(self) -> None:
        """Once every case is submitted or the window ends; the findings are then due after the window."""
        await wait_for_moment(
            lambda: self._state().closes_at if self._state().outstanding else None, lambda closes_at: closes_at
        )
        report = await self._duties.due(self._state().closes_at.astimezone(LONDON).date(), REPORT_WINDOW)
        state = await self._recorder.record_built(
            SYSTEM_ACTOR,
            lambda s: (
                self.events.reviews_closed(submitted=len(s.cases) - len(s.outstanding), outstanding=s.outstanding),
                self._duties.given(
                    REPORT_KEY, s.started_by, f"publish the findings of the {self.noun} on {s.focus}", report
                ),
            ),
        )
        await self._duties.tell_owners(state, REPORT_KEY)

    def _title(self, state: CaseAuditState) -> str:
        return f"The {self.noun} on {state.focus} ({self._id})."
