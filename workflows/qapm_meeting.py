"""A QAPM meeting as a durable workflow: the performance pack before it, the chair's decisions after it.

Started (id `qapm-<meeting day>`) by the calendar's scheduler or the QA team, a
few working days before the meeting. The pack is compiled from the audit log 5
working days before the meeting (at once, if started later) and its figures and
file digest are recorded. At the meeting the chair (a senior leader: the
Director of Children's Services chairs it) records the decisions; the actions
decided go into the newest service-wide action plan through the plan's own
update. Recording the decisions is a duty of the QA officer who started the
meeting, due 2 working days after it, chased like every other duty.
"""

from __future__ import annotations

import asyncio

from temporalio import workflow

from domain import qapm
from domain.action_plan import PlanStarted
from domain.errors import Refusal
from domain.events import SYSTEM_ACTOR
from domain.qapm import (
    DECISIONS_AFTER,
    DUTIES,
    PACK_BEFORE,
    ActionAdded,
    DecisionsRecorded,
    MeetingStarted,
    PackCompiled,
    QapmInput,
    QapmState,
    RecordDecisions,
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
    run_activity,
)
from workflows.duties import DutyKeeper
from workflows.recording import check, recorded_update, refused
from workflows.timing import london_today

with workflow.unsafe.imports_passed_through():
    from activities.action_plans import AddFindings
    from activities.deadlines import CalendarActivities, DueRequest
    from activities.qapm import CompilePack, KnownItems, QapmActivities
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
        check(qapm.check_decisions, self._state(), request, workflow.now())
        await require_senior_leader(
            request.actor, "record the meeting's decisions (the Director of Children's Services chairs it)"
        )
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
            ),
            self._duties.completed(DECISIONS),
            rule=lambda s: qapm.check_decisions(s, request, workflow.now()),
        )
        await self._duties.close_tasks(DECISIONS)
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

    # --- the engine's part -------------------------------------------------------------------------

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
        state = await self._recorder.record(
            actor,
            MeetingStarted(
                meeting_on=request.meeting_on,
                pack_due_at=qapm.pack_due(pack_day.due_at.astimezone(LONDON).date()),
                calendar_digest=day.calendar_digest,
                owner=owner,
            ),
            self._duties.given(
                DECISIONS, request.started_by, "record the chair's decisions of the QAPM meeting", decisions
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


def _text(value: str | None) -> str | None:
    return value.strip() if value and value.strip() else None


def _title(state: QapmState) -> str:
    return f"QAPM: {state.title}."
