"""Practice Week on the time-skipping server: the QAPM's theme, the leaders' observations, the summary."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from domain import practice_week
from domain.duties import duty
from domain.practice_week import AgreeTheme, CloseWeek, Observation, RecordObservation
from domain.working_days import LONDON
from tests.clock import sleep_until
from tests.workflows.conftest import audited, eventually, refused, refused_start, told
from tests.workflows.test_qapm import earlier_meeting
from workflows.practice_week import PracticeWeekInput, PracticeWeekWorkflow

WEEK = date(2027, 11, 15)  # a Monday


def end_of(day: str) -> datetime:
    return datetime.fromisoformat(f"{day}T23:59:59").replace(tzinfo=LONDON)


def at(day: str, hour: int = 10) -> datetime:
    return datetime.fromisoformat(f"{day}T{hour:02d}:00:00").replace(tzinfo=LONDON)


async def start(env, settings, **overrides):
    request = PracticeWeekInput(**({"week_start": WEEK, "started_by": "qa.officer"} | overrides))
    handle = await env.client.start_workflow(
        PracticeWeekWorkflow.run,
        request,
        id=practice_week.week_id(request.week_start),
        task_queue=settings.task_queue,
    )

    async def started():
        return await handle.query(PracticeWeekWorkflow.state)

    await eventually(started)
    return handle


def visit(*cases: str) -> Observation:
    return Observation(
        visit="Children in Need duty team",
        observed="a strengths-based home visit and the team's morning huddle",
        feedback="the young person said their worker listens and explains what happens next",
        case_numbers=cases,
    )


async def test_leaders_observe_a_week_themed_by_the_qapm_and_the_qa_officer_closes_it(
    time_skipping_env, worker, settings, example_authority, app_pool, keep_history
):
    # Last year's theme is not this week's: with no fresher decision, agreeing one is the QA officer's duty.
    await earlier_meeting(app_pool, date(2026, 9, 3), practice_week_theme="Last year's theme")
    handle = await start(time_skipping_env, settings)
    state = await handle.query(PracticeWeekWorkflow.state)
    assert state.theme is None and state.week_ends_at == end_of("2027-11-19")
    assert {d.key: (d.owner, d.due_at) for d in state.duties} == {
        "theme": ("qa.officer", end_of("2027-11-12")),  # by the working day before the week
        "close": ("qa.officer", end_of("2027-11-26")),  # 5 working days after the week
    }

    assert "no QAPM meeting in the year before the week decided a Practice Week theme" in await refused(
        handle, PracticeWeekWorkflow.agree_theme, AgreeTheme(actor="qa.officer")
    )
    assert "hana.hos cannot agree the Practice Week theme" in await refused(
        handle, PracticeWeekWorkflow.agree_theme, AgreeTheme(actor="hana.hos", theme="x")
    )
    await earlier_meeting(app_pool, date(2027, 9, 2), practice_week_theme="The voice of the child")
    state = await handle.execute_update(PracticeWeekWorkflow.agree_theme, AgreeTheme(actor="qa.officer"))
    assert (state.theme, state.theme_from) == ("The voice of the child", "qapm-2027-09-02")
    assert not duty(state, "theme").open

    assert "observations are recorded during the week, from 2027-11-15" in await refused(
        handle, PracticeWeekWorkflow.observe, RecordObservation(actor="hana.hos", observation=visit())
    )
    await sleep_until(time_skipping_env, at("2027-11-16"))
    version = (await handle.query(PracticeWeekWorkflow.state)).version
    assert "sam.reviewer cannot record a Practice Week observation" in await refused(
        handle, PracticeWeekWorkflow.observe, RecordObservation(actor="sam.reviewer", observation=visit())
    )
    assert "name children by their open case numbers only: not open in cases snapshot 1: Jamie" in await refused(
        handle, PracticeWeekWorkflow.observe, RecordObservation(actor="hana.hos", observation=visit("Jamie"))
    )
    assert "the week is closed once it has ended (2027-11-19)" in await refused(
        handle, PracticeWeekWorkflow.close, CloseWeek(actor="qa.officer", summary="s", learning=("l",))
    )
    assert (await handle.query(PracticeWeekWorkflow.state)).version == version

    await handle.execute_update(
        PracticeWeekWorkflow.observe, RecordObservation(actor="hana.hos", observation=visit("LCS-100701"))
    )
    state = await handle.execute_update(
        PracticeWeekWorkflow.observe, RecordObservation(actor="dana.director", observation=visit())
    )
    assert [(o.number, o.leader) for o in state.observations] == [(1, "hana.hos"), (2, "dana.director")]
    assert state.case_numbers == ("LCS-100701",)

    await sleep_until(time_skipping_env, at("2027-11-22"))
    assert "the week ended on 2027-11-19" in await refused(
        handle, PracticeWeekWorkflow.observe, RecordObservation(actor="hana.hos", observation=visit())
    )
    assert "name at least one learning and development opportunity" in await refused(
        handle, PracticeWeekWorkflow.close, CloseWeek(actor="qa.officer", summary="s", learning=(" ",))
    )
    state = await handle.execute_update(
        PracticeWeekWorkflow.close,
        CloseWeek(
            actor="qa.officer",
            summary="Children felt heard where workers explained plans; recording lagged behind visits.",
            learning=("voice of the child workshop, January", "recording clinics for team managers"),
        ),
    )
    assert state.phase == "closed" and not duty(state, "close").late
    assert await handle.result() == state
    assert any("is closed: its summary and learning" in s for s in await told(app_pool, "alex.assistant", "info"))

    await audited(app_pool, handle.id, state)
    await keep_history(handle, "practice_week")


async def test_the_newest_qapm_theme_is_taken_at_the_start_and_a_late_summary_is_chased(
    time_skipping_env, worker, settings, example_authority, app_pool
):
    await earlier_meeting(app_pool, date(2027, 7, 1), practice_week_theme="Working with fathers")
    await earlier_meeting(app_pool, date(2027, 9, 2), practice_week_theme="The voice of the child")
    await earlier_meeting(app_pool, date(2027, 11, 4), thematic_focus="Neglect")  # decided no theme
    handle = await start(time_skipping_env, settings)
    state = await handle.query(PracticeWeekWorkflow.state)
    assert (state.theme, state.theme_from) == ("The voice of the child", "qapm-2027-09-02")
    assert [d.key for d in state.duties] == ["close"]
    assert "already agreed: The voice of the child" in await refused(
        handle, PracticeWeekWorkflow.agree_theme, AgreeTheme(actor="qa.officer", theme="x")
    )

    await sleep_until(time_skipping_env, at("2027-12-08", 12))
    close = duty(await handle.query(PracticeWeekWorkflow.state), "close")
    assert close.overdue and close.escalation_level == 3
    assert any(
        "qa.officer was to close the Practice Week" in s for s in await told(app_pool, "quinn.hoqa", "escalation")
    )
    await handle.terminate()


async def test_a_theme_given_at_the_start_is_the_weeks(time_skipping_env, worker, settings, example_authority):
    handle = await start(time_skipping_env, settings, theme="  Management oversight  ")
    state = await handle.query(PracticeWeekWorkflow.state)
    assert (state.theme, state.theme_from, [d.key for d in state.duties]) == ("Management oversight", None, ["close"])
    await handle.terminate()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"started_by": "dana.director"}, "dana.director cannot start a Practice Week"),
        ({"week_start": date(2026, 1, 5)}, "the week from 2026-01-05 is over"),
        ({"theme": " "}, "the theme cannot be empty"),
    ],
)
async def test_a_week_that_cannot_start_records_nothing(
    time_skipping_env, worker, settings, example_authority, app_pool, overrides, message
):
    request = PracticeWeekInput(**({"week_start": WEEK, "started_by": "qa.officer"} | overrides))
    assert message in await refused_start(
        time_skipping_env,
        settings,
        app_pool,
        PracticeWeekWorkflow.run,
        request,
        practice_week.week_id(request.week_start),
    )
