"""One activity of the installed calendar, started by its Temporal Schedule on its working day (or, for a repeat a
QAPM meeting decided, entered at once by the meeting and waiting for its day).

The schedule carries the planned activity (computed from the calendar when it was
installed); this workflow starts the activity's own workflow with an id people
know (`cpr-2027-03-01-...`), so a scheduled cycle is the same item a QA officer
would have started by hand. What needs a person first waits for them, chased.
"""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from typing import Any

from pydantic import BaseModel, ValidationError
from temporalio import workflow
from temporalio.exceptions import ApplicationError, ChildWorkflowError, WorkflowAlreadyStartedError
from temporalio.workflow import ParentClosePolicy

from domain import calendar_entry, cpr_cycle, good_practice, practice_week, qapm, spotlight, thematic
from domain.calendar_entry import (
    ARRANGE_WITHIN,
    DUTIES,
    FOCUS_WITHIN,
    ArrangeSpotlight,
    EntryInput,
    EntryNoted,
    EntryOpened,
    EntryState,
    FocusSet,
    ItemRefused,
    ItemStarted,
    SetFocus,
    SpotlightArranged,
)
from domain.events import SYSTEM_ACTOR
from domain.good_practice import GpcInput, gpc_id
from domain.naming import case_audit_id, cycle_id, spotlight_id
from domain.practice_week import PracticeWeekInput, week_id
from domain.qa_calendar import PlannedActivity, starts_at
from domain.qapm import QapmInput, meeting_id
from workflows.common import ItemWorkflow, require, run_activity
from workflows.cpr_cycle import CycleInput
from workflows.duties import DutyKeeper
from workflows.recording import check, recorded_update
from workflows.spotlight import SpotlightInput
from workflows.thematic_review import ThematicInput
from workflows.timing import london_today

with workflow.unsafe.imports_passed_through():
    from activities.qapm import LatestDecision, QapmActivities
    from activities.recording import AuditActivities, FindStreams

# A refused start fails the item's workflow within its first tasks; one still
# running after this long has recorded its opening.
REFUSAL_WINDOW = timedelta(minutes=10)


@workflow.defn(name=calendar_entry.KIND.workflow_type)
class CalendarEntryWorkflow(ItemWorkflow[EntryState]):
    @workflow.init
    def __init__(self, request: EntryInput) -> None:
        super().__init__(calendar_entry.evolve)
        self._duties = DutyKeeper(self._recorder, self._notifier, DUTIES, _title)

    @workflow.run
    async def run(self, request: EntryInput) -> EntryState:
        planned = request.planned
        # What the calendar starts on its day opens as the calendar itself (domain.events.CALENDAR_ACTOR),
        # for the QA officer who installed it; before, it opened as that officer.
        self._as_itself = workflow.patched("calendar-starts-as-itself")
        await self._recorder.record(
            SYSTEM_ACTOR,
            EntryOpened(planned=planned, installed_by=request.installed_by, calendar_digest=request.calendar_digest),
        )
        # A repeat a QAPM meeting decided is entered at once and waits for its day (a schedule fires on it, or earlier
        # when the QA team fires it by hand: that one starts at once).
        if (
            planned.repeat_of is not None
            and planned.start > london_today()
            and workflow.patched("entry-waits-for-its-day")
        ):
            await workflow.sleep(starts_at(planned) - workflow.now())
        match planned.activity:
            case "cpr":
                await self._start_item(
                    cpr_cycle.KIND.workflow_type,
                    cycle_id(planned.subject or "", planned.start),
                    CycleInput,
                    {
                        "service": planned.subject,
                        "start": planned.start,
                        "sample_size": request.sample_size,
                        **self._starter(request),
                    },
                )
            case "thematic":
                await self._thematic(request)
            case "spotlight":
                await self._spotlight()
            case "cslt":
                await self._cslt()
            case _:
                await self._start_item(*_meeting(planned, self._starter(request)))
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._state()

    @workflow.query
    def state(self) -> EntryState | None:
        return self._recorder.state

    # --- people's parts ------------------------------------------------------------------------

    @recorded_update(calendar_entry.check_focus)
    async def set_focus(self, request: SetFocus) -> EntryState:
        await workflow.wait_condition(lambda: self._recorder.state is not None)
        check(calendar_entry.check_focus, self._state(), request)
        await require(request.actor, "entry.set_focus")
        return await self._recorder.record(
            request.actor,
            FocusSet(focus=request.focus.strip(), source=request.actor),
            self._duties.completed("focus"),
            rule=lambda s: calendar_entry.check_focus(s, request),
        )

    @recorded_update(calendar_entry.check_arrangement)
    async def arrange(self, request: ArrangeSpotlight) -> EntryState:
        """Name the spotlight's lead and members; its workflow then judges them, as for any spotlight."""
        await workflow.wait_condition(lambda: self._recorder.state is not None)
        check(calendar_entry.check_arrangement, self._state(), request)
        await require(request.actor, "entry.arrange")
        planned = self._state().planned
        day = request.day or next(w.due for w in planned.windows if w.name == "spotlight day")
        await self._recorder.record(
            request.actor,
            SpotlightArranged(lead=request.lead, members=request.members, day=day, arranged_by=request.actor),
            rule=lambda s: calendar_entry.check_arrangement(s, request),
        )
        return self._state()

    # --- the engine's part ---------------------------------------------------------------------

    async def _thematic(self, request: EntryInput) -> None:
        """Start with the focus the QAPM meeting set; without one, ask the QA officer and wait."""
        planned = request.planned
        focus = await self._qapm_focus(planned.start)
        if focus is not None:
            await self._recorder.record(SYSTEM_ACTOR, FocusSet(focus=focus[0], source=focus[1]))
        else:
            await self._ask("focus", f"get the focus of {planned.title} set (the QAPM meeting set none)", FOCUS_WITHIN)
            await self._duties.chase(finished=lambda: self._state().focus is not None)
            await self._duties.close_tasks("focus")
        state = self._state()
        await self._start_item(
            thematic.KIND.workflow_type,
            case_audit_id("thematic", planned.start, state.focus or ""),
            ThematicInput,
            {
                "focus": state.focus,
                "start": _today_or(planned.start),
                "sample_size": request.sample_size,
                **self._starter(request),
            },
        )

    async def _spotlight(self) -> None:
        """Ask the QA team to arrange it, and start each arrangement until one is not refused."""
        planned = self._state().planned
        await self._ask("arrangement", f"arrange {planned.title}: its lead and 3 or 4 members", ARRANGE_WITHIN)
        chasing = asyncio.ensure_future(self._duties.chase(finished=lambda: self._state().ended))
        while self._state().status != "started":
            await workflow.wait_condition(lambda: self._state().arranged is not None)
            arranged = self._state().arranged
            assert arranged is not None
            await self._start_item(
                spotlight.KIND.workflow_type,
                spotlight_id(planned.subject or "", arranged.day),
                SpotlightInput,
                {
                    "team": planned.subject,
                    "day": arranged.day,
                    "lead": arranged.lead,
                    "members": arranged.members,
                    "started_by": arranged.arranged_by,
                },
            )
        await chasing
        await self._recorder.record(SYSTEM_ACTOR, self._duties.completed("arrangement"))
        await self._duties.close_tasks("arrangement")

    def _starter(self, request: EntryInput) -> dict[str, str]:
        """Who starts what the entry starts on its day (domain.events.StartedBy): its installer, and this entry."""
        starter = {"started_by": request.installed_by}
        return {**starter, "scheduled_by": workflow.info().workflow_id} if self._as_itself else starter

    async def _ask(self, key: str, what: str, within: int) -> None:
        """Give the QA officer who installed the calendar a duty, chased like every other."""
        due = await self._duties.due(london_today(), within)
        state = await self._recorder.record(
            SYSTEM_ACTOR, self._duties.given(key, self._state().installed_by, what, due)
        )
        await self._duties.tell_owners(state, key)

    async def _cslt(self) -> None:
        plans = await run_activity(
            AuditActivities.streams_opened_with,
            FindStreams(event_type="plan.started", field="kind", value="service-wide"),
        )
        if plans:
            note = f"CSLT action planning this month is the quarterly review of {plans[-1]}"
        else:
            note = "CSLT action planning is due this month, but no service-wide plan is running: start one"
        state = await self._recorder.record(SYSTEM_ACTOR, EntryNoted(note=note))
        await self._notifier.post(
            self._notifier.message(state.installed_by, "info" if plans else "escalation", "cslt", note, _title(state))
        )

    async def _start_item(
        self, workflow_type: str, item_id: str, input_type: type[BaseModel], fields: dict[str, Any]
    ) -> None:
        """Start the activity's workflow; its refusal (it then records nothing) is recorded and told."""
        try:
            argument = input_type(**fields)
        except ValidationError as exc:
            problem = exc.errors()[0]
            await self._refused(item_id, f"{'.'.join(map(str, problem['loc']))}: {problem['msg']}")
            return
        try:
            handle = await workflow.start_child_workflow(
                workflow_type,
                argument,
                id=item_id,
                # The item lives on its own, whatever happens to this entry.
                parent_close_policy=ParentClosePolicy.ABANDON,
            )
        except WorkflowAlreadyStartedError:
            await self._refused(item_id, f"{item_id} was already started")
            return
        waiting = asyncio.ensure_future(handle)
        try:
            await workflow.wait_condition(lambda: waiting.done(), timeout=REFUSAL_WINDOW)
        except TimeoutError:
            pass
        if waiting.done() and waiting.exception() is not None:
            await self._refused(item_id, _why(waiting.exception()))
        else:
            await self._recorder.record(SYSTEM_ACTOR, ItemStarted(item_id=item_id, workflow_type=workflow_type))

    async def _refused(self, item_id: str, reason: str) -> None:
        state = await self._recorder.record(SYSTEM_ACTOR, ItemRefused(item_id=item_id, reason=reason))
        await self._notifier.post(
            self._notifier.message(
                state.installed_by,
                "escalation",
                f"refused-v{state.version}",
                f"{state.title} could not start: {reason}",
                _title(state),
            )
        )

    async def _qapm_focus(self, start: date) -> tuple[str, str] | None:
        decided = await run_activity(
            QapmActivities.latest_decision, LatestDecision(field="thematic_focus", before=start)
        )
        if decided is None:
            return None
        used = await run_activity(
            AuditActivities.streams_opened_with,
            FindStreams(event_type="thematic.started", field="focus", value=decided.value),
        )
        return None if used else (decided.value, decided.meeting_id)


def _title(state: EntryState) -> str:
    return f"Calendar: {state.title}."


def _today_or(start: date) -> date:
    """A review waiting for its focus starts when it gets one, not on its planned day."""
    return max(start, london_today())


def _meeting(planned: PlannedActivity, starter: dict[str, str]) -> tuple[str, str, type[BaseModel], dict[str, Any]]:
    match planned.activity:
        case "qapm":
            meeting = next(w.due for w in planned.windows if w.name == "meeting")
            fields: dict[str, Any] = {"meeting_on": meeting, **starter}
            return qapm.KIND.workflow_type, meeting_id(meeting), QapmInput, fields
        case "gpc":
            fields = {"month_start": planned.start, **starter}
            return good_practice.KIND.workflow_type, gpc_id(planned.start), GpcInput, fields
        case _:
            fields = {"week_start": planned.start, **starter}
            return practice_week.KIND.workflow_type, week_id(planned.start), PracticeWeekInput, fields


def _why(error: BaseException | None) -> str:
    cause = error
    while cause is not None:
        if isinstance(cause, ApplicationError):
            return cause.message.removeprefix("Refused: ")
        cause = getattr(cause, "cause", None) or cause.__cause__
    return str(error) if not isinstance(error, ChildWorkflowError) else "its workflow failed"
