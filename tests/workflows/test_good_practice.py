"""Good Practice Conversations on the time-skipping server: a nominated team, its appreciative inquiry, the duties."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from domain import good_practice
from domain.duties import duty
from domain.good_practice import InquiryRecord, NominateTeam, RecordInquiry
from domain.working_days import LONDON
from tests.clock import sleep_until
from tests.workflows.conftest import audited, eventually, refused, refused_start, told
from workflows.good_practice import GoodPracticeWorkflow, GpcInput

MONTH = date(2027, 3, 1)


def end_of(day: str) -> datetime:
    return datetime.fromisoformat(f"{day}T23:59:59").replace(tzinfo=LONDON)


def at(day: str, hour: int = 10) -> datetime:
    return datetime.fromisoformat(f"{day}T{hour:02d}:00:00").replace(tzinfo=LONDON)


async def start(env, settings, month_start: date = MONTH, started_by: str = "qa.officer"):
    handle = await env.client.start_workflow(
        GoodPracticeWorkflow.run,
        GpcInput(month_start=month_start, started_by=started_by),
        id=good_practice.gpc_id(month_start),
        task_queue=settings.task_queue,
    )

    async def started():
        return await handle.query(GoodPracticeWorkflow.state)

    await eventually(started)
    return handle


def inquiry(held_on: date = date(2027, 3, 10), interviewed=("nadia.manager", "priya.practitioner")) -> InquiryRecord:
    return InquiryRecord(
        held_on=held_on,
        worked_well="direct work that kept a sibling group together, case LCS-100701",
        interviewed=interviewed,
        insight="weekly reflective supervision let the worker try new approaches",
        shared="presented at the all-staff briefing; a practice note on the intranet",
        ceo_attended=True,
        lead_member_attended=False,
    )


async def test_a_nominated_team_shares_its_good_practice_in_an_appreciative_inquiry(
    time_skipping_env, worker, settings, example_authority, app_pool, keep_history
):
    handle = await start(time_skipping_env, settings)
    state = await handle.query(GoodPracticeWorkflow.state)
    assert {d.key: (d.owner, d.due_at) for d in state.duties} == {
        "nominate": ("qa.officer", end_of("2027-03-15")),  # 10 working days after the month's start
        "record": ("qa.officer", end_of("2027-03-31")),  # the month's last working day
    }

    async def asked():
        return any("Nominate a team to share its good practice" in s for s in await told(app_pool, "hana.hos", "info"))

    await eventually(asked)  # every head of service is asked, once the duties are recorded

    version = state.version
    assert "the appreciative inquiry follows the nomination" in await refused(
        handle, GoodPracticeWorkflow.record_inquiry, RecordInquiry(actor="qa.officer", record=inquiry())
    )
    nomination = NominateTeam(actor="hana.hos", team="Children in Need", good_practice="keeping siblings together")
    assert "sam.reviewer cannot nominate a team" in await refused(
        handle, GoodPracticeWorkflow.nominate, nomination.model_copy(update={"actor": "sam.reviewer"})
    )
    assert "no active staff in a team called 'Nowhere'" in await refused(
        handle, GoodPracticeWorkflow.nominate, nomination.model_copy(update={"team": "Nowhere"})
    )
    assert "the good practice the team is to share cannot be empty" in await refused(
        handle, GoodPracticeWorkflow.nominate, nomination.model_copy(update={"good_practice": " "})
    )
    assert (await handle.query(GoodPracticeWorkflow.state)).version == version

    state = await handle.execute_update(GoodPracticeWorkflow.nominate, nomination)
    assert (state.phase, state.team, state.nominated_by, state.team_managers) == (
        "recording",
        "Children in Need",
        "hana.hos",
        ("nadia.manager",),
    )
    assert "already nominated by hana.hos" in await refused(handle, GoodPracticeWorkflow.nominate, nomination)

    await sleep_until(time_skipping_env, at("2027-03-10", 16))
    version = (await handle.query(GoodPracticeWorkflow.state)).version
    assert "held between 2027-03-01 and today (2027-03-10), not on 2027-03-11" in await refused(
        handle,
        GoodPracticeWorkflow.record_inquiry,
        RecordInquiry(actor="hana.hos", record=inquiry(held_on=date(2027, 3, 11))),
    )
    assert "nobody.here is not an active member of staff" in await refused(
        handle,
        GoodPracticeWorkflow.record_inquiry,
        RecordInquiry(actor="hana.hos", record=inquiry(interviewed=("nobody.here",))),
    )
    assert "sam.reviewer cannot record the appreciative inquiry" in await refused(
        handle, GoodPracticeWorkflow.record_inquiry, RecordInquiry(actor="sam.reviewer", record=inquiry())
    )
    assert (await handle.query(GoodPracticeWorkflow.state)).version == version

    state = await handle.execute_update(
        GoodPracticeWorkflow.record_inquiry, RecordInquiry(actor="hana.hos", record=inquiry())
    )
    assert state.phase == "recorded" and state.record.ceo_attended
    assert all(not d.open and not d.late for d in state.duties)
    assert await handle.result() == state
    for person in ("priya.practitioner", "nadia.manager"):
        assert any(
            "Good practice recognised: the Children in Need team" in s for s in await told(app_pool, person, "info")
        )

    await audited(app_pool, handle.id, state)
    await keep_history(handle, "good_practice_conversation_on_the_first_working_day")


async def test_a_late_nomination_is_chased_up_the_qa_officers_line(
    time_skipping_env, worker, settings, example_authority, app_pool
):
    handle = await start(time_skipping_env, settings)
    await sleep_until(time_skipping_env, at("2027-03-24", 12))
    state = await handle.query(GoodPracticeWorkflow.state)
    nominate = duty(state, "nominate")
    assert nominate.overdue and nominate.escalation_level == 3
    assert [s.at.astimezone(LONDON).date().isoformat() for s in nominate.chase] == [
        "2027-03-11",
        "2027-03-15",
        "2027-03-15",
        "2027-03-17",
        "2027-03-22",
    ]
    assert not duty(state, "record").overdue  # reminded on 25 March: Good Friday and Easter Monday come before
    assert any("qa.officer was to get a team nominated" in s for s in await told(app_pool, "quinn.hoqa", "escalation"))
    state = await handle.execute_update(
        GoodPracticeWorkflow.nominate,
        NominateTeam(
            actor="fatima.hos", team="Family Support and Safeguarding", good_practice="family group conferences"
        ),
    )
    assert duty(state, "nominate").late
    await handle.terminate()


@pytest.mark.parametrize(
    ("month_start", "started_by", "message"),
    [
        (MONTH, "hana.hos", "hana.hos cannot start a Good Practice Conversation"),
        (date(2026, 2, 2), "qa.officer", "the month of 2026-02-02 is over"),
        (
            date(2027, 3, 22),
            "qa.officer",
            "a Good Practice Conversation starts on its month's first working day: 2027-03-01, not 2027-03-22",
        ),
        (
            date(2027, 5, 1),
            "qa.officer",
            "first working day: 2027-05-04, not 2027-05-01",
        ),  # a Saturday, then a bank holiday
    ],
)
async def test_a_conversation_that_cannot_start_records_nothing(
    time_skipping_env, worker, settings, example_authority, app_pool, month_start, started_by, message
):
    assert message in await refused_start(
        time_skipping_env,
        settings,
        app_pool,
        GoodPracticeWorkflow.run,
        GpcInput(month_start=month_start, started_by=started_by),
        good_practice.gpc_id(month_start),
    )
