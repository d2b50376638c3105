"""One child's Collaborative Practice Review as a durable workflow.

Each person's part arrives as an update; its validator refuses a wrong actor,
order or value before anything is recorded. The reviewer's review and the
practitioner's reflection are duties (workflows.duties), chased as every duty is:
each owner is reminded before the deadline, and a breach is escalated up the
ladder (the owner's manager, the head of service, the Head of QA) on a recorded
working-day schedule that an extension moves. (Reviews opened before chase the
review as one, on their own code, to the end.) A safeguarding alert reaches the
team manager and head of service at once, with no timer.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time
from functools import partial

from temporalio import workflow
from temporalio.exceptions import ApplicationError

from domain import review
from domain.chasing import ChaseStep
from domain.cpr_cycle import ReviewOutcome
from domain.directory import Role
from domain.errors import Refusal
from domain.events import SYSTEM_ACTOR, DomainEvent
from domain.frozen import Frozen
from domain.notifications import Notification, NotificationKind
from domain.permissions import QA_TEAM
from domain.requests import ChangeRequest
from domain.review import (
    REFLECTION_DUTY,
    REVIEW_DUTY,
    AcknowledgeAlert,
    ActionCompleted,
    ActionOverdue,
    ActionRecommended,
    AlertAcknowledged,
    CompleteAction,
    ConversationRecorded,
    ExtendReview,
    GiveGrade,
    JudgeRubric,
    RaiseSafeguarding,
    RecommendAction,
    RecordConclusion,
    RecordConversation,
    RecordReflection,
    RecordReflectionNotObtained,
    RecordVoice,
    ReflectionNotObtained,
    ReflectionRecorded,
    ReviewChased,
    ReviewClosed,
    ReviewConcluded,
    ReviewerReallocated,
    ReviewExtended,
    ReviewGraded,
    ReviewOpened,
    ReviewState,
    ReviewSubmitted,
    RubricJudged,
    SafeguardingAlertRaised,
    SubmitReview,
    VoiceRecorded,
)
from domain.working_days import LONDON
from workflows.common import ItemWorkflow, require, require_role, run_activity
from workflows.duties import DutyKeeper
from workflows.recording import recorded_update, refused
from workflows.timing import wait_for_moment

with workflow.unsafe.imports_passed_through():
    from activities.deadlines import CalendarActivities, DueMoment, DueRequest
    from activities.directory import DirectoryActivities, RoleLookup, StaffLookup

LEVEL_NAMES = {1: "the reviewer's manager", 2: "the head of service", 3: "the Head of QA"}


class ReviewerChange(Frozen):
    """From the cycle: the QA team gave this review to another reviewer (recorded there first)."""

    reviewer: str
    previous: str
    reason: str
    by: str  # the QA officer who reallocated it


class ReviewInput(Frozen):
    cycle_id: str
    case_number: str
    service: str
    team: str
    practitioner: str
    reviewer: str
    team_manager: str
    head_of_service: str
    due_on: date
    opened_by: str


@workflow.defn(name=review.KIND.workflow_type)
class ReviewWorkflow(ItemWorkflow[ReviewState]):
    @workflow.init
    def __init__(self, request: ReviewInput) -> None:
        super().__init__(review.evolve)
        self._duties = DutyKeeper(
            self._recorder, self._notifier, review.DUTIES, _title, head_of_service=lambda s: s.head_of_service
        )

    @workflow.run
    async def run(self, request: ReviewInput) -> ReviewState:
        if workflow.patched("review-checks-its-opener"):
            # Defence in depth: its cycle opens it on an allocation only a QA officer may make; a review
            # started straight in Temporal must be opened by one too, or it is refused, nothing recorded.
            await require(request.opened_by, "cycle.allocate")
        on_duties = workflow.patched("review-chased-as-duties")
        due = await self._due(request.due_on, 0)
        state = await self._recorder.record(
            request.opened_by,
            ReviewOpened(
                cycle_id=request.cycle_id,
                case_number=request.case_number,
                service=request.service,
                team=request.team,
                practitioner=request.practitioner,
                reviewer=request.reviewer,
                team_manager=request.team_manager,
                head_of_service=request.head_of_service,
                due_at=due.due_at,
                calendar_digest=due.calendar_digest,
                chase=() if on_duties else due.chase,  # the duties carry it
            ),
            *(
                (
                    self._duties.given(
                        REVIEW_DUTY, request.reviewer, f"complete the review of case {request.case_number}", due
                    ),
                    self._duties.given(
                        REFLECTION_DUTY,
                        request.practitioner,
                        f"give a reflection (scaling 0-10) for the review of case {request.case_number}",
                        due,
                    ),
                )
                if on_duties
                else ()
            ),
        )
        if on_duties:
            await self._duties.tell_owners(state, REVIEW_DUTY, REFLECTION_DUTY)
            await self._duties.chase(finished=lambda: self._state().ended)
        else:
            await self._chase_on_its_own(state)
        if workflow.patched("review-action-chasing"):
            await self._chase_actions()
        else:
            await workflow.wait_condition(lambda: not self._state().open_actions)
        await self._recorder.record(SYSTEM_ACTOR, ReviewClosed())
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._state()

    async def _chase_on_its_own(self, state: ReviewState) -> None:
        """A review opened before its parts were duties: its one chase, recorded in review.opened."""
        await self._notifier.post(
            self._task(state.reviewer, "review", f"Complete the review of case {state.case_number}", state.due_at),
            self._task(
                state.practitioner,
                "reflection",
                f"Give your reflection (scaling 0-10) for the review of case {state.case_number}",
                state.due_at,
            ),
        )
        while self._state().status in ("open", "overdue"):
            step = await wait_for_moment(lambda: self._state().next_chase, lambda step: step.at)
            if step is not None:
                await self._take(step)
            else:
                await workflow.wait_condition(
                    lambda: self._state().next_chase is not None or self._state().status not in ("open", "overdue")
                )

    @workflow.query
    def state(self) -> ReviewState | None:
        return self._recorder.state

    # --- the people's parts -------------------------------------------------------------------

    @recorded_update(review.check_voice)
    async def record_voice(self, request: RecordVoice) -> ReviewState:
        event = VoiceRecorded(whose=request.whose, obtained=request.obtained, summary=request.summary)
        return await self._record(request, lambda _: event, review.check_voice)

    @recorded_update(review.check_reflection)
    async def reflect(self, request: RecordReflection) -> ReviewState:
        event = ReflectionRecorded(
            score=request.score, pleased_with=request.pleased_with, could_develop=request.could_develop
        )
        state = await self._record(request, lambda _: event, review.check_reflection, done=REFLECTION_DUTY)
        await self._notifier.close("reflection")
        return state

    @recorded_update(review.check_reflection_not_obtained)
    async def reflection_not_obtained(self, request: RecordReflectionNotObtained) -> ReviewState:
        """The team manager or the QA team: the practitioner cannot give a reflection (long leave, gone)."""
        await workflow.wait_condition(lambda: self._recorder.state is not None)
        await require(request.actor, "review.reflection_not_obtained")
        if request.actor != self._state().team_manager:
            await require_role(request.actor, QA_TEAM, "record a reflection as not obtained for another team")
        event = ReflectionNotObtained(reason=request.reason)
        state = await self._record(request, lambda _: event, review.check_reflection_not_obtained, done=REFLECTION_DUTY)
        await self._notifier.close("reflection")
        return state

    @workflow.signal
    async def reallocated(self, change: ReviewerChange) -> None:
        """The cycle recorded a new reviewer: recorded here too while the review is open (a review submitted in
        the meantime keeps the reviewer who submitted it), and the review's task moves to them."""
        await workflow.wait_condition(lambda: self._recorder.state is not None)
        state = await self._recorder.record_built(
            change.by,
            lambda s: (
                (
                    ReviewerReallocated(reviewer=change.reviewer, previous=change.previous, reason=change.reason),
                    *self._duties.handed_over(s, REVIEW_DUTY, change.reviewer),
                )
                if s.status in ("open", "overdue") and s.reviewer == change.previous
                else ()
            ),
        )
        if state.reviewer == change.reviewer:
            await self._notifier.close("review")
            if state.duties:
                await self._duties.tell_owners(state, REVIEW_DUTY)
            else:
                await self._notifier.post(
                    self._task(
                        state.reviewer, "review", f"Complete the review of case {state.case_number}", state.due_at
                    )
                )

    @recorded_update(review.check_conversation)
    async def record_conversation(self, request: RecordConversation) -> ReviewState:
        event = ConversationRecorded(summary=request.summary)
        return await self._record(request, lambda _: event, review.check_conversation)

    @recorded_update(review.check_rubric)
    async def judge(self, request: JudgeRubric) -> ReviewState:
        event = RubricJudged(judgements=request.judgements)
        return await self._record(request, lambda _: event, review.check_rubric)

    @recorded_update(review.check_grade)
    async def grade(self, request: GiveGrade) -> ReviewState:
        event = ReviewGraded(grade=request.grade, rationale=request.rationale)
        return await self._record(request, lambda _: event, review.check_grade)

    @recorded_update(review.check_conclusion)
    async def conclude(self, request: RecordConclusion) -> ReviewState:
        event = ReviewConcluded(working_well=request.working_well, do_differently=request.do_differently)
        return await self._record(request, lambda _: event, review.check_conclusion)

    @recorded_update(review.check_recommend)
    async def recommend_action(self, request: RecommendAction) -> ReviewState:
        def event(state: ReviewState) -> ActionRecommended:
            return ActionRecommended(
                action_id=f"A{len(state.actions) + 1}", action=request.action, due_by=request.due_by
            )

        return await self._record(request, event, review.check_recommend)

    @recorded_update(review.check_submit)
    async def submit(self, request: SubmitReview) -> ReviewState:
        # A review submitted before the conclusion was asked for replays under the rule it was submitted under.
        concluded = workflow.patched("review-conclusion")
        state = await self._record(
            request,
            lambda _: ReviewSubmitted(),
            lambda s, r: review.check_submit(s, r, conclusion=concluded),
            done=REVIEW_DUTY,
        )
        await self._notifier.close("review")
        parent = workflow.info().parent
        if parent is not None:
            # By name: the cycle workflow imports this module, not the other way round.
            assert state.grade is not None  # check_submit: a review is graded before it is submitted
            await workflow.get_external_workflow_handle(parent.workflow_id).signal(
                "review_submitted", ReviewOutcome(case_number=state.case_number, grade=state.grade, late=state.late)
            )
        # Actions go to supervision: the team manager records each one complete.
        await self._notifier.post(
            *(
                self._task(
                    state.team_manager,
                    f"action-{action.action_id}",
                    f"Record action {action.action_id} of the review of case {state.case_number} complete"
                    f" (management oversight): {action.action}",
                    datetime.combine(action.due_by, time(23, 59, 59), LONDON),
                )
                for action in state.open_actions
            )
        )
        if workflow.patched("review-findings-told"):
            # Closing the loop: the practitioner and the head of service hear its grade and its actions.
            subject, body = state.findings()
            await self._notifier.post(
                *(
                    self._notifier.message(person, "info", "findings", subject, body)
                    for person in dict.fromkeys((state.practitioner, state.head_of_service))
                )
            )
        return state

    @recorded_update(review.check_complete_action)
    async def complete_action(self, request: CompleteAction) -> ReviewState:
        event = ActionCompleted(action_id=request.action_id, oversight_note=request.oversight_note)
        state = await self._record(request, lambda _: event, review.check_complete_action)
        await self._notifier.close(f"action-{request.action_id}")
        return state

    @recorded_update(review.check_raised_as_item)
    async def raise_safeguarding(self, request: RaiseSafeguarding) -> ReviewState:
        if workflow.patched("alerts-are-items"):
            # Its validator refuses every new one; only one let through while an append was in flight gets here.
            raise refused(Refusal(review.RAISED_AS_ITEM))

        def event(state: ReviewState) -> SafeguardingAlertRaised:
            return SafeguardingAlertRaised(
                alert_id=f"S{len(state.alerts) + 1}",
                concern=request.concern,
                notified=(state.team_manager, state.head_of_service),
            )

        state = await self._record(request, event, review.check_safeguarding)
        alert = state.alerts[-1]
        await self._notifier.post(
            *(
                self._notifier.message(
                    recipient,
                    "alert",
                    f"alert-{alert.alert_id}",
                    f"SAFEGUARDING: immediate steps needed for case {state.case_number}",
                    f"Raised by {alert.raised_by} during the practice review: {alert.concern}",
                )
                for recipient in alert.notified
            )
        )
        return state

    @recorded_update(review.check_acknowledge)
    async def acknowledge_alert(self, request: AcknowledgeAlert) -> ReviewState:
        state = await self._record(
            request, lambda _: AlertAcknowledged(alert_id=request.alert_id), review.check_acknowledge
        )
        alert = next(a for a in state.alerts if a.alert_id == request.alert_id)
        # The raiser hears what has really happened: this acknowledgement, and who is still awaited.
        awaited = f"; still awaited from {' and '.join(alert.awaited)}" if alert.awaited else ""
        await self._notifier.post(
            self._notifier.message(
                alert.raised_by,
                "info",
                f"alert-{alert.alert_id}-acknowledged-{request.actor}",
                f"Safeguarding alert {alert.alert_id} for case {state.case_number} acknowledged by {request.actor}",
                f"{request.actor} has the alert you raised{awaited}.",
            )
        )
        return state

    @recorded_update(review.check_extend)
    async def extend(self, request: ExtendReview) -> ReviewState:
        await workflow.wait_condition(lambda: self._recorder.state is not None)
        await require(request.actor, "review.extend")
        before = self._state()
        due = await self._due(before.due_at.astimezone(LONDON).date(), request.extra_working_days)
        state = await self._recorder.record_built(
            request.actor,
            lambda s: (
                ReviewExtended(
                    extra_working_days=request.extra_working_days,
                    due_at=due.due_at,
                    calendar_digest=due.calendar_digest,
                    chase=() if s.duties else due.chase,  # the duties carry it
                    reason=request.reason,
                ),
                # Each part still awaited is due again, with a new chase.
                *(self._duties.given(d.key, d.owner, d.what, due) for d in s.duties if d.open),
            ),
            rule=partial(_unchanged_since, before.version, request),
        )
        if state.duties:
            await self._duties.tell_owners(state, *(d.key for d in state.duties if d.open))
        else:
            await self._notifier.post(
                self._task(state.reviewer, "review", f"Complete the review of case {state.case_number}", state.due_at)
            )
        return state

    # --- chasing ------------------------------------------------------------------------------

    async def _take(self, step: ChaseStep) -> None:
        recipients = await self._chase_recipients(step)
        try:
            state = await self._recorder.record(
                SYSTEM_ACTOR,
                ReviewChased(step=step, recipients=recipients),
                rule=partial(review.check_chase, step=step),
            )
        except ApplicationError:
            return  # submitted or extended while the step waited its turn
        due = state.due_at.astimezone(LONDON).strftime("%d %B %Y")
        waiting = "; ".join(state.still_needed) or "submission"
        if step.kind == "reminder":
            subject = f"Reminder: the review of case {state.case_number} is due by {due}"
        elif step.kind == "overdue":
            subject = f"Overdue: the review of case {state.case_number} was due by {due}"
        else:
            subject = (
                f"Escalated to you as {LEVEL_NAMES[step.level]}: the review of case {state.case_number}"
                f" was due by {due}"
            )
        body = f"Cycle {state.cycle_id}, service {state.service}. Still awaited: {waiting}."
        kind: NotificationKind = "reminder" if step.kind == "reminder" else "escalation"
        tag = f"chase-v{state.version}"
        await self._notifier.post(*(self._notifier.message(r, kind, tag, subject, body) for r in recipients))

    async def _chase_actions(self) -> None:
        """Until every action is complete: one past its date is flagged to the team manager and head of service."""
        while self._state().open_actions:
            action = await wait_for_moment(lambda: self._state().next_action_due, lambda a: a.due_at)
            if action is None:
                await workflow.wait_condition(
                    lambda: not self._state().open_actions or self._state().next_action_due is not None
                )
                continue
            try:
                state = await self._recorder.record_built(
                    SYSTEM_ACTOR,
                    lambda s, action=action: (
                        ActionOverdue(action_id=action.action_id, notified=(s.team_manager, s.head_of_service)),
                    ),
                    rule=partial(review.check_action_overdue, action=action),
                )
            except ApplicationError:
                continue  # completed while the flag waited its turn
            due = action.due_at.strftime("%d %B %Y")
            subject = f"Overdue: action {action.action_id} of the review of case {state.case_number} was due by {due}"
            body = f"{action.action} (the team manager records it complete through supervision)."
            await self._notifier.post(
                *(
                    self._notifier.message(person, "escalation", f"action-{action.action_id}", subject, body)
                    for person in (state.team_manager, state.head_of_service)
                )
            )

    async def _chase_recipients(self, step: ChaseStep) -> tuple[str, ...]:
        state = self._state()
        if step.level == 0:
            owners = [state.reviewer]
            if state.reflection_awaited:
                owners.append(state.practitioner)
            return tuple(owners)
        if step.level == 1:
            chain = await run_activity(DirectoryActivities.management_chain, StaffLookup(staff_id=state.reviewer))
            return (chain[0].staff_id,) if chain else (state.head_of_service,)
        if step.level == 2:
            return (state.head_of_service,)
        holders = await run_activity(DirectoryActivities.role_holders, RoleLookup(role=Role.HEAD_OF_QA))
        return tuple(member.staff_id for member in holders) or (state.head_of_service,)

    # --- plumbing -----------------------------------------------------------------------------

    async def _record(
        self,
        request: ChangeRequest,
        event: Callable[[ReviewState], DomainEvent],
        rule: Callable[[ReviewState | None, ChangeRequest], None],
        done: str | None = None,
    ) -> ReviewState:
        """Record one person's part, its rule checked again against the newest state; with it, the duty `done`
        is done (when the review has it open)."""
        return await self._recorder.record_built(
            request.actor,
            lambda state: (event(state), *(self._duties.completed_if_open(state, done) if done else ())),
            rule=lambda state: rule(state, request),
        )

    async def _due(self, start: date, working_days: int) -> DueMoment:
        return await run_activity(
            CalendarActivities.due_at,
            DueRequest(start=start, working_days=working_days, chase_from=workflow.now()),
        )

    def _task(self, recipient: str, key: str, subject: str, due_at: datetime) -> Notification:
        state = self._state()
        return self._notifier.task(recipient, key, subject, due_at, _title(state), state.version)


def _title(state: ReviewState) -> str:
    return f"Cycle {state.cycle_id}, service {state.service}, team {state.team}."


def _unchanged_since(version: int, request: ExtendReview, state: ReviewState | None) -> None:
    review.check_extend(state, request)
    assert state is not None
    if state.version != version:
        raise Refusal("the review changed while the extension was being worked out; try again")
