"""A Good Practice Conversation as a durable workflow: a nominated team and its appreciative-inquiry record.

Started (id `gpc-<month start>`) by the calendar's scheduler or the QA team. The
heads of service are asked for a nomination; one nominates a team; then the
appreciative inquiry is recorded (by the QA team or the head of service who
nominated the team), and the team and the staff interviewed are told their
practice was recognised. Both deadlines are duties of the QA officer who started it.
"""

from __future__ import annotations

from datetime import date

from temporalio import workflow

from domain import good_practice
from domain.directory import Role
from domain.errors import Refusal
from domain.good_practice import (
    DUTIES,
    NOMINATE_AFTER,
    GpcInput,
    GpcStarted,
    GpcState,
    InquiryRecorded,
    NominateTeam,
    RecordInquiry,
    TeamNominated,
    next_month,
)
from domain.permissions import QA_TEAM
from domain.working_days import LONDON
from workflows.common import (
    ItemWorkflow,
    first_working_day,
    opener,
    require,
    require_role,
    run_activity,
    run_activity_or_refuse,
)
from workflows.duties import DutyKeeper
from workflows.recording import check, recorded_update, refused

with workflow.unsafe.imports_passed_through():
    from activities.directory import DirectoryActivities, RoleLookup, StaffLookup, TeamLookup

NOMINATE = "nominate"
RECORD = "record"

__all__ = ["GoodPracticeWorkflow", "GpcInput"]


@workflow.defn(name=good_practice.KIND.workflow_type)
class GoodPracticeWorkflow(ItemWorkflow[GpcState]):
    @workflow.init
    def __init__(self, request: GpcInput) -> None:
        super().__init__(good_practice.evolve)
        self._duties = DutyKeeper(self._recorder, self._notifier, DUTIES, _title)

    @workflow.run
    async def run(self, request: GpcInput) -> GpcState:
        await self._start(request)
        await self._duties.chase(finished=lambda: self._state().ended)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._state()

    @workflow.query
    def state(self) -> GpcState | None:
        return self._recorder.state

    @recorded_update(good_practice.check_nomination)
    async def nominate(self, request: NominateTeam) -> GpcState:
        await workflow.wait_condition(lambda: self._recorder.state is not None)
        check(good_practice.check_nomination, self._state(), request)
        await require(request.actor, "gpc.nominate")
        name = " ".join(request.team.split())
        team = await run_activity_or_refuse(
            DirectoryActivities.team, TeamLookup(team=name), "SampleRefused", f"the {name} team"
        )
        if not team.staff:
            raise refused(Refusal(f"the directory has no active staff in a team called {name!r}"))
        managers = tuple(m.staff_id for m in team.staff if Role.TEAM_MANAGER in m.roles)
        state = await self._recorder.record(
            request.actor,
            TeamNominated(team=name, good_practice=request.good_practice.strip(), team_managers=managers),
            self._duties.completed(NOMINATE),
            rule=lambda s: good_practice.check_nomination(s, request),
        )
        await self._duties.close_tasks(NOMINATE)
        await self._notifier.post(
            *(
                self._notifier.message(
                    person,
                    "info",
                    "nominated",
                    f"The {name} team is nominated for {state.title} by {request.actor}",
                    f"To share: {state.good_practice}. An appreciative inquiry interview draws out what worked well;"
                    " the Chief Executive and the Lead Member are invited.",
                )
                for person in dict.fromkeys((*managers, state.started_by))
            )
        )
        return state

    @recorded_update(good_practice.check_record, lambda: workflow.now())
    async def record_inquiry(self, request: RecordInquiry) -> GpcState:
        await workflow.wait_condition(lambda: self._recorder.state is not None)
        check(good_practice.check_record, self._state(), request, workflow.now())
        if request.actor != self._state().nominated_by:
            await require_role(
                request.actor,
                QA_TEAM,
                "record the appreciative inquiry (the QA team or the head of service who nominated the team)",
            )
        for staff_id in request.record.interviewed:
            member = await run_activity(DirectoryActivities.staff_member, StaffLookup(staff_id=staff_id))
            if member is None or not member.active:
                raise refused(
                    Refusal(f"{staff_id} is not an active member of staff: name the staff interviewed by their ids")
                )
        state = await self._recorder.record(
            request.actor,
            InquiryRecorded(record=request.record),
            self._duties.completed(RECORD),
            rule=lambda s: good_practice.check_record(s, request, workflow.now()),
        )
        await self._duties.close_tasks(RECORD)
        told = dict.fromkeys((state.nominated_by or "", *state.team_managers, *request.record.interviewed))
        await self._notifier.post(
            *(
                self._notifier.message(
                    person,
                    "info",
                    "recognised",
                    f"Good practice recognised: the {state.team} team, {state.title}",
                    f"What worked well: {request.record.worked_well}. Shared: {request.record.shared}.",
                )
                for person in told
                if person
            )
        )
        return state

    # --- the engine's part -------------------------------------------------------------------------

    async def _start(self, request: GpcInput) -> None:
        await require(request.started_by, "gpc.start")
        actor, owner = opener(request)
        if workflow.patched("gpc-starts-on-its-months-first-working-day"):
            # One conversation a month, named by its month's first working day: never a second for the same month.
            first = (await first_working_day(request.month_start.replace(day=1))).due_at.astimezone(LONDON).date()
            if request.month_start != first:
                raise refused(
                    Refusal(
                        f"a Good Practice Conversation starts on its month's first working day:"
                        f" {first.isoformat()}, not {request.month_start.isoformat()}"
                    )
                )
        nominate = await self._duties.due(request.month_start, NOMINATE_AFTER)
        record = await self._duties.due(next_month(request.month_start), -1)  # the month's last working day
        if record.due_at <= workflow.now():
            raise refused(Refusal(f"the month of {request.month_start.isoformat()} is over"))
        if nominate.due_at > record.due_at:  # only a start later in the month, as before the rule above
            raise refused(
                Refusal(
                    f"a nomination due {nominate.due_at.astimezone(LONDON).date().isoformat()} leaves no time to hold"
                    f" the conversation within the month: start it earlier in the month"
                )
            )
        state = await self._recorder.record(
            actor,
            GpcStarted(month_start=request.month_start, calendar_digest=record.calendar_digest, owner=owner),
            self._duties.given(NOMINATE, request.started_by, "get a team nominated by a head of service", nominate),
            self._duties.given(RECORD, request.started_by, "record the appreciative inquiry", record),
        )
        await self._duties.tell_owners(state, NOMINATE, RECORD)
        heads = await run_activity(DirectoryActivities.role_holders, RoleLookup(role=Role.HEAD_OF_SERVICE))
        by = _day(nominate.due_at.astimezone(LONDON).date())
        await self._notifier.post(
            *(
                self._notifier.message(
                    head.staff_id,
                    "info",
                    "nominate",
                    f"Nominate a team to share its good practice at {state.title}, by {by}",
                    f"`qa gpc nominate {self._id} --team TEAM --good-practice TEXT --as {head.staff_id}`",
                )
                for head in heads
            )
        )


def _day(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def _title(state: GpcState) -> str:
    return f"Good Practice Conversation: {state.title}."
