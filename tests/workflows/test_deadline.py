"""The deadline workflow on the time-skipping server, recording into a real PostgreSQL."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date, datetime, timedelta

import pytest
from temporalio.client import (
    WithStartWorkflowOperation,
    WorkflowFailureError,
    WorkflowHandle,
    WorkflowUpdateFailedError,
)
from temporalio.common import WorkflowIDConflictPolicy

from domain import deadline
from domain.bank_holidays import calendar_for
from domain.deadline import CompleteDeadline, DeadlineState, ExtendDeadline
from domain.events import fold
from domain.working_days import LONDON
from infra.store.audit_log import AuditLog
from tests.workflows.conftest import refused, refused_start
from workflows.deadline import DeadlineInput, DeadlineWorkflow


@pytest.fixture(autouse=True)
def directory(example_authority):
    """A deadline's setter and owner are people the directory lists."""


async def start(env, settings, *, working_days: int, owner: str = "sam.reviewer") -> WorkflowHandle:
    today = (await env.get_current_time()).date()
    handle = await env.client.start_workflow(
        DeadlineWorkflow.run,
        DeadlineInput(
            title="CPR review 1234567",
            owner=owner,
            start=today,
            working_days=working_days,
            set_by="qa.officer",
        ),
        id=f"deadline-{uuid.uuid4().hex[:8]}",
        task_queue=settings.task_queue,
    )
    for _ in range(100):
        if await handle.query(DeadlineWorkflow.state) is not None:
            return handle
        await asyncio.sleep(0.05)
    raise AssertionError("the deadline was never set")


async def state(handle: WorkflowHandle) -> DeadlineState:
    return await handle.query(DeadlineWorkflow.state)


async def recorded(app_pool, handle) -> list:
    return await AuditLog(app_pool).read_stream(handle.id)


async def test_only_someone_the_authority_lists_may_extend_a_deadline(time_skipping_env, worker, settings, app_pool):
    handle = await start(time_skipping_env, settings, working_days=20)
    assert await refused(
        handle, DeadlineWorkflow.extend, ExtendDeadline(actor="not.listed", extra_working_days=5, reason="x")
    ) == ("not.listed cannot extend a deadline: the directory does not list them as active")
    assert [e.event_type for e in await recorded(app_pool, handle)] == ["deadline.set"]
    await handle.terminate()


async def test_completion_before_the_due_moment_is_recorded_as_met(
    time_skipping_env, worker, settings, app_pool, keep_history
):
    handle = await start(time_skipping_env, settings, working_days=20)
    opened = await handle.execute_update(
        DeadlineWorkflow.extend, ExtendDeadline(actor="qa.officer", extra_working_days=1, reason="staff sickness")
    )
    assert opened.status == "open"
    met = await handle.execute_update(
        DeadlineWorkflow.complete, CompleteDeadline(actor="sam.reviewer", note="uploaded")
    )
    assert (met.status, met.met_by, met.late) == ("met", "sam.reviewer", False)
    result = await handle.result()
    assert result == met

    events = await recorded(app_pool, handle)
    assert [e.event_type for e in events] == ["deadline.set", "deadline.extended", "deadline.met"]
    assert events[0].actor == "qa.officer" and events[2].actor == "sam.reviewer"
    # one reducer, two users: the log alone rebuilds what the workflow holds
    assert fold(deadline.evolve, deadline.DEADLINE_EVENTS, events) == result
    assert all(r.ok for r in await AuditLog(app_pool).verify())
    await keep_history(handle, "deadline_extended_by_staff_then_met")


async def test_a_start_is_answered_once_the_deadline_is_set_in_one_call(
    time_skipping_env, worker, settings, app_pool, keep_history
):
    """Update-with-start: the `opened` update answers once the opening event is recorded, not before."""
    today = (await time_skipping_env.get_current_time()).date()
    start = WithStartWorkflowOperation(
        DeadlineWorkflow.run,
        DeadlineInput(
            title="CPR review 7654321", owner="sam.reviewer", start=today, working_days=3, set_by="qa.officer"
        ),
        id=f"deadline-{uuid.uuid4().hex[:8]}",
        task_queue=settings.task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
    )
    assert (
        await time_skipping_env.client.execute_update_with_start_workflow(
            DeadlineWorkflow.opened, start_workflow_operation=start
        )
        is None
    )
    handle = await start.workflow_handle()
    # Answered only once recorded: the log holds the opening at once, without waiting.
    assert [e.event_type for e in await recorded(app_pool, handle)] == ["deadline.set"]
    met = await handle.execute_update(DeadlineWorkflow.complete, CompleteDeadline(actor="sam.reviewer"))
    assert met.status == "met" and (await handle.result()) == met
    await keep_history(handle, "deadline_opened_by_update_with_start_then_met")


async def test_a_change_decided_on_a_version_that_moved_on_is_refused_and_records_nothing(
    time_skipping_env, worker, settings, app_pool
):
    handle = await start(time_skipping_env, settings, working_days=20)
    extend = ExtendDeadline(actor="qa.officer", extra_working_days=1, reason="sickness", seen=1)
    assert (await handle.execute_update(DeadlineWorkflow.extend, extend)).extensions == ("sickness",)
    # Someone else decided on version 1 too: their change would undo nothing, but must not pass unseen.
    with pytest.raises(WorkflowUpdateFailedError) as stale:
        await handle.execute_update(DeadlineWorkflow.complete, CompleteDeadline(actor="sam.reviewer", seen=1))
    assert stale.value.cause.type == "Stale"
    assert stale.value.cause.message == (
        "it changed after you read it: you saw version 1, it is at version 2 now; read it again and decide"
    )
    assert [e.event_type for e in await recorded(app_pool, handle)] == ["deadline.set", "deadline.extended"]
    # Decided on what is there now (or on no version at all), it goes through.
    met = await handle.execute_update(DeadlineWorkflow.complete, CompleteDeadline(actor="sam.reviewer", seen=2))
    assert met.status == "met"


async def test_a_change_is_recorded_with_its_request_id_and_a_request_id_that_cannot_be_is_refused(
    time_skipping_env, worker, settings, app_pool
):
    handle = await start(time_skipping_env, settings, working_days=20)
    extend = ExtendDeadline(actor="qa.officer", extra_working_days=1, reason="sickness")
    # An id no qa client would send (from another Temporal client): refused before anything is recorded.
    with pytest.raises(WorkflowUpdateFailedError) as bad:
        await handle.execute_update(DeadlineWorkflow.extend, extend, id="two words\n")
    assert bad.value.cause.message == (
        "the request id 'two words\\n' is not one: use up to 100 letters, digits, '.', '_', ':' or '-'"
    )
    await handle.execute_update(DeadlineWorkflow.extend, extend, id="ops:extend-1")
    await handle.execute_update(DeadlineWorkflow.extend, extend, id="ops:extend-1")  # retried: answered, not redone
    events = await recorded(app_pool, handle)
    assert [(e.event_type, e.request_id) for e in events] == [
        ("deadline.set", None),  # opened by the start, not by a person's update
        ("deadline.extended", "ops:extend-1"),
    ]
    await handle.terminate()


async def test_of_changes_decided_at_once_on_one_version_one_is_recorded(time_skipping_env, worker, settings, app_pool):
    handle = await start(time_skipping_env, settings, working_days=20)
    asked = [
        handle.execute_update(
            DeadlineWorkflow.extend, ExtendDeadline(actor="qa.officer", extra_working_days=n, reason=f"r{n}", seen=1)
        )
        for n in range(1, 6)
    ]
    answers = await asyncio.gather(*asked, return_exceptions=True)
    recorded_ones = [a for a in answers if not isinstance(a, BaseException)]
    stale = [a for a in answers if isinstance(a, WorkflowUpdateFailedError)]
    assert len(recorded_ones) == 1 and len(stale) == 4
    assert {a.cause.type for a in stale} == {"Stale"}
    assert [e.event_type for e in await recorded(app_pool, handle)] == ["deadline.set", "deadline.extended"]
    await handle.terminate()


async def test_the_due_moment_comes_from_the_working_day_clock(time_skipping_env, worker, settings, app_pool):
    handle = await start(time_skipping_env, settings, working_days=20)
    events = await recorded(app_pool, handle)
    opened = await state(handle)
    calendar = calendar_for(opened.start)
    assert opened.due_at == calendar.due_at(opened.start, 20)
    assert events[0].payload["calendar_digest"] == calendar.digest()
    await handle.terminate()


async def test_an_untouched_deadline_passes_on_its_timer(time_skipping_env, worker, settings, app_pool, keep_history):
    handle = await start(time_skipping_env, settings, working_days=20)
    due_at = (await state(handle)).due_at
    await time_skipping_env.sleep(timedelta(days=40))

    overdue = await state(handle)
    assert overdue.status == "overdue"
    passed = (await recorded(app_pool, handle))[-1]
    assert passed.event_type == "deadline.passed" and passed.actor == "qa-engine"
    assert due_at <= passed.business_time < due_at + timedelta(minutes=1)

    late = await handle.execute_update(DeadlineWorkflow.complete, CompleteDeadline(actor="sam.reviewer"))
    assert (late.status, late.late) == ("met", True)
    assert (await handle.result()).status == "met"
    await keep_history(handle, "deadline_passed_then_met_late")


async def test_an_extension_moves_the_running_timer(time_skipping_env, worker, settings, app_pool):
    handle = await start(time_skipping_env, settings, working_days=5)
    first_due = (await state(handle)).due_at
    extended = await handle.execute_update(
        DeadlineWorkflow.extend, ExtendDeadline(actor="qa.officer", extra_working_days=5, reason="family unavailable")
    )
    assert extended.due_at > first_due + timedelta(days=6)
    now = await time_skipping_env.get_current_time()
    await time_skipping_env.sleep(first_due - now + timedelta(hours=1))
    assert (await state(handle)).status == "open"
    await time_skipping_env.sleep(extended.due_at - first_due)
    assert (await state(handle)).status == "overdue"
    assert [e.event_type for e in await recorded(app_pool, handle)] == [
        "deadline.set",
        "deadline.extended",
        "deadline.passed",
    ]
    await handle.terminate()


@pytest.mark.parametrize(
    ("update", "request_", "message"),
    [
        (DeadlineWorkflow.complete, CompleteDeadline(actor="someone.else"), "only the owner (sam.reviewer)"),
        (
            DeadlineWorkflow.extend,
            ExtendDeadline(actor="sam.reviewer", extra_working_days=2, reason="busy"),
            "cannot extend their own",
        ),
        (
            DeadlineWorkflow.extend,
            ExtendDeadline(actor="qa.officer", extra_working_days=60, reason="x"),
            "cannot run past 260",
        ),
        (
            DeadlineWorkflow.extend,
            ExtendDeadline(actor="qa.officer", extra_working_days=1, reason="ill\x1b[2K\nforged line"),
            "the reason has a control character (0x1b) at 4",
        ),
        (
            DeadlineWorkflow.complete,
            CompleteDeadline(actor="sam.reviewer", note="x" * 1_001),
            "the note is 1,001 characters long; at most 1,000 can be recorded",
        ),
    ],
)
async def test_refusals_record_nothing(time_skipping_env, worker, settings, app_pool, update, request_, message):
    handle = await start(time_skipping_env, settings, working_days=250)
    before = await recorded(app_pool, handle)
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await handle.execute_update(update, request_)
    assert message in str(refused.value.cause)
    assert refused.value.cause.type == "Refused"
    assert await recorded(app_pool, handle) == before
    assert (await state(handle)).version == 1
    await handle.terminate()


async def outcomes(handle, update, *requests) -> list[str]:
    """Send `requests` to `update` at once: what each sender is told, "recorded" or the refusal's message."""
    answers = await asyncio.gather(*(handle.execute_update(update, r) for r in requests), return_exceptions=True)
    told = []
    for answer in answers:
        if isinstance(answer, WorkflowUpdateFailedError):
            told.append(answer.cause.message)
        else:
            assert isinstance(answer, DeadlineState), answer
            told.append("recorded")
    return sorted(told)


async def test_completing_twice_is_refused(time_skipping_env, worker, settings, app_pool):
    handle = await start(time_skipping_env, settings, working_days=3)
    done = CompleteDeadline(actor="sam.reviewer", note="uploaded")
    # Both arrive while the deadline is open, so both pass the validator; the rule checked again under
    # the recorder's lock refuses the second.
    assert await outcomes(handle, DeadlineWorkflow.complete, done, done) == [
        "'CPR review 1234567' was already met by sam.reviewer",
        "recorded",
    ]
    final = await handle.result()
    assert [e.event_type for e in await recorded(app_pool, handle)] == ["deadline.set", "deadline.met"]
    assert (final.status, final.version) == ("met", 2)


async def test_concurrent_extensions_cannot_take_a_deadline_past_its_cap(time_skipping_env, worker, settings, app_pool):
    handle = await start(time_skipping_env, settings, working_days=250)
    six = ExtendDeadline(actor="qa.officer", extra_working_days=6, reason="family unavailable")
    # Each alone is within the cap of 260 working days; both would make 262.
    assert await outcomes(handle, DeadlineWorkflow.extend, six, six) == [
        "'CPR review 1234567' changed while the extension was being worked out; try again",
        "recorded",
    ]
    extended = await state(handle)
    assert (extended.working_days, extended.version) == (256, 2)
    assert [e.event_type for e in await recorded(app_pool, handle)] == ["deadline.set", "deadline.extended"]
    await handle.terminate()


async def test_the_workers_closure_days_move_new_deadlines_and_leave_set_ones_as_they_were(
    time_skipping_env, worker, settings, app_pool
):
    # The server starts on Tuesday 1 December 2026 (tests.clock.EPOCH): 3 working days would end on Friday 4th.
    closures = settings.closure_days_path
    closures.write_text("date,reason\n2026-12-03,Council closure day\n")
    first = await start(time_skipping_env, settings, working_days=3)
    assert (await state(first)).due_at == datetime(2026, 12, 7, 23, 59, 59, tzinfo=LONDON)  # Thursday closed

    closures.write_text("date,reason\n2026-12-02,Staff training day\n2026-12-03,Council closure day\n")
    second = await start(time_skipping_env, settings, working_days=3)
    assert (await state(second)).due_at == datetime(2026, 12, 8, 23, 59, 59, tzinfo=LONDON)  # Wednesday too
    set_first = (await recorded(app_pool, first))[0]
    assert set_first.payload["due_at"] == "2026-12-07T23:59:59Z"  # recorded once, with its calendar's digest
    assert (await state(first)).due_at == datetime(2026, 12, 7, 23, 59, 59, tzinfo=LONDON)
    assert set_first.payload["calendar_digest"] != (await recorded(app_pool, second))[0].payload["calendar_digest"]
    for handle in (first, second):
        await handle.terminate()


async def test_a_start_outside_the_engines_dates_fails_at_once_and_records_nothing(
    time_skipping_env, worker, settings, app_pool
):
    # From another client than the CLI (which refuses it first): the calendar activity would
    # otherwise overflow the date and be retried for ever, using up the deadline's id.
    handle = await time_skipping_env.client.start_workflow(
        DeadlineWorkflow.run,
        DeadlineInput(
            title="CPR review 1234567",
            owner="sam.reviewer",
            start=date(9999, 12, 31),
            working_days=5,
            set_by="qa.officer",
        ),
        id=f"deadline-{uuid.uuid4().hex[:8]}",
        task_queue=settings.task_queue,
    )
    with pytest.raises(WorkflowFailureError) as failed:
        await asyncio.wait_for(handle.result(), timeout=60)
    refusal = failed.value.cause.cause
    assert (refusal.type, refusal.non_retryable) == ("Refused", True)
    assert refusal.message == (
        "the start 9999-12-31 is outside the dates the engine works with (2000-01-01 to 2200-12-31)"
    )
    assert await recorded(app_pool, handle) == []


@pytest.mark.parametrize(
    ("people", "message"),
    [
        (
            {"owner": "nobody.here"},
            "nobody.here cannot own a deadline: the directory does not list them as active",
        ),
        ({"set_by": "mallory"}, "mallory cannot set a deadline: the directory does not list them as active"),
    ],
)
async def test_a_deadline_for_or_by_someone_the_directory_does_not_list_never_starts(
    time_skipping_env, worker, settings, app_pool, people, message
):
    request = DeadlineInput(
        **{"title": "CPR review 1234567", "owner": "sam.reviewer", "start": date(2027, 3, 22), "working_days": 5}
        | {"set_by": "qa.officer"}
        | people
    )
    deadline_id = f"deadline-{uuid.uuid4().hex[:8]}"
    assert await refused_start(time_skipping_env, settings, app_pool, DeadlineWorkflow.run, request, deadline_id) == (
        message
    )
