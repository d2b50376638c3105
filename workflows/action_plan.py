"""A team or service-wide action plan as one long-running workflow.

Each run is one review cycle: it waits for its owner to record the review meeting (who attended; each action's
progress is recorded on its own), flagging any action whose by-when date passes on the way (the person
responsible is reminded, the owner told); the meeting is the owner's duty, due the end of its day and chased and
escalated after it, and is never recorded as held by the engine. Once recorded, the next meeting is set and the
plan continues as new with the state carried forward. (Runs begun before meetings were recorded held them by
themselves at the end of their day; their histories replay so.) The plan's audit stream is one stream for its whole life: each run's
recorder starts from the carried state and version.

Meeting dates follow the cadence (6 weeks for a team plan, 3 months for a
service-wide one) counted from the first meeting, each moved to the next
working day by the calendar activity: no holiday is ever worked out here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import date

from temporalio import workflow
from temporalio.exceptions import ApplicationError

from domain import action_plan
from domain.action_plan import (
    CADENCE_TEXT,
    ActionAdded,
    ActionChanged,
    ActionClosed,
    ActionOverdue,
    AddAction,
    AddFromFinding,
    ChangeAction,
    CloseAction,
    MeetingHeld,
    MeetingRecorded,
    PlanInput,
    PlanMoment,
    PlanStarted,
    PlanState,
    ProgressRecorded,
    RecordMeeting,
    RecordProgress,
    first_nominal_meeting,
    meeting_key,
    meeting_what,
    nominal_meeting,
    plan_title,
)
from domain.directory import Role
from domain.errors import Refusal
from domain.events import SYSTEM_ACTOR, DomainEvent
from domain.permissions import QA_TEAM
from domain.requests import ChangeRequest
from domain.working_days import LONDON
from workflows.common import (
    ItemWorkflow,
    first_working_day,
    require_role,
    require_senior_leader,
    require_staff,
    run_activity,
)
from workflows.duties import DutyKeeper
from workflows.recording import recorded_update, refused
from workflows.timing import london_today, wait_for_moment

with workflow.unsafe.imports_passed_through():
    from activities.deadlines import DueMoment
    from activities.directory import DirectoryActivities, StaffLookup


@workflow.defn(name=action_plan.KIND.workflow_type)
class ActionPlanWorkflow(ItemWorkflow[PlanState]):
    @workflow.init
    def __init__(self, request: PlanInput) -> None:
        carried = request.carried
        super().__init__(action_plan.evolve, carried, carried.version if carried else 0)
        self._duties = DutyKeeper(self._recorder, self._notifier, action_plan.DUTIES, lambda s: f"{s.title}.")

    @workflow.run
    async def run(self, request: PlanInput) -> PlanState:
        recorded = workflow.patched("plan-meetings-recorded")
        if request.carried is None:
            await self._start(request, recorded)
        if recorded:
            number = self._state().cycle
            await self._meeting_duty()
            await asyncio.gather(
                self._flag_until(lambda: self._state().cycle != number),
                self._duties.chase(finished=lambda: self._state().cycle != number),
            )
            await workflow.wait_condition(workflow.all_handlers_finished)
            workflow.continue_as_new(request.model_copy(update={"carried": self._state()}))
        while True:
            moment = await wait_for_moment(lambda: self._state().next_moment, lambda m: m.at)
            assert moment is not None  # a plan always has its next meeting
            if moment.kind == "action":
                await self._flag_overdue(moment)
            else:
                await self._hold_meeting()
                break
        await workflow.wait_condition(workflow.all_handlers_finished)
        workflow.continue_as_new(request.model_copy(update={"carried": self._state()}))

    @workflow.query
    def state(self) -> PlanState | None:
        return self._recorder.state

    # --- the owner's and others' parts -------------------------------------------------------------

    @recorded_update(action_plan.check_add, london_today)
    async def add_action(self, request: AddAction) -> PlanState:
        await self._require_staff(request.responsible)
        today = london_today()
        state = await self._record(
            request, lambda s: self._added(s, request), lambda s: action_plan.check_add(s, request, today)
        )
        await self._task_for(state, state.actions[-1].action_id)
        return state

    @recorded_update(action_plan.check_add_from_finding, london_today)
    async def add_from_finding(self, request: AddFromFinding) -> PlanState:
        await workflow.wait_condition(lambda: self._recorder.state is not None)
        if workflow.patched("finding-once-by-qa-team"):
            # A spotlight's report adds its actions through a retried activity: once each.
            if self._state().action_from(request.source) is not None:
                return self._state()
            if request.actor != self._state().owner:
                await require_role(request.actor, QA_TEAM, "add actions from findings to a plan")
        elif request.actor != self._state().owner:
            await require_role(request.actor, Role.QA_OFFICER, "add actions from findings to a plan")
        await self._require_staff(request.responsible)
        today = london_today()
        state = await self._record(
            request,
            lambda s: self._added(s, request, request.source),
            lambda s: action_plan.check_add_from_finding(s, request, today),
        )
        added = state.actions[-1]
        await self._task_for(state, added.action_id)
        if request.actor != state.owner:
            await self._notifier.post(
                self._notifier.message(
                    state.owner,
                    "info",
                    f"finding-{added.action_id}",
                    f"Action {added.action_id} added to {state.title} from {added.source}",
                    f"Added by {request.actor}: {added.action} (responsible {added.responsible},"
                    f" by {added.by_when.isoformat()}).",
                )
            )
        return state

    @recorded_update(action_plan.check_change, london_today)
    async def change_action(self, request: ChangeAction) -> PlanState:
        if request.responsible is not None:
            await self._require_staff(request.responsible)
        event = ActionChanged(
            action_id=request.action_id,
            action=request.action,
            support=request.support,
            responsible=request.responsible,
            by_when=request.by_when,
            evidence=request.evidence,
            reason=request.reason,
        )
        before = self._recorder.state
        today = london_today()
        state = await self._record(request, lambda _: event, lambda s: action_plan.check_change(s, request, today))
        previous = before.action(request.action_id) if before else None
        if previous is not None and previous.responsible != state.action(request.action_id).responsible:  # type: ignore[union-attr]
            await self._notifier.close(f"action-{request.action_id}", previous.responsible)
        await self._task_for(state, request.action_id)
        return state

    @recorded_update(action_plan.check_progress)
    async def record_progress(self, request: RecordProgress) -> PlanState:
        event = ProgressRecorded(
            action_id=request.action_id, status=request.status, note=request.note, evidence=request.evidence
        )
        state = await self._record(request, lambda _: event, lambda s: action_plan.check_progress(s, request))
        if request.status == "done":
            await self._notifier.close(f"action-{request.action_id}")
        return state

    @recorded_update(action_plan.check_close)
    async def close_action(self, request: CloseAction) -> PlanState:
        event = ActionClosed(action_id=request.action_id, reason=request.reason)
        state = await self._record(request, lambda _: event, lambda s: action_plan.check_close(s, request))
        await self._notifier.close(f"action-{request.action_id}")
        return state

    @recorded_update(action_plan.check_meeting)
    async def record_meeting(self, request: RecordMeeting) -> PlanState:
        """The owner records the review meeting held today: who attended; the actions reviewed are those whose
        progress was recorded this cycle. The next meeting is set, and the plan moves on to it."""
        await workflow.wait_condition(lambda: self._recorder.state is not None)
        today = london_today()
        before = self._state()
        number = before.cycle
        following = await self._meeting_on(nominal_meeting(before.kind, before.first_nominal, number + 1))
        # The next meeting's duty is recorded with this one (a plan that keeps them), so no version is seen without it.
        next_due = await self._duties.due(following.due_at.astimezone(LONDON).date(), 0) if before.duties else None

        def recorded(state: PlanState) -> tuple[DomainEvent, ...]:
            duty = action_plan.duties.duty(state, meeting_key(state.cycle))
            following_duty = (
                (
                    self._duties.given(
                        meeting_key(state.cycle + 1), state.owner, meeting_what(state.cycle + 1, state.title), next_due
                    ),
                )
                if next_due is not None
                else ()
            )
            return (
                *((self._duties.completed(duty.key),) if duty is not None and duty.open else ()),
                *following_duty,
                MeetingRecorded(
                    number=state.cycle,
                    held_on=today,
                    attendees=tuple(dict.fromkeys(a.strip() for a in request.attendees)),
                    reviewed=state.reviewed_this_cycle,
                    not_reviewed=state.not_reviewed_this_cycle,
                    notes=request.notes,
                    next_meeting_on=following.due_at.astimezone(LONDON).date(),
                    next_meeting_at=following.due_at,
                    calendar_digest=following.calendar_digest,
                ),
            )

        def rule(state: PlanState | None) -> None:
            action_plan.check_meeting(state, request)
            if state is not None and state.cycle != number:
                raise Refusal(f"meeting {number} was recorded meanwhile; reload and try again")

        state = await self._recorder.record_built(request.actor, recorded, rule=rule)
        await self._notifier.close(meeting_key(number))
        await self._meeting_task(state)
        return state

    # --- the engine's part -------------------------------------------------------------------------

    async def _meeting_duty(self) -> None:
        """The owner's duty to record this cycle's meeting: due the end of its day, chased as every duty is (the
        task itself is the meeting's, set with the cycle)."""
        state = self._state()
        key = meeting_key(state.cycle)
        if action_plan.duties.duty(state, key) is not None:
            return
        due = await self._duties.due(state.next_meeting_on, 0)
        what = meeting_what(state.cycle, state.title)
        await self._recorder.record_built(
            SYSTEM_ACTOR,
            lambda s: (self._duties.given(key, s.owner, what, due),) if action_plan.duties.duty(s, key) is None else (),
        )

    async def _flag_until(self, finished: Callable[[], bool]) -> None:
        """Flag each open action whose by-when date passes, until `finished()` (the meeting is recorded)."""

        def pending() -> PlanMoment | None:
            action = None if finished() else self._state().next_action_due
            return None if action is None else PlanMoment(kind="action", at=action.due_at, action_id=action.action_id)

        while not finished():
            moment = await wait_for_moment(pending, lambda m: m.at)
            if moment is None:
                await workflow.wait_condition(lambda: finished() or pending() is not None)
                continue
            await self._flag_overdue(moment)

    async def _start(self, request: PlanInput, with_duty: bool) -> None:
        """Checked, then recorded; `with_duty`: the first meeting's duty recorded with the start, so the first
        version anyone sees already has it."""
        today = london_today()
        if (request.kind == "team") != bool(request.team and request.team.strip()):
            raise refused(Refusal("a team plan names its team; a service-wide plan names none"))
        if request.first_meeting is not None and request.first_meeting <= today:
            raise refused(Refusal(f"the first meeting must be after today ({today.isoformat()})"))
        if request.started_by != request.owner:
            # The Head of QA starts a team's plan when finalising its spotlight report.
            starters = QA_TEAM if workflow.patched("plan-started-by-qa-team") else Role.QA_OFFICER
            await require_role(request.started_by, starters, "start a plan for someone else")
        if request.kind == "team":
            await self._require_team_manager(request.owner, request.team or "")
        else:
            await require_senior_leader(request.owner, "own a service-wide plan")
        first = request.first_meeting or first_nominal_meeting(request.kind, today)
        meeting = await self._meeting_on(first)
        team = request.team.strip() if request.team else None
        started = PlanStarted(
            kind=request.kind,
            team=team,
            owner=request.owner,
            first_nominal=first,
            next_meeting_on=meeting.due_at.astimezone(LONDON).date(),
            next_meeting_at=meeting.due_at,
            calendar_digest=meeting.calendar_digest,
        )
        duty = ()
        if with_duty:
            due = await self._duties.due(started.next_meeting_on, 0)
            what = meeting_what(1, plan_title(request.kind, team))
            duty = (self._duties.given(meeting_key(1), request.owner, what, due),)
        state = await self._recorder.record(request.started_by, started, *duty)
        await self._meeting_task(state)

    async def _hold_meeting(self) -> None:
        before = self._state()
        number = before.cycle
        following = await self._meeting_on(nominal_meeting(before.kind, before.first_nominal, number + 1))

        def held(state: PlanState) -> tuple[DomainEvent, ...]:
            return (
                MeetingHeld(
                    number=number,
                    held_on=state.next_meeting_on,
                    reviewed=state.reviewed_this_cycle,
                    not_reviewed=state.not_reviewed_this_cycle,
                    next_meeting_on=following.due_at.astimezone(LONDON).date(),
                    next_meeting_at=following.due_at,
                    calendar_digest=following.calendar_digest,
                ),
            )

        state = await self._recorder.record_built(SYSTEM_ACTOR, held)
        await self._notifier.close(f"meeting-{number}")
        await self._meeting_task(state)

    async def _flag_overdue(self, moment: PlanMoment) -> None:
        action_id = moment.action_id or ""
        try:
            state = await self._recorder.record_built(
                SYSTEM_ACTOR,
                lambda s: (
                    ActionOverdue(action_id=action_id, reminded=s.action(action_id).responsible, escalated_to=s.owner),
                ),  # type: ignore[union-attr]
                rule=lambda s: action_plan.check_action_overdue(s, action_id, moment.at),
            )
        except ApplicationError:
            return  # done, closed or moved while the flag waited its turn
        action = state.action(action_id)
        assert action is not None
        due = action.by_when.strftime("%d %B %Y")
        tag = f"overdue-{action_id}-v{state.version}"
        body = f"{action.action} (completion shown by: {action.evidence}). Support: {action.support}."
        await self._notifier.post(
            self._notifier.message(
                action.responsible,
                "reminder",
                tag,
                f"Overdue: action {action_id} of {state.title}, yours, was due by {due}",
                body,
            ),
            self._notifier.message(
                state.owner,
                "escalation",
                tag,
                f"Overdue: action {action_id} of {state.title} ({action.responsible}) was due by {due}",
                body,
            ),
        )

    # --- plumbing ----------------------------------------------------------------------------------

    @staticmethod
    def _added(state: PlanState, request: AddAction, source: str | None = None) -> ActionAdded:
        assert request.by_when is not None  # check_smart
        return ActionAdded(
            action_id=f"A{len(state.actions) + 1}",
            action=request.action.strip(),
            support=request.support.strip(),
            responsible=request.responsible.strip(),
            by_when=request.by_when,
            evidence=request.evidence.strip(),
            source=source.strip() if source else None,
        )

    async def _record(
        self, request: ChangeRequest, event: Callable[[PlanState], DomainEvent], rule: Callable[[PlanState], None]
    ) -> PlanState:
        """Record one person's change, its rule checked again against the newest state."""
        return await self._recorder.record_built(request.actor, lambda state: (event(state),), rule=rule)

    async def _meeting_on(self, nominal: date) -> DueMoment:
        """The end of the first working day on or after `nominal`: the calendar activity decides."""
        return await first_working_day(nominal)

    async def _meeting_task(self, state: PlanState) -> None:
        where = "the team meeting" if state.kind == "team" else "the CSLT quarterly meeting"
        await self._notifier.post(
            self._notifier.task(
                state.owner,
                f"meeting-{state.cycle}",
                f"Review {state.title} at {where} on {state.next_meeting_on.strftime('%d %B %Y')}",
                state.next_meeting_at,
                f"Reviewed {CADENCE_TEXT[state.kind]}: record progress on each open action"
                f" ({len(state.open_actions)} open), and add, change or close actions.",
                state.version,
            )
        )

    async def _task_for(self, state: PlanState, action_id: str) -> None:
        action = state.action(action_id)
        assert action is not None
        await self._notifier.post(
            self._notifier.task(
                action.responsible,
                f"action-{action_id}",
                f"Action {action_id} of {state.title}: {action.action}",
                action.due_at,
                f"Support: {action.support}. Completion shown by: {action.evidence}. Owner: {state.owner}.",
                state.version,
            )
        )

    async def _require_staff(self, staff_id: str) -> None:
        if not staff_id.strip():
            return  # the SMART rule names it
        await require_staff(staff_id.strip(), "be responsible for an action")

    async def _require_team_manager(self, owner: str, team: str) -> None:
        await require_role(owner, Role.TEAM_MANAGER, "own a team action plan")
        member = await run_activity(DirectoryActivities.staff_member, StaffLookup(staff_id=owner))
        if member.team != team.strip():
            raise refused(
                Refusal(f"{owner} cannot own the {team.strip()} team's plan: the directory lists them in {member.team}")
            )
