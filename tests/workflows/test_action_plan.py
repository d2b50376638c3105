"""Team and service-wide action plans over two years of simulated time, on the time-skipping server."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from temporalio.client import WorkflowExecutionStatus, WorkflowFailureError

from domain import action_plan
from domain.action_plan import (
    AddAction,
    AddFromFinding,
    ChangeAction,
    CloseAction,
    PlanInput,
    RecordMeeting,
    RecordProgress,
)
from domain.bank_holidays import calendar_for
from domain.events import fold
from domain.working_days import LONDON
from infra.store.audit_log import AuditLog
from tests.clock import sleep_until
from tests.workflows.conftest import eventually, inbox, refused, told
from workflows.action_plan import ActionPlanWorkflow

TEAM_MEETINGS = [
    "2027-02-15",
    "2027-03-30",  # 29 March 2027 is Easter Monday
    "2027-05-10",
    "2027-06-21",
    "2027-08-02",
    "2027-09-13",
    "2027-10-25",
    "2027-12-06",
    "2028-01-17",
    "2028-02-28",
    "2028-04-10",
    "2028-05-22",
    "2028-07-03",
    "2028-08-14",
    "2028-09-25",
    "2028-11-06",
    "2028-12-18",
]
QUARTERLY_MEETINGS = [
    "2027-01-04",  # 1 January is New Year's Day
    "2027-04-01",
    "2027-07-01",
    "2027-10-01",
    "2028-01-04",  # 1 January 2028 is a Saturday, Monday 3rd its substitute holiday
    "2028-04-03",
    "2028-07-03",
    "2028-10-02",
]


async def start_plan(env, settings, request: PlanInput, name: str):
    handle = await env.client.start_workflow(
        ActionPlanWorkflow.run, request, id=f"plan-{name}-{settings.task_queue}", task_queue=settings.task_queue
    )
    latest = env.client.get_workflow_handle(handle.id)  # follows the plan across continue-as-new

    async def started():
        return await latest.query(ActionPlanWorkflow.state)

    await eventually(started)
    return latest, handle.run_id


# The Children in Need team's plan, first meeting Monday 15 February 2027 (every 6 weeks after).
TEAM_PLAN = PlanInput(
    kind="team",
    team="Children in Need",
    owner="nadia.manager",
    started_by="nadia.manager",
    first_meeting=date(2027, 2, 15),
)


async def start_team_plan(env, settings, name: str):
    return await start_plan(env, settings, TEAM_PLAN, name)


async def terminate(handle) -> None:
    if (await handle.describe()).status == WorkflowExecutionStatus.RUNNING:
        await handle.terminate()


async def assert_stream_continuous(app_pool, handle, state) -> None:
    log = AuditLog(app_pool)
    events = await log.read_stream(handle.id)
    assert [e.version for e in events] == list(range(1, len(events) + 1))
    assert events[-1].version == state.version
    assert fold(action_plan.evolve, action_plan.PLAN_EVENTS, events) == state
    assert all(r.ok for r in await log.verify(handle.id))


async def record_meetings(env, plan, days: list[str], owner: str) -> None:
    """The owner records each review meeting on its day: nobody else, and never the engine, says one was held."""
    for day in days:
        await sleep_until(env, datetime.fromisoformat(f"{day}T10:00:00").replace(tzinfo=LONDON))
        await plan.execute_update(
            ActionPlanWorkflow.record_meeting, RecordMeeting(actor=owner, attendees=(owner, "priya.practitioner"))
        )


def smart(**overrides) -> AddAction:
    fields = {
        "actor": "nadia.manager",
        "action": "every plan has timescales",
        "support": "a planning workshop from the QA team",
        "responsible": "priya.practitioner",
        "by_when": date(2027, 3, 10),
        "evidence": "the next dip audit finds timescales in 9 of 10 plans",
    }
    return AddAction(**(fields | overrides))


async def test_a_team_plan_meets_every_six_weeks_for_two_years_with_one_continuous_stream(
    time_skipping_env, worker, settings, example_authority, app_pool, keep_history
):
    plan, first_run = await start_team_plan(time_skipping_env, settings, "team")
    await plan.execute_update(ActionPlanWorkflow.add_action, smart())
    state = await plan.execute_update(
        ActionPlanWorkflow.add_from_finding,
        AddFromFinding(
            **smart(actor="qa.officer", responsible="dan.practitioner", by_when=date(2028, 6, 30)).model_dump(),
            source="cpr-2027-11-01-children-in-need",
        ),
    )
    assert [(a.action_id, a.source) for a in state.actions] == [
        ("A1", None),
        ("A2", "cpr-2027-11-01-children-in-need"),
    ]
    assert await told(app_pool, "nadia.manager", "info") == [
        "Action A2 added to the Children in Need team action plan from cpr-2027-11-01-children-in-need"
    ]
    assert state.next_meeting_on == date(2027, 2, 15)

    # The first meeting: the owner records progress on A2 only.
    await sleep_until(time_skipping_env, datetime(2027, 2, 15, 10, tzinfo=LONDON))
    await plan.execute_update(
        ActionPlanWorkflow.record_progress,
        RecordProgress(actor="nadia.manager", action_id="A2", status="on-track", note="workshop booked"),
    )
    await plan.execute_update(
        ActionPlanWorkflow.record_meeting, RecordMeeting(actor="nadia.manager", attendees=("nadia.manager",))
    )
    await sleep_until(time_skipping_env, datetime(2027, 2, 16, 9, tzinfo=LONDON))
    state = await plan.query(ActionPlanWorkflow.state)
    assert [(m.number, m.held_on, m.reviewed, m.not_reviewed) for m in state.meetings] == [
        (1, date(2027, 2, 15), ("A1", "A2"), ())  # both added in the first cycle
    ]

    # A1 passes its date (end of 10 March 2027): its owner is reminded, the team manager told.
    await sleep_until(time_skipping_env, datetime(2027, 3, 11, 9, tzinfo=LONDON))
    state = await plan.query(ActionPlanWorkflow.state)
    assert state.action("A1").overdue and not state.action("A2").overdue
    assert await told(app_pool, "priya.practitioner", "reminder") == [
        "Overdue: action A1 of the Children in Need team action plan, yours, was due by 10 March 2027"
    ]
    assert await told(app_pool, "nadia.manager", "escalation") == [
        "Overdue: action A1 of the Children in Need team action plan (priya.practitioner) was due by 10 March 2027"
    ]
    await plan.execute_update(
        ActionPlanWorkflow.record_progress,
        RecordProgress(actor="nadia.manager", action_id="A1", status="done", evidence="dip audit of 12 March: 9/10"),
    )

    # Two years on, each meeting recorded on its day.
    await record_meetings(time_skipping_env, plan, TEAM_MEETINGS[1:], "nadia.manager")
    await sleep_until(time_skipping_env, datetime(2029, 1, 15, 9, tzinfo=LONDON))
    state = await plan.query(ActionPlanWorkflow.state)
    assert (state.meetings[1].reviewed, state.meetings[1].not_reviewed) == (("A1",), ("A2",))
    assert [m.held_on.isoformat() for m in state.meetings] == TEAM_MEETINGS
    calendar = calendar_for(date(2027, 1, 1), [])
    assert all(calendar.is_working_day(m.held_on) for m in state.meetings)
    assert state.next_meeting_on == date(2029, 1, 29)
    assert state.action("A1").completed_at is not None and state.action("A2").overdue
    assert (await plan.describe()).run_id != first_run, "the plan continued as new"
    await assert_stream_continuous(app_pool, plan, state)
    history = await plan.fetch_history()
    assert len(history.events) < 100, "each run's history stays small"
    await terminate(plan)
    await keep_history(plan, "action_plan_team_meetings_recorded_for_two_years")


async def test_a_service_wide_plan_meets_quarterly_on_working_days_for_two_years(
    time_skipping_env, worker, settings, example_authority, app_pool
):
    plan, _ = await start_plan(
        time_skipping_env,
        settings,
        PlanInput(kind="service-wide", owner="alex.assistant", started_by="qa.officer", first_meeting=date(2027, 1, 1)),
        "service-wide",
    )
    state = await plan.query(ActionPlanWorkflow.state)
    assert (state.kind, state.team, state.owner, state.next_meeting_on) == (
        "service-wide",
        None,
        "alex.assistant",
        date(2027, 1, 4),
    )
    await record_meetings(time_skipping_env, plan, QUARTERLY_MEETINGS, "alex.assistant")
    await sleep_until(time_skipping_env, datetime(2028, 12, 1, 9, tzinfo=LONDON))
    state = await plan.query(ActionPlanWorkflow.state)
    assert [m.held_on.isoformat() for m in state.meetings] == QUARTERLY_MEETINGS
    assert [m.number for m in state.meetings] == list(range(1, 9))
    assert state.next_meeting_on == date(2029, 1, 2)
    tasks = [t.subject for t in (await inbox(app_pool, "alex.assistant")).to_do]
    assert tasks == ["Review the service-wide action plan at the CSLT quarterly meeting on 02 January 2029"]
    await assert_stream_continuous(app_pool, plan, state)
    await terminate(plan)


async def test_a_meeting_not_recorded_is_chased_and_never_shows_as_held(
    time_skipping_env, worker, settings, example_authority, app_pool
):
    plan, _ = await start_team_plan(time_skipping_env, settings, "unheld")
    # Two working days after the first meeting's day, nothing recorded: no meeting is held, the duty is overdue and
    # has gone up to the team manager's line manager.
    await sleep_until(time_skipping_env, datetime(2027, 2, 17, 12, tzinfo=LONDON))
    state = await plan.query(ActionPlanWorkflow.state)
    assert state.meetings == () and state.next_meeting_on == date(2027, 2, 15)
    (duty,) = state.duties
    assert (duty.key, duty.owner, duty.overdue, duty.escalation_level) == ("meeting-1", "nadia.manager", True, 1)
    assert (
        "Overdue: nadia.manager was to hold and record review meeting 1 of the Children in Need team action plan"
        in (" ".join(await told(app_pool, "nadia.manager", "escalation")))
    )
    assert await told(app_pool, "hana.hos", "escalation")
    # Only the owner records it, saying who attended; it is recorded on the day it is, late.
    meeting = RecordMeeting(actor="nadia.manager", attendees=("nadia.manager", "priya.practitioner"))
    assert await refused(plan, ActionPlanWorkflow.record_meeting, meeting.model_copy(update={"actor": "hana.hos"})) == (
        "only the plan's owner (nadia.manager) records its review meeting"
    )
    assert await refused(plan, ActionPlanWorkflow.record_meeting, meeting.model_copy(update={"attendees": ()})) == (
        "say who attended the meeting (staff ids)"
    )
    state = await plan.execute_update(ActionPlanWorkflow.record_meeting, meeting)
    (held,) = state.meetings
    assert (held.number, held.held_on, held.recorded_by, held.attendees) == (
        1,
        date(2027, 2, 17),
        "nadia.manager",
        ("nadia.manager", "priya.practitioner"),
    )
    assert state.duties[0].late and state.next_meeting_on == date(2027, 3, 30)
    await terminate(plan)


async def test_refusals_name_what_is_missing_and_record_nothing(
    time_skipping_env, worker, settings, example_authority, app_pool, keep_history
):
    plan, _ = await start_plan(
        time_skipping_env,
        settings,
        PlanInput(kind="team", team="Children in Need", owner="nadia.manager", started_by="nadia.manager"),
        "refusals",
    )
    await plan.execute_update(ActionPlanWorkflow.add_action, smart(by_when=date(2027, 6, 30)))
    await plan.execute_update(
        ActionPlanWorkflow.close_action, CloseAction(actor="nadia.manager", action_id="A1", reason="superseded")
    )
    await plan.execute_update(ActionPlanWorkflow.add_action, smart(by_when=date(2027, 6, 30)))
    log = AuditLog(app_pool)
    before = await log.read_stream(plan.id)

    add = ActionPlanWorkflow.add_action
    assert await refused(plan, add, AddAction(actor="nadia.manager", action="train the team")) == (
        "the action is not SMART: it needs the support needed, the person responsible, by when,"
        " how completion will be shown"
    )
    assert await refused(plan, add, smart(support=" ", evidence="")) == (
        "the action is not SMART: it needs the support needed, how completion will be shown"
    )
    assert (await refused(plan, add, smart(by_when=date(2026, 1, 5)))).startswith(
        "by when must be a date in the future"
    )
    assert await refused(plan, add, smart(actor="priya.practitioner")) == (
        "only the plan's owner (nadia.manager) can add actions on the Children in Need team action plan"
    )
    assert await refused(plan, add, smart(responsible="nobody.here")) == (
        "nobody.here cannot be responsible for an action: the directory does not list them as active"
    )
    finding = AddFromFinding(**smart(actor="qa.officer").model_dump())
    assert await refused(plan, ActionPlanWorkflow.add_from_finding, finding) == (
        "the finding the action comes from (e.g. a cycle id) cannot be empty"
    )
    assert await refused(
        plan, ActionPlanWorkflow.add_from_finding, finding.model_copy(update={"actor": "sam.reviewer", "source": "x"})
    ) == (
        "sam.reviewer cannot add actions from findings to a plan: the directory does not list them as a qa_officer or head_of_qa"
    )
    progress = ActionPlanWorkflow.record_progress
    assert await refused(plan, progress, RecordProgress(actor="nadia.manager", action_id="A2", status="done")) == (
        "the evidence that the action is done cannot be empty"
    )
    assert await refused(plan, progress, RecordProgress(actor="nadia.manager", action_id="A1", status="at-risk")) == (
        "action A1 was closed (superseded); it can no longer change"
    )
    assert await refused(plan, progress, RecordProgress(actor="nadia.manager", action_id="A9", status="at-risk")) == (
        "the plan has no action A9 (its actions: A1, A2)"
    )
    change = ActionPlanWorkflow.change_action
    assert await refused(plan, change, ChangeAction(actor="nadia.manager", action_id="A2", reason="why not")) == (
        "say what changes: the action, support, responsible, by when or evidence"
    )
    assert await log.read_stream(plan.id) == before

    changed = await plan.execute_update(
        change,
        ChangeAction(actor="nadia.manager", action_id="A2", responsible="dan.practitioner", reason="Priya on leave"),
    )
    assert changed.action("A2").responsible == "dan.practitioner"
    assert [t.task_key for t in (await inbox(app_pool, "dan.practitioner")).to_do] == ["action-A2"]
    assert "action-A2" not in {t.task_key for t in (await inbox(app_pool, "priya.practitioner")).to_do}
    await assert_stream_continuous(app_pool, plan, await plan.query(ActionPlanWorkflow.state))
    await terminate(plan)
    await keep_history(plan, "action_plan_actions_added_changed_closed")


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        (
            PlanInput(kind="team", team="Care Leavers", owner="nadia.manager", started_by="nadia.manager"),
            "nadia.manager cannot own the Care Leavers team's plan: the directory lists them in Children in Need",
        ),
        (
            PlanInput(kind="service-wide", owner="sam.reviewer", started_by="qa.officer"),
            "sam.reviewer cannot own a service-wide plan: CSLT is the heads of service and those they report to",
        ),
        (
            PlanInput(kind="team", team="Children in Need", owner="lee.reviewer", started_by="lee.reviewer"),
            "lee.reviewer cannot own a team action plan: the directory does not list them as a team_manager",
        ),
    ],
)
async def test_a_plan_with_the_wrong_owner_never_starts(
    time_skipping_env, worker, settings, example_authority, app_pool, request_, message
):
    handle = await time_skipping_env.client.start_workflow(
        ActionPlanWorkflow.run, request_, id=f"plan-wrong-{settings.task_queue}", task_queue=settings.task_queue
    )
    with pytest.raises(WorkflowFailureError) as failure:
        await handle.result()
    assert failure.value.cause.message == message
    assert await AuditLog(app_pool).read_stream(handle.id) == []
