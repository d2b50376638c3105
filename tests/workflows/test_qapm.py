"""QAPM meetings on the time-skipping server: the pack from the log, the chair's decisions into the service-wide plan."""

from __future__ import annotations

import hashlib
import uuid
from datetime import date, datetime

import pytest

from activities.qapm import LatestDecision, QapmActivities
from domain import cpr_cycle, qapm
from domain.action_plan import PlanInput, SmartAction
from domain.duties import duty
from domain.events import DomainEvent, NewEvent
from domain.qapm import DecisionsRecorded, DelegateChair, MeetingStarted, ProgressReview, RecordDecisions
from domain.rubric import Grade
from domain.sampling import SampleDraw
from domain.working_days import LONDON
from infra.store.audit_log import AuditLog
from infra.store.documents import Documents
from tests.clock import sleep_until
from tests.workflows.conftest import audited, eventually, refused, refused_start, told
from workflows.action_plan import ActionPlanWorkflow
from workflows.qapm_meeting import QapmInput, QapmMeetingWorkflow

MEETING = date(2027, 3, 4)  # a Thursday
CYCLE = "cpr-2027-01-18-children-in-need"


def end_of(day: str) -> datetime:
    return datetime.fromisoformat(f"{day}T23:59:59").replace(tzinfo=LONDON)


def at(day: str, hour: int = 10) -> datetime:
    return datetime.fromisoformat(f"{day}T{hour:02d}:00:00").replace(tzinfo=LONDON)


async def append(app_pool, stream_id: str, *events: tuple[datetime, DomainEvent], actor: str = "qa.officer") -> None:
    """Events as another workflow would have recorded them (the pack reads the log, whoever wrote it)."""
    await AuditLog(app_pool).append(
        [
            NewEvent(
                stream_id=stream_id,
                version=n,
                event_id=uuid.uuid4(),
                event_type=event.event_type,
                actor=actor,
                business_time=when,
                payload=event.payload(),
            )
            for n, (when, event) in enumerate(events, start=1)
        ]
    )


async def earlier_meeting(app_pool, meeting_on: date, **decided) -> None:
    fields = {"thematic_focus": None, "practice_week_theme": None} | decided
    await append(
        app_pool,
        qapm.meeting_id(meeting_on),
        (at("2027-01-07"), MeetingStarted(meeting_on=meeting_on, pack_due_at=at("2027-01-07", 7), calendar_digest="c")),
        (
            datetime.combine(meeting_on, datetime.min.time(), LONDON).replace(hour=15),
            DecisionsRecorded(
                meeting_on=meeting_on, chair="dana.director", plan_id=None, actions=(), progress=(), notes="", **fields
            ),
        ),
    )


async def a_cycle(app_pool) -> None:
    draw = SampleDraw(
        method="sha256-rank",
        seed="s",
        size=1,
        on=date(2027, 1, 18),
        eligible_digest="0" * 64,
        eligible_count=1,
        too_recent_count=0,
        sample=("LCS-100701",),
    )
    await append(
        app_pool,
        CYCLE,
        (
            at("2027-01-18"),
            cpr_cycle.CycleStarted(
                service="Children in Need",
                start=date(2027, 1, 18),
                sample_size=1,
                review_due_on=date(2027, 2, 15),
                review_due_at=end_of("2027-02-15"),
                calendar_digest="c",
            ),
        ),
        (
            at("2027-01-18"),
            cpr_cycle.SampleDrawn(
                snapshot_id=1,
                draw=draw,
                cases=(
                    cpr_cycle.SampledCase(
                        case_number="LCS-100701", team="Children in Need", practitioner="priya.practitioner"
                    ),
                ),
            ),
        ),
        (at("2027-02-10"), cpr_cycle.ReviewSubmitted(case_number="LCS-100701", grade=Grade.good, late=False)),
    )


async def start(env, settings, meeting_on: date = MEETING, started_by: str = "qa.officer"):
    handle = await env.client.start_workflow(
        QapmMeetingWorkflow.run,
        QapmInput(meeting_on=meeting_on, started_by=started_by),
        id=qapm.meeting_id(meeting_on),
        task_queue=settings.task_queue,
    )

    async def started():
        return await handle.query(QapmMeetingWorkflow.state)

    await eventually(started)
    return handle


async def service_wide_plan(env, settings) -> str:
    plan_id = "plan-service-wide-2026-12-01"
    await env.client.start_workflow(
        ActionPlanWorkflow.run,
        PlanInput(kind="service-wide", owner="alex.assistant", started_by="qa.officer"),
        id=plan_id,
        task_queue=settings.task_queue,
    )
    plan = env.client.get_workflow_handle(plan_id)

    async def started():
        return await plan.query(ActionPlanWorkflow.state)

    await eventually(started)
    return plan_id


def smart(responsible: str = "hana.hos") -> SmartAction:
    return SmartAction(
        action="every child in need plan names who does what by when",
        support="planning workshops from the QA team",
        responsible=responsible,
        by_when=date(2027, 9, 30),
        evidence="the next CPR finds timescales in 9 of 10 plans",
    )


async def test_the_pack_is_compiled_from_the_log_and_the_chairs_actions_go_into_the_service_wide_plan(
    time_skipping_env, worker, settings, example_authority, app_pool, keep_history
):
    await earlier_meeting(app_pool, date(2027, 1, 14), thematic_focus="Management oversight")
    await a_cycle(app_pool)
    plan_id = await service_wide_plan(time_skipping_env, settings)
    handle = await start(time_skipping_env, settings)
    state = await handle.query(QapmMeetingWorkflow.state)
    assert state.phase == "preparing" and state.pack is None
    assert state.pack_due_at == at("2027-02-25", 7)  # 5 working days before the meeting
    assert duty(state, "decisions").due_at == end_of("2027-03-08")  # 2 working days after it
    assert duty(state, "decisions").owner == "dana.director"  # the Director chairs: the decisions are theirs
    assert state.director == "dana.director"

    assert "recorded at or after the meeting (2027-03-04)" in await refused(
        handle, QapmMeetingWorkflow.record_decisions, RecordDecisions(actor="dana.director", thematic_focus="x")
    )

    await sleep_until(time_skipping_env, at("2027-02-25", 8))

    async def compiled():
        return (await handle.query(QapmMeetingWorkflow.state)).pack

    pack = await eventually(compiled)
    state = await handle.query(QapmMeetingWorkflow.state)
    assert state.pack_compiled_at.replace(microsecond=0) == at("2027-02-25", 7)
    assert pack.previous_meeting == "qapm-2027-01-14"
    assert pack.since == datetime(2027, 1, 14, tzinfo=LONDON)
    assert [c.cycle_id for c in pack.cycles_opened] == [CYCLE]
    assert pack.grades == {
        "Children in Need": {"Outstanding": 0, "Good": 1, "Requires Improvement": 0, "Inadequate": 0}
    }
    assert pack.deadline("CPR reviews submitted").met == 1
    assert state.pack_path == "postgresql:qapm-2027-03-04/pack.md"
    written = await Documents(app_pool).get("qapm-2027-03-04", "pack.md")
    assert hashlib.sha256(written.content).hexdigest() == state.pack_sha256
    assert "| Children in Need | 0 | 1 | 0 | 0 | 1 |" in written.content.decode()

    async def told_of_the_pack():
        return any("performance pack" in s for s in await told(app_pool, "qa.officer", "info"))

    await eventually(told_of_the_pack)

    await sleep_until(time_skipping_env, at("2027-03-04", 14))
    version = (await handle.query(QapmMeetingWorkflow.state)).version  # the reminder of 09:00 is recorded
    decisions = RecordDecisions(
        actor="dana.director",
        thematic_focus="Neglect: cumulative harm",
        practice_week_theme="The voice of the child",
        actions=(smart(),),
        progress=(
            ProgressReview(
                item=CYCLE,
                repeat_cycle=True,
                reasons="plans still lack timescales",
                time_to_impact="six months",
                revisit_next_cycle=True,
                revisit_areas="timescales in plans",
            ),
        ),
        attended=("dana.director", "alex.assistant", "hana.hos"),
    )
    assert "sam.reviewer cannot record the decisions" in await refused(
        handle, QapmMeetingWorkflow.record_decisions, decisions.model_copy(update={"actor": "sam.reviewer"})
    )
    unknown = decisions.model_copy(
        update={"progress": (ProgressReview(item="cpr-nope", repeat_cycle=False, reasons="r"),)}
    )
    assert "the audit log holds no item cpr-nope" in await refused(
        handle, QapmMeetingWorkflow.record_decisions, unknown
    )
    nobody = decisions.model_copy(update={"actions": (smart("nobody.here"),)})
    assert "action 1: nobody.here is not an active member of staff" in await refused(
        handle, QapmMeetingWorkflow.record_decisions, nobody
    )
    stranger = decisions.model_copy(update={"attended": ("dana.director", "nobody.here")})
    assert "nobody.here cannot be recorded as attending the meeting" in await refused(
        handle, QapmMeetingWorkflow.record_decisions, stranger
    )
    assert (await handle.query(QapmMeetingWorkflow.state)).version == version

    state = await handle.execute_update(QapmMeetingWorkflow.record_decisions, decisions)
    assert state.phase == "decided" and state.chair == "dana.director"
    assert state.plan_id == plan_id and [a.action_id for a in state.actions] == ["A1"]
    assert state.repeats == (CYCLE,)
    # The repeat is in the QA calendar from the first working day of the next month.
    assert [(r.cycle_id, r.start) for r in state.repeats_scheduled] == [(CYCLE, date(2027, 4, 1))]
    assert not duty(state, "decisions").open and not duty(state, "decisions").late
    assert await handle.result() == state
    plan = await time_skipping_env.client.get_workflow_handle(plan_id).query(ActionPlanWorkflow.state)
    assert [(a.action_id, a.responsible, a.source) for a in plan.actions] == [
        ("A1", "hana.hos", "qapm-2027-03-04 action 1")
    ]

    # What the thematic scheduler and Practice Week ask: the newest non-empty decision up to a day.
    activities = QapmActivities(AuditLog(app_pool), Documents(app_pool))
    await earlier_meeting(app_pool, date(2027, 5, 13), practice_week_theme="Working with fathers")
    focus = await activities.latest_decision(LatestDecision(field="thematic_focus", before=date(2027, 12, 31)))
    assert (focus.value, focus.meeting_id, focus.meeting_on, focus.decided_on) == (
        "Neglect: cumulative harm",
        "qapm-2027-03-04",
        MEETING,
        MEETING,
    )
    older = await activities.latest_decision(LatestDecision(field="thematic_focus", before=date(2027, 3, 3)))
    assert (older.value, older.meeting_id) == ("Management oversight", "qapm-2027-01-14")
    theme = await activities.latest_decision(LatestDecision(field="practice_week_theme", before=date(2027, 6, 1)))
    assert (theme.value, theme.meeting_id) == ("Working with fathers", "qapm-2027-05-13")
    assert (
        await activities.latest_decision(LatestDecision(field="practice_week_theme", before=date(2027, 3, 1))) is None
    )

    log = AuditLog(app_pool)
    events = await log.read_stream(handle.id)
    assert [e.event_type for e in events] == [
        "qapm.started",
        "qapm.duty_set",
        "qapm.pack_compiled",
        "qapm.duty_chased",  # the reminder on the meeting day
        "qapm.decisions_recorded",
        "qapm.duty_done",
        "qapm.repeat_scheduled",
    ]
    assert events[4].payload["thematic_focus"] == "Neglect: cumulative harm"
    await audited(app_pool, handle.id, state)
    await keep_history(handle, "qapm_meeting")  # recorded before the Director chaired: replays as it was


async def test_late_decisions_are_chased_and_actions_need_a_service_wide_plan(
    time_skipping_env, worker, settings, example_authority, app_pool
):
    # Started after the pack's moment: the pack is compiled at once, over the 3 months before the meeting.
    await sleep_until(time_skipping_env, at("2027-02-26", 12))
    handle = await start(time_skipping_env, settings)

    async def compiled():
        return (await handle.query(QapmMeetingWorkflow.state)).pack

    pack = await eventually(compiled)
    assert pack.previous_meeting is None and pack.since == datetime(2026, 12, 4, tzinfo=LONDON)

    # Reminded at 09:00 on the meeting day (2 working days before the due day), overdue at the end of
    # Monday 8 March, then escalated up the QA officer's line and to the Head of QA.
    await sleep_until(time_skipping_env, at("2027-03-16", 12))
    state = await handle.query(QapmMeetingWorkflow.state)
    decisions = duty(state, "decisions")
    assert decisions.overdue and decisions.escalation_level == 3
    assert [s.at.astimezone(LONDON).date().isoformat() for s in decisions.chase] == [
        "2027-03-04",
        "2027-03-08",
        "2027-03-08",
        "2027-03-10",
        "2027-03-15",
    ]
    assert any("Reminder: record the decisions" in s for s in await told(app_pool, "dana.director", "reminder"))
    assert any(
        "dana.director was to record the decisions" in s for s in await told(app_pool, "quinn.hoqa", "escalation")
    )

    version = state.version
    attended = ("dana.director", "hana.hos")
    with_actions = RecordDecisions(actor="dana.director", notes="pack noted", actions=(smart(),), attended=attended)
    assert "no service-wide action plan has been started" in await refused(
        handle, QapmMeetingWorkflow.record_decisions, with_actions
    )
    # In the Director's absence a head of service chairs, named by the Director: the duty becomes theirs.
    by_hana = RecordDecisions(actor="hana.hos", notes="pack noted; no new focus", attended=("hana.hos", "ben.hos"))
    assert "hana.hos cannot record the decisions" in await refused(
        handle, QapmMeetingWorkflow.record_decisions, by_hana
    )
    delegate = DelegateChair(actor="hana.hos", delegate="hana.hos", reason="the Director is on leave")
    assert "only the Director (dana.director) names who chairs" in await refused(
        handle, QapmMeetingWorkflow.delegate_chair, delegate
    )
    assert "sam.reviewer cannot chair the QAPM meeting" in await refused(
        handle,
        QapmMeetingWorkflow.delegate_chair,
        delegate.model_copy(update={"actor": "dana.director", "delegate": "sam.reviewer"}),
    )
    assert (await handle.query(QapmMeetingWorkflow.state)).version == version
    state = await handle.execute_update(
        QapmMeetingWorkflow.delegate_chair, delegate.model_copy(update={"actor": "dana.director"})
    )
    assert state.delegate == "hana.hos" and duty(state, "decisions").owner == "hana.hos"
    assert duty(state, "decisions").due_at == end_of("2027-03-08")  # due as it was
    state = await handle.execute_update(QapmMeetingWorkflow.record_decisions, by_hana)
    assert duty(state, "decisions").late and state.thematic_focus is None
    assert (state.chair, state.attended) == ("hana.hos", ("hana.hos", "ben.hos"))
    await handle.result()


@pytest.mark.parametrize(
    ("meeting_on", "started_by", "message"),
    [
        (MEETING, "sam.reviewer", "sam.reviewer cannot start a QAPM meeting"),
        (date(2027, 3, 6), "qa.officer", "2027-03-06 is not a working day"),
        (date(2026, 1, 15), "qa.officer", "the meeting of 2026-01-15 is past"),
    ],
)
async def test_a_meeting_that_cannot_start_records_nothing(
    time_skipping_env, worker, settings, example_authority, app_pool, meeting_on, started_by, message
):
    assert message in await refused_start(
        time_skipping_env,
        settings,
        app_pool,
        QapmMeetingWorkflow.run,
        QapmInput(meeting_on=meeting_on, started_by=started_by),
        qapm.meeting_id(meeting_on),
    )
