"""Team Spotlights on the time-skipping server: every deadline on its working day, chased, and the report into the plan."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from temporalio.client import WorkflowUpdateFailedError

from domain import spotlight
from domain.action_plan import SmartAction
from domain.duties import duty
from domain.naming import team_plan_id
from domain.rubric import Grade
from domain.spotlight import (
    SECTIONS,
    AgreePlan,
    AllocateCases,
    CommentOnDraft,
    FinaliseReport,
    GiveFeedback,
    GiveRecord,
    KeyDocument,
    MemberRecord,
    NominateCases,
    ReallocatePart,
    ReportSection,
    ReturnDraft,
    SectionNotes,
    SendCaseList,
    SendDocuments,
    SendDraft,
    ShareDraft,
    SpotlightReport,
)
from domain.working_days import LONDON
from infra.store.audit_log import AuditLog
from tests.clock import sleep_until
from tests.workflows.conftest import audited, eventually, refused, refused_start, told
from workflows.action_plan import ActionPlanWorkflow
from workflows.spotlight import SpotlightInput, SpotlightWorkflow

# Tuesday 16 March 2027: its 15-working-day draft window spans Good Friday and Easter Monday.
DAY = date(2027, 3, 16)
MEMBERS = ("tom.manager", "sam.reviewer", "maya.moderator")
NOMINATIONS = {
    "priya.practitioner": ("LCS-100701", "LCS-100716"),
    "dan.practitioner": ("LCS-100745", "LCS-100761"),
    "lee.reviewer": ("LCS-100809", "LCS-100851"),
}


def end_of(day: str) -> datetime:
    return datetime.fromisoformat(f"{day}T23:59:59").replace(tzinfo=LONDON)


async def start(env, settings, **overrides):
    fields = {
        "team": "Children in Need",
        "day": DAY,
        "lead": "fatima.hos",
        "members": MEMBERS,
        "started_by": "qa.officer",
    }
    request = SpotlightInput(**(fields | overrides))
    handle = await env.client.start_workflow(
        SpotlightWorkflow.run, request, id=f"spotlight-{settings.task_queue}", task_queue=settings.task_queue
    )

    async def started():
        return await handle.query(SpotlightWorkflow.state)

    await eventually(started)
    return handle


def record() -> MemberRecord:
    notes = SectionNotes(positives="warm, child-focused", development="plans lack timescales")
    return MemberRecord(
        sections={key: notes for key in SECTIONS},
        grade=Grade.good,
        focus="timescales in plans",
        records_viewed=("LCS-100837",),
    )


def report(by_when: date = date(2027, 6, 30), responsible: str = "nadia.manager") -> SpotlightReport:
    section = ReportSection(general="settled team", strengths="direct work", development="plans", evidence="records")
    return SpotlightReport(
        sections={key: section for key in SECTIONS},
        grade=Grade.good,
        progress="first spotlight of the team",
        focus="timescales in plans",
        barriers="caseloads",
        actions=(
            SmartAction(
                action="every child's plan has timescales",
                support="a planning workshop from the QA team",
                responsible=responsible,
                by_when=by_when,
                evidence="the next dip audit finds timescales in 9 of 10 plans",
            ),
        ),
    )


async def prepare(handle) -> None:
    await handle.execute_update(
        SpotlightWorkflow.send_documents,
        SendDocuments(
            actor="nadia.manager",
            documents=(
                KeyDocument(kind="team-action-plan", reference="plan-team-children-in-need"),
                KeyDocument(kind="performance-data", reference="Power BI: CiN dashboard, February 2027"),
            ),
        ),
    )
    for practitioner, (proud, challenging) in NOMINATIONS.items():
        await handle.execute_update(
            SpotlightWorkflow.nominate, NominateCases(actor=practitioner, proud=proud, challenging=challenging)
        )
    await handle.execute_update(SpotlightWorkflow.send_case_list, SendCaseList(actor="nadia.manager"))


async def test_a_spotlight_from_its_documents_to_the_finalised_report_in_the_team_plan(
    time_skipping_env, worker, settings, example_authority, app_pool, keep_history
):
    handle = await start(time_skipping_env, settings)
    state = await handle.query(SpotlightWorkflow.state)
    due = {d.key: d.due_at for d in state.duties}
    assert due == {
        "documents": end_of("2027-03-09"),  # 5 working days before the day
        "case-list": end_of("2027-03-09"),
        **{spotlight.record_key(m): end_of("2027-03-17") for m in MEMBERS},  # 1 working day after
        "feedback": end_of("2027-03-16"),  # on the day
        "draft": end_of("2027-04-08"),  # 15 working days, not counting Good Friday and Easter Monday
    }
    assert state.team_manager == "nadia.manager"
    assert state.practitioners == ("dan.practitioner", "lee.reviewer", "priya.practitioner")
    assert state.previous is None

    await prepare(handle)
    # Nobody allocates before the day.
    assert "allocated on the day" in await refused(
        handle, SpotlightWorkflow.allocate, AllocateCases(actor="fatima.hos")
    )
    await sleep_until(time_skipping_env, datetime(2027, 3, 16, 9, tzinfo=LONDON))
    state = await handle.execute_update(SpotlightWorkflow.allocate, AllocateCases(actor="fatima.hos"))

    nominated = {c for pair in NOMINATIONS.values() for c in pair}
    assert [a.member for a in state.allocations] == list(MEMBERS)
    for a in state.allocations:
        assert len(set(a.cases)) == 3
        assert a.random not in nominated and a.random in state.case_numbers
    assert {a.proud for a in state.allocations} == {p for p, _ in NOMINATIONS.values()}
    assert {a.challenging for a in state.allocations} == {c for _, c in NOMINATIONS.values()}
    assert len({a.random for a in state.allocations}) == 3
    # The draw is redone from what was recorded.
    team_cases = (await AuditLog(app_pool).read_stream(handle.id))[-1].payload["team_cases"]
    assert spotlight.allocate(state.members, state.nominations, tuple(team_cases), state.seed) == state.allocations

    # The afternoon's feedback to the team manager and her head of service; only to the team's managers.
    to_the_team = GiveFeedback(actor="fatima.hos", to=("nadia.manager", "hana.hos"), actions="timescales in plans")
    for wrong, message in (
        ({"to": ("tom.manager",)}, "tom.manager is of the spotlight team"),
        ({"to": ("priya.practitioner",)}, "priya.practitioner cannot be given a spotlight's feedback"),
        ({"actor": "tom.manager"}, "the lead (fatima.hos) gives the feedback"),
        ({"actions": " "}, "the suggested actions discussed cannot be empty"),
    ):
        assert message in await refused(handle, SpotlightWorkflow.give_feedback, to_the_team.model_copy(update=wrong))
    state = await handle.execute_update(SpotlightWorkflow.give_feedback, to_the_team)
    assert state.feedback_to == ("nadia.manager", "hana.hos") and not duty(state, "feedback").open

    assert "the lead (fatima.hos) has not shared a draft yet" in await refused(
        handle, SpotlightWorkflow.comment, CommentOnDraft(actor="tom.manager", comments="fine")
    )
    for member in MEMBERS:
        state = await handle.execute_update(SpotlightWorkflow.give_record, GiveRecord(actor=member, record=record()))
    assert state.phase == "drafting"
    assert not [d for d in state.duties if d.late]

    # Consultation: the draft goes to the members for comment and its plan to the heads of service first.
    assert "share the draft with the spotlight team for comment first" in await refused(
        handle, SpotlightWorkflow.send_draft, SendDraft(actor="fatima.hos", report=report())
    )
    state = await handle.execute_update(SpotlightWorkflow.share_draft, ShareDraft(actor="fatima.hos", report=report()))
    assert any("for your comments" in s for s in await told(app_pool, "sam.reviewer", "info"))
    state = await handle.execute_update(
        SpotlightWorkflow.comment, CommentOnDraft(actor="sam.reviewer", comments="say more about supervision")
    )
    assert state.comments == {"sam.reviewer": "say more about supervision"}
    assert "discuss the proposed action plan with the heads of service first" in await refused(
        handle, SpotlightWorkflow.send_draft, SendDraft(actor="fatima.hos", report=report())
    )
    agree = AgreePlan(actor="fatima.hos", heads_of_service=("hana.hos",), note="the workshop can run in May")
    assert "nadia.manager cannot agree a spotlight's action plan" in await refused(
        handle, SpotlightWorkflow.agree_plan, agree.model_copy(update={"heads_of_service": ("nadia.manager",)})
    )
    state = await handle.execute_update(SpotlightWorkflow.agree_plan, agree)
    assert state.plan_agreed_with == ("hana.hos",)

    # The draft arrives on Wednesday 31 March, inside the window despite Easter.
    await sleep_until(time_skipping_env, datetime(2027, 3, 31, 10, tzinfo=LONDON))
    state = await handle.execute_update(SpotlightWorkflow.send_draft, SendDraft(actor="fatima.hos", report=report()))
    assert state.finaliser == "quinn.hoqa"
    assert duty(state, "finalise").due_at == end_of("2027-04-07")  # 5 working days after receipt
    assert "LCS-100837" in state.records_viewed and set(state.records_viewed) >= nominated
    assert "finalises the report" in await refused(
        handle, SpotlightWorkflow.finalise, FinaliseReport(actor="fatima.hos")
    )
    assert "comments are closed" in await refused(
        handle, SpotlightWorkflow.comment, CommentOnDraft(actor="tom.manager", comments="late")
    )

    # The Head of Service QA and Safeguarding sends it back once, with reasons: the lead has 5 working days.
    assert "returns the draft" in await refused(
        handle, SpotlightWorkflow.return_draft, ReturnDraft(actor="fatima.hos", reasons="x")
    )
    state = await handle.execute_update(
        SpotlightWorkflow.return_draft, ReturnDraft(actor="quinn.hoqa", reasons="the evidence for the grade is thin")
    )
    assert state.phase == "drafting" and state.returns == ("the evidence for the grade is thin",)
    again = duty(state, "draft")
    assert (again.owner, again.open, again.due_at) == ("fatima.hos", True, end_of("2027-04-07"))
    assert any("is returned" in s for s in await told(app_pool, "fatima.hos", "info"))
    await sleep_until(time_skipping_env, datetime(2027, 4, 1, 10, tzinfo=LONDON))
    state = await handle.execute_update(SpotlightWorkflow.send_draft, SendDraft(actor="fatima.hos", report=report()))
    assert duty(state, "finalise").open and duty(state, "finalise").due_at == end_of("2027-04-08")

    state = await handle.execute_update(SpotlightWorkflow.finalise, FinaliseReport(actor="quinn.hoqa", note="agreed"))
    assert state.phase == "finalised" and state.plan_id == team_plan_id("Children in Need")
    assert await handle.result() == state
    assert all(not d.open and not d.late for d in state.duties)
    assert any("is final" in s for s in await told(app_pool, "nadia.manager", "info"))

    plan = time_skipping_env.client.get_workflow_handle(state.plan_id)
    plan_state = await plan.query(ActionPlanWorkflow.state)
    assert plan_state.owner == "nadia.manager"
    assert [(a.action_id, a.source) for a in plan_state.actions] == [("A1", f"{handle.id} action 1")]

    await audited(app_pool, handle.id, state)
    assert "| every child's plan has timescales |" in spotlight.report_markdown(state)
    await keep_history(handle, "spotlight_fed_back_consulted_and_returned")


async def test_late_documents_are_chased_up_the_team_managers_line(
    time_skipping_env, worker, settings, example_authority, app_pool
):
    handle = await start(time_skipping_env, settings)
    # Reminded 2 working days before (Friday 5 March), overdue at the end of Tuesday 9 March,
    # then her head of service, the assistant director (2 working days on) and the Head of QA (5).
    await sleep_until(time_skipping_env, datetime(2027, 3, 17, 12, tzinfo=LONDON))
    state = await handle.query(SpotlightWorkflow.state)
    documents = duty(state, "documents")
    assert documents.overdue and documents.escalation_level == 3
    assert [s.at.astimezone(LONDON).date().isoformat() for s in documents.chase] == [
        "2027-03-05",
        "2027-03-09",
        "2027-03-09",
        "2027-03-11",
        "2027-03-16",
    ]
    assert any("Reminder: send the key documents" in s for s in await told(app_pool, "nadia.manager", "reminder"))
    for person in ("hana.hos", "alex.assistant", "quinn.hoqa"):
        assert any(
            "nadia.manager was to send the key documents" in s for s in await told(app_pool, person, "escalation")
        ), person
    # Sending them late stops the chase and says so.
    await handle.execute_update(
        SpotlightWorkflow.send_documents,
        SendDocuments(actor="nadia.manager", documents=(KeyDocument(kind="audit-outcomes", reference="CPR 2027-01"),)),
    )
    state = await handle.query(SpotlightWorkflow.state)
    assert duty(state, "documents").late
    await handle.terminate()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"members": ("tom.manager", "sam.reviewer")}, "3 or 4 different people, not 2"),
        ({"lead": "rosa.reviewer"}, "rosa.reviewer cannot lead a spotlight"),
        ({"members": ("tom.manager", "sam.reviewer", "lee.reviewer")}, "lee.reviewer works in the Children in Need"),
        ({"members": ("tom.manager", "sam.reviewer", "qa.officer")}, "qa.officer cannot be a spotlight team member"),
        ({"day": date(2027, 3, 26)}, "2027-03-26 is not a working day"),
        ({"team": "Nowhere"}, "no active staff in a team called 'Nowhere'"),
        ({"started_by": "sam.reviewer"}, "sam.reviewer cannot start a spotlight"),
        ({"other_teams": ("Children in Need",)}, "Children in Need is the spotlight's team"),
        (
            {
                "other_teams": ("Children with Disabilities",),
                "members": ("mei.manager", "sam.reviewer", "maya.moderator"),
            },
            "mei.manager works in the Children with Disabilities team",
        ),
        ({"other_teams": ("Nowhere",)}, "no active staff in a team called 'Nowhere'"),
    ],
)
async def test_a_spotlight_that_cannot_start_records_nothing(
    time_skipping_env, worker, settings, example_authority, app_pool, overrides, message
):
    fields = {"team": "Children in Need", "day": DAY, "lead": "fatima.hos", "members": MEMBERS}
    request = SpotlightInput(**(fields | {"started_by": "qa.officer"} | overrides))
    assert message in await refused_start(
        time_skipping_env, settings, app_pool, SpotlightWorkflow.run, request, f"spotlight-{settings.task_queue}"
    )


async def test_each_step_refuses_the_wrong_person_order_or_value_and_records_nothing(
    time_skipping_env, worker, settings, example_authority, app_pool
):
    handle = await start(time_skipping_env, settings)
    version = (await handle.query(SpotlightWorkflow.state)).version
    documents = SendDocuments(actor="nadia.manager", documents=(KeyDocument(kind="minutes", reference="x"),))
    assert "unknown key document 'minutes'" in await refused(handle, SpotlightWorkflow.send_documents, documents)
    wrong = SendDocuments(actor="tom.manager", documents=(KeyDocument(kind="team-action-plan", reference="x"),))
    assert "the team manager (nadia.manager)" in await refused(handle, SpotlightWorkflow.send_documents, wrong)
    not_theirs = NominateCases(actor="dan.practitioner", proud="LCS-100701", challenging="LCS-100745")
    assert "LCS-100701: not among your open cases" in await refused(handle, SpotlightWorkflow.nominate, not_theirs)
    same = NominateCases(actor="dan.practitioner", proud="LCS-100745", challenging="LCS-100745")
    assert "two different children" in await refused(handle, SpotlightWorkflow.nominate, same)
    outsider = NominateCases(actor="amy.practitioner", proud="LCS-1", challenging="LCS-2")
    assert "not a practitioner of the Children in Need team" in await refused(
        handle, SpotlightWorkflow.nominate, outsider
    )
    assert "still to nominate: dan.practitioner, lee.reviewer, priya.practitioner" in await refused(
        handle, SpotlightWorkflow.send_case_list, SendCaseList(actor="nadia.manager")
    )
    assert "follow the day" in await refused(
        handle, SpotlightWorkflow.give_record, GiveRecord(actor="tom.manager", record=record())
    )
    assert (await handle.query(SpotlightWorkflow.state)).version == version

    await prepare(handle)
    await sleep_until(time_skipping_env, datetime(2027, 3, 16, 9, tzinfo=LONDON))
    await handle.execute_update(SpotlightWorkflow.allocate, AllocateCases(actor="fatima.hos"))
    partial = record().model_copy(update={"sections": {"culture": SectionNotes(positives="yes")}})
    assert (
        "section 2 of the record, Quality of practice with children, young people and families (practice)"
        in await refused(handle, SpotlightWorkflow.give_record, GiveRecord(actor="tom.manager", record=partial))
    )
    assert "give information records" in await refused(
        handle, SpotlightWorkflow.give_record, GiveRecord(actor="hana.hos", record=record())
    )
    assert "still awaited: tom.manager, sam.reviewer, maya.moderator" in await refused(
        handle, SpotlightWorkflow.send_draft, SendDraft(actor="fatima.hos", report=report())
    )
    for member in MEMBERS:
        await handle.execute_update(SpotlightWorkflow.give_record, GiveRecord(actor=member, record=record()))
    version = (await handle.query(SpotlightWorkflow.state)).version
    unsmart = report().model_copy(
        update={"actions": (report().actions[0].model_copy(update={"support": " ", "evidence": ""}),)}
    )
    assert "action 1: the action is not SMART: it needs the support needed, how completion will be shown" in (
        await refused(handle, SpotlightWorkflow.share_draft, ShareDraft(actor="fatima.hos", report=unsmart))
    )
    assert "nobody.here is not an active member of staff" in await refused(
        handle, SpotlightWorkflow.share_draft, ShareDraft(actor="fatima.hos", report=report(responsible="nobody.here"))
    )
    assert "the lead (fatima.hos) shares the draft" in await refused(
        handle, SpotlightWorkflow.share_draft, ShareDraft(actor="tom.manager", report=report())
    )
    assert "share the draft first" in await refused(
        handle, SpotlightWorkflow.agree_plan, AgreePlan(actor="fatima.hos", heads_of_service=("hana.hos",), note="ok")
    )
    assert "no draft is with the QA team" in await refused(
        handle, SpotlightWorkflow.return_draft, ReturnDraft(actor="quinn.hoqa", reasons="x")
    )
    assert (await handle.query(SpotlightWorkflow.state)).version == version
    await handle.execute_update(SpotlightWorkflow.share_draft, ShareDraft(actor="fatima.hos", report=report()))
    await handle.execute_update(
        SpotlightWorkflow.agree_plan, AgreePlan(actor="fatima.hos", heads_of_service=("hana.hos",), note="realistic")
    )
    version = (await handle.query(SpotlightWorkflow.state)).version
    assert "before the report can be finalised" in await refused(
        handle, SpotlightWorkflow.send_draft, SendDraft(actor="fatima.hos", report=report(by_when=date(2027, 3, 19)))
    )
    assert "your comments (say 'none' if you have none) cannot be empty" in await refused(
        handle, SpotlightWorkflow.comment, CommentOnDraft(actor="tom.manager", comments=" ")
    )
    assert "comment on the draft" in await refused(
        handle, SpotlightWorkflow.comment, CommentOnDraft(actor="fatima.hos", comments="mine")
    )
    assert (await handle.query(SpotlightWorkflow.state)).version == version
    await handle.terminate()


async def test_a_team_too_large_to_pass_through_the_engine_is_refused_and_the_spotlight_goes_on(
    time_skipping_env, worker, settings, example_authority, app_pool
):
    """A cases import showing more open cases for the team than a team can hold (a wrong import) is one line
    for the person, never an activity retried for ever: the spotlight takes the next command as before."""
    from domain.directory import MAX_TEAM_CASES
    from infra.store.audit_log import AuditLog

    handle = await start(time_skipping_env, settings)
    _, cases = await example_authority.latest_cases()
    priya = next(c for c in cases if c.practitioner == "priya.practitioner")
    flood = [priya.model_copy(update={"case_number": f"LCS-{n:06d}"}) for n in range(MAX_TEAM_CASES + 1)]
    await example_authority.import_cases([*cases, *flood], "qa.officer", await time_skipping_env.get_current_time())
    before = len(await AuditLog(app_pool).read_stream(handle.id))
    proud, challenging = NOMINATIONS["priya.practitioner"]
    nominate = NominateCases(actor="priya.practitioner", proud=proud, challenging=challenging)
    with pytest.raises(WorkflowUpdateFailedError) as refusal:
        await handle.execute_update(SpotlightWorkflow.nominate, nominate)
    held = sum(1 for c in cases if c.team == priya.team) + len(flood)
    assert refusal.value.cause.message == (
        f"the Children in Need team's cases: the Children in Need team has {held:,} open cases in"
        f" snapshot 2, more than the {MAX_TEAM_CASES:,} a team's work is drawn from: check that cases import"
    )
    assert len(await AuditLog(app_pool).read_stream(handle.id)) == before
    # The right import again, and the same command goes through.
    await example_authority.import_cases(cases, "qa.officer", await time_skipping_env.get_current_time())
    nominated = await handle.execute_update(SpotlightWorkflow.nominate, nominate)
    assert [n.practitioner for n in nominated.nominations] == ["priya.practitioner"]
    await handle.terminate()


async def test_the_lead_and_a_member_replaced_mid_spotlight_take_their_duties_and_children_with_them(
    time_skipping_env, worker, settings, example_authority, app_pool, keep_history
):
    handle = await start(time_skipping_env, settings)
    await prepare(handle)
    await sleep_until(time_skipping_env, datetime(2027, 3, 16, 9, tzinfo=LONDON))
    allocated = await handle.execute_update(SpotlightWorkflow.allocate, AllocateCases(actor="fatima.hos"))
    children = next(a.cases for a in allocated.allocations if a.member == "sam.reviewer")
    version = allocated.version
    member = ReallocatePart(actor="qa.officer", previous="sam.reviewer", to="rosa.reviewer", reason="on sick leave")
    for wrong, message in (
        ({"actor": "fatima.hos"}, "fatima.hos cannot give a spotlight's lead's or member's part to someone else"),
        ({"previous": "omar.moderator"}, "omar.moderator is neither the lead (fatima.hos) nor a member"),
        ({"to": "tom.manager"}, "tom.manager already takes part in"),
        ({"to": "priya.practitioner"}, "priya.practitioner cannot be a spotlight team member"),
        ({"to": "nadia.manager"}, "nadia.manager works in the Children in Need team"),
        ({"reason": " "}, "the reason cannot be empty"),
    ):
        assert message in await refused(handle, SpotlightWorkflow.reallocate, member.model_copy(update=wrong))
    assert (await handle.query(SpotlightWorkflow.state)).version == version

    state = await handle.execute_update(SpotlightWorkflow.reallocate, member)
    assert state.members == ("tom.manager", "rosa.reviewer", "maya.moderator")
    assert next(a.cases for a in state.allocations if a.member == "rosa.reviewer") == children
    moved = duty(state, spotlight.record_key("rosa.reviewer"))
    assert (moved.owner, moved.due_at, moved.open) == ("rosa.reviewer", end_of("2027-03-17"), True)
    assert not duty(state, spotlight.record_key("sam.reviewer")).open
    assert any("Your part in" in s for s in await told(app_pool, "sam.reviewer", "info"))

    given = await handle.execute_update(SpotlightWorkflow.give_record, GiveRecord(actor="tom.manager", record=record()))
    assert "has already given their information record" in await refused(
        handle,
        SpotlightWorkflow.reallocate,
        member.model_copy(update={"previous": "tom.manager", "to": "omar.moderator"}),
    )
    lead = member.model_copy(update={"previous": "fatima.hos", "to": "ben.hos", "reason": "a conflict of interest"})
    state = await handle.execute_update(SpotlightWorkflow.reallocate, lead)
    assert state.lead == "ben.hos" and duty(state, "draft").owner == duty(state, "feedback").owner == "ben.hos"
    assert duty(state, "draft").due_at == duty(given, "draft").due_at
    for m in ("rosa.reviewer", "maya.moderator"):
        state = await handle.execute_update(SpotlightWorkflow.give_record, GiveRecord(actor=m, record=record()))
    assert state.phase == "drafting"
    assert "the lead (ben.hos) sends the draft report" in await refused(
        handle, SpotlightWorkflow.send_draft, SendDraft(actor="fatima.hos", report=report())
    )
    await audited(app_pool, handle.id, state)
    await keep_history(handle, "spotlight_lead_and_member_reallocated_with_the_feedback_duty")
    await handle.terminate()


async def test_a_spotlight_of_two_teams_says_where_they_differ_and_gives_both_plans_its_actions(
    time_skipping_env, worker, settings, example_authority, app_pool, keep_history
):
    both = {"other_teams": ("Children with Disabilities",)}
    handle = await start(time_skipping_env, settings, **both)
    state = await handle.query(SpotlightWorkflow.state)
    assert state.teams == ("Children in Need", "Children with Disabilities")
    assert state.team_managers == ("nadia.manager", "mei.manager")
    assert {"kim.practitioner", "leo.practitioner", "priya.practitioner"} <= set(state.practitioners)
    assert "the Children in Need and Children with Disabilities team spotlight" in state.title

    # A practitioner of the other team nominates their own children; the draw takes from both teams.
    await handle.execute_update(
        SpotlightWorkflow.nominate,
        NominateCases(actor="kim.practitioner", proud="LCS-100511", challenging="LCS-100526"),
    )
    await prepare(handle)
    await sleep_until(time_skipping_env, datetime(2027, 3, 16, 9, tzinfo=LONDON))
    state = await handle.execute_update(SpotlightWorkflow.allocate, AllocateCases(actor="fatima.hos"))
    team_cases = (await AuditLog(app_pool).read_stream(handle.id))[-1].payload["team_cases"]
    assert {"LCS-100540", "LCS-100701"} <= set(team_cases)
    await handle.execute_update(
        SpotlightWorkflow.give_feedback,
        GiveFeedback(actor="fatima.hos", to=("nadia.manager", "mei.manager", "hana.hos"), actions="plans, timescales"),
    )
    differing = record().model_copy(update={"differences": "CwD plans had timescales", "documents_read": ("CP plan",)})
    for member in MEMBERS:
        state = await handle.execute_update(SpotlightWorkflow.give_record, GiveRecord(actor=member, record=differing))
    assert "the differences between Children in Need and Children with Disabilities cannot be empty" in await refused(
        handle, SpotlightWorkflow.share_draft, ShareDraft(actor="fatima.hos", report=report())
    )
    final = report().model_copy(update={"differences": "Children with Disabilities: Good; Children in Need: RI"})
    await handle.execute_update(SpotlightWorkflow.share_draft, ShareDraft(actor="fatima.hos", report=final))
    for head in ("hana.hos", "ben.hos"):  # each team's head of service
        await handle.execute_update(
            SpotlightWorkflow.agree_plan, AgreePlan(actor="fatima.hos", heads_of_service=(head,), note="realistic")
        )
    await handle.execute_update(SpotlightWorkflow.send_draft, SendDraft(actor="fatima.hos", report=final))
    state = await handle.execute_update(SpotlightWorkflow.finalise, FinaliseReport(actor="quinn.hoqa"))
    assert [p.plan_id for p in state.plans] == [
        team_plan_id("Children in Need"),
        team_plan_id("Children with Disabilities"),
    ]
    other = await time_skipping_env.client.get_workflow_handle(state.plans[1].plan_id).query(ActionPlanWorkflow.state)
    assert other.owner == "mei.manager" and [a.source for a in other.actions] == [f"{handle.id} action 1"]
    assert any("is final" in s for s in await told(app_pool, "mei.manager", "info"))
    markdown = spotlight.report_markdown(state)
    assert "- Team: Children in Need, Children with Disabilities" in markdown
    assert "**Differences between the teams:** Children with Disabilities: Good" in markdown
    assert "**Documents read:** CP plan" in markdown
    await audited(app_pool, handle.id, state)
    await keep_history(handle, "spotlight_of_two_teams")
