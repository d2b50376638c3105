"""A safeguarding alert as its own item on the time-skipping server: raised by one who reads the child's record,
escalated in working hours while unacknowledged, and chased until it is on the child's record."""

from __future__ import annotations

import uuid
from datetime import time, timedelta

from temporalio.client import WorkflowExecutionStatus

from domain import safeguarding
from domain.bank_holidays import england_and_wales_calendar
from domain.review import RaiseSafeguarding
from domain.safeguarding import AcknowledgeAlert, DocumentAlert, RaiseAlert
from domain.staff_concern import RaiseConcern
from domain.working_days import LONDON
from infra.store.audit_log import AuditLog
from tests.clock import sleep_until
from tests.workflows.conftest import audited, eventually, inbox, refused, refused_start
from tests.workflows.test_cpr import allocate, review_of, start_cycle, stop
from workflows.cpr_cycle import CprCycleWorkflow
from workflows.review import ReviewWorkflow
from workflows.safeguarding_alert import SafeguardingAlertWorkflow
from workflows.staff_concern import StaffConcernWorkflow

CONCERN = "a parent's partner with a violent history has moved in"


async def raise_alert(env, settings, request: RaiseAlert):
    handle = await env.client.start_workflow(
        SafeguardingAlertWorkflow.run, request, id=f"alert-{uuid.uuid4()}", task_queue=settings.task_queue
    )

    async def raised():
        return await handle.query(SafeguardingAlertWorkflow.state)

    return handle, await eventually(raised)


async def a_review(env, settings):
    cycle = await start_cycle(env, settings, size=1)
    case = (await cycle.query(CprCycleWorkflow.state)).cases[0]
    handle = await review_of(env, await allocate(cycle, case.case_number), case.case_number)
    return cycle, case, handle


async def test_an_alert_not_acknowledged_in_working_hours_goes_to_the_head_of_qa_then_the_director(
    time_skipping_env, worker, settings, example_authority, app_pool, keep_history
):
    env = time_skipping_env
    cycle, case, review = await a_review(env, settings)
    handle, state = await raise_alert(
        env,
        settings,
        RaiseAlert(raised_by="sam.reviewer", case_number=case.case_number, from_item=review.id, concern=CONCERN),
    )
    # At once to the case's team manager and head of service, from the directory; the record is LCS.
    assert (state.notified, state.system, state.raised_by) == (("nadia.manager", "hana.hos"), "LCS", "sam.reviewer")
    for person in state.notified:
        [alert] = [n for n in (await inbox(app_pool, person)).told if n.kind == "alert"]
        assert alert.subject == f"SAFEGUARDING: immediate steps needed for case {case.case_number}"
        assert alert.item_id == handle.id
    # Worked out once, in working hours (09:00 to 17:00 on working days, London), two hours a level.
    calendar = england_and_wales_calendar(range(2026, 2029))
    first = calendar.add_working_hours(state.raised_at, timedelta(hours=2), time(9), time(17))
    assert state.escalate_at == (first, calendar.add_working_hours(first, timedelta(hours=2), time(9), time(17)))
    assert time(11) <= first.astimezone(LONDON).time() <= time(17)

    async def escalated(level: int):
        s = await handle.query(SafeguardingAlertWorkflow.state)
        return s if s.escalations >= level else None

    await sleep_until(env, state.escalate_at[0] - timedelta(minutes=1))
    assert (await handle.query(SafeguardingAlertWorkflow.state)).escalations == 0
    await sleep_until(env, state.escalate_at[0] + timedelta(minutes=1))
    state = await eventually(lambda: escalated(1))
    assert state.escalated_to == ("quinn.hoqa",)
    [to_hoqa] = [n for n in (await inbox(app_pool, "quinn.hoqa")).told if n.kind == "alert"]
    assert to_hoqa.subject == f"SAFEGUARDING, escalated to you as the Head of QA: case {case.case_number}"
    assert "Not yet acknowledged by nadia.manager and hana.hos." in to_hoqa.body

    # One acknowledges; nobody else may; the other still has not when the second window ends: the Director, at
    # the top of the head of service's management chain.
    assert "only they acknowledge it" in await refused(
        handle, SafeguardingAlertWorkflow.acknowledge, AcknowledgeAlert(actor="quinn.hoqa")
    )
    await handle.execute_update(SafeguardingAlertWorkflow.acknowledge, AcknowledgeAlert(actor="hana.hos"))
    assert "already acknowledged" in await refused(
        handle, SafeguardingAlertWorkflow.acknowledge, AcknowledgeAlert(actor="hana.hos")
    )
    await sleep_until(env, state.escalate_at[1] + timedelta(minutes=1))
    state = await eventually(lambda: escalated(2))
    assert state.escalated_to == ("quinn.hoqa", "dana.director")
    [to_director] = [n for n in (await inbox(app_pool, "dana.director")).told if n.kind == "alert"]
    assert "Not yet acknowledged by nadia.manager." in to_director.body
    await handle.execute_update(SafeguardingAlertWorkflow.acknowledge, AcknowledgeAlert(actor="nadia.manager"))
    # The raiser is told each step that really happened; those it went up to hear it is in hand.
    raiser = [n.subject for n in (await inbox(app_pool, "sam.reviewer")).told if "for case" in n.subject]
    assert raiser[::-1] == [  # the inbox shows the newest first
        f"Safeguarding alert for case {case.case_number} escalated to the Head of QA",
        f"Safeguarding alert for case {case.case_number} acknowledged by hana.hos",
        f"Safeguarding alert for case {case.case_number} escalated to the Director",
        f"Safeguarding alert for case {case.case_number} acknowledged by nadia.manager",
    ]
    for person in ("quinn.hoqa", "dana.director"):
        assert any("acknowledged by nadia.manager" in n.subject for n in (await inbox(app_pool, person)).told)

    # On the child's record: the team manager confirms it, with the entry's reference; then it closes.
    assert "nadia.manager, the manager it went to, confirms it is on the child's LCS record" in await refused(
        handle, SafeguardingAlertWorkflow.document, DocumentAlert(actor="hana.hos", reference="LCS note 88123")
    )
    await handle.execute_update(
        SafeguardingAlertWorkflow.document, DocumentAlert(actor="nadia.manager", reference="LCS case note 88123")
    )
    final = await handle.result()
    assert (final.status, final.reference, final.duties[0].done_by) == (
        "closed",
        "LCS case note 88123",
        "nadia.manager",
    )
    events = await audited(app_pool, handle.id, final)
    assert [(e.actor, e.event_type) for e in events] == [
        ("sam.reviewer", "alert.raised"),
        ("sam.reviewer", "alert.duty_set"),
        ("qa-engine", "alert.escalated"),
        ("hana.hos", "alert.acknowledged"),
        ("qa-engine", "alert.escalated"),
        ("nadia.manager", "alert.acknowledged"),
        ("nadia.manager", "alert.documented"),
        ("nadia.manager", "alert.duty_done"),
        ("qa-engine", "alert.closed"),
    ]
    assert [e.payload["awaited"] for e in events if e.event_type == "alert.escalated"] == [
        ["nadia.manager", "hana.hos"],
        ["nadia.manager"],
    ]
    await keep_history(handle, "safeguarding_alert_escalated_then_documented")
    await stop(env, cycle)


async def test_an_alert_acknowledged_in_time_goes_no_further_and_its_record_is_chased(
    time_skipping_env, worker, settings, example_authority, app_pool
):
    env = time_skipping_env
    cycle, case, review = await a_review(env, settings)
    # The QA officer who started the cycle reads the records of its sample too.
    handle, state = await raise_alert(
        env,
        settings,
        RaiseAlert(raised_by="qa.officer", case_number=case.case_number, from_item=cycle.id, concern=CONCERN),
    )
    for person in state.notified:
        await handle.execute_update(SafeguardingAlertWorkflow.acknowledge, AcknowledgeAlert(actor=person))
    [on_file] = state.duties
    assert (on_file.key, on_file.owner) == (safeguarding.ON_FILE, "nadia.manager")
    await sleep_until(env, on_file.due_at + timedelta(days=3))

    async def chased():
        s = await handle.query(SafeguardingAlertWorkflow.state)
        return s if s.duties[0].overdue and s.duties[0].escalation_level >= 1 else None

    state = await eventually(chased)
    assert (state.escalations, state.escalated_to, state.status) == (0, (), "open")
    assert any(
        n.subject.startswith("Escalated to you as their line manager: nadia.manager was to document the safeguarding")
        for n in (await inbox(app_pool, "hana.hos")).told
    )
    await handle.terminate()
    await stop(env, cycle)


async def test_only_one_who_reads_the_childs_record_for_an_item_raises_an_alert_from_it(
    time_skipping_env, worker, settings, example_authority, app_pool
):
    env = time_skipping_env
    cycle, case, review = await a_review(env, settings)

    def alert(**values):
        return RaiseAlert(
            **{
                "raised_by": "sam.reviewer",
                "case_number": case.case_number,
                "from_item": review.id,
                "concern": CONCERN,
                **values,
            }
        )

    async def refused_alert(request) -> str:
        return await refused_start(
            env, settings, app_pool, SafeguardingAlertWorkflow.run, request, f"alert-{uuid.uuid4()}"
        )

    assert await refused_alert(alert(raised_by="rosa.reviewer")) == (
        f"{review.id} does not name rosa.reviewer: an alert is raised by one who reads the child's record for it"
        " (raise it from the item you work on)"
    )
    assert await refused_alert(alert(case_number="LCS-999999")) == (
        f"{review.id} is not about case LCS-999999 (it is about {case.case_number})"
    )
    assert await refused_alert(alert(from_item="cpr-nowhere")) == (
        "there is no item 'cpr-nowhere' to raise an alert from: give the item whose work you were doing"
    )
    concern = await env.client.start_workflow(
        StaffConcernWorkflow.run,
        RaiseConcern(about="priya.practitioner", raised_by="sam.reviewer", concern="late visits"),
        id=f"concern-{uuid.uuid4()}",
        task_queue=settings.task_queue,
    )
    await eventually(lambda: concern.query(StaffConcernWorkflow.state))
    assert await refused_alert(alert(from_item=concern.id)) == (
        "an alert is raised from the work on a child's record, not from a staff concern"
    )
    # A review raises none of its own any more: its validator says where alerts are raised.
    assert "a safeguarding alert is its own item, raised from the review" in await refused(
        review, ReviewWorkflow.raise_safeguarding, RaiseSafeguarding(actor="sam.reviewer", concern=CONCERN)
    )
    assert (await review.query(ReviewWorkflow.state)).alerts == ()
    assert [s for s in await AuditLog(app_pool).streams_starting("alert-")] == []
    await concern.terminate()
    assert (await concern.describe()).status == WorkflowExecutionStatus.TERMINATED
    await stop(env, cycle)
