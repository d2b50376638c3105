"""What a scheduled activity does when its schedule fires, on the time-skipping server.

The schedule itself needs the dev server (tests/infra/test_cli_calendar_schedules.py);
here each CalendarEntry is started as its schedule would start it, at 07:00 London
time on its working day.
"""

from __future__ import annotations

from datetime import date, datetime

import pytest
from temporalio.client import WorkflowFailureError

from domain import calendar_entry
from domain.bank_holidays import calendar_for
from domain.calendar_entry import ArrangeSpotlight, EntryInput, SetFocus
from domain.duties import duty
from domain.events import CALENDAR_ACTOR, fold
from domain.qa_calendar import parse_calendar, plan_year, starts_at
from domain.working_days import LONDON
from infra.calendar_source import DEFAULT_QA_CALENDAR
from infra.store.audit_log import AuditLog
from tests.clock import sleep_until
from tests.workflows.conftest import eventually, refused, told
from workflows.calendar_entry import CalendarEntryWorkflow
from workflows.cpr_cycle import CprCycleWorkflow, CycleInput
from workflows.spotlight import SpotlightWorkflow

PLAN = {
    a.key: a
    for a in plan_year(parse_calendar(DEFAULT_QA_CALENDAR.read_text()), 2027, calendar_for(date(2027, 1, 1))).activities
}


async def fire(env, settings, key: str, sample_size: int = 3):
    """Start the entry at its moment, as its schedule would."""
    planned = PLAN[key]
    await sleep_until(env, starts_at(planned))
    entry = EntryInput(planned=planned, installed_by="qa.officer", sample_size=sample_size, calendar_digest="test")
    return await env.client.start_workflow(
        CalendarEntryWorkflow.run, entry, id=f"calendar-{key}-{settings.task_queue}", task_queue=settings.task_queue
    )


async def entry_state(handle, done):
    async def probe():
        state = await handle.query(CalendarEntryWorkflow.state)
        return state if state is not None and done(state) else None

    return await eventually(probe)


async def test_a_scheduled_cpr_cycle_starts_on_its_working_day_as_the_calendar_for_its_installer(
    time_skipping_env, worker, settings, example_authority, app_pool, keep_history
):
    handle = await fire(time_skipping_env, settings, "2027-11-cpr-children-in-need")
    state = await handle.result()
    assert state.status == "started" and state.item_id == "cpr-2027-11-01-children-in-need"
    cycle = await time_skipping_env.client.get_workflow_handle(state.item_id).query(CprCycleWorkflow.state)
    # The installer's cycle (its duties are theirs), opened by the calendar as itself, not as a person.
    assert (cycle.start, cycle.started_by, len(cycle.cases)) == (date(2027, 11, 1), "qa.officer", 3)
    opened = (await AuditLog(app_pool).read_stream(state.item_id))[0]
    assert (opened.actor, opened.payload["owner"]) == (CALENDAR_ACTOR, "qa.officer")
    await keep_history(handle, "calendar_entry_cpr_cycle_started_as_the_calendar")
    assert opened.business_time.astimezone(LONDON).replace(second=0, microsecond=0) == datetime(
        2027, 11, 1, 7, tzinfo=LONDON
    )
    events = await AuditLog(app_pool).read_stream(handle.id)
    assert fold(calendar_entry.evolve, calendar_entry.ENTRY_EVENTS, events) == state


async def test_a_cycle_that_cannot_draw_its_sample_is_recorded_and_told(
    time_skipping_env, worker, settings, example_authority, app_pool
):
    handle = await fire(time_skipping_env, settings, "2027-11-cpr-children-in-need", sample_size=7)
    state = await handle.result()
    assert state.status == "refused"
    assert state.refusals == (
        "Children in Need: only 6 cases were supported for at least 4 weeks on 2027-11-01; cannot sample 7",
    )
    assert any("could not start" in s for s in await told(app_pool, "qa.officer", "escalation"))


async def test_a_thematic_review_without_a_focus_waits_chased_until_one_is_set(
    time_skipping_env, worker, settings, example_authority, app_pool
):
    handle = await fire(time_skipping_env, settings, "2027-10-thematic")
    state = await entry_state(handle, lambda s: duty(s, "focus") is not None)
    assert state.status == "waiting" and state.item_id is None
    focus = duty(state, "focus")
    assert (focus.owner, focus.due_at) == ("qa.officer", datetime(2027, 10, 8, 23, 59, 59, tzinfo=LONDON))
    # Overdue by the following Wednesday: the QA officer's line manager (the Head of QA) hears.
    await sleep_until(time_skipping_env, datetime(2027, 10, 13, 12, tzinfo=LONDON))
    assert any("qa.officer was to get the focus" in s for s in await told(app_pool, "quinn.hoqa", "escalation"))
    assert "not a team spotlight" in await refused(
        handle, CalendarEntryWorkflow.arrange, ArrangeSpotlight(actor="qa.officer", lead="fatima.hos", members=())
    )
    assert "cannot set a thematic review's focus" in await refused(
        handle, CalendarEntryWorkflow.set_focus, SetFocus(actor="sam.reviewer", focus="neglect")
    )
    await handle.execute_update(CalendarEntryWorkflow.set_focus, SetFocus(actor="qa.officer", focus="Neglect"))
    state = await handle.result()
    assert state.status == "started" and state.item_id == "thematic-2027-10-01-neglect"
    assert not duty(state, "focus").open and duty(state, "focus").late


async def test_a_scheduled_spotlight_starts_once_the_qa_team_arranges_it(
    time_skipping_env, worker, settings, example_authority, app_pool, keep_history
):
    handle = await fire(time_skipping_env, settings, "2027-03-spotlight-children-in-care")
    await entry_state(handle, lambda s: duty(s, "arrangement") is not None)
    members = ("tom.manager", "sam.reviewer", "maya.moderator")
    # The Spotlight workflow judges the arrangement as it judges any: a refusal is recorded, and it can be redone.
    await handle.execute_update(
        CalendarEntryWorkflow.arrange, ArrangeSpotlight(actor="qa.officer", lead="rosa.reviewer", members=members)
    )
    state = await entry_state(handle, lambda s: s.refusals)
    assert state.refusals == (
        "rosa.reviewer cannot lead a spotlight (the lead is a senior manager): CSLT is the heads of service and those"
        " they report to",
    )
    await handle.execute_update(
        CalendarEntryWorkflow.arrange, ArrangeSpotlight(actor="qa.officer", lead="fatima.hos", members=members)
    )
    state = await handle.result()
    assert state.item_id == "spotlight-2027-03-15-children-in-care"  # the planned day: 10 working days on
    spotlight = await time_skipping_env.client.get_workflow_handle(state.item_id).query(SpotlightWorkflow.state)
    assert (spotlight.day, spotlight.lead, spotlight.started_by) == (date(2027, 3, 15), "fatima.hos", "qa.officer")
    assert not duty(state, "arrangement").open
    await keep_history(handle, "calendar_entry_spotlight_arranged_after_a_refusal")


async def test_cslt_planning_points_at_the_service_wide_plan_or_asks_for_one(
    time_skipping_env, worker, settings, example_authority, app_pool
):
    handle = await fire(time_skipping_env, settings, "2027-01-cslt")
    state = await handle.result()
    assert state.status == "noted"
    assert state.note == "CSLT action planning is due this month, but no service-wide plan is running: start one"
    assert state.note in await told(app_pool, "qa.officer", "escalation")


async def test_an_item_started_outside_the_calendar_cannot_claim_it_started_it(
    time_skipping_env, worker, settings, example_authority, app_pool
):
    # Straight in Temporal, as if a calendar entry had: refused before anything is recorded.
    handle = await time_skipping_env.client.start_workflow(
        CprCycleWorkflow.run,
        CycleInput(
            service="Children in Need",
            start=date(2027, 11, 1),
            sample_size=3,
            started_by="qa.officer",
            scheduled_by="calendar-2027-11-cpr-children-in-need",
        ),
        id=f"cpr-spoofed-{settings.task_queue}",
        task_queue=settings.task_queue,
    )
    with pytest.raises(WorkflowFailureError) as failed:
        await handle.result()
    assert "only the QA calendar's entry calendar-2027-11-cpr-children-in-need starts an item as scheduled by it" in (
        str(failed.value.cause)
    )
    assert await AuditLog(app_pool).read_stream(handle.id) == []
