"""A dispute about a review as a durable workflow: the ladder, one stage at a time.

It is started from a review (by its reviewer or practitioner) with the workflow
id `<review_id>-dispute-<n>`, which is also its audit stream. Stage 1 is the
reviewer and practitioner's conversation; stage 2 an independent moderator,
allocated by a QA officer, who moderates and then holds a three-way
conversation; stage 3 the Head of QA, or the principal social worker when the
Head of QA is directly involved. A stage decided "not resolved", or whose
window passes with no decision, is passed to the next one by the workflow
itself; the last stage's decision is final (past its window it is chased).
Each owner of a stage holds a duty (workflows.duties): reminded before its window
ends and, at the last stage, chased and escalated as every duty is. (Disputes
raised before remind and chase on their own code, to the end.)

Each person's part arrives as an update whose validator refuses a wrong actor,
stage or empty text before anything is recorded; checks that need the staff
directory run at the start of the handler, still before anything is recorded.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from pydantic import Field, model_validator
from temporalio import workflow
from temporalio.exceptions import ApplicationError

from domain import dispute
from domain.directory import Role
from domain.dispute import (
    DEFAULT_WINDOW,
    MAX_WINDOW,
    STAGE_NUMBER,
    About,
    AllocateModerator,
    ConversationRecorded,
    DisputeEscalated,
    DisputeRaised,
    DisputeReminded,
    DisputeState,
    EscalationReason,
    FinalDecisionRecorded,
    ModerationRecorded,
    ModeratorAllocated,
    ModeratorReallocated,
    Moment,
    ReallocateModerator,
    RecordConversation,
    RecordDecision,
    RecordModeration,
    RecordThreeWay,
    Stage,
    StageOpened,
    StageOverdue,
    StageRecord,
    ThreeWayRecorded,
    stage_label,
)
from domain.errors import Refusal
from domain.events import SYSTEM_ACTOR, DomainEvent
from domain.frozen import Frozen
from domain.notifications import Notification, NotificationKind
from domain.requests import ChangeRequest
from domain.wording import sentence
from domain.working_days import LONDON
from workflows.common import ItemWorkflow, require, require_role, require_staff, run_activity
from workflows.duties import DutyKeeper
from workflows.recording import check, recorded_update, refused
from workflows.timing import wait_for_moment

with workflow.unsafe.imports_passed_through():
    from activities.deadlines import CalendarActivities, DueMoment, DueRequest
    from activities.directory import DirectoryActivities, RoleLookup, StaffLookup
    from activities.recording import AuditActivities, ReviewLookup

# How often to look again when the directory has nobody independent to decide the last stage.
DECIDER_LOOKUP_INTERVAL = timedelta(days=1)
ALLOCATE_TASK = "stage-2-allocate"


class DisputeInput(Frozen):
    """What the reviewer or practitioner disputes, about which review; and each stage's window."""

    review_id: str = Field(min_length=1, max_length=180)
    case_number: str = Field(min_length=1)
    reviewer: str = Field(min_length=1)
    practitioner: str = Field(min_length=1)
    raised_by: str = Field(min_length=1)
    about: About
    issues: str = Field(min_length=1)
    window_working_days: int = Field(default=DEFAULT_WINDOW, ge=1, le=MAX_WINDOW)

    @model_validator(mode="after")
    def _raisable(self) -> DisputeInput:
        problem = dispute.raise_problem(self.reviewer, self.practitioner, self.raised_by, self.issues)
        if problem is not None:
            raise ValueError(problem)
        return self


@workflow.defn(name=dispute.KIND.workflow_type)
class DisputeWorkflow(ItemWorkflow[DisputeState]):
    @workflow.init
    def __init__(self, request: DisputeInput) -> None:
        super().__init__(dispute.evolve)
        self._window_days = request.window_working_days
        self._duties = DutyKeeper(self._recorder, self._notifier, dispute.DUTIES, _title)

    @workflow.run
    async def run(self, request: DisputeInput) -> DisputeState:
        on_duties = workflow.patched("dispute-stages-as-duties")
        if workflow.patched("dispute-checks-its-raiser"):
            await self._check_raiser(request)
        window, due = await self._window(on_duties)
        first: Stage = "reviewer_practitioner"
        state = await self._recorder.record(
            request.raised_by,
            DisputeRaised(
                review_id=request.review_id,
                case_number=request.case_number,
                reviewer=request.reviewer,
                practitioner=request.practitioner,
                raised_by=request.raised_by,
                about=request.about,
                issues=request.issues,
                window_working_days=request.window_working_days,
                chased_as_duties=on_duties,
            ),
            StageOpened(stage=first, owners=(request.reviewer,), **window),
            *(
                self._stage_duties(request.case_number, request.practitioner, first, (request.reviewer,), None, due)
                if on_duties
                else ()
            ),
        )
        await self._stage_opened(state, f"A dispute was raised by {request.raised_by}")
        if on_duties:
            await asyncio.gather(self._ladder(), self._duties.chase(finished=lambda: self._state().ended))
        else:
            await self._ladder()
        await self._closed()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._state()

    async def _ladder(self) -> None:
        """Pass the dispute up the ladder (and, for a dispute raised before its stages were duties, remind and
        chase) until it is resolved or decided."""
        while self._state().status == "open":
            current = self._current()
            if current.decision == "not_resolved":
                await self._escalate(
                    current.stage, "not resolved", partial(dispute.check_not_resolved, stage=current.stage)
                )
                continue
            moment = await wait_for_moment(lambda: self._state().next_moment, lambda m: m.at)
            if moment is None:
                # Decided, or the last stage is overdue and waits for its decision.
                await workflow.wait_condition(
                    lambda: (
                        self._state().status != "open"
                        or self._current().decision is not None
                        or self._state().next_moment is not None
                    )
                )
            elif moment.kind == "reminder":
                await self._remind(moment)
            elif moment.stage in dispute.FINAL_STAGES:
                await self._overdue(moment)
            else:
                await self._escalate(moment.stage, "window passed", partial(dispute.check_moment, moment=moment))

    async def _check_raiser(self, request: DisputeInput) -> None:
        """Defence in depth: `qa` checks the review first, but a dispute started straight in Temporal must
        be about a graded review, raised by its reviewer or practitioner as the record names them and
        active in the directory, or refused before anything is recorded."""
        await require_staff(request.raised_by, "raise a dispute")
        recorded = await run_activity(AuditActivities.recorded_review, ReviewLookup(review_id=request.review_id))
        problem = dispute.review_problem(recorded, request.review_id, request.raised_by, request.issues)
        named = (request.case_number, request.reviewer, request.practitioner)
        if problem is None and named != (recorded.case_number, recorded.reviewer, recorded.practitioner):
            problem = (
                f"the dispute names case {request.case_number}, reviewer {request.reviewer} and practitioner"
                f" {request.practitioner}, but the review {request.review_id} is of case {recorded.case_number}"
                f" by {recorded.reviewer} with {recorded.practitioner}"
            )
        if problem is not None:
            raise refused(Refusal(problem))

    def _is_open(self, state: DisputeState) -> bool:
        return state.current is not None  # its first stage is open: the next command finds it ready

    @workflow.query
    def state(self) -> DisputeState | None:
        return self._recorder.state

    # --- the people's parts -------------------------------------------------------------------

    @recorded_update(dispute.check_conversation)
    async def record_conversation(self, request: RecordConversation) -> DisputeState:
        """Stage 1: the reviewer or the practitioner records their conversation and its decision."""
        event = ConversationRecorded(issues=request.issues, decision=request.decision, outcome=request.outcome)
        return await self._record(request, event, dispute.check_conversation, decides=True)

    @recorded_update(dispute.check_allocation)
    async def allocate_moderator(self, request: AllocateModerator) -> DisputeState:
        """Stage 2: a QA officer allocates an independent moderator; the stage's window restarts."""
        await workflow.wait_condition(lambda: self._recorder.state is not None)
        check(dispute.check_allocation, self._state(), request)
        await require(request.actor, "dispute.allocate_moderator")
        await require_role(request.moderator, Role.MODERATOR, "moderate a dispute")
        before = self._state()
        window, due = await self._window(before.chased_as_duties)
        state = await self._recorder.record_built(
            request.actor,
            lambda s: (
                ModeratorAllocated(moderator=request.moderator, **window),
                # The QA officers' duty to allocate is done; the moderator's window starts now.
                *self._decided(s),
                *self._duties_of(s, "moderator", (request.moderator,), request.moderator, due),
            ),
            rule=lambda s: dispute.check_allocation(s, request),
        )
        await self._notifier.close(ALLOCATE_TASK)
        current = self._current()
        await self._notifier.post(
            self._task(request.moderator, "stage-2", self._task_subject(state, current), current.due_at),
            *self._infos(
                (p for p in state.parties if p != request.moderator),
                f"allocated-v{state.version}",
                f"{request.moderator} will moderate the dispute about the review of case {state.case_number}",
                f"Allocated by {request.actor}. They moderate independently, then hold a three-way conversation"
                f" with you by {_day(current.due_at)}.",
            ),
        )
        return state

    @recorded_update(dispute.check_reallocation)
    async def reallocate_moderator(self, request: ReallocateModerator) -> DisputeState:
        """Stage 2: a QA officer gives the dispute another moderator, with the reason; the window restarts, the new
        moderator moderates afresh, and everyone in the dispute is told."""
        await workflow.wait_condition(lambda: self._recorder.state is not None)
        check(dispute.check_reallocation, self._state(), request)
        await require(request.actor, "dispute.reallocate_moderator")
        await require_role(request.moderator, Role.MODERATOR, "moderate a dispute")
        previous = self._current().moderator
        assert previous is not None  # check_reallocation: a moderator is allocated
        window, due = await self._window(self._state().chased_as_duties)
        event = ModeratorReallocated(moderator=request.moderator, previous=previous, reason=request.reason, **window)
        state = await self._recorder.record_built(
            request.actor,
            lambda s: (
                event,
                *self._decided(s),  # no longer the previous moderator's to do
                *self._duties_of(s, "moderator", (request.moderator,), request.moderator, due),
            ),
            rule=lambda s: dispute.check_reallocation(s, request),
        )
        current = self._current()
        await self._notifier.close("stage-2")
        await self._notifier.post(
            self._task(request.moderator, "stage-2", self._task_subject(state, current), current.due_at),
            *self._infos(
                (*(p for p in state.parties if p != request.moderator), previous),
                f"reallocated-v{state.version}",
                f"{request.moderator} now moderates the dispute about the review of case {state.case_number}",
                f"In place of {previous}: {request.reason}. They moderate afresh, then hold a three-way conversation"
                f" by {_day(current.due_at)}.",
            ),
        )
        return state

    @recorded_update(dispute.check_moderation)
    async def record_moderation(self, request: RecordModeration) -> DisputeState:
        """Stage 2: the moderator's independent view, before the three-way conversation."""
        return await self._record(request, ModerationRecorded(moderation=request.moderation), dispute.check_moderation)

    @recorded_update(dispute.check_three_way)
    async def record_three_way(self, request: RecordThreeWay) -> DisputeState:
        """Stage 2: the moderator records the three-way conversation and its decision."""
        event = ThreeWayRecorded(issues=request.issues, decision=request.decision, outcome=request.outcome)
        return await self._record(request, event, dispute.check_three_way, decides=True)

    @recorded_update(dispute.check_decision)
    async def record_decision(self, request: RecordDecision) -> DisputeState:
        """Stage 3: the Head of QA (or the principal social worker) records the final decision."""
        event = FinalDecisionRecorded(issues=request.issues, decision=request.decision, grade=request.grade)
        return await self._record(request, event, dispute.check_decision, decides=True)

    # --- the ladder ---------------------------------------------------------------------------

    async def _escalate(self, from_stage: Stage, reason: EscalationReason, rule: Callable[[Any], None]) -> None:
        """Open the stage after `from_stage`; `rule` says whether the dispute still needs it."""
        if dispute.next_stage(from_stage) == "moderator":
            to: Stage = "moderator"
            owners = await self._holders(Role.QA_OFFICER)
            note = ""
        else:
            final = await self._final_stage(rule)
            if final is None:
                return  # decided, or given a new window, while nobody could take the last stage
            to, owners, note = final.stage, final.owners, final.note
        window, due = await self._window(self._state().chased_as_duties)
        try:
            state = await self._recorder.record_built(
                SYSTEM_ACTOR,
                lambda s: (
                    DisputeEscalated(from_stage=from_stage, to_stage=to, reason=reason),
                    StageOpened(stage=to, owners=owners, note=note, **window),
                    *self._decided(s),  # passed on: no longer the stage's owners' to do
                    *self._duties_of(s, to, owners, None, due),
                ),
                rule=rule,
            )
        except ApplicationError:
            return  # decided, or given a new window, while the next stage was being worked out
        await self._close_stage_tasks(from_stage)
        left = state.stages[-2]
        await self._stage_opened(
            state,
            f"Passed on from {stage_label(from_stage)}: {reason}",
            also=left.owners,
        )

    async def _final_stage(self, rule: Callable[[Any], None]) -> dispute.FinalStage | None:
        """The Head of QA, or the principal social worker; None once `rule` no longer holds.

        While the directory holds neither (independent of the dispute), the QA officers are
        alerted once and the directory is looked at again every day.
        """
        alerted = False
        while self._still(rule):
            heads = await self._holders(Role.HEAD_OF_QA)
            psws = await self._holders(Role.PRINCIPAL_SOCIAL_WORKER)
            final = dispute.final_stage(self._state(), heads, psws)
            if final is not None:
                return final
            if not alerted:
                state = self._state()
                await self._notifier.post(
                    *self._infos(
                        await self._holders(Role.QA_OFFICER),
                        f"no-decider-v{state.version}",
                        f"The dispute about the review of case {state.case_number} has nobody to decide it",
                        "The directory lists no Head of QA or principal social worker independent of the dispute:"
                        " update the staff file; the dispute moves on once it does.",
                        kind="alert",
                    )
                )
                alerted = True
            try:
                await workflow.wait_condition(lambda: not self._still(rule), timeout=DECIDER_LOOKUP_INTERVAL)
            except TimeoutError:
                pass
        return None

    async def _remind(self, moment: Moment) -> None:
        recipients = self._current().owners
        try:
            state = await self._recorder.record(
                SYSTEM_ACTOR,
                DisputeReminded(stage=moment.stage, recipients=recipients),
                rule=partial(dispute.check_moment, moment=moment),
            )
        except ApplicationError:
            return
        current = self._current()
        await self._notifier.post(
            *self._infos(
                recipients,
                f"reminder-v{state.version}",
                f"Reminder: {self._task_subject(state, current)} by {_day(current.due_at)}",
                f"{stage_label(current.stage).capitalize()} of the dispute.",
                kind="reminder",
            )
        )

    async def _overdue(self, moment: Moment) -> None:
        """The last stage's window passed: tell its owners and their managers; the decision is still awaited."""
        owners = self._current().owners
        managers = []
        for owner in owners:
            chain = await run_activity(DirectoryActivities.management_chain, StaffLookup(staff_id=owner))
            if chain:
                managers.append(chain[0].staff_id)
        recipients = tuple(dict.fromkeys((*owners, *managers)))
        try:
            state = await self._recorder.record(
                SYSTEM_ACTOR,
                StageOverdue(stage=moment.stage, recipients=recipients),
                rule=partial(dispute.check_moment, moment=moment),
            )
        except ApplicationError:
            return
        await self._notifier.post(
            *self._infos(
                recipients,
                f"overdue-v{state.version}",
                f"Overdue: the decision on the dispute about the review of case {state.case_number}"
                f" was due by {_day(moment.at)}",
                f"Awaited from {', '.join(owners)} at {stage_label(moment.stage)}.",
                kind="escalation",
            )
        )

    async def _closed(self) -> None:
        state = self._state()
        current = self._current()
        await self._close_stage_tasks(current.stage)
        if state.status == "resolved":
            subject = (
                f"The dispute about the review of case {state.case_number} was resolved at {stage_label(current.stage)}"
            )
        else:
            subject = (
                f"Final decision on the dispute about the review of case {state.case_number},"
                f" by {current.decided_by} at {stage_label(current.stage)}"
            )
        await self._notifier.post(
            *self._infos(
                state.parties,
                f"closed-v{state.version}",
                subject,
                f"Recorded by {current.decided_by}; the dispute is closed.",
            )
        )

    # --- notifications ------------------------------------------------------------------------

    async def _stage_opened(self, state: DisputeState, why: str, also: Iterable[str] = ()) -> None:
        """A task to each owner of the stage just opened; the parties (and `also`) are told."""
        current = self._current()
        key = ALLOCATE_TASK if current.stage == "moderator" else f"stage-{current.number}"
        told = [p for p in dict.fromkeys((*state.parties, *also)) if p not in current.owners]
        body = f"{why}. Due by {_day(current.due_at)}."
        if current.note:
            body += f" Why this stage: {current.note}."
        await self._notifier.post(
            *(self._task(owner, key, self._task_subject(state, current), current.due_at) for owner in current.owners),
            *self._infos(
                told,
                f"stage-v{state.version}",
                f"The dispute about the review of case {state.case_number} is at {stage_label(current.stage)}",
                body,
            ),
        )

    @staticmethod
    def _task_subject(state: DisputeState, stage: StageRecord) -> str:
        return sentence(dispute.stage_work(state.case_number, state.practitioner, stage.stage, stage.moderator))

    def _task(self, recipient: str, key: str, subject: str, due_at: datetime) -> Notification:
        state = self._state()
        return self._notifier.task(recipient, key, subject, due_at, _title(state), state.version)

    def _infos(
        self, recipients: Iterable[str], tag: str, subject: str, body: str, kind: NotificationKind = "info"
    ) -> tuple[Notification, ...]:
        return tuple(self._notifier.message(r, kind, tag, subject, body) for r in dict.fromkeys(recipients))

    async def _close_stage_tasks(self, stage: Stage) -> None:
        if stage == "moderator":
            await self._notifier.close(ALLOCATE_TASK)
        await self._notifier.close(f"stage-{STAGE_NUMBER[stage]}")

    # --- plumbing -----------------------------------------------------------------------------

    def _still(self, rule: Callable[[Any], None]) -> bool:
        try:
            rule(self._state())
        except Refusal:
            return False
        return True

    def _current(self) -> StageRecord:
        current = self._state().current
        assert current is not None, "a dispute always has a stage open"
        return current

    async def _record(
        self,
        request: ChangeRequest,
        event: DomainEvent,
        rule: Callable[[DisputeState | None, Any], None],
        decides: bool = False,
    ) -> DisputeState:
        """Record one person's part, its rule checked again against the newest state; a stage's decision (`decides`)
        does its owners' duties."""
        return await self._recorder.record_built(
            request.actor,
            lambda s: (event, *(self._decided(s) if decides else ())),
            rule=lambda state: rule(state, request),
        )

    def _decided(self, state: DisputeState) -> tuple[DomainEvent, ...]:
        """The current stage's open duties done: decided, passed on, or given to someone else."""
        assert state.current is not None
        return tuple(self._duties.completed(key) for key in state.stage_duties(state.current.stage))

    def _duties_of(
        self, state: DisputeState, stage: Stage, owners: tuple[str, ...], moderator: str | None, due: DueMoment
    ) -> tuple[DomainEvent, ...]:
        """For a dispute whose stages are duties: each owner's duty at `stage`."""
        if not state.chased_as_duties:
            return ()
        return self._stage_duties(state.case_number, state.practitioner, stage, owners, moderator, due)

    def _stage_duties(
        self,
        case_number: str,
        practitioner: str,
        stage: Stage,
        owners: tuple[str, ...],
        moderator: str | None,
        due: DueMoment,
    ) -> tuple[DomainEvent, ...]:
        # Before the last stage the end of the window passes the dispute on: its owners are reminded, not chased.
        if stage not in dispute.FINAL_STAGES:
            due = due.model_copy(update={"chase": tuple(step for step in due.chase if step.kind == "reminder")})
        what = dispute.stage_work(case_number, practitioner, stage, moderator)
        return tuple(self._duties.given(dispute.stage_duty(stage, owner), owner, what, due) for owner in owners)

    async def _holders(self, role: Role) -> tuple[str, ...]:
        members = await run_activity(DirectoryActivities.role_holders, RoleLookup(role=role))
        return tuple(member.staff_id for member in members)

    async def _window(self, on_duties: bool) -> tuple[dict[str, Any], DueMoment]:
        """A stage's window from today: its due moment, the calendar it came from, and its reminder (none where the
        stage's duties carry it); and the due moment, for the duties."""
        now = workflow.now()
        due = await run_activity(
            CalendarActivities.due_at,
            DueRequest(start=now.astimezone(LONDON).date(), working_days=self._window_days, chase_from=now),
        )
        remind_at = None if on_duties else next((step.at for step in due.chase if step.kind == "reminder"), None)
        return {"due_at": due.due_at, "calendar_digest": due.calendar_digest, "remind_at": remind_at}, due


def _day(at: datetime) -> str:
    return at.astimezone(LONDON).strftime("%d %B %Y")


def _title(state: DisputeState) -> str:
    return f"Dispute about the reviewer's {state.about} on review {state.review_id}, raised by {state.raised_by}."
