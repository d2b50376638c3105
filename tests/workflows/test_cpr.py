"""A CPR cycle and its reviews on the time-skipping server, with the example authority in PostgreSQL."""

from __future__ import annotations

import hashlib
from datetime import date, datetime, timedelta

from temporalio.client import WorkflowExecutionStatus, WorkflowHandle

from domain import cpr_cycle, review
from domain.action_plan import PlanInput, SmartAction
from domain.cpr_cycle import AllocateModerator, AllocateReviewer, ModerateReview, PublishReport
from domain.duties import duty
from domain.events import fold
from domain.review import (
    CompleteAction,
    ExtendReview,
    GiveGrade,
    JudgeRubric,
    RecommendAction,
    RecordConclusion,
    RecordConversation,
    RecordReflection,
    RecordVoice,
    SubmitReview,
)
from domain.rubric import CRITERION_IDS, Evidence, Grade
from domain.sampling import Candidate, redo
from domain.working_days import LONDON
from infra.store.audit_log import AuditLog
from tests.clock import cycle_year, example_cases, sleep_until
from tests.workflows.conftest import eventually, import_authority, inbox, refused, refused_start
from tests.workflows.test_action_plan import start_plan
from workflows.action_plan import ActionPlanWorkflow
from workflows.cpr_cycle import CprCycleWorkflow, CycleInput
from workflows.review import ReviewInput, ReviewWorkflow

START = date(2027, 11, 1)  # Children in Need, November in Appendix 1
DUE = datetime(2027, 11, 29, 23, 59, 59, tzinfo=LONDON)  # 20 working days after Mon 1 Nov 2027
TOO_RECENT = {"LCS-100823", "LCS-100837", "LCS-100851"}
NARRATIVE = PublishReport(
    actor="qa.officer",
    key_findings="Plans lack timescales.",
    strengths="Children's voices are heard.",
    areas_for_development="Chronologies.",
    recommendations="Chronology workshop for all teams.",
    voices_summary="Children said their social worker listens.",
)


async def start_cycle(env, settings, size: int = 3, start: date = START) -> WorkflowHandle:
    handle = await env.client.start_workflow(
        CprCycleWorkflow.run,
        CycleInput(
            service="Children in Need", start=start, sample_size=size, seed="cpr-2027-11", started_by="qa.officer"
        ),
        id=f"cpr-2027-11-{settings.task_queue}",
        task_queue=settings.task_queue,
    )

    async def sampled():
        state = await handle.query(CprCycleWorkflow.state)
        return state if state is not None and state.phase == "reviewing" else None

    await eventually(sampled)
    return handle


async def stop(env, cycle: WorkflowHandle) -> None:
    """Leave nothing running behind a test: terminate the cycle and its reviews."""
    state = await cycle.query(CprCycleWorkflow.state)
    for handle in [cycle, *(env.client.get_workflow_handle(c.review_id) for c in state.cases if c.review_id)]:
        if (await handle.describe()).status == WorkflowExecutionStatus.RUNNING:
            await handle.terminate()


async def allocate(cycle: WorkflowHandle, case_number: str, reviewer: str = "sam.reviewer", actor: str = "qa.officer"):
    return await cycle.execute_update(
        CprCycleWorkflow.allocate, AllocateReviewer(actor=actor, case_number=case_number, reviewer=reviewer)
    )


async def review_of(env, state, case_number: str) -> WorkflowHandle:
    handle = env.client.get_workflow_handle_for(ReviewWorkflow.run, state.case(case_number).review_id)

    async def opened():
        return await handle.query(ReviewWorkflow.state)

    await eventually(opened)
    return handle


async def test_the_sample_is_random_among_children_supported_four_weeks_and_provable(
    time_skipping_env, worker, settings, example_authority
):
    cycle = await start_cycle(time_skipping_env, settings, size=4)
    state = await cycle.query(CprCycleWorkflow.state)
    assert state.review_due_at == DUE
    assert len(state.cases) == 4 and not TOO_RECENT & {c.case_number for c in state.cases}
    assert (state.draw.eligible_count, state.draw.too_recent_count, state.draw.seed) == (6, 3, "cpr-2027-11")

    # An auditor redoes the draw from the snapshot the cycle recorded.
    cases = await example_authority.snapshot_cases(state.snapshot_id, "Children in Need")
    assert redo(state.draw, [Candidate(case_number=c.case_number, support_began=c.support_began) for c in cases]) == []
    await stop(time_skipping_env, cycle)


async def test_a_cycle_started_straight_in_temporal_by_someone_not_a_qa_officer_is_refused_and_records_nothing(
    time_skipping_env, worker, settings, example_authority, app_pool
):
    """Defence in depth: not only `qa` checks the starter; so does the workflow, before it records anything."""
    request = CycleInput(service="Children in Need", start=START, sample_size=3, started_by="sam.reviewer")
    refusal = await refused_start(
        time_skipping_env, settings, app_pool, CprCycleWorkflow.run, request, f"cpr-direct-{settings.task_queue}"
    )
    assert refusal == "sam.reviewer cannot start a CPR cycle: the directory does not list them as a qa_officer"


async def test_a_review_started_straight_in_temporal_by_someone_not_a_qa_officer_is_refused_and_records_nothing(
    time_skipping_env, worker, settings, example_authority, app_pool
):
    """Its cycle opens it on an allocation only a QA officer may make: started any other way, so must it be."""
    request = ReviewInput(
        cycle_id=f"cpr-direct-{settings.task_queue}",
        case_number="LCS-100701",
        service="Children in Need",
        team="Children in Need",
        practitioner="priya.practitioner",
        reviewer="sam.reviewer",
        team_manager="nadia.manager",
        head_of_service="hana.hos",
        due_on=START,
        opened_by="sam.reviewer",
    )
    refusal = await refused_start(
        time_skipping_env, settings, app_pool, ReviewWorkflow.run, request, f"review-direct-{settings.task_queue}"
    )
    assert refusal == "sam.reviewer cannot allocate reviewers: the directory does not list them as a qa_officer"


async def test_allocation_refusals_change_nothing(time_skipping_env, worker, settings, example_authority, app_pool):
    cycle = await start_cycle(time_skipping_env, settings, size=6)
    state = await cycle.query(CprCycleWorkflow.state)
    own = next(c for c in state.cases if c.practitioner == "lee.reviewer")
    before = await AuditLog(app_pool).read_stream(cycle.id)

    assert (
        await refused(
            cycle,
            CprCycleWorkflow.allocate,
            AllocateReviewer(actor="qa.officer", case_number=own.case_number, reviewer="lee.reviewer"),
        )
        == f"lee.reviewer is the allocated practitioner for case {own.case_number} and cannot review their own work"
    )
    assert (
        await refused(
            cycle,
            CprCycleWorkflow.allocate,
            AllocateReviewer(actor="sam.reviewer", case_number=own.case_number, reviewer="rosa.reviewer"),
        )
        == "sam.reviewer cannot allocate reviewers: the directory does not list them as a qa_officer"
    )
    assert (
        await refused(
            cycle,
            CprCycleWorkflow.allocate,
            AllocateReviewer(actor="qa.officer", case_number=own.case_number, reviewer="priya.practitioner"),
        )
        == "priya.practitioner cannot review: the directory does not list them as a reviewer"
    )
    assert (
        await refused(
            cycle,
            CprCycleWorkflow.allocate,
            AllocateReviewer(actor="qa.officer", case_number="LCS-100851", reviewer="sam.reviewer"),
        )
    ).startswith("case LCS-100851 is not in this cycle's sample")
    assert await AuditLog(app_pool).read_stream(cycle.id) == before

    await allocate(cycle, own.case_number)
    assert (
        await refused(
            cycle,
            CprCycleWorkflow.allocate,
            AllocateReviewer(actor="qa.officer", case_number=own.case_number, reviewer="rosa.reviewer"),
        )
    ) == f"case {own.case_number} already has a reviewer (sam.reviewer)"
    await stop(time_skipping_env, cycle)


async def test_a_review_from_voices_to_closed_actions(
    time_skipping_env, worker, settings, example_authority, app_pool, keep_history
):
    cycle = await start_cycle(time_skipping_env, settings, size=1)
    case = (await cycle.query(CprCycleWorkflow.state)).cases[0]
    state = await allocate(cycle, case.case_number)
    handle = await review_of(time_skipping_env, state, case.case_number)
    opened = await handle.query(ReviewWorkflow.state)
    assert (opened.reviewer, opened.practitioner, opened.team_manager, opened.head_of_service, opened.due_at) == (
        "sam.reviewer",
        case.practitioner,
        "nadia.manager",
        "hana.hos",
        DUE,
    )

    async def reflection_task() -> bool:  # posted just after the review opens
        return "reflection" in {t.task_key for t in (await inbox(app_pool, case.practitioner)).to_do}

    assert await eventually(reflection_task)

    grade = GiveGrade(actor="sam.reviewer", grade=Grade.good, rationale="consistently good help")
    assert "grade after the practitioner's reflection" in await refused(handle, ReviewWorkflow.grade, grade)

    await handle.execute_update(
        ReviewWorkflow.record_voice, RecordVoice(actor="sam.reviewer", whose="child", summary="feels listened to")
    )
    await handle.execute_update(
        ReviewWorkflow.record_voice, RecordVoice(actor="sam.reviewer", whose="family", summary="mum values visits")
    )
    await handle.execute_update(
        ReviewWorkflow.reflect,
        RecordReflection(actor=case.practitioner, score=7, pleased_with="direct work", could_develop="chronology"),
    )
    assert "reflection" not in {t.task_key for t in (await inbox(app_pool, case.practitioner)).to_do}
    await handle.execute_update(
        ReviewWorkflow.record_conversation, RecordConversation(actor="sam.reviewer", summary="agreed")
    )
    await handle.execute_update(
        ReviewWorkflow.judge, JudgeRubric(actor="sam.reviewer", judgements=dict.fromkeys(CRITERION_IDS, Evidence.some))
    )
    await handle.execute_update(ReviewWorkflow.grade, grade)
    await handle.execute_update(
        ReviewWorkflow.conclude,
        RecordConclusion(actor="sam.reviewer", working_well="direct work", do_differently="timely plans"),
    )
    await handle.execute_update(
        ReviewWorkflow.recommend_action,
        RecommendAction(actor="sam.reviewer", action="bring the chronology up to date", due_by=date(2027, 12, 17)),
    )
    submitted = await handle.execute_update(ReviewWorkflow.submit, SubmitReview(actor="sam.reviewer"))
    assert (submitted.status, submitted.late) == ("submitted", False)

    async def cycle_knows():
        s = await cycle.query(CprCycleWorkflow.state)
        return s.case(case.case_number).grade

    assert await eventually(cycle_knows) == Grade.good
    assert [t.task_key for t in (await inbox(app_pool, "nadia.manager")).to_do] == ["action-A1"]
    # Closing the loop: the practitioner and the head of service are told its grade and actions.
    for person in (case.practitioner, "hana.hos"):
        [findings] = [e for e in (await inbox(app_pool, person)).told if e.kind == "info"]
        assert findings.subject == f"The review of case {case.case_number} is submitted: Good"
        assert findings.body.startswith("Graded Good by sam.reviewer. Its recommended actions, for supervision with")

    closed = await handle.execute_update(
        ReviewWorkflow.complete_action,
        CompleteAction(actor="nadia.manager", action_id="A1", oversight_note="reviewed in supervision on 10 Dec"),
    )
    assert closed.actions[0].completed_by == "nadia.manager"
    final = await handle.result()
    assert final.status == "closed"

    log = AuditLog(app_pool)
    events = await log.read_stream(handle.id)
    assert fold(review.evolve, review.REVIEW_EVENTS, events) == final
    cycle_events = await log.read_stream(cycle.id)
    assert fold(cpr_cycle.evolve, cpr_cycle.CYCLE_EVENTS, cycle_events) == await cycle.query(CprCycleWorkflow.state)
    assert all(r.ok for r in await log.verify())
    await keep_history(handle, "review_parts_as_duties_submitted_then_actions_closed")
    await stop(time_skipping_env, cycle)


async def test_an_overdue_review_is_escalated_step_by_step(
    time_skipping_env, worker, settings, example_authority, app_pool, keep_history
):
    cycle = await start_cycle(time_skipping_env, settings, size=1)
    case = (await cycle.query(CprCycleWorkflow.state)).cases[0]
    handle = await review_of(time_skipping_env, await allocate(cycle, case.case_number), case.case_number)

    async def chased_to(moment: datetime):
        await sleep_until(time_skipping_env, moment)
        return await handle.query(ReviewWorkflow.state)

    state = await chased_to(datetime(2027, 11, 25, 10, tzinfo=LONDON))
    assert (state.status, duty(state, "review").chased, duty(state, "reflection").chased) == ("open", 1, 1)
    reminders = [n for n in (await inbox(app_pool, "sam.reviewer")).told if n.kind == "reminder"]
    assert [n.subject for n in reminders] == [
        f"Reminder: complete the review of case {case.case_number}, due by 29 November 2027"
    ]
    reminders = [n for n in (await inbox(app_pool, case.practitioner)).told if n.kind == "reminder"]
    assert [n.subject for n in reminders] == [
        f"Reminder: give a reflection (scaling 0-10) for the review of case {case.case_number}, due by 29 November 2027"
    ]

    state = await chased_to(datetime(2027, 11, 30, 9, tzinfo=LONDON))
    assert (state.status, state.escalation_level) == ("overdue", 1)
    state = await chased_to(datetime(2027, 12, 2, 9, tzinfo=LONDON))
    assert state.escalation_level == 2
    state = await chased_to(datetime(2027, 12, 7, 9, tzinfo=LONDON))
    assert state.escalation_level == 3

    # Each part is chased up its owner's line, the head of service second, as every duty is.
    chased = [e for e in await AuditLog(app_pool).read_stream(handle.id) if e.event_type == "review.duty_chased"]
    steps = [
        (e.payload["key"], e.payload["step"]["kind"], e.payload["step"]["level"], e.payload["recipients"])
        for e in chased
    ]
    assert [s for s in steps if s[0] == "review"] == [
        ("review", "reminder", 0, ["sam.reviewer"]),
        ("review", "overdue", 0, ["sam.reviewer"]),
        ("review", "escalation", 1, ["quinn.hoqa"]),  # the reviewer's line manager
        ("review", "escalation", 2, ["hana.hos"]),  # the service's head of service
        ("review", "escalation", 3, ["quinn.hoqa"]),  # the Head of QA
    ]
    assert [s for s in steps if s[0] == "reflection"] == [
        ("reflection", "reminder", 0, [case.practitioner]),
        ("reflection", "overdue", 0, [case.practitioner]),
        ("reflection", "escalation", 1, ["nadia.manager"]),  # the practitioner's team manager
        ("reflection", "escalation", 2, ["hana.hos"]),
        ("reflection", "escalation", 3, ["quinn.hoqa"]),
    ]
    escalations = [n.subject for n in (await inbox(app_pool, "hana.hos")).told if n.kind == "escalation"]
    assert escalations == [
        f"Escalated to you as the head of service: sam.reviewer was to complete the review of case"
        f" {case.case_number} by 29 November 2027",
        f"Escalated to you as the head of service: {case.practitioner} was to give a reflection (scaling 0-10)"
        f" for the review of case {case.case_number} by 29 November 2027",
    ]
    # the cycle's window closed with this review outstanding: nothing submitted to moderate, so on to the report
    closed = await cycle.query(CprCycleWorkflow.state)
    assert (closed.phase, closed.outstanding_at_close) == ("reporting", (case.case_number,))
    await stop(time_skipping_env, cycle)
    await keep_history(handle, "review_duties_escalated_to_head_of_qa")


async def test_a_qa_officer_extension_moves_the_chase(time_skipping_env, worker, settings, example_authority, app_pool):
    cycle = await start_cycle(time_skipping_env, settings, size=1)
    case = (await cycle.query(CprCycleWorkflow.state)).cases[0]
    handle = await review_of(time_skipping_env, await allocate(cycle, case.case_number), case.case_number)

    assert (
        await refused(
            handle, ReviewWorkflow.extend, ExtendReview(actor="sam.reviewer", extra_working_days=5, reason="please")
        )
        == "sam.reviewer cannot extend a review's deadline: the directory does not list them as a qa_officer"
    )
    extended = await handle.execute_update(
        ReviewWorkflow.extend,
        ExtendReview(actor="qa.officer", extra_working_days=5, reason="family unavailable until December"),
    )
    assert extended.due_at == datetime(2027, 12, 6, 23, 59, 59, tzinfo=LONDON)
    await sleep_until(time_skipping_env, datetime(2027, 11, 30, 9, tzinfo=LONDON))
    state = await handle.query(ReviewWorkflow.state)
    assert (state.status, state.extensions) == ("open", ("family unavailable until December",))
    assert [(d.key, d.due_at, d.chased) for d in state.duties] == [
        ("review", extended.due_at, 0),
        ("reflection", extended.due_at, 0),
    ]
    await stop(time_skipping_env, cycle)


async def drive_review(handle: WorkflowHandle, practitioner: str, grade: Grade, limited: set[str] = frozenset()):
    """A reviewer and practitioner doing their parts, in the framework's order."""
    reviewer = (await handle.query(ReviewWorkflow.state)).reviewer
    for whose in ("child", "family"):
        await handle.execute_update(
            ReviewWorkflow.record_voice, RecordVoice(actor=reviewer, whose=whose, summary="heard")
        )
    await handle.execute_update(
        ReviewWorkflow.reflect,
        RecordReflection(actor=practitioner, score=6, pleased_with="relationships", could_develop="recording"),
    )
    await handle.execute_update(
        ReviewWorkflow.record_conversation, RecordConversation(actor=reviewer, summary="talked")
    )
    judgements = {cid: Evidence.limited if cid in limited else Evidence.clear for cid in CRITERION_IDS}
    await handle.execute_update(ReviewWorkflow.judge, JudgeRubric(actor=reviewer, judgements=judgements))
    await handle.execute_update(ReviewWorkflow.grade, GiveGrade(actor=reviewer, grade=grade, rationale="as seen"))
    await handle.execute_update(
        ReviewWorkflow.conclude,
        RecordConclusion(actor=reviewer, working_well="direct work", do_differently="timely plans"),
    )
    return await handle.execute_update(ReviewWorkflow.submit, SubmitReview(actor=reviewer))


async def stored_file(app_pool, location: str) -> bytes:
    """A published file as the database keeps it (infra.store.documents)."""
    from infra.store.documents import Documents, parse_location

    return (await Documents(app_pool).get(*parse_location(location))).content


async def test_a_whole_cycle_of_six_reviews_to_its_published_report(
    time_skipping_env, worker, settings, example_authority, app_pool, keep_history
):
    cycle = await start_cycle(time_skipping_env, settings, size=6)
    cases = (await cycle.query(CprCycleWorkflow.state)).cases
    reviewers = ["sam.reviewer", "rosa.reviewer", "maya.moderator", "omar.moderator", "jo.reviewer", "nadia.manager"]
    grades = [Grade.good, Grade.good, Grade.requires_improvement, Grade.outstanding, Grade.good, Grade.inadequate]
    handles = []
    for case, reviewer in zip(cases, reviewers, strict=True):
        state = await allocate(cycle, case.case_number, reviewer=reviewer)
        handles.append(await review_of(time_skipping_env, state, case.case_number))
    for case, handle, grade in zip(cases, handles, grades, strict=True):
        await drive_review(handle, case.practitioner, grade, limited={"basic-information.3", "assessment.2"})

    async def moderation_started():
        s = await cycle.query(CprCycleWorkflow.state)
        return s if s.phase == "moderation" else None

    state = await eventually(moderation_started)
    assert state.outstanding == () and state.outstanding_at_close == ()

    first = cases[0]
    own = AllocateModerator(actor="qa.officer", case_number=first.case_number, moderator="sam.reviewer")
    assert await refused(cycle, CprCycleWorkflow.allocate_moderator, own) == (
        f"sam.reviewer reviewed case {first.case_number} and cannot moderate their own review"
    )
    assert await refused(
        cycle, CprCycleWorkflow.allocate_moderator, own.model_copy(update={"moderator": "rosa.reviewer"})
    ) == ("rosa.reviewer cannot moderate: the directory does not list them as a moderator")
    moderators = [
        "maya.moderator",
        "maya.moderator",
        "omar.moderator",
        "maya.moderator",
        "omar.moderator",
        "omar.moderator",
    ]
    for case, moderator in zip(cases, moderators, strict=True):
        await cycle.execute_update(
            CprCycleWorkflow.allocate_moderator,
            AllocateModerator(actor="qa.officer", case_number=case.case_number, moderator=moderator),
        )
    differ = ModerateReview(
        actor="maya.moderator",
        case_number=first.case_number,
        grade=Grade.requires_improvement,
        rationale="thin plan",
        sampled="the plan",
    )
    assert await refused(cycle, CprCycleWorkflow.moderate, differ) == (
        "your grade (Requires Improvement) differs from the reviewer's (Good): record your conversation with sam.reviewer"
    )
    assert await refused(cycle, CprCycleWorkflow.moderate, differ.model_copy(update={"actor": "omar.moderator"})) == (
        f"only the allocated moderator (maya.moderator) can moderate case {first.case_number}"
    )
    await cycle.execute_update(
        CprCycleWorkflow.moderate, differ.model_copy(update={"conversation": "agreed the plan lacks timescales"})
    )
    for case, moderator, grade in list(zip(cases, moderators, grades, strict=True))[1:]:
        await cycle.execute_update(
            CprCycleWorkflow.moderate,
            ModerateReview(
                actor=moderator, case_number=case.case_number, grade=grade, rationale="consistent", sampled="the plan"
            ),
        )

    async def reporting():
        s = await cycle.query(CprCycleWorkflow.state)
        return s if s.phase == "reporting" else None

    state = await eventually(reporting)
    assert "findings-report" in {t.task_key for t in (await inbox(app_pool, "qa.officer")).to_do}
    assert await refused(cycle, CprCycleWorkflow.publish_report, NARRATIVE.model_copy(update={"strengths": " "})) == (
        "the findings report needs strengths"
    )
    published = await cycle.execute_update(CprCycleWorkflow.publish_report, NARRATIVE)
    report = published.report
    assert published.phase == "complete"
    # The grades of record: the first moderated from Good down to Requires Improvement.
    assert report.grades == {"Outstanding": 1, "Good": 2, "Requires Improvement": 2, "Inadequate": 1}
    assert (report.moderated, report.agreed) == (6, 5)
    markdown = (await stored_file(app_pool, report.markdown_path)).decode()
    assert hashlib.sha256(markdown.encode()).hexdigest() == report.markdown_sha256
    assert hashlib.sha256(await stored_file(app_pool, report.html_path)).hexdigest() == report.html_sha256
    assert "reviewer and moderator agreed on 5 (83%)" in markdown
    assert f"Differed: {first.case_number}: reviewer Good, moderator Requires Improvement" in markdown
    assert "assessment.2 (6)" in markdown and "basic-information.3 (6)" in markdown
    assert "Chronology workshop for all teams." in markdown
    # The team managers and heads of service of the sampled practitioners are told, once each.
    told_of = f"The findings of the CPR cycle {cycle.id} (Children in Need) are published"
    for manager in ("nadia.manager", "hana.hos"):
        assert [e.subject for e in (await inbox(app_pool, manager)).told if e.subject == told_of] == [told_of]
    assert told_of not in [e.subject for e in (await inbox(app_pool, "sam.reviewer")).told]

    final = await cycle.result()
    log = AuditLog(app_pool)
    assert fold(cpr_cycle.evolve, cpr_cycle.CYCLE_EVENTS, await log.read_stream(cycle.id)) == final
    assert all(r.ok for r in await log.verify())
    await keep_history(cycle, "cpr_cycle_duties_six_reviews_moderated_and_reported")
    assert all([(await h.describe()).status == WorkflowExecutionStatus.COMPLETED for h in handles])


async def test_a_cycles_report_adds_its_actions_to_a_team_plan_linked_back_to_the_cycle(
    time_skipping_env, worker, settings, example_authority, app_pool, keep_history
):
    cycle = await start_cycle(time_skipping_env, settings, size=1)
    # Its one case never allocated: the window ends with it outstanding, and no review awaits moderation.
    await sleep_until(time_skipping_env, DUE + timedelta(minutes=1))

    async def reporting():
        s = await cycle.query(CprCycleWorkflow.state)
        return s if s.phase == "reporting" else None

    await eventually(reporting)
    plan, _ = await start_plan(
        time_skipping_env,
        settings,
        PlanInput(kind="team", team="Children in Need", owner="nadia.manager", started_by="nadia.manager"),
        "team",
    )
    action = SmartAction(
        action="every plan has timescales",
        support="a planning workshop",
        responsible="priya.practitioner",
        by_when=date(2028, 3, 31),
        evidence="the next cycle finds timescales in 9 of 10 plans",
    )
    narrative = NARRATIVE.model_copy(update={"plan_id": plan.id, "actions": (action,)})
    before = await AuditLog(app_pool).read_stream(cycle.id)
    vague = action.model_copy(update={"evidence": " "})
    assert await refused(
        cycle, CprCycleWorkflow.publish_report, narrative.model_copy(update={"actions": (vague,)})
    ) == ("action 1: the action is not SMART: it needs how completion will be shown")
    assert await refused(
        cycle, CprCycleWorkflow.publish_report, narrative.model_copy(update={"plan_id": "plan-team-nowhere"})
    ) == ("the action plan refused the actions: plan-team-nowhere: no such running plan")
    assert await AuditLog(app_pool).read_stream(cycle.id) == before
    assert (await plan.query(ActionPlanWorkflow.state)).actions == ()

    published = await cycle.execute_update(CprCycleWorkflow.publish_report, narrative)
    assert (published.report.plan_id, published.report.plan_actions) == (plan.id, ("A1",))
    plan_state = await plan.query(ActionPlanWorkflow.state)
    assert [(a.action_id, a.source, a.responsible) for a in plan_state.actions] == [
        ("A1", f"{cycle.id} action 1", "priya.practitioner")
    ]
    markdown = (await stored_file(app_pool, published.report.markdown_path)).decode()
    assert f"## Actions added to {plan.id}\n\nA1: every plan has timescales (priya.practitioner, by 2028-03-31)\n" in (
        markdown
    )

    final = await cycle.result()
    log = AuditLog(app_pool)
    assert fold(cpr_cycle.evolve, cpr_cycle.CYCLE_EVENTS, await log.read_stream(cycle.id)) == final
    assert all(r.ok for r in await log.verify())
    await keep_history(cycle, "cpr_cycle_duties_report_adds_actions_to_a_plan")
    await plan.terminate()


async def test_a_worker_restarted_mid_cycle_loses_and_duplicates_nothing(
    dev_env, settings, app_pool, directory_pool, tmp_path
):
    from worker.main import build_worker

    # The dev server runs on the wall clock: the cycle is the example's, in a November still ahead.
    await import_authority(directory_pool, example_cases(tmp_path))
    async with build_worker(dev_env.client, app_pool, settings):
        cycle = await start_cycle(dev_env, settings, size=2, start=date(cycle_year(), 11, 1))
        cases = (await cycle.query(CprCycleWorkflow.state)).cases
        handles = [await review_of(dev_env, await allocate(cycle, c.case_number), c.case_number) for c in cases]
        await handles[0].execute_update(
            ReviewWorkflow.record_voice, RecordVoice(actor="sam.reviewer", whose="child", summary="heard")
        )
    # No worker: the work waits, durably. A new worker (a new process, in real life) picks it up.
    async with build_worker(dev_env.client, app_pool, settings):
        await drive_review(handles[1], cases[1].practitioner, Grade.good)
        handle = handles[0]
        await handle.execute_update(
            ReviewWorkflow.record_voice, RecordVoice(actor="sam.reviewer", whose="family", summary="heard")
        )
        await handle.execute_update(
            ReviewWorkflow.reflect,
            RecordReflection(actor=cases[0].practitioner, score=5, pleased_with="a", could_develop="b"),
        )
        await handle.execute_update(
            ReviewWorkflow.record_conversation, RecordConversation(actor="sam.reviewer", summary="c")
        )
        await handle.execute_update(
            ReviewWorkflow.judge,
            JudgeRubric(actor="sam.reviewer", judgements=dict.fromkeys(CRITERION_IDS, Evidence.clear)),
        )
        await handle.execute_update(
            ReviewWorkflow.grade, GiveGrade(actor="sam.reviewer", grade=Grade.good, rationale="r")
        )
        await handle.execute_update(
            ReviewWorkflow.conclude,
            RecordConclusion(actor="sam.reviewer", working_well="direct work", do_differently="timely plans"),
        )
        await handle.execute_update(ReviewWorkflow.submit, SubmitReview(actor="sam.reviewer"))

        async def moderation_started():
            s = await cycle.query(CprCycleWorkflow.state)
            return s if s.phase == "moderation" else None

        await eventually(moderation_started)
        await stop(dev_env, cycle)

    log = AuditLog(app_pool)
    for item in [cycle, *handles]:
        events = await log.read_stream(item.id)
        assert [e.version for e in events] == list(range(1, len(events) + 1))
        assert len({e.event_id for e in events}) == len(events)
    review_events = [e.event_type for e in await log.read_stream(handles[0].id)]
    assert review_events.count("review.voice_recorded") == 2 and review_events.count("review.submitted") == 1
    assert all(r.ok for r in await log.verify())


async def test_an_action_past_its_date_is_flagged_to_the_team_manager_and_head_of_service(
    time_skipping_env, worker, settings, example_authority, app_pool, keep_history
):
    cycle = await start_cycle(time_skipping_env, settings, size=1)
    case = (await cycle.query(CprCycleWorkflow.state)).cases[0]
    handle = await review_of(time_skipping_env, await allocate(cycle, case.case_number), case.case_number)
    await handle.execute_update(
        ReviewWorkflow.recommend_action,
        RecommendAction(actor="sam.reviewer", action="update the chronology", due_by=date(2027, 12, 17)),
    )
    await drive_review(handle, case.practitioner, Grade.good)

    await sleep_until(time_skipping_env, datetime(2027, 12, 17, 22, tzinfo=LONDON))
    assert not (await handle.query(ReviewWorkflow.state)).actions[0].overdue
    await time_skipping_env.sleep(timedelta(hours=3))
    state = await handle.query(ReviewWorkflow.state)
    assert state.actions[0].overdue and state.status == "submitted"
    for person in ("nadia.manager", "hana.hos"):
        told = [n.subject for n in (await inbox(app_pool, person)).told if n.kind == "escalation"]
        assert told == [f"Overdue: action A1 of the review of case {case.case_number} was due by 17 December 2027"]

    # Completed late, it still closes the review; the flag stays on the record.
    await handle.execute_update(
        ReviewWorkflow.complete_action,
        CompleteAction(actor="nadia.manager", action_id="A1", oversight_note="done late, in supervision"),
    )
    final = await handle.result()
    assert (final.status, final.actions[0].overdue) == ("closed", True)
    assert fold(review.evolve, review.REVIEW_EVENTS, await AuditLog(app_pool).read_stream(handle.id)) == final
    await keep_history(handle, "review_concluded_action_overdue_then_completed")
    await stop(time_skipping_env, cycle)
