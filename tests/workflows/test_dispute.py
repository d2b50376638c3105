"""The dispute ladder on the time-skipping server, with the example authority in PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest
from pydantic import ValidationError
from temporalio.client import WorkflowExecutionStatus, WorkflowHandle

from domain.dispute import (
    AllocateModerator,
    RecordConversation,
    RecordDecision,
    RecordModeration,
    RecordThreeWay,
    dispute_id,
)
from domain.duties import duty, overdue
from domain.events import NewEvent
from domain.working_days import LONDON
from infra.store.audit_log import AuditLog
from tests.clock import current, sleep_until
from tests.workflows.conftest import audited, eventually, inbox, refused, told
from workflows.dispute import DisputeInput, DisputeWorkflow

CASE = "LCS-100701"  # priya.practitioner's
RAISED = datetime(2027, 11, 1, 9, tzinfo=LONDON)  # a Monday
DUE_1 = datetime(2027, 11, 15, 23, 59, 59, tzinfo=LONDON)  # 10 working days later


async def graded_review(app_pool, review_id: str, reviewer: str, practitioner: str) -> None:
    """The review a dispute is about, as its audit record holds it (opened and graded), which the dispute
    checks its raiser against (workflows.dispute)."""
    from domain.review import ReviewGraded, ReviewOpened
    from domain.rubric import Grade

    opened = ReviewOpened(
        cycle_id=f"cpr-2027-11-01-{review_id}",
        case_number=CASE,
        service="Children in Need",
        team="Children in Need",
        practitioner=practitioner,
        reviewer=reviewer,
        team_manager="nadia.manager",
        head_of_service="hana.hos",
        due_at=DUE_1,
        calendar_digest="-",
        chase=(),
    )
    graded = ReviewGraded(grade=Grade.requires_improvement, rationale="the direct work is not evidenced")
    await AuditLog(app_pool).append(
        [
            NewEvent(
                stream_id=review_id,
                version=n,
                event_id=uuid.uuid4(),
                event_type=event.event_type,
                actor=reviewer,
                business_time=RAISED - timedelta(days=3),
                payload=event.model_dump(mode="json"),
            )
            for n, event in enumerate((opened, graded), start=1)
        ]
    )


async def raise_dispute(
    env,
    settings,
    app_pool,
    reviewer: str = "sam.reviewer",
    practitioner: str = "priya.practitioner",
    raised_by: str = "priya.practitioner",
) -> WorkflowHandle:
    await sleep_until(env, RAISED)
    review_id = f"cpr-2027-11-{settings.task_queue}-review-{CASE}"
    await graded_review(app_pool, review_id, reviewer, practitioner)
    handle = await env.client.start_workflow(
        DisputeWorkflow.run,
        DisputeInput(
            review_id=review_id,
            case_number=CASE,
            reviewer=reviewer,
            practitioner=practitioner,
            raised_by=raised_by,
            about="judgement",
            issues="the grade of Requires Improvement overlooks the direct work with the family",
        ),
        id=dispute_id(review_id, 1),
        task_queue=settings.task_queue,
    )
    await eventually(lambda: handle.query(DisputeWorkflow.state))
    return handle


async def at_stage(handle: WorkflowHandle, stage: str):
    async def there():
        state = await handle.query(DisputeWorkflow.state)
        return state if state.stage == stage else None

    return await eventually(there)


async def stop(handle: WorkflowHandle) -> None:
    if (await handle.describe()).status == WorkflowExecutionStatus.RUNNING:
        await handle.terminate()


async def tasks(app_pool, person: str) -> list[tuple[str, datetime]]:
    return [(t.task_key, t.due_at) for t in (await inbox(app_pool, person)).to_do]


def conversation(actor: str, decision: str, issues: str = "the grade and the weight given to direct work"):
    return RecordConversation(actor=actor, issues=issues, decision=decision, outcome="talked it through on 3 Nov")


def test_a_dispute_is_raised_by_a_party_to_the_review():
    with pytest.raises(ValidationError, match="raised by the reviewer"):
        DisputeInput(
            review_id="r",
            case_number=CASE,
            reviewer="sam.reviewer",
            practitioner="priya.practitioner",
            raised_by="nadia.manager",
            about="actions",
            issues="the actions",
        )
    with pytest.raises(ValidationError):
        DisputeInput(
            review_id="r",
            case_number=CASE,
            reviewer="sam.reviewer",
            practitioner="priya.practitioner",
            raised_by="sam.reviewer",
            about="tone",
            issues="the tone",
        )


async def test_a_dispute_resolved_in_the_reviewer_and_practitioner_conversation(
    time_skipping_env, worker, settings, example_authority, app_pool, keep_history
):
    handle = await raise_dispute(time_skipping_env, settings, app_pool)
    state = await handle.query(DisputeWorkflow.state)
    assert (state.stage, state.current.owners, state.current.due_at, state.raised_by) == (
        "reviewer_practitioner",
        ("sam.reviewer",),
        DUE_1,
        "priya.practitioner",
    )
    assert handle.id.endswith(f"-review-{CASE}-dispute-1")

    async def task_given():
        return await tasks(app_pool, "sam.reviewer")

    assert await eventually(task_given) == [("stage-1", DUE_1)]
    assert await told(app_pool, "priya.practitioner") == [
        f"The dispute about the review of case {CASE} is at stage 1"
        " (conversation between the reviewer and the practitioner)"
    ]

    resolved = await handle.execute_update(
        DisputeWorkflow.record_conversation, conversation("priya.practitioner", "resolved")
    )
    assert (resolved.status, resolved.current.decided_by) == ("resolved", "priya.practitioner")
    final = await handle.result()
    assert final.status == "resolved"
    assert await tasks(app_pool, "sam.reviewer") == []
    for party in ("sam.reviewer", "priya.practitioner"):
        assert (await told(app_pool, party))[0] == (
            f"The dispute about the review of case {CASE} was resolved at stage 1"
            " (conversation between the reviewer and the practitioner)"
        )
    events = await audited(app_pool, handle.id, final)
    assert [(e.event_type, e.actor, e.payload.get("key")) for e in events] == [
        ("dispute.raised", "priya.practitioner", None),
        ("dispute.stage_opened", "priya.practitioner", None),
        ("dispute.duty_set", "priya.practitioner", "stage-1-sam.reviewer"),
        ("dispute.conversation_recorded", "priya.practitioner", None),
        ("dispute.duty_done", "priya.practitioner", "stage-1-sam.reviewer"),
    ]
    await keep_history(handle, "dispute_stage_duty_resolved_at_stage_one")


async def test_a_dispute_escalated_stage_by_stage_to_the_head_of_qa(
    time_skipping_env, worker, settings, example_authority, app_pool, keep_history
):
    handle = await raise_dispute(time_skipping_env, settings, app_pool, raised_by="sam.reviewer")
    await handle.execute_update(DisputeWorkflow.record_conversation, conversation("sam.reviewer", "not_resolved"))
    state = await at_stage(handle, "moderator")
    assert (state.current.owners, state.current.moderator, state.stages[0].escalation_reason) == (
        ("qa.officer",),
        None,
        "not resolved",
    )

    async def allocation_task():
        return await tasks(app_pool, "qa.officer")

    assert await eventually(allocation_task) == [("stage-2-allocate", DUE_1)]
    assert await tasks(app_pool, "sam.reviewer") == []  # stage 1's task closed

    state = await handle.execute_update(
        DisputeWorkflow.allocate_moderator, AllocateModerator(actor="qa.officer", moderator="maya.moderator")
    )
    assert (state.current.moderator, state.current.owners, state.parties) == (
        "maya.moderator",
        ("maya.moderator",),
        ("sam.reviewer", "priya.practitioner", "maya.moderator"),
    )
    assert await tasks(app_pool, "qa.officer") == []
    assert await tasks(app_pool, "maya.moderator") == [("stage-2", DUE_1)]
    assert f"maya.moderator will moderate the dispute about the review of case {CASE}" in await told(
        app_pool, "priya.practitioner"
    )

    await handle.execute_update(
        DisputeWorkflow.record_moderation,
        RecordModeration(actor="maya.moderator", moderation="the rubric evidence supports Requires Improvement"),
    )
    await handle.execute_update(
        DisputeWorkflow.record_three_way,
        RecordThreeWay(
            actor="maya.moderator",
            issues="whether direct work outweighs the out-of-date plan",
            decision="not_resolved",
            outcome="the practitioner still disagrees",
        ),
    )
    state = await at_stage(handle, "head_of_qa")
    assert (state.current.owners, state.current.note, state.stages[1].escalation_reason) == (
        ("quinn.hoqa",),
        "",
        "not resolved",
    )

    async def decision_task():
        return await tasks(app_pool, "quinn.hoqa")

    assert await eventually(decision_task) == [("stage-3", DUE_1)]
    await handle.execute_update(
        DisputeWorkflow.record_decision,
        RecordDecision(actor="quinn.hoqa", issues="the grade", decision="Requires Improvement stands; plan updated"),
    )
    final = await handle.result()
    assert (final.status, final.current.decision, final.current.outcome) == (
        "decided",
        "final",
        "Requires Improvement stands; plan updated",
    )
    assert await tasks(app_pool, "quinn.hoqa") == []
    for party in ("sam.reviewer", "priya.practitioner", "maya.moderator"):
        assert (await told(app_pool, party))[0] == (
            f"Final decision on the dispute about the review of case {CASE}, by quinn.hoqa at stage 3"
            " (decision of the Head of QA)"
        )
    events = await audited(app_pool, handle.id, final)
    # Each stage's owners' duties given with it and done with its decision (none was late here).
    assert [(e.event_type, e.payload.get("key")) for e in events] == [
        ("dispute.raised", None),
        ("dispute.stage_opened", None),
        ("dispute.duty_set", "stage-1-sam.reviewer"),
        ("dispute.conversation_recorded", None),
        ("dispute.duty_done", "stage-1-sam.reviewer"),
        ("dispute.escalated", None),
        ("dispute.stage_opened", None),
        ("dispute.duty_set", "stage-2-qa.officer"),
        ("dispute.moderator_allocated", None),
        ("dispute.duty_done", "stage-2-qa.officer"),
        ("dispute.duty_set", "stage-2-maya.moderator"),
        ("dispute.moderation_recorded", None),
        ("dispute.three_way_recorded", None),
        ("dispute.duty_done", "stage-2-maya.moderator"),
        ("dispute.escalated", None),
        ("dispute.stage_opened", None),
        ("dispute.duty_set", "stage-3-quinn.hoqa"),
        ("dispute.decided", None),
        ("dispute.duty_done", "stage-3-quinn.hoqa"),
    ]
    assert not any(d.late for d in final.duties)
    assert [e.payload["reason"] for e in events if e.event_type == "dispute.escalated"] == ["not resolved"] * 2
    await keep_history(handle, "dispute_stage_duties_decided_by_head_of_qa")


async def test_stage_windows_passing_escalate_on_their_own(
    time_skipping_env, worker, settings, example_authority, app_pool, keep_history
):
    env = time_skipping_env
    handle = await raise_dispute(env, settings, app_pool)

    await sleep_until(env, datetime(2027, 11, 11, 10, tzinfo=LONDON))
    state = await handle.query(DisputeWorkflow.state)
    assert (state.stage, duty(state, "stage-1-sam.reviewer").chased) == ("reviewer_practitioner", 1)
    assert await told(app_pool, "sam.reviewer", "reminder") == [
        f"Reminder: hold the dispute conversation with priya.practitioner about the review of case {CASE},"
        " due by 15 November 2027"
    ]

    await sleep_until(env, datetime(2027, 11, 16, 1, tzinfo=LONDON))
    state = await at_stage(handle, "moderator")
    assert (state.stages[0].escalation_reason, state.stages[0].decision) == ("window passed", None)
    assert state.current.due_at == datetime(2027, 11, 29, 23, 59, 59, tzinfo=LONDON)
    # Passed on, not escalated up a line: the stage's duty is closed, late, never chased as a breach.
    passed = duty(state, "stage-1-sam.reviewer")
    assert (passed.open, passed.late, passed.overdue) == (False, True, False)
    assert duty(state, "stage-2-qa.officer").open
    assert (
        f"The dispute about the review of case {CASE} is at stage 2"
        " (independent moderation and a three-way conversation)"
    ) in await told(app_pool, "priya.practitioner")

    # Allocation restarts the window: the moderator has their full ten working days.
    await sleep_until(env, datetime(2027, 11, 18, 10, tzinfo=LONDON))
    state = await handle.execute_update(
        DisputeWorkflow.allocate_moderator, AllocateModerator(actor="qa.officer", moderator="omar.moderator")
    )
    assert state.current.due_at == datetime(2027, 12, 2, 23, 59, 59, tzinfo=LONDON)
    assert not duty(state, "stage-2-qa.officer").open and duty(state, "stage-2-omar.moderator").open
    await sleep_until(env, datetime(2027, 11, 30, 12, tzinfo=LONDON))
    state = await handle.query(DisputeWorkflow.state)
    assert (state.stage, duty(state, "stage-2-omar.moderator").chased) == ("moderator", 1)

    await sleep_until(env, datetime(2027, 12, 3, 1, tzinfo=LONDON))
    state = await at_stage(handle, "head_of_qa")
    assert state.stages[1].escalation_reason == "window passed"
    assert state.current.due_at == datetime(2027, 12, 16, 23, 59, 59, tzinfo=LONDON)

    # The last stage has nowhere to go: past its window it is chased up the Head of QA's line, as every duty is,
    # and still awaits its decision.
    await sleep_until(env, datetime(2027, 12, 17, 1, tzinfo=LONDON))
    state = await handle.query(DisputeWorkflow.state)
    decide = duty(state, "stage-3-quinn.hoqa")
    assert (state.status, state.stage, decide.overdue, decide.escalation_level) == ("open", "head_of_qa", True, 1)
    what = f"quinn.hoqa was to decide the dispute about the review of case {CASE} (Head of QA) by 16 December 2027"
    assert await told(app_pool, "quinn.hoqa", "escalation") == [f"Overdue: {what}"]
    assert await told(app_pool, "alex.assistant", "escalation") == [f"Escalated to you as their line manager: {what}"]
    # What `qa overdue` reads: the streams with a breach recorded, and their overdue duties.
    assert handle.id in await AuditLog(app_pool).streams_with_overdue_duties()
    assert [d.key for d in overdue(state.duties)] == ["stage-3-quinn.hoqa"]

    await handle.execute_update(
        DisputeWorkflow.record_decision,
        RecordDecision(actor="quinn.hoqa", issues="the grade", decision="the grade changes to Good"),
    )
    final = await handle.result()
    assert final.status == "decided" and not any(d.open for d in final.duties)
    events = await audited(app_pool, handle.id, final)
    assert [(e.event_type, e.payload.get("key")) for e in events if e.actor == "qa-engine"] == [
        ("dispute.duty_chased", "stage-1-sam.reviewer"),
        ("dispute.escalated", None),
        ("dispute.stage_opened", None),
        ("dispute.duty_done", "stage-1-sam.reviewer"),
        ("dispute.duty_set", "stage-2-qa.officer"),
        ("dispute.duty_chased", "stage-2-omar.moderator"),
        ("dispute.escalated", None),
        ("dispute.stage_opened", None),
        ("dispute.duty_done", "stage-2-omar.moderator"),
        ("dispute.duty_set", "stage-3-quinn.hoqa"),
        ("dispute.duty_chased", "stage-3-quinn.hoqa"),  # the reminder
        ("dispute.duty_chased", "stage-3-quinn.hoqa"),  # the breach
        ("dispute.duty_chased", "stage-3-quinn.hoqa"),  # their line manager
    ]
    assert [e.payload["reason"] for e in events if e.event_type == "dispute.escalated"] == ["window passed"] * 2
    await keep_history(handle, "dispute_stage_duties_passed_to_head_of_qa_and_chased")


async def test_the_head_of_qa_as_moderator_passes_the_dispute_to_the_principal_social_worker(
    time_skipping_env, worker, settings, example_authority, app_pool, keep_history
):
    handle = await raise_dispute(time_skipping_env, settings, app_pool)
    await handle.execute_update(DisputeWorkflow.record_conversation, conversation("sam.reviewer", "not_resolved"))
    await at_stage(handle, "moderator")
    await handle.execute_update(
        DisputeWorkflow.allocate_moderator, AllocateModerator(actor="qa.officer", moderator="quinn.hoqa")
    )
    await handle.execute_update(
        DisputeWorkflow.record_moderation, RecordModeration(actor="quinn.hoqa", moderation="the grade is fair")
    )
    await handle.execute_update(
        DisputeWorkflow.record_three_way,
        RecordThreeWay(actor="quinn.hoqa", issues="the grade", decision="not_resolved", outcome="no agreement"),
    )
    state = await at_stage(handle, "principal_social_worker")
    assert (state.current.owners, state.current.note) == (
        ("paula.psw",),
        "the Head of QA (quinn.hoqa) is directly involved as the stage-2 moderator:"
        " passed to the principal social worker for independent overview",
    )
    before = await AuditLog(app_pool).read_stream(handle.id)
    assert await refused(
        handle,
        DisputeWorkflow.record_decision,
        RecordDecision(actor="quinn.hoqa", issues="the grade", decision="stands"),
    ) == (
        "only the principal social worker (paula.psw) can decide at stage 3"
        " (independent overview by the principal social worker)"
    )
    assert await AuditLog(app_pool).read_stream(handle.id) == before

    await handle.execute_update(
        DisputeWorkflow.record_decision,
        RecordDecision(actor="paula.psw", issues="the grade", decision="the grade stands"),
    )
    final = await handle.result()
    assert (final.status, final.current.stage, final.current.decided_by) == (
        "decided",
        "principal_social_worker",
        "paula.psw",
    )
    await audited(app_pool, handle.id, final)
    await keep_history(handle, "dispute_stage_duties_head_of_qa_involved_psw_decides")


async def test_the_head_of_qa_as_reviewer_passes_the_dispute_to_the_principal_social_worker(
    time_skipping_env, worker, settings, example_authority, app_pool
):
    handle = await raise_dispute(time_skipping_env, settings, app_pool, reviewer="quinn.hoqa")
    await handle.execute_update(DisputeWorkflow.record_conversation, conversation("priya.practitioner", "not_resolved"))
    await at_stage(handle, "moderator")
    await handle.execute_update(
        DisputeWorkflow.allocate_moderator, AllocateModerator(actor="qa.officer", moderator="omar.moderator")
    )
    await handle.execute_update(
        DisputeWorkflow.record_moderation, RecordModeration(actor="omar.moderator", moderation="a fair grade")
    )
    await handle.execute_update(
        DisputeWorkflow.record_three_way,
        RecordThreeWay(actor="omar.moderator", issues="the grade", decision="not_resolved", outcome="no agreement"),
    )
    state = await at_stage(handle, "principal_social_worker")
    assert state.current.owners == ("paula.psw",)
    assert state.current.note.startswith("the Head of QA (quinn.hoqa) is directly involved as the reviewer")

    async def decision_task():
        return await tasks(app_pool, "paula.psw")

    assert [key for key, _ in await eventually(decision_task)] == ["stage-3"]
    await handle.execute_update(
        DisputeWorkflow.record_decision, RecordDecision(actor="paula.psw", issues="the grade", decision="stands")
    )
    await audited(app_pool, handle.id, await handle.result())


async def test_every_refusal_records_nothing(time_skipping_env, worker, settings, example_authority, app_pool):
    handle = await raise_dispute(time_skipping_env, settings, app_pool)
    log = AuditLog(app_pool)
    W = DisputeWorkflow

    before = await log.read_stream(handle.id)
    assert await refused(handle, W.record_conversation, conversation("dan.practitioner", "resolved")) == (
        "only the reviewer (sam.reviewer) or the practitioner (priya.practitioner) can record their conversation"
    )
    assert (
        await refused(handle, W.record_conversation, conversation("sam.reviewer", "resolved", issues=" "))
        == "the issues discussed cannot be empty"
    )
    assert await refused(
        handle, W.allocate_moderator, AllocateModerator(actor="qa.officer", moderator="maya.moderator")
    ) == (
        "allocating a moderator belongs to stage 2 (independent moderation and a three-way conversation);"
        " the dispute is at stage 1 (conversation between the reviewer and the practitioner)"
    )
    assert (
        await refused(handle, W.record_decision, RecordDecision(actor="quinn.hoqa", issues="x", decision="y"))
    ).startswith("the final decision belongs to stage 3")
    assert await log.read_stream(handle.id) == before

    await handle.execute_update(W.record_conversation, conversation("sam.reviewer", "not_resolved"))
    await at_stage(handle, "moderator")
    before = await log.read_stream(handle.id)
    assert await refused(
        handle, W.allocate_moderator, AllocateModerator(actor="qa.officer", moderator="sam.reviewer")
    ) == (
        "sam.reviewer is the reviewer in this dispute; the moderator must be independent of both"
        " sam.reviewer and priya.practitioner"
    )
    assert (
        await refused(
            handle, W.allocate_moderator, AllocateModerator(actor="qa.officer", moderator="priya.practitioner")
        )
    ).startswith("priya.practitioner is the practitioner in this dispute")
    assert await refused(
        handle, W.allocate_moderator, AllocateModerator(actor="qa.officer", moderator="rosa.reviewer")
    ) == ("rosa.reviewer cannot moderate a dispute: the directory does not list them as a moderator")
    assert await refused(
        handle, W.allocate_moderator, AllocateModerator(actor="nadia.manager", moderator="maya.moderator")
    ) == ("nadia.manager cannot allocate a moderator to a dispute: the directory does not list them as a qa_officer")
    assert await refused(
        handle, W.allocate_moderator, AllocateModerator(actor="sam.reviewer", moderator="maya.moderator")
    ) == ("sam.reviewer is a party to the dispute and cannot choose its moderator")
    assert await refused(handle, W.record_moderation, RecordModeration(actor="maya.moderator", moderation="fair")) == (
        "no moderator is allocated yet: a QA officer allocates an independent moderator first"
    )
    assert await refused(handle, W.record_conversation, conversation("sam.reviewer", "resolved")) == (
        "the reviewer and practitioner's conversation belongs to stage 1"
        " (conversation between the reviewer and the practitioner);"
        " the dispute is at stage 2 (independent moderation and a three-way conversation)"
    )
    assert await log.read_stream(handle.id) == before

    await handle.execute_update(W.allocate_moderator, AllocateModerator(actor="qa.officer", moderator="maya.moderator"))
    before = await log.read_stream(handle.id)
    assert await refused(
        handle, W.allocate_moderator, AllocateModerator(actor="qa.officer", moderator="omar.moderator")
    ) == ("maya.moderator is already the moderator of this dispute")
    assert await refused(handle, W.record_moderation, RecordModeration(actor="omar.moderator", moderation="fair")) == (
        "only the moderator (maya.moderator) can record the independent moderation"
    )
    three_way = RecordThreeWay(actor="maya.moderator", issues="the grade", decision="resolved", outcome="agreed")
    assert await refused(handle, W.record_three_way, three_way) == (
        "the moderator moderates independently before the three-way conversation: record that first"
    )
    assert await refused(handle, W.record_moderation, RecordModeration(actor="maya.moderator", moderation="")) == (
        "the independent moderation cannot be empty"
    )
    assert (
        await refused(handle, W.record_decision, RecordDecision(actor="quinn.hoqa", issues="x", decision="y"))
    ).startswith("the final decision belongs to stage 3")
    assert await log.read_stream(handle.id) == before
    await stop(handle)


async def test_with_nobody_independent_to_decide_the_qa_officers_are_alerted_until_the_directory_has_someone(
    time_skipping_env, worker, settings, example_authority, app_pool
):
    from domain.directory import parse_staff_csv
    from tests.workflows.conftest import EXAMPLES

    handle = await raise_dispute(
        time_skipping_env, settings, app_pool, reviewer="quinn.hoqa", practitioner="paula.psw", raised_by="paula.psw"
    )
    await handle.execute_update(DisputeWorkflow.record_conversation, conversation("paula.psw", "not_resolved"))
    await at_stage(handle, "moderator")
    await handle.execute_update(
        DisputeWorkflow.allocate_moderator, AllocateModerator(actor="qa.officer", moderator="maya.moderator")
    )
    await handle.execute_update(
        DisputeWorkflow.record_moderation, RecordModeration(actor="maya.moderator", moderation="a fair grade")
    )
    await handle.execute_update(
        DisputeWorkflow.record_three_way,
        RecordThreeWay(actor="maya.moderator", issues="the grade", decision="not_resolved", outcome="no agreement"),
    )

    async def alerted():
        return await told(app_pool, "qa.officer", "alert")

    assert await eventually(alerted) == [f"The dispute about the review of case {CASE} has nobody to decide it"]
    state = await handle.query(DisputeWorkflow.state)
    assert (state.stage, state.current.decision) == ("moderator", "not_resolved")

    staff = (EXAMPLES / "staff.csv").read_text() + (
        "pat.psw,Pat Jones (Principal Social Worker),principal_social_worker;reviewer,"
        "Quality and Assurance,alex.assistant\n"
    )
    await example_authority.import_staff(parse_staff_csv(staff), "qa.officer", await current())
    await sleep_until(time_skipping_env, RAISED.replace(day=3))
    state = await at_stage(handle, "principal_social_worker")
    assert state.current.owners == ("pat.psw",)
    assert state.current.note.startswith("the Head of QA (quinn.hoqa) is directly involved as the reviewer")
    assert await told(app_pool, "qa.officer", "alert") == [
        f"The dispute about the review of case {CASE} has nobody to decide it"
    ]
    await audited(app_pool, handle.id, state)
    await stop(handle)


async def test_a_dispute_waiting_for_someone_to_decide_can_still_be_settled_at_its_stage(
    time_skipping_env, worker, settings, example_authority, app_pool
):
    env = time_skipping_env
    handle = await raise_dispute(
        env, settings, app_pool, reviewer="quinn.hoqa", practitioner="paula.psw", raised_by="paula.psw"
    )
    await sleep_until(env, datetime(2027, 11, 16, 1, tzinfo=LONDON))
    await at_stage(handle, "moderator")
    await sleep_until(env, datetime(2027, 11, 30, 1, tzinfo=LONDON))  # stage 2's window passed, nobody to pass it to

    async def alerted():
        return await told(app_pool, "qa.officer", "alert")

    assert await eventually(alerted) == [f"The dispute about the review of case {CASE} has nobody to decide it"]
    state = await handle.query(DisputeWorkflow.state)
    assert (state.stage, state.current.decision, state.current.escalation_reason) == ("moderator", None, None)

    await handle.execute_update(
        DisputeWorkflow.allocate_moderator, AllocateModerator(actor="qa.officer", moderator="maya.moderator")
    )
    await handle.execute_update(
        DisputeWorkflow.record_moderation, RecordModeration(actor="maya.moderator", moderation="a fair grade")
    )
    await handle.execute_update(
        DisputeWorkflow.record_three_way,
        RecordThreeWay(actor="maya.moderator", issues="the grade", decision="resolved", outcome="agreed"),
    )
    final = await handle.result()
    assert (final.status, final.stage) == ("resolved", "moderator")
    await audited(app_pool, handle.id, final)


async def test_a_dispute_started_straight_in_temporal_is_held_to_the_recorded_review(
    time_skipping_env, worker, settings, example_authority, app_pool
):
    """`qa dispute raise` checks the review first; a dispute started another way is checked by its workflow."""
    from tests.workflows.conftest import refused_start

    review_id = f"cpr-2027-11-{settings.task_queue}-review-{CASE}"

    def asking(**changes) -> DisputeInput:
        fields = {
            "review_id": review_id,
            "case_number": CASE,
            "reviewer": "sam.reviewer",
            "practitioner": "priya.practitioner",
            "raised_by": "priya.practitioner",
            "about": "judgement",
            "issues": "the grade",
        }
        return DisputeInput(**{**fields, **changes})

    async def refusal(request: DisputeInput, number: int) -> str:
        return await refused_start(
            time_skipping_env, settings, app_pool, DisputeWorkflow.run, request, dispute_id(request.review_id, number)
        )

    assert await refusal(asking(), 1) == f"no review with id {review_id!r} is recorded"
    await graded_review(app_pool, review_id, "sam.reviewer", "priya.practitioner")
    # Parties the review does not name, though the input agrees with itself.
    assert await refusal(asking(reviewer="rosa.reviewer", raised_by="rosa.reviewer"), 2) == (
        "a dispute is raised by the reviewer (sam.reviewer) or the practitioner (priya.practitioner), not rosa.reviewer"
    )
    assert await refusal(asking(practitioner="dan.practitioner", raised_by="sam.reviewer"), 3) == (
        f"the dispute names case {CASE}, reviewer sam.reviewer and practitioner dan.practitioner, but the review"
        f" {review_id} is of case {CASE} by sam.reviewer with priya.practitioner"
    )
    # Someone the directory does not list as active.
    assert await refusal(asking(review_id="r-2", reviewer="gone.reviewer", raised_by="gone.reviewer"), 1) == (
        "gone.reviewer cannot raise a dispute: the directory does not list them as active"
    )
