"""Thematic reviews and dip audits on the time-skipping server, with the example authority in PostgreSQL."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from temporalio.client import WorkflowExecutionStatus, WorkflowFailureError

from domain import case_audit
from domain.action_plan import PlanInput, SmartAction
from domain.case_audit import (
    RUBRIC_QUESTIONS,
    AllocateReviewer,
    Answer,
    Question,
    QuestionSet,
    RecordAnswers,
    SubmitCase,
    VoiceHeard,
)
from domain.cpr_cycle import PublishReport
from domain.directory import Role
from domain.duties import duty
from domain.rubric import CRITERION_IDS, Evidence
from domain.working_days import LONDON
from infra.store.audit_log import AuditLog
from infra.store.directory import Directory
from tests.clock import sleep_until
from tests.workflows.conftest import audited, eventually, inbox, refused, told
from workflows.action_plan import ActionPlanWorkflow
from workflows.dip_audit import DipAuditInput, DipAuditWorkflow
from workflows.thematic_review import ThematicInput, ThematicReviewWorkflow

# Thematic reviews in April (Appendix 1). The 20 working days from Mon 12 April 2027 skip the
# early May bank holiday (3 May); the findings are due 10 working days after the window.
THEMATIC_START = date(2027, 4, 12)
THEMATIC_CLOSES = datetime(2027, 5, 11, 23, 59, 59, tzinfo=LONDON)
THEMATIC_FINDINGS_DUE = datetime(2027, 5, 25, 23, 59, 59, tzinfo=LONDON)
# A 5-working-day dip audit from Mon 24 May 2027 skips the spring bank holiday (31 May).
DIP_START = date(2027, 5, 24)
DIP_CLOSES = datetime(2027, 6, 1, 23, 59, 59, tzinfo=LONDON)
DIP_FINDINGS_DUE = datetime(2027, 6, 15, 23, 59, 59, tzinfo=LONDON)
JO_CASE, PRIYA_CASE = "LCS-100318", "LCS-100701"  # jo.reviewer's and priya.practitioner's cases

THEMES = QuestionSet(
    source="neglect.csv",
    questions=(
        Question(id="N1", text="The impact of neglect on the child is analysed"),
        Question(id="N2", text="The plan says who does what, by when, to change the child's daily care"),
    ),
)
NARRATIVE = {
    "actor": "qa.officer",
    "key_findings": "Neglect is named but its impact on the child is rarely analysed.",
    "strengths": "Children are seen alone.",
    "areas_for_development": "Chronologies.",
    "recommendations": "A neglect toolkit workshop for every team.",
}


async def start(env, settings, workflow, request, name: str):
    handle = await env.client.start_workflow(
        workflow.run, request, id=f"{name}-{settings.task_queue}", task_queue=settings.task_queue
    )

    async def sampled():
        state = await handle.query(workflow.state)
        return state if state is not None and state.phase == "reviewing" else None

    await eventually(sampled)
    return handle


async def start_thematic(env, settings, **changes):
    request = ThematicInput(
        focus="Neglect",
        start=THEMATIC_START,
        sample_size=2,
        seed="thematic-2027-04",
        started_by="qa.officer",
    )
    return await start(env, settings, ThematicReviewWorkflow, request.model_copy(update=changes), "thematic")


async def start_dip(env, settings, **changes):
    request = DipAuditInput(
        focus="Neglect plans",
        start=DIP_START,
        window=5,
        cases=(JO_CASE, PRIYA_CASE),
        questions=THEMES,
        started_by="qa.officer",
    )
    return await start(env, settings, DipAuditWorkflow, request.model_copy(update=changes), "dip")


def all_answers(question_ids, evidence=Evidence.some) -> tuple[Answer, ...]:
    return tuple(Answer(question_id=q, evidence=evidence) for q in question_ids)


async def stop(handle) -> None:
    if (await handle.describe()).status == WorkflowExecutionStatus.RUNNING:
        await handle.terminate()


async def test_a_thematic_review_closes_on_the_twentieth_working_day_and_chases_a_late_reviewer(
    time_skipping_env, worker, settings, example_authority, app_pool, keep_history
):
    review = await start_thematic(time_skipping_env, settings)
    state = await review.query(ThematicReviewWorkflow.state)
    assert (state.closes_at, state.window, state.service) == (THEMATIC_CLOSES, 20, None)
    assert state.questions == RUBRIC_QUESTIONS and len(state.questions.ids) == 26
    assert state.draw is not None and state.draw.seed == "thematic-2027-04" and len(state.cases) == 2
    first, second = state.cases
    key = case_audit.case_key(first.case_number)

    await review.execute_update(
        ThematicReviewWorkflow.allocate,
        AllocateReviewer(actor="qa.officer", case_number=first.case_number, reviewer="sam.reviewer"),
    )
    await review.execute_update(
        ThematicReviewWorkflow.answer,
        RecordAnswers(actor="sam.reviewer", case_number=first.case_number, answers=all_answers(["assessment.3"])),
    )
    await sleep_until(time_skipping_env, datetime(2027, 5, 7, 10, tzinfo=LONDON))
    assert await told(app_pool, "sam.reviewer", "reminder") == [
        f"Reminder: answer the thematic review's questions for case {first.case_number}, due by 11 May 2027"
    ]
    await sleep_until(time_skipping_env, datetime(2027, 5, 11, 23, tzinfo=LONDON))
    assert (await review.query(ThematicReviewWorkflow.state)).phase == "reviewing"

    await sleep_until(time_skipping_env, datetime(2027, 5, 12, 9, tzinfo=LONDON))
    state = await review.query(ThematicReviewWorkflow.state)
    assert (state.phase, state.outstanding_at_close) == ("reporting", (first.case_number, second.case_number))
    assert (state.findings_due.owner, state.findings_due.due_at) == ("qa.officer", THEMATIC_FINDINGS_DUE)
    assert await refused(
        review,
        ThematicReviewWorkflow.allocate,
        AllocateReviewer(actor="qa.officer", case_number=second.case_number, reviewer="sam.reviewer"),
    ) == ("the window closed on 11 May 2027; no more allocations")

    # sam.reviewer's manager is the Head of QA, whose manager is the assistant director.
    await sleep_until(time_skipping_env, datetime(2027, 5, 19, 9, tzinfo=LONDON))
    chased = [e for e in await AuditLog(app_pool).read_stream(review.id) if e.event_type == "thematic.duty_chased"]
    assert [(e.payload["key"], e.payload["step"]["kind"], e.payload["recipients"]) for e in chased] == [
        (key, "reminder", ["sam.reviewer"]),
        (key, "overdue", ["sam.reviewer"]),
        (key, "escalation", ["quinn.hoqa"]),
        (key, "escalation", ["alex.assistant"]),
        (key, "escalation", ["quinn.hoqa"]),
    ]
    assert await told(app_pool, "alex.assistant", "escalation") == [
        "Escalated to you as the next manager up: sam.reviewer was to answer the thematic review's questions"
        f" for case {first.case_number} by 11 May 2027"
    ]

    # Late, but still counted: a late case joins the findings.
    await review.execute_update(
        ThematicReviewWorkflow.answer,
        RecordAnswers(actor="sam.reviewer", case_number=first.case_number, answers=all_answers(CRITERION_IDS)),
    )
    state = await review.execute_update(
        ThematicReviewWorkflow.submit, SubmitCase(actor="sam.reviewer", case_number=first.case_number)
    )
    assert state.case(first.case_number).late and duty(state, key).late
    published = await review.execute_update(ThematicReviewWorkflow.publish, PublishReport(**NARRATIVE))
    figures = published.findings.figures
    assert (published.phase, figures.sampled, figures.submitted, figures.late) == ("complete", 2, 1, 1)
    assert figures.outstanding == (second.case_number,)
    assert {(q.question_id, q.some) for q in figures.questions} == {(q, 1) for q in CRITERION_IDS}
    assert "findings" not in {t.task_key for t in (await inbox(app_pool, "qa.officer")).to_do}
    # The sampled practitioners' team managers and heads of service are told where to read it.
    directory = Directory(app_pool, AuditLog(app_pool))
    expected = set()
    for practitioner in {first.practitioner, second.practitioner}:
        chain = await directory.management_chain(practitioner)
        expected |= {
            next(m.staff_id for m in chain if role in m.roles) for role in (Role.TEAM_MANAGER, Role.HEAD_OF_SERVICE)
        }
    assert expected  # the example authority's practitioners all have both
    for manager in expected:
        [note] = [e for e in (await inbox(app_pool, manager)).told if e.subject.endswith("are published")]
        assert note.subject == "The findings of the thematic review on Neglect are published"
        assert note.body.startswith(f"Read them with `qa thematic show {review.id}`.")

    final = await review.result()
    await audited(app_pool, review.id, final)
    await keep_history(review, "thematic_review_late_reviewer_chased_published_and_told")


async def test_refusals_name_the_reason_and_record_nothing(
    time_skipping_env, worker, settings, example_authority, app_pool
):
    audit = await start_dip(time_skipping_env, settings)
    log = AuditLog(app_pool)
    before = await log.read_stream(audit.id)

    allocate = DipAuditWorkflow.allocate
    assert await refused(
        audit, allocate, AllocateReviewer(actor="qa.officer", case_number=JO_CASE, reviewer="jo.reviewer")
    ) == (f"jo.reviewer is the allocated practitioner for case {JO_CASE} and cannot review their own work")
    assert await refused(
        audit, allocate, AllocateReviewer(actor="sam.reviewer", case_number=JO_CASE, reviewer="rosa.reviewer")
    ) == ("sam.reviewer cannot allocate reviewers: the directory does not list them as a qa_officer")
    assert await refused(
        audit, allocate, AllocateReviewer(actor="qa.officer", case_number=JO_CASE, reviewer="priya.practitioner")
    ) == ("priya.practitioner cannot review: the directory does not list them as a reviewer")
    assert await refused(
        audit, allocate, AllocateReviewer(actor="qa.officer", case_number="LCS-100851", reviewer="sam.reviewer")
    ) == (f"case LCS-100851 is not in this sample ({JO_CASE}, {PRIYA_CASE})")
    assert await log.read_stream(audit.id) == before

    await audit.execute_update(
        allocate, AllocateReviewer(actor="qa.officer", case_number=JO_CASE, reviewer="sam.reviewer")
    )
    before = await log.read_stream(audit.id)
    answer = RecordAnswers(actor="sam.reviewer", case_number=JO_CASE, answers=all_answers(["N1", "assessment.3"]))
    assert await refused(audit, DipAuditWorkflow.answer, answer) == (
        "unknown question assessment.3: the questions are N1, N2"
    )
    assert await refused(audit, DipAuditWorkflow.answer, answer.model_copy(update={"actor": "rosa.reviewer"})) == (
        f"only the allocated reviewer (sam.reviewer) can answer for case {JO_CASE}"
    )
    assert await refused(audit, DipAuditWorkflow.submit, SubmitCase(actor="sam.reviewer", case_number=JO_CASE)) == (
        f"case {JO_CASE} still needs an answer to 2 questions: N1, N2"
    )
    assert await refused(audit, DipAuditWorkflow.publish, PublishReport(**NARRATIVE)) == (
        "the findings follow the reviews: every case submitted, or the window closing on 1 June 2027"
    )
    assert await log.read_stream(audit.id) == before
    await stop(audit)


async def test_a_sample_that_cannot_be_taken_records_nothing(
    time_skipping_env, worker, settings, example_authority, app_pool
):
    request = DipAuditInput(
        focus="Neglect plans",
        start=DIP_START,
        window=5,
        cases=(PRIYA_CASE, "LCS-999999", "EHM-1"),
        started_by="qa.officer",
    )
    for name, bad, message in [
        ("unknown", request, "not open in cases snapshot 1: LCS-999999, EHM-1"),
        (
            "starter",
            request.model_copy(update={"cases": (PRIYA_CASE,), "started_by": "sam.reviewer"}),
            "sam.reviewer cannot start a dip audit: the directory does not list them as a qa_officer",
        ),
    ]:
        handle = await time_skipping_env.client.start_workflow(
            DipAuditWorkflow.run, bad, id=f"dip-{name}-{settings.task_queue}", task_queue=settings.task_queue
        )
        with pytest.raises(WorkflowFailureError) as failure:
            await handle.result()
        cause = failure.value.cause
        while getattr(cause, "cause", None) is not None:
            cause = cause.cause
        assert cause.message == message
        assert await AuditLog(app_pool).read_stream(handle.id) == []


async def test_a_dip_audit_of_listed_cases_publishes_its_findings_into_a_team_plan(
    time_skipping_env, worker, settings, example_authority, app_pool, keep_history
):
    plan = await time_skipping_env.client.start_workflow(
        ActionPlanWorkflow.run,
        PlanInput(
            kind="team",
            team="Children in Need",
            owner="nadia.manager",
            started_by="nadia.manager",
            first_meeting=date(2027, 7, 5),
        ),
        id=f"plan-team-{settings.task_queue}",
        task_queue=settings.task_queue,
    )
    audit = await start_dip(time_skipping_env, settings)
    state = await audit.query(DipAuditWorkflow.state)
    assert (state.closes_at, state.draw, state.snapshot_id) == (DIP_CLOSES, None, 1)
    assert [(c.case_number, c.practitioner) for c in state.cases] == [
        (JO_CASE, "jo.reviewer"),
        (PRIYA_CASE, "priya.practitioner"),
    ]
    for case_number, reviewer in ((JO_CASE, "sam.reviewer"), (PRIYA_CASE, "rosa.reviewer")):
        await audit.execute_update(
            DipAuditWorkflow.allocate,
            AllocateReviewer(actor="qa.officer", case_number=case_number, reviewer=reviewer),
        )
        answers = (
            Answer(question_id="N1", evidence=Evidence.limited, comment="neglect named, impact not analysed"),
            Answer(question_id="N2", evidence=Evidence.clear),
        )
        await audit.execute_update(
            DipAuditWorkflow.answer, RecordAnswers(actor=reviewer, case_number=case_number, answers=answers)
        )
        await audit.execute_update(DipAuditWorkflow.submit, SubmitCase(actor=reviewer, case_number=case_number))

    async def reporting():
        s = await audit.query(DipAuditWorkflow.state)
        return s if s.phase == "reporting" else None

    state = await eventually(reporting)
    # Every case in before the window ended: the findings are still due 10 working days after it.
    assert state.findings_due.due_at == DIP_FINDINGS_DUE and state.outstanding_at_close == ()

    action = SmartAction(
        action="every neglect case has an analysis of impact",
        support="a neglect toolkit workshop",
        responsible="priya.practitioner",
        by_when=date(2027, 9, 30),
        evidence="the next dip audit finds it in 9 of 10 cases",
    )
    findings = PublishReport(**NARRATIVE, plan_id=plan.id, actions=(action,))
    before = await AuditLog(app_pool).read_stream(audit.id)
    assert await refused(
        audit,
        DipAuditWorkflow.publish,
        findings.model_copy(update={"actions": (action.model_copy(update={"evidence": ""}),)}),
    ) == ("action 1: the action is not SMART: it needs how completion will be shown")
    assert await refused(
        audit, DipAuditWorkflow.publish, findings.model_copy(update={"plan_id": "plan-team-nowhere"})
    ) == ("the action plan refused the actions: plan-team-nowhere: no such running plan")
    assert await refused(audit, DipAuditWorkflow.publish, findings.model_copy(update={"actor": "sam.reviewer"})) == (
        "sam.reviewer cannot publish the findings: the directory does not list them as a qa_officer or head_of_qa"
    )
    assert await AuditLog(app_pool).read_stream(audit.id) == before

    published = await audit.execute_update(DipAuditWorkflow.publish, findings)
    assert (published.findings.plan_id, published.findings.plan_actions) == (plan.id, ("A1",))
    [n1, n2] = published.findings.figures.questions
    assert (n1.limited, n2.clear) == (2, 2)
    plan_state = await plan.query(ActionPlanWorkflow.state)
    assert [(a.action_id, a.source, a.responsible) for a in plan_state.actions] == [
        ("A1", f"{audit.id} action 1", "priya.practitioner")
    ]

    final = await audit.result()
    events = await audited(app_pool, audit.id, final)
    assert [e.event_type for e in events][:2] == ["dip.started", "dip.sample_taken"]
    await keep_history(audit, "dip_audit_listed_cases_published_into_a_plan")
    await stop(plan)


async def test_a_random_dip_audit_closes_when_its_own_window_ends(
    time_skipping_env, worker, settings, example_authority, app_pool
):
    audit = await start_dip(
        time_skipping_env, settings, cases=(), sample_size=2, service="Care Leavers", seed="dip-2027-05"
    )
    state = await audit.query(DipAuditWorkflow.state)
    assert (state.closes_at, state.service, state.draw.seed, len(state.cases)) == (
        DIP_CLOSES,
        "Care Leavers",
        "dip-2027-05",
        2,
    )
    await sleep_until(time_skipping_env, datetime(2027, 6, 1, 23, tzinfo=LONDON))
    assert (await audit.query(DipAuditWorkflow.state)).phase == "reviewing"
    await sleep_until(time_skipping_env, datetime(2027, 6, 2, 9, tzinfo=LONDON))
    state = await audit.query(DipAuditWorkflow.state)
    assert (state.phase, len(state.outstanding_at_close)) == ("reporting", 2)
    assert state.findings_due.due_at == DIP_FINDINGS_DUE
    assert "Publish the findings of the dip audit on Neglect plans" in {
        t.subject for t in (await inbox(app_pool, "qa.officer")).to_do
    }
    await stop(audit)


async def test_a_dip_audit_that_asks_for_voices_counts_them_in_its_findings(
    time_skipping_env, worker, settings, example_authority, app_pool, keep_history
):
    audit = await start_dip(time_skipping_env, settings, asks_voices=True)
    answers = (Answer(question_id="N1", evidence=Evidence.some), Answer(question_id="N2", evidence=Evidence.clear))
    heard = {"child": (True, "says home is calmer"), "family": (False, "mother declined to speak with us")}
    for case_number, reviewer in ((JO_CASE, "sam.reviewer"), (PRIYA_CASE, "rosa.reviewer")):
        await audit.execute_update(
            DipAuditWorkflow.allocate, AllocateReviewer(actor="qa.officer", case_number=case_number, reviewer=reviewer)
        )
        await audit.execute_update(
            DipAuditWorkflow.answer, RecordAnswers(actor=reviewer, case_number=case_number, answers=answers)
        )
        # Every question answered, but not yet both voices: the case is not ready.
        child = VoiceHeard(whose="child", obtained=True, summary=heard["child"][1])
        await audit.execute_update(
            DipAuditWorkflow.answer, RecordAnswers(actor=reviewer, case_number=case_number, voices=(child,))
        )
        assert f"case {case_number} still needs the family's voice" in await refused(
            audit, DipAuditWorkflow.submit, SubmitCase(actor=reviewer, case_number=case_number)
        )
        assert "the family's voice cannot be empty" in await refused(
            audit,
            DipAuditWorkflow.answer,
            RecordAnswers(
                actor=reviewer,
                case_number=case_number,
                voices=(VoiceHeard(whose="family", obtained=False, summary=" "),),
            ),
        )
        family = VoiceHeard(whose="family", obtained=False, summary=heard["family"][1])
        await audit.execute_update(
            DipAuditWorkflow.answer, RecordAnswers(actor=reviewer, case_number=case_number, voices=(family,))
        )
        await audit.execute_update(DipAuditWorkflow.submit, SubmitCase(actor=reviewer, case_number=case_number))

    async def reporting():
        s = await audit.query(DipAuditWorkflow.state)
        return s if s.phase == "reporting" else None

    await eventually(reporting)
    published = await audit.execute_update(DipAuditWorkflow.publish, PublishReport(**NARRATIVE))
    voices = published.findings.figures.voices
    assert (voices["child"].sought, voices["child"].obtained) == (2, 2)
    assert (voices["family"].sought, voices["family"].obtained) == (2, 0)
    final = await audit.result()
    await audited(app_pool, audit.id, final)
    await keep_history(audit, "dip_audit_asks_for_voices")


async def test_an_audit_that_does_not_ask_for_voices_refuses_them(
    time_skipping_env, worker, settings, example_authority
):
    audit = await start_dip(time_skipping_env, settings)
    await audit.execute_update(
        DipAuditWorkflow.allocate, AllocateReviewer(actor="qa.officer", case_number=JO_CASE, reviewer="sam.reviewer")
    )
    voice = VoiceHeard(whose="child", obtained=True, summary="heard")
    assert "the Neglect plans audit does not ask for voices" in await refused(
        audit, DipAuditWorkflow.answer, RecordAnswers(actor="sam.reviewer", case_number=JO_CASE, voices=(voice,))
    )
    await stop(audit)
