"""A Team Spotlight as a durable workflow, from the preparation to the finalised report.

Every deadline of the spotlight is a duty (workflows.duties) computed once from
the working-day clock and chased on its own; the people's parts are updates.
Finalising the report carries its SMART actions into the plan of each team visited,
through the plan's own update (activities.action_plans), before it is recorded.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from pydantic import Field
from temporalio import workflow

from domain import spotlight
from domain.directory import Role
from domain.duties import duty
from domain.errors import Refusal
from domain.frozen import Frozen
from domain.naming import team_plan_id
from domain.spotlight import (
    CASE_LIST_BEFORE,
    DOCUMENTS_BEFORE,
    DRAFT_AFTER,
    DUTIES,
    FINALISE_AFTER,
    MEMBERS,
    RECORD_AFTER,
    RESEND_AFTER,
    AgreePlan,
    AllocateCases,
    CaseListSent,
    CasesAllocated,
    CasesNominated,
    CommentOnDraft,
    DocumentsSent,
    DraftCommented,
    DraftReportSent,
    DraftReturned,
    DraftShared,
    FeedbackGiven,
    FinaliseReport,
    GiveFeedback,
    GiveRecord,
    MemberRecordGiven,
    NominateCases,
    PartReallocated,
    PlanActions,
    PlanAgreed,
    ReallocatePart,
    ReportFinalised,
    ReturnDraft,
    SendCaseList,
    SendDocuments,
    SendDraft,
    ShareDraft,
    SpotlightStarted,
    SpotlightState,
    record_key,
)
from domain.working_days import LONDON
from workflows.common import (
    ItemWorkflow,
    add_to_plan,
    first_working_day,
    require,
    require_responsible,
    require_role,
    require_senior_leader,
    run_activity,
    run_activity_or_refuse,
)
from workflows.duties import DutyKeeper
from workflows.recording import check, recorded_update, refused
from workflows.timing import london_today

with workflow.unsafe.imports_passed_through():
    from activities.action_plans import AddFindings
    from activities.directory import DirectoryActivities, RoleLookup, TeamLookup, TeamView
    from activities.recording import AuditActivities, FindStreams


class SpotlightInput(Frozen):
    team: str = Field(min_length=1)
    day: date
    lead: str = Field(min_length=1)
    members: tuple[str, ...]
    started_by: str = Field(min_length=1)
    other_teams: tuple[str, ...] = ()  # more teams visited in the same spotlight


@workflow.defn(name=spotlight.KIND.workflow_type)
class SpotlightWorkflow(ItemWorkflow[SpotlightState]):
    @workflow.init
    def __init__(self, request: SpotlightInput) -> None:
        super().__init__(spotlight.evolve)
        self._duties = DutyKeeper(self._recorder, self._notifier, DUTIES, _title)

    @workflow.run
    async def run(self, request: SpotlightInput) -> SpotlightState:
        # The lead's feedback on the day is a duty and the draft is consulted on before it is sent; spotlights
        # started before keep their ways to the end.
        self._consults = workflow.patched("spotlight-feedback-and-consultation")
        await self._start(request)
        await self._duties.chase(finished=lambda: self._state().ended)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._state()

    @workflow.query
    def state(self) -> SpotlightState | None:
        return self._recorder.state

    # --- before the day --------------------------------------------------------------------------

    @recorded_update(spotlight.check_documents)
    async def send_documents(self, request: SendDocuments) -> SpotlightState:
        state = await self._recorder.record(
            request.actor,
            DocumentsSent(documents=request.documents),
            self._duties.completed("documents"),
            rule=lambda s: spotlight.check_documents(s, request),
        )
        await self._duties.close_tasks("documents")
        listed = "; ".join(f"{spotlight.DOCUMENT_KINDS[d.kind]}: {d.reference}" for d in request.documents)
        await self._notifier.post(
            *(
                self._notifier.message(p, "info", "documents", f"Key documents for {state.title}", listed)
                for p in (state.lead, *state.members)
            )
        )
        return state

    @recorded_update(spotlight.check_nomination)
    async def nominate(self, request: NominateCases) -> SpotlightState:
        await workflow.wait_condition(lambda: self._recorder.state is not None)
        check(spotlight.check_nomination, self._state(), request)
        held = {c.case_number for team in await self._visited() for c in team.cases if c.practitioner == request.actor}
        unknown = [c for c in (request.proud, request.challenging) if c not in held]
        if unknown:
            raise refused(
                Refusal(
                    f"{', '.join(unknown)}: not among your open cases in the {' and '.join(self._state().teams)} team"
                    f" ({', '.join(sorted(held)) or 'none in the newest cases import'})"
                )
            )
        nomination = spotlight.Nomination(
            practitioner=request.actor, proud=request.proud, challenging=request.challenging
        )
        return await self._recorder.record(
            request.actor,
            CasesNominated(nomination=nomination),
            rule=lambda s: spotlight.check_nomination(s, request),
        )

    @recorded_update(spotlight.check_case_list)
    async def send_case_list(self, request: SendCaseList) -> SpotlightState:
        state = await self._recorder.record_built(
            request.actor,
            lambda s: (CaseListSent(nominations=s.nominations), self._duties.completed("case-list")),
            rule=lambda s: spotlight.check_case_list(s, request),
        )
        await self._duties.close_tasks("case-list")
        await self._notifier.post(
            self._notifier.message(
                state.lead,
                "info",
                "case-list",
                f"The proud and challenging list for {state.title}",
                "; ".join(f"{n.practitioner}: proud {n.proud}, challenging {n.challenging}" for n in state.nominations),
            )
        )
        return state

    # --- the day and after -----------------------------------------------------------------------

    @recorded_update(spotlight.check_allocation, lambda: workflow.now())
    async def allocate(self, request: AllocateCases) -> SpotlightState:
        await workflow.wait_condition(lambda: self._recorder.state is not None)
        check(spotlight.check_allocation, self._state(), request, workflow.now())
        teams = await self._visited()
        if teams[0].snapshot_id is None:
            raise refused(Refusal("no open cases were imported yet: run `qa cases import`"))
        seed = workflow.uuid4().hex
        team_cases = tuple(c.case_number for team in teams for c in team.cases)
        state = self._state()
        try:
            allocations = spotlight.allocate(state.members, state.nominations, team_cases, seed)
        except Refusal as exc:
            raise refused(exc) from None
        state = await self._recorder.record(
            request.actor,
            CasesAllocated(seed=seed, snapshot_id=teams[0].snapshot_id, team_cases=team_cases, allocations=allocations),
            rule=lambda s: spotlight.check_allocation(s, request, workflow.now()),
        )
        await self._notifier.post(
            *(
                self._notifier.message(
                    a.member,
                    "info",
                    "allocation",
                    f"Your children for {state.title}: {a.random} (random), {a.proud} (proud),"
                    f" {a.challenging} (challenging)",
                    "Record what you find on the Spotlight Team Member Information Record.",
                )
                for a in allocations
            )
        )
        return state

    @recorded_update(spotlight.check_record)
    async def give_record(self, request: GiveRecord) -> SpotlightState:
        state = await self._recorder.record(
            request.actor,
            MemberRecordGiven(member=request.actor, record=request.record),
            self._duties.completed(record_key(request.actor)),
            rule=lambda s: spotlight.check_record(s, request),
        )
        await self._notifier.close(record_key(request.actor))
        return state

    @recorded_update(spotlight.check_feedback)
    async def give_feedback(self, request: GiveFeedback) -> SpotlightState:
        """On the day the lead feeds back to the visited teams' managers and heads of service."""
        await workflow.wait_condition(lambda: self._recorder.state is not None)
        check(spotlight.check_feedback, self._state(), request)
        managers = set(self._state().team_managers)
        for person in request.to:
            if person not in managers:
                await require_role(
                    person,
                    Role.HEAD_OF_SERVICE,
                    "be given a spotlight's feedback (it goes to the visited teams' managers and heads of service)",
                )
        state = await self._recorder.record_built(
            request.actor,
            lambda s: (
                FeedbackGiven(to=request.to, actions=request.actions.strip()),
                *self._duties.completed_if_open(s, "feedback"),
            ),
            rule=lambda s: spotlight.check_feedback(s, request),
        )
        await self._duties.close_tasks("feedback")
        return state

    @recorded_update(spotlight.check_share, london_today)
    async def share_draft(self, request: ShareDraft) -> SpotlightState:
        """The lead sends the draft to the rest of the spotlight team for comment and review."""
        await workflow.wait_condition(lambda: self._recorder.state is not None)
        today = london_today()
        check(spotlight.check_share, self._state(), request, today)
        await require_responsible(request.report.actions)
        state = await self._recorder.record(
            request.actor, DraftShared(report=request.report), rule=lambda s: spotlight.check_share(s, request, today)
        )
        await self._notifier.post(
            *(
                self._notifier.message(
                    m,
                    "info",
                    f"draft-shared-v{state.version}",
                    f"The draft report of {state.title}, for your comments",
                    f"Read it with `qa spotlight report {self._id} --shared`; comment with"
                    f" `qa spotlight comment {self._id} --comments TEXT`.",
                )
                for m in state.members
            )
        )
        return state

    @recorded_update(spotlight.check_comment)
    async def comment(self, request: CommentOnDraft) -> SpotlightState:
        state = await self._recorder.record(
            request.actor,
            DraftCommented(member=request.actor, comments=request.comments.strip()),
            rule=lambda s: spotlight.check_comment(s, request),
        )
        await self._notifier.post(
            self._notifier.message(
                state.lead,
                "info",
                f"comments-v{state.version}",
                f"{request.actor}'s comments on the draft of {state.title}",
                request.comments.strip(),
            )
        )
        return state

    @recorded_update(spotlight.check_plan_agreement)
    async def agree_plan(self, request: AgreePlan) -> SpotlightState:
        """The lead records the draft's action plan discussed with the heads of service, so it is realistic."""
        await workflow.wait_condition(lambda: self._recorder.state is not None)
        check(spotlight.check_plan_agreement, self._state(), request)
        for head in dict.fromkeys(request.heads_of_service):
            await require_role(head, Role.HEAD_OF_SERVICE, "agree a spotlight's action plan (the heads of service do)")
        return await self._recorder.record(
            request.actor,
            PlanAgreed(heads_of_service=tuple(dict.fromkeys(request.heads_of_service)), note=request.note.strip()),
            rule=lambda s: spotlight.check_plan_agreement(s, request),
        )

    @recorded_update(spotlight.check_draft, london_today)
    async def send_draft(self, request: SendDraft) -> SpotlightState:
        await workflow.wait_condition(lambda: self._recorder.state is not None)
        today = london_today()
        check(spotlight.check_draft, self._state(), request, today)
        await require_responsible(request.report.actions)
        heads = await run_activity(DirectoryActivities.role_holders, RoleLookup(role=Role.HEAD_OF_QA))
        if not heads:
            raise refused(Refusal("the directory names no Head of Service QA and Safeguarding to finalise the report"))
        finaliser = heads[0].staff_id
        due = await self._duties.due(today, FINALISE_AFTER)
        late = [a for a in request.report.actions if a.by_when <= due.due_at.astimezone(LONDON).date()]
        if late:
            raise refused(
                Refusal(
                    f"action '{late[0].action}' is due by {late[0].by_when.isoformat()}, before the report can be"
                    f" finalised ({due.due_at.astimezone(LONDON).date().isoformat()}): give it a later date"
                )
            )
        state = await self._recorder.record_built(
            request.actor,
            lambda s: (
                DraftReportSent(report=request.report, records_viewed=spotlight.records_viewed(s), finaliser=finaliser),
                self._duties.completed("draft"),
                self._duties.given("finalise", finaliser, f"finalise the report of {s.title}", due),
            ),
            rule=lambda s: spotlight.check_draft(s, request, today),
        )
        await self._duties.close_tasks("draft")
        await self._duties.tell_owners(state, "finalise")
        return state

    @recorded_update(spotlight.check_return)
    async def return_draft(self, request: ReturnDraft) -> SpotlightState:
        """The Head of Service QA and Safeguarding sends the draft back with reasons: the lead sends it again within
        RESEND_AFTER working days, and its finalising starts again from then."""
        await workflow.wait_condition(lambda: self._recorder.state is not None)
        check(spotlight.check_return, self._state(), request)
        due = await self._duties.due(london_today(), RESEND_AFTER)
        reasons = request.reasons.strip()
        state = await self._recorder.record_built(
            request.actor,
            lambda s: (
                DraftReturned(reasons=reasons),
                self._duties.completed("finalise"),
                self._duties.given("draft", s.lead, "send the draft report, revised, to the QA team", due),
            ),
            rule=lambda s: spotlight.check_return(s, request),
        )
        await self._duties.close_tasks("finalise")
        await self._duties.tell_owners(state, "draft")
        await self._notifier.post(
            self._notifier.message(
                state.lead, "info", f"returned-v{state.version}", f"The draft of {state.title} is returned", reasons
            )
        )
        return state

    @recorded_update(spotlight.check_reallocation)
    async def reallocate(self, request: ReallocatePart) -> SpotlightState:
        """The QA team gives the lead's or a member's part to someone else: their duties (due as they were) and, once
        allocated, their children go with it; both are told."""
        await workflow.wait_condition(lambda: self._recorder.state is not None)
        check(spotlight.check_reallocation, self._state(), request)
        await require(request.actor, "spotlight.reallocate")
        state = self._state()
        part = spotlight.part_of(state, request.previous)
        if part == "lead":
            await require_senior_leader(request.to, "lead a spotlight (the lead is a senior manager)")
        else:
            await require_role(request.to, (Role.TEAM_MANAGER, Role.REVIEWER), "be a spotlight team member")
            _from_elsewhere(request.to, zip(state.teams, await self._visited(), strict=True))
        # The lead's open duties keep their keys; a member's record is keyed by its member.
        named = (
            (("draft", "draft"), ("feedback", "feedback"))
            if part == "lead"
            else ((record_key(request.previous), record_key(request.to)),)
        )
        keys = tuple((old, new) for old, new in named if (d := duty(state, old)) is not None and d.open)
        state = await self._recorder.record_built(
            request.actor,
            lambda s: (
                PartReallocated(part=part, previous=request.previous, to=request.to, reason=request.reason.strip()),
                *(e for old, new in keys for e in self._duties.handed_over(s, old, request.to, new)),
            ),
            rule=lambda s: spotlight.check_reallocation(s, request),
        )
        await self._duties.close_tasks(*(old for old, _ in keys))
        await self._duties.tell_owners(state, *(new for _, new in keys))
        await self._notifier.post(
            self._notifier.message(
                request.previous,
                "info",
                f"reallocated-{request.previous}",
                f"Your part in {state.title} is now {request.to}'s",
                f"{self._id}: {request.reason.strip()}",
            )
        )
        return state

    @recorded_update(spotlight.check_finalise)
    async def finalise(self, request: FinaliseReport) -> SpotlightState:
        await workflow.wait_condition(lambda: self._recorder.state is not None)
        check(spotlight.check_finalise, self._state(), request)
        state = self._state()
        assert state.report is not None
        # Each team visited takes the report's actions into its own plan (its team manager owns it).
        plans = [
            await add_to_plan(
                AddFindings(
                    plan_id=team_plan_id(team),
                    actor=request.actor,
                    source=self._id,
                    actions=state.report.actions,
                    team=team,
                    team_manager=manager,
                ),
                f"the {team} team's action plan",
            )
            for team, manager in zip(state.teams, state.team_managers, strict=True)
        ]
        added = plans[0]
        circulated = (*state.team_managers, state.lead)
        state = await self._recorder.record(
            request.actor,
            ReportFinalised(
                note=request.note.strip(),
                plan_id=added.plan_id,
                plan_actions=added.action_ids,
                circulated_to=circulated,
                other_plans=tuple(PlanActions(plan_id=p.plan_id, actions=p.action_ids) for p in plans[1:]),
            ),
            self._duties.completed("finalise"),
            rule=lambda s: spotlight.check_finalise(s, request),
        )
        await self._duties.close_tasks("finalise")
        await self._notifier.post(
            *(
                self._notifier.message(
                    person,
                    "info",
                    "finalised",
                    f"The report of {state.title} is final: {state.report.grade.value if state.report else ''}",
                    "For wider team circulation and discussion. Its actions are in "
                    + "; ".join(f"{p.plan_id} ({', '.join(p.action_ids)})" for p in plans)
                    + f". Read it with `qa spotlight report {self._id}`.",
                )
                for person in circulated
            )
        )
        return state

    # --- the engine's part -------------------------------------------------------------------------

    async def _start(self, request: SpotlightInput) -> None:
        """Check who takes part, compute every deadline from the day, and record them with the start."""
        await require(request.started_by, "spotlight.start")
        team_name = " ".join(request.team.split())
        members = request.members
        if not MEMBERS[0] <= len(members) <= MEMBERS[1] or len(set(members)) != len(members):
            raise refused(Refusal(f"a spotlight team is 3 or 4 different people, not {len(members)}"))
        if request.lead in members:
            raise refused(Refusal(f"{request.lead} leads the spotlight and cannot also be a member"))
        await require_senior_leader(request.lead, "lead a spotlight (the lead is a senior manager)")
        others = tuple(dict.fromkeys(" ".join(t.split()) for t in request.other_teams))
        if team_name in others:
            raise refused(Refusal(f"{team_name} is the spotlight's team: name each other team visited once"))
        visited = [(name, await self._team(name)) for name in (team_name, *others)]
        for name, team in visited:
            if not team.staff:
                raise refused(Refusal(f"the directory has no active staff in a team called {name!r}"))
        for member in members:
            await require_role(member, (Role.TEAM_MANAGER, Role.REVIEWER), "be a spotlight team member")
            _from_elsewhere(member, visited)
        managers_found = []
        for name, team in visited:
            managers = spotlight.team_managers(team.staff)
            if not managers and workflow.patched("spotlight-team-without-a-team-manager"):
                managers = spotlight.most_reported_to(team.staff)
            if len(managers) != 1:
                raise refused(Refusal(f"the directory lists {len(managers)} team managers in {name}; it needs one"))
            managers_found.append(managers[0])
        today = london_today()
        day = await first_working_day(request.day)
        if day.due_at.astimezone(LONDON).date() != request.day:
            raise refused(Refusal(f"{request.day.isoformat()} is not a working day"))
        if request.day <= today:
            raise refused(Refusal(f"the spotlight day must be after today ({today.isoformat()})"))
        previous = await run_activity(
            AuditActivities.streams_opened_with,
            FindStreams(event_type=SpotlightStarted.event_type, field="team", value=team_name),
        )
        earlier = [p for p in previous if p != self._id]
        practitioners = tuple(m.staff_id for _, team in visited for m in team.staff if Role.PRACTITIONER in m.roles)
        lead, manager = request.lead, managers_found[0]
        documents = await self._duties.due(request.day, -DOCUMENTS_BEFORE)
        case_list = await self._duties.due(request.day, -CASE_LIST_BEFORE)
        record = await self._duties.due(request.day, RECORD_AFTER)
        draft = await self._duties.due(request.day, DRAFT_AFTER)
        feedback = (
            (
                self._duties.given(
                    "feedback",
                    lead,
                    "give feedback to the team managers and heads of service on the day",
                    await self._duties.due(request.day, 0),
                ),
            )
            if self._consults
            else ()
        )
        state = await self._recorder.record(
            request.started_by,
            SpotlightStarted(
                team=team_name,
                day=request.day,
                lead=lead,
                members=members,
                team_manager=manager,
                practitioners=practitioners,
                previous=earlier[-1] if earlier else None,
                calendar_digest=day.calendar_digest,
                other_teams=others,
                other_team_managers=tuple(managers_found[1:]),
                consults=self._consults,
            ),
            self._duties.given("documents", manager, "send the key documents to the spotlight team", documents),
            self._duties.given("case-list", manager, "send the collated proud and challenging list", case_list),
            *(
                self._duties.given(record_key(m), m, "give your information record to the lead", record)
                for m in members
            ),
            *feedback,
            self._duties.given("draft", lead, "send the draft report to the QA team", draft),
        )
        await self._duties.tell_owners(state, *(d.key for d in state.duties))
        await self._notifier.post(
            *(
                self._notifier.message(
                    p,
                    "info",
                    "nominate",
                    f"Name the children for {state.title}: one you are proud of, one you found challenging",
                    f"Your team manager ({manager}) sends the list by {case_list.due_at.date().isoformat()}:"
                    f" `qa spotlight nominate {self._id} --proud CASE --challenging CASE --as {p}`.",
                )
                for p in practitioners
            )
        )

    async def _visited(self) -> list[TeamView]:
        """Each team the spotlight visits, in its order."""
        return [await self._team(team) for team in self._state().teams]

    async def _team(self, name: str | None = None) -> TeamView:
        team = name or self._state().team
        return await run_activity_or_refuse(
            DirectoryActivities.team, TeamLookup(team=team), "SampleRefused", f"the {team} team's cases"
        )


def _from_elsewhere(staff_id: str, visited: Iterable[tuple[str, TeamView]]) -> None:
    """Refuse a member who works in a team the spotlight visits."""
    for name, team in visited:
        if staff_id in {m.staff_id for m in team.staff}:
            raise refused(Refusal(f"{staff_id} works in the {name} team: its colleagues from elsewhere visit"))


def _title(state: SpotlightState) -> str:
    return f"Spotlight: {state.title}."
