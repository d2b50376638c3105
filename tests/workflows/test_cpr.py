"""A CPR cycle and its reviews on the time-skipping server, with the example authority in PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from temporalio.client import WorkflowExecutionStatus, WorkflowHandle, WorkflowUpdateFailedError

from activities.audit_log import AuditLog
from activities.notifications import Outbox
from domain import cpr_cycle, review
from domain.cpr_cycle import AllocateReviewer
from domain.events import fold
from domain.review import (
    CompleteAction,
    ExtendReview,
    GiveGrade,
    JudgeRubric,
    RaiseSafeguarding,
    RecommendAction,
    RecordConversation,
    RecordReflection,
    RecordVoice,
    SubmitReview,
)
from domain.rubric import CRITERION_IDS, Evidence, Grade
from domain.sampling import Candidate, redo
from domain.working_days import LONDON
from tests.workflows.conftest import eventually
from workflows.cpr_cycle import CprCycleWorkflow, CycleInput
from workflows.review import ReviewWorkflow

START = date(2027, 11, 1)  # Children in Need, November in Appendix 1
DUE = datetime(2027, 11, 29, 23, 59, 59, tzinfo=LONDON)  # 20 working days after Mon 1 Nov 2027
TOO_RECENT = {"LCS-100823", "LCS-100837", "LCS-100851"}


async def start_cycle(env, settings, size: int = 3) -> WorkflowHandle:
    handle = await env.client.start_workflow(
        CprCycleWorkflow.run,
        CycleInput(
            service="Children in Need", start=START, sample_size=size, seed="cpr-2027-11", started_by="qa.officer"
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


async def refused(handle, update, request) -> str:
    with pytest.raises(WorkflowUpdateFailedError) as failure:
        await handle.execute_update(update, request)
    return failure.value.cause.message


async def inbox(app_pool, person: str):
    return await Outbox(app_pool).inbox(person, datetime.now(UTC))


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
    tasks = {t.task_key for t in (await inbox(app_pool, case.practitioner)).to_do}
    assert "reflection" in tasks

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

    closed = await handle.execute_update(
        ReviewWorkflow.complete_action,
        CompleteAction(actor="nadia.manager", action_id="A1", oversight_note="reviewed in supervision on 10 Dec"),
    )
    assert closed.actions[0].completed_by == "nadia.manager"
    final = await handle.result()
    assert final.status == "closed"
    assert (await cycle.result()).phase == "reviews_closed"

    log = AuditLog(app_pool)
    events = await log.read_stream(handle.id)
    assert fold(review.evolve, review.REVIEW_EVENTS, events) == final
    cycle_events = await log.read_stream(cycle.id)
    assert fold(cpr_cycle.evolve, cpr_cycle.CYCLE_EVENTS, cycle_events) == await cycle.query(CprCycleWorkflow.state)
    assert all(r.ok for r in await log.verify())
    await keep_history(handle, "review_submitted_then_actions_closed")
    await keep_history(cycle, "cpr_cycle_one_review_submitted")


async def test_a_safeguarding_alert_reaches_the_team_manager_and_head_of_service_at_once(
    time_skipping_env, worker, settings, example_authority, app_pool
):
    cycle = await start_cycle(time_skipping_env, settings, size=1)
    case = (await cycle.query(CprCycleWorkflow.state)).cases[0]
    handle = await review_of(time_skipping_env, await allocate(cycle, case.case_number), case.case_number)
    before = await time_skipping_env.get_current_time()
    state = await handle.execute_update(
        ReviewWorkflow.raise_safeguarding,
        RaiseSafeguarding(actor="sam.reviewer", concern="unexplained bruising seen on the visit"),
    )
    assert state.alerts[0].notified == ("nadia.manager", "hana.hos")
    assert await time_skipping_env.get_current_time() - before < timedelta(minutes=1)
    for person in ("nadia.manager", "hana.hos"):
        [alert] = [n for n in (await inbox(app_pool, person)).told if n.kind == "alert"]
        assert alert.subject == f"SAFEGUARDING: immediate steps needed for case {case.case_number}"
    await stop(time_skipping_env, cycle)


async def test_an_overdue_review_is_escalated_step_by_step(
    time_skipping_env, worker, settings, example_authority, app_pool, keep_history
):
    cycle = await start_cycle(time_skipping_env, settings, size=1)
    case = (await cycle.query(CprCycleWorkflow.state)).cases[0]
    handle = await review_of(time_skipping_env, await allocate(cycle, case.case_number), case.case_number)

    async def chased_to(moment: datetime):
        now = await time_skipping_env.get_current_time()
        await time_skipping_env.sleep(moment - now)
        return await handle.query(ReviewWorkflow.state)

    state = await chased_to(datetime(2027, 11, 25, 10, tzinfo=LONDON))
    assert (state.status, state.chased) == ("open", 1)
    reminders = [n for n in (await inbox(app_pool, "sam.reviewer")).told if n.kind == "reminder"]
    assert [n.subject for n in reminders] == [
        f"Reminder: the review of case {case.case_number} is due by 29 November 2027"
    ]

    state = await chased_to(datetime(2027, 11, 30, 9, tzinfo=LONDON))
    assert (state.status, state.escalation_level) == ("overdue", 1)
    state = await chased_to(datetime(2027, 12, 2, 9, tzinfo=LONDON))
    assert state.escalation_level == 2
    state = await chased_to(datetime(2027, 12, 7, 9, tzinfo=LONDON))
    assert state.escalation_level == 3

    chased = [e for e in await AuditLog(app_pool).read_stream(handle.id) if e.event_type == "review.chased"]
    assert [(e.payload["step"]["kind"], e.payload["step"]["level"], e.payload["recipients"]) for e in chased] == [
        ("reminder", 0, ["sam.reviewer", case.practitioner]),
        ("overdue", 0, ["sam.reviewer", case.practitioner]),
        ("escalation", 1, ["quinn.hoqa"]),  # the reviewer's line manager
        ("escalation", 2, ["hana.hos"]),
        ("escalation", 3, ["quinn.hoqa"]),  # the Head of QA
    ]
    escalations = [n.subject for n in (await inbox(app_pool, "hana.hos")).told if n.kind == "escalation"]
    assert escalations == [
        f"Escalated to you as the head of service: the review of case {case.case_number} was due by 29 November 2027"
    ]
    # the cycle's window closed with this review outstanding
    assert (await cycle.query(CprCycleWorkflow.state)).phase == "reviews_closed"
    await stop(time_skipping_env, cycle)
    await keep_history(handle, "review_escalated_to_head_of_qa")


async def test_a_qa_officer_extension_moves_the_chase(time_skipping_env, worker, settings, example_authority, app_pool):
    cycle = await start_cycle(time_skipping_env, settings, size=1)
    case = (await cycle.query(CprCycleWorkflow.state)).cases[0]
    handle = await review_of(time_skipping_env, await allocate(cycle, case.case_number), case.case_number)

    assert (
        await refused(
            handle, ReviewWorkflow.extend, ExtendReview(actor="sam.reviewer", extra_working_days=5, reason="please")
        )
        == "only a qa officer can extend a review's deadline; sam.reviewer is not one"
    )
    extended = await handle.execute_update(
        ReviewWorkflow.extend,
        ExtendReview(actor="qa.officer", extra_working_days=5, reason="family unavailable until December"),
    )
    assert extended.due_at == datetime(2027, 12, 6, 23, 59, 59, tzinfo=LONDON)
    now = await time_skipping_env.get_current_time()
    await time_skipping_env.sleep(datetime(2027, 11, 30, 9, tzinfo=LONDON) - now)
    state = await handle.query(ReviewWorkflow.state)
    assert (state.status, state.chased, state.extensions) == ("open", 0, ("family unavailable until December",))
    await stop(time_skipping_env, cycle)
