"""A QAPM meeting as a durable workflow: the performance pack before it, the chair's decisions after it.

Started (id `qapm-<meeting day>`) by the calendar's scheduler or the QA team, a
few working days before the meeting. The pack is compiled from the audit log 5
working days before the meeting (at once, if started later) and its figures and
file digest are recorded. The Director of Children's Services chairs it (or the
delegate they name) and records the decisions and who attended, a duty due 2
working days after it, chased like every other; the actions decided go into the
newest service-wide action plan through the plan's own update, and each cycle the
meeting decided to repeat is put in the QA calendar: an entry that starts the
repeat on its day. Meetings started before the Director chaired them keep their
ways (any senior leader; the duty the QA officer's).
"""

from __future__ import annotations

import asyncio
from datetime import date
from functools import partial

from temporalio import workflow

from domain import qapm
from domain.action_plan import PlanStarted
from domain.calendar_entry import EntryInput
from domain.directory import Role
from domain.errors import Refusal
from domain.events import SYSTEM_ACTOR
from domain.qapm import (
    DECISIONS_AFTER,
    DUTIES,
    PACK_BEFORE,
    ActionAdded,
    ChairDelegated,
    DecisionsRecorded,
    DelegateChair,
    MeetingStarted,
    PackCompiled,
    ProgressReview,
    QapmInput,
    QapmState,
    RecordDecisions,
    RepeatScheduled,
)
from domain.working_days import LONDON
from workflows.common import (
    ItemWorkflow,
    add_to_plan,
    first_working_day,
    opener,
    require,
    require_responsible,
    require_senior_leader,
    require_staff,
    run_activity,
)
from workflows.duties import DutyKeeper
from workflows.recording import check, recorded_update, refused
from workflows.timing import london_today

with workflow.unsafe.imports_passed_through():
    from activities.action_plans import AddFindings
    from activities.calendar_entries import EntryActivities
    from activities.deadlines import CalendarActivities, DueRequest, RepeatRequest
    from activities.directory import DirectoryActivities, RoleLookup
    from activities.qapm import CompilePack, CycleAsked, KnownItems, QapmActivities
    from activities.recording import AuditActivities, FindStreams

DECISIONS = "decisions"

__all__ = ["QapmInput", "QapmMeetingWorkflow"]


@workflow.defn(name=qapm.KIND.workflow_type)
class QapmMeetingWorkflow(ItemWorkflow[QapmState]):
    @workflow.init
    def __init__(self, request: QapmInput) -> None:
        super().__init__(qapm.evolve)
        self._duties = DutyKeeper(self._recorder, self._notifier, DUTIES, _title)

    @workflow.run
    async def run(self, request: QapmInput) -> QapmState:
        # The Director chairs: the decisions and who attended are theirs (or their delegate's) to record, and the
        # cycles the meeting repeats are scheduled. Meetings started before keep their ways to the end.
        self._chaired = workflow.patched("qapm-chaired-by-the-director")
        await self._start(request)
        await asyncio.gather(self._compile_pack(), self._duties.chase(finished=lambda: self._state().ended))
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._state()

    @workflow.query
    def state(self) -> QapmState | None:
        return self._recorder.state

    @recorded_update(qapm.check_decisions, lambda: workflow.now())
    async def record_decisions(self, request: RecordDecisions) -> QapmState:
        await workflow.wait_condition(lambda: self._recorder.state is not None)
        check(partial(qapm.check_decisions, chaired=self._chaired), self._state(), request, workflow.now())
        what = "record the meeting's decisions (the Director of Children's Services chairs it)"
        if self._chaired and self._state().chairs:
            await require_staff(request.actor, what)
        else:
            await require_senior_leader(request.actor, what)
        for attendee in request.attended if self._chaired else ():
            await require_staff(attendee, "be recorded as attending the meeting")
        await require_responsible(request.actions)
        items = tuple(answer.item for answer in request.progress)
        if items:
            unknown = await run_activity(QapmActivities.unknown_items, KnownItems(item_ids=items))
            if unknown:
                raise refused(
                    Refusal(f"the audit log holds no item {', '.join(unknown)}: name a cycle or review by its id")
                )
        plan_id, added = await self._add_to_plan(request)
        state = await self._recorder.record(
            request.actor,
            DecisionsRecorded(
                meeting_on=self._state().meeting_on,
                chair=request.actor,
                thematic_focus=_text(request.thematic_focus),
                practice_week_theme=_text(request.practice_week_theme),
                plan_id=plan_id,
                actions=added,
                progress=request.progress,
                notes=request.notes.strip(),
                attended=request.attended,
            ),
            self._duties.completed(DECISIONS),
            rule=lambda s: qapm.check_decisions(s, request, workflow.now(), chaired=self._chaired),
        )
        await self._duties.close_tasks(DECISIONS)
        if self._chaired:
            for answer in request.progress:
                if answer.repeat_cycle:
                    state = await self._schedule_repeat(answer)
        decided = [
            f"next thematic focus: {state.thematic_focus}" if state.thematic_focus else "",
            f"Practice Week theme: {state.practice_week_theme}" if state.practice_week_theme else "",
            f"actions {', '.join(a.action_id for a in added)} added to {plan_id}" if added else "",
            f"cycles to repeat: {', '.join(state.repeats)}" if state.repeats else "",
        ]
        await self._notifier.post(
            self._notifier.message(
                state.started_by,
                "info",
                "decisions",
                f"The decisions of {state.title} are recorded (chair {request.actor})",
                "; ".join(d for d in decided if d) or "Notes only.",
            )
        )
        return state

    @recorded_update(qapm.check_delegation)
    async def delegate_chair(self, request: DelegateChair) -> QapmState:
        """The Director names who chairs in their absence: the decisions duty moves to them, due as it was."""
        await workflow.wait_condition(lambda: self._recorder.state is not None)
        check(qapm.check_delegation, self._state(), request)
        await require(request.actor, "qapm.delegate_chair")
        await require_senior_leader(request.delegate, "chair the QAPM meeting")
        state = await self._recorder.record_built(
            request.actor,
            lambda s: (
                ChairDelegated(delegate=request.delegate, reason=request.reason.strip()),
                *self._duties.handed_over(s, DECISIONS, request.delegate),
            ),
            rule=lambda s: qapm.check_delegation(s, request),
        )
        await self._duties.close_tasks(DECISIONS)
        await self._duties.tell_owners(state, DECISIONS)
        return state

    # --- the engine's part -------------------------------------------------------------------------

    async def _schedule_repeat(self, answer: ProgressReview) -> QapmState:
        """Put the repeat of the answer's cycle in the QA calendar: an entry (workflows.calendar_entry) that waits
        for its day and starts the cycle, as the calendar's own do."""
        cycle = answer.cycle
        assert cycle is not None  # check_decisions: a repeat names a CPR cycle or one of its reviews
        facts = await run_activity(QapmActivities.cycle_facts, CycleAsked(cycle_id=cycle))
        if facts is None:  # a review named whose cycle the log does not hold: nothing to repeat
            return self._state()
        meeting_on = self._state().meeting_on
        planned = await run_activity(
            CalendarActivities.repeat_planned,
            RepeatRequest(
                service=facts.service, start_from=answer.repeat_from or _next_month(meeting_on), repeat_of=cycle
            ),
        )
        entry_id = await run_activity(
            EntryActivities.enter,
            EntryInput(
                planned=planned,
                installed_by=facts.started_by,
                sample_size=facts.sample_size,
                # Not from a calendar file: the meeting that decided it says where it came from.
                calendar_digest=self._id,
            ),
        )
        state = await self._recorder.record(
            SYSTEM_ACTOR,
            RepeatScheduled(
                item=answer.item, cycle_id=cycle, service=facts.service, start=planned.start, entry_id=entry_id
            ),
        )
        await self._notifier.post(
            self._notifier.message(
                facts.started_by,
                "info",
                f"repeat-{cycle}",
                f"The {facts.service} CPR cycle is to be repeated: it starts on {planned.start.isoformat()}",
                f"{state.title} decided to repeat {cycle}: {answer.reasons} The calendar entry {entry_id} starts it.",
            )
        )
        return state

    async def _start(self, request: QapmInput) -> None:
        await require(request.started_by, "qapm.start")
        actor, owner = opener(request)
        today = london_today()
        day = await first_working_day(request.meeting_on)
        if day.due_at.astimezone(LONDON).date() != request.meeting_on:
            raise refused(Refusal(f"{request.meeting_on.isoformat()} is not a working day"))
        if request.meeting_on < today:
            raise refused(
                Refusal(f"the meeting of {request.meeting_on.isoformat()} is past (today is {today.isoformat()})")
            )
        pack_day = await run_activity(
            CalendarActivities.due_at, DueRequest(start=request.meeting_on, working_days=-PACK_BEFORE)
        )
        decisions = await self._duties.due(request.meeting_on, DECISIONS_AFTER)
        director = await self._director() if self._chaired else None
        state = await self._recorder.record(
            actor,
            MeetingStarted(
                meeting_on=request.meeting_on,
                pack_due_at=qapm.pack_due(pack_day.due_at.astimezone(LONDON).date()),
                calendar_digest=day.calendar_digest,
                owner=owner,
                chair=director,
            ),
            self._duties.given(
                DECISIONS,
                director or request.started_by,
                "record the decisions of the QAPM meeting and who attended"
                if director
                else "record the chair's decisions of the QAPM meeting",
                decisions,
            ),
        )
        await self._duties.tell_owners(state, DECISIONS)

    async def _compile_pack(self) -> None:
        """5 working days before the meeting (at once if that has passed): the figures, the file, its digest."""
        wait = (self._state().pack_due_at - workflow.now()).total_seconds()
        if wait > 0:
            await workflow.sleep(wait)
        state = self._state()
        compiled = await run_activity(
            QapmActivities.compile_pack,
            CompilePack(meeting_id=self._id, meeting_on=state.meeting_on, compiled_at=workflow.now()),
        )
        state = await self._recorder.record(
            SYSTEM_ACTOR,
            PackCompiled(
                figures=compiled.figures,
                markdown_path=compiled.markdown_path,
                markdown_sha256=compiled.markdown_sha256,
            ),
        )
        await self._notifier.post(
            self._notifier.message(
                state.started_by,
                "info",
                "pack",
                f"The performance pack for {state.title} is ready",
                f"{compiled.markdown_path} (SHA-256 {compiled.markdown_sha256[:12]}...):"
                f" `qa qapm pack {self._id}`. Circulate it to the chair and those attending.",
            )
        )

    async def _add_to_plan(self, request: RecordDecisions) -> tuple[str | None, tuple[ActionAdded, ...]]:
        """The actions decided, carried into the newest service-wide plan by the QA officer for the chair."""
        if not request.actions:
            return None, ()
        plans = await run_activity(
            AuditActivities.streams_opened_with,
            FindStreams(event_type=PlanStarted.event_type, field="kind", value="service-wide"),
        )
        if not plans:
            raise refused(
                Refusal(
                    "no service-wide action plan has been started for the actions:"
                    " start one with `qa plan start --service-wide`"
                )
            )
        plan_id = plans[-1]
        actions = request.actions
        result = await add_to_plan(
            AddFindings(plan_id=plan_id, actor=self._state().started_by, source=self._id, actions=actions),
            "the service-wide action plan",
        )
        added = tuple(
            ActionAdded(action_id=action_id, **action.model_dump())
            for action_id, action in zip(result.action_ids, actions, strict=True)
        )
        return result.plan_id, added

    async def _director(self) -> str | None:
        """The Director of Children's Services, as the directory lists them (the first by staff id, if several)."""
        directors = await run_activity(DirectoryActivities.role_holders, RoleLookup(role=Role.DIRECTOR))
        active = sorted(m.staff_id for m in directors if m.active)
        return active[0] if active else None


def _next_month(day: date) -> date:
    """The first day of the month after `day`'s: a repeat's default start (the calendar's own months)."""
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _text(value: str | None) -> str | None:
    return value.strip() if value and value.strip() else None


def _title(state: QapmState) -> str:
    return f"QAPM: {state.title}."
