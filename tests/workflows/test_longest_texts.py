"""The longest text a person may record never wedges its workflow: what it tells people is made to fit.

A plan action, a Practice Week theme or a safeguarding alert's concern is quoted in the notifications that
follow it. Before they were fitted to the outbox, a 250-character action or a 9,950-character concern
was recorded and then failed the workflow task for good: the alert reached nobody and every later
command on the item failed.
"""

from __future__ import annotations

import asyncio
from datetime import datetime

from domain.action_plan import RecordProgress
from domain.notifications import MAX_BODY, MAX_SUBJECT
from domain.practice_week import CloseWeek, RecordObservation
from domain.review import RecordVoice
from domain.safeguarding import RaiseAlert
from domain.text import MAX_LONG, MAX_SHORT
from domain.working_days import LONDON
from tests.clock import sleep_until
from tests.workflows.conftest import audited, inbox, refused, refused_start, told
from tests.workflows.test_action_plan import smart, start_team_plan
from tests.workflows.test_cpr import allocate, review_of, start_cycle, stop
from tests.workflows.test_practice_week import at, visit
from tests.workflows.test_practice_week import start as start_week
from tests.workflows.test_safeguarding_alert import raise_alert
from workflows.action_plan import ActionPlanWorkflow
from workflows.cpr_cycle import CprCycleWorkflow
from workflows.practice_week import PracticeWeekWorkflow
from workflows.review import ReviewWorkflow
from workflows.safeguarding_alert import SafeguardingAlertWorkflow


async def update(handle, method, request):
    """An update that must finish: a wedged workflow would leave it waiting for ever."""
    try:
        return await asyncio.wait_for(handle.execute_update(method, request), timeout=30)
    except TimeoutError:
        raise AssertionError(f"{handle.id} is wedged: the update never finished") from None


def longest(words: str, limit: int) -> str:
    """Text of exactly `limit` characters, with a line break in it (allowed in free text)."""
    text = (words + "\n" + words * (limit // len(words) + 1))[:limit]
    assert len(text) == limit
    return text


async def test_the_longest_safeguarding_concern_reaches_both_managers_and_the_review_goes_on(
    time_skipping_env, worker, settings, example_authority, app_pool
):
    cycle = await start_cycle(time_skipping_env, settings, size=1)
    case = (await cycle.query(CprCycleWorkflow.state)).cases[0]
    handle = await review_of(time_skipping_env, await allocate(cycle, case.case_number), case.case_number)
    concern = longest("bruising seen on the visit and not explained; ", MAX_LONG)

    def raised(text: str) -> RaiseAlert:
        return RaiseAlert(raised_by="sam.reviewer", case_number=case.case_number, from_item=handle.id, concern=text)

    assert await refused_start(
        time_skipping_env, settings, app_pool, SafeguardingAlertWorkflow.run, raised(concern + "x"), "alert-too-long"
    ) == (f"the safeguarding concern is {MAX_LONG + 1:,} characters long; at most {MAX_LONG:,} can be recorded")

    alert, state = await raise_alert(time_skipping_env, settings, raised(concern))
    assert state.concern == concern  # the record keeps it whole
    for person in ("nadia.manager", "hana.hos"):
        [told_them] = [n for n in (await inbox(app_pool, person)).told if n.kind == "alert"]
        assert told_them.subject == f"SAFEGUARDING: immediate steps needed for case {case.case_number}"
        assert len(told_them.body) <= MAX_BODY and told_them.body.startswith(f"Raised by sam.reviewer from {handle.id}")
        assert told_them.body.endswith(f"[shortened: the whole text is in the record of {alert.id}]")
    state = await update(
        handle, ReviewWorkflow.record_voice, RecordVoice(actor="sam.reviewer", whose="child", summary=concern)
    )
    assert "child" in state.voices
    await audited(app_pool, handle.id, state)
    await audited(app_pool, alert.id, await alert.query(SafeguardingAlertWorkflow.state))
    await alert.terminate()
    await stop(time_skipping_env, cycle)


async def test_the_longest_plan_action_is_chased_when_overdue_and_the_plan_goes_on(
    time_skipping_env, worker, settings, example_authority, app_pool
):
    plan, _ = await start_team_plan(time_skipping_env, settings, "longest")
    action = longest("every child's plan names who does what by when; ", MAX_SHORT)
    assert await refused(plan, ActionPlanWorkflow.add_action, smart(action=action + "x")) == (
        f"the action is {MAX_SHORT + 1:,} characters long; at most {MAX_SHORT:,} can be recorded"
    )
    await update(plan, ActionPlanWorkflow.add_action, smart(action=action))
    [task] = (await inbox(app_pool, "priya.practitioner")).to_do  # the person responsible's task quotes it
    assert len(task.subject) <= MAX_SUBJECT and task.subject.endswith("…")
    assert task.subject.startswith("Action A1 of the Children in Need team action plan: every child's plan")

    await sleep_until(time_skipping_env, datetime(2027, 3, 11, 9, tzinfo=LONDON))  # past its date, 10 March
    assert await told(app_pool, "priya.practitioner", "reminder") == [
        "Overdue: action A1 of the Children in Need team action plan, yours, was due by 10 March 2027"
    ]
    state = await update(
        plan,
        ActionPlanWorkflow.record_progress,
        RecordProgress(actor="nadia.manager", action_id="A1", status="done", evidence=longest("audited; ", MAX_SHORT)),
    )
    assert state.action("A1").action == action.strip()
    await audited(app_pool, plan.id, state)
    await plan.terminate()


async def test_the_longest_practice_week_theme_and_texts_take_the_week_to_its_close(
    time_skipping_env, worker, settings, example_authority, app_pool
):
    theme = longest("the voice of the child in every plan; ", MAX_SHORT)
    handle = await start_week(time_skipping_env, settings, theme=theme)
    assert (await handle.query(PracticeWeekWorkflow.state)).theme == theme.strip()

    await sleep_until(time_skipping_env, at("2027-11-16"))
    long = longest("observed; ", MAX_LONG)
    observation = visit().model_copy(update={"observed": long, "feedback": long})
    await update(handle, PracticeWeekWorkflow.observe, RecordObservation(actor="hana.hos", observation=observation))
    await sleep_until(time_skipping_env, at("2027-11-22"))
    state = await update(
        handle, PracticeWeekWorkflow.close, CloseWeek(actor="qa.officer", summary=long, learning=("recording clinics",))
    )
    assert state.phase == "closed"
    assert any(s.endswith("…") or "is closed" in s for s in await told(app_pool, "alex.assistant", "info"))
    await audited(app_pool, handle.id, state)
