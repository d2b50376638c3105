"""Closing the loop on the time-skipping server: a QAPM meeting decides to repeat a service's CPR cycle, the repeat is
put in the QA calendar and starts on its day, follows the first, and its findings report shows the trend against it."""

from __future__ import annotations

from datetime import date

from domain.cpr_cycle import AllocateModerator, ModerateReview
from domain.qapm import ProgressReview, RecordDecisions
from domain.rubric import Grade
from infra.store.audit_log import AuditLog
from tests.clock import sleep_until
from tests.workflows.conftest import eventually, refused
from tests.workflows.test_cpr import NARRATIVE, allocate, drive_review, review_of, start_cycle, stored_file
from tests.workflows.test_qapm import at, start
from workflows.cpr_cycle import CprCycleWorkflow
from workflows.qapm_meeting import QapmMeetingWorkflow

MEETING = date(2027, 12, 2)  # a Thursday, after the first cycle's report
REPEAT_FROM = date(2028, 1, 10)  # a Monday
REPEAT = "cpr-2028-01-10-children-in-need"
ENTRY = "calendar-2028-01-cpr-children-in-need-repeat"


async def review_moderate_and_report(env, cycle, grade: Grade, limited: set[str]):
    """The cycle's one case reviewed at `grade`, moderated in agreement, and its findings published."""
    case = (await cycle.query(CprCycleWorkflow.state)).cases[0]
    state = await allocate(cycle, case.case_number)
    await drive_review(await review_of(env, state, case.case_number), case.practitioner, grade, limited)

    async def phase(name: str):
        s = await cycle.query(CprCycleWorkflow.state)
        return s if s.phase == name else None

    await eventually(lambda: phase("moderation"))
    await cycle.execute_update(
        CprCycleWorkflow.allocate_moderator,
        AllocateModerator(actor="qa.officer", case_number=case.case_number, moderator="maya.moderator"),
    )
    await cycle.execute_update(
        CprCycleWorkflow.moderate,
        ModerateReview(
            actor="maya.moderator", case_number=case.case_number, grade=grade, rationale="consistent", sampled="plan"
        ),
    )
    await eventually(lambda: phase("reporting"))
    return await cycle.execute_update(CprCycleWorkflow.publish_report, NARRATIVE)


async def test_a_repeat_decided_at_the_meeting_starts_on_its_day_and_its_report_shows_the_trend_against_the_first(
    time_skipping_env, worker, settings, example_authority, app_pool, keep_history
):
    first = await start_cycle(time_skipping_env, settings, size=1)
    assert (await first.query(CprCycleWorkflow.state)).previous is None  # the service's first cycle
    await review_moderate_and_report(time_skipping_env, first, Grade.requires_improvement, {"assessment.2"})

    meeting = await start(time_skipping_env, settings, meeting_on=MEETING)
    await sleep_until(time_skipping_env, at("2027-12-02", 14))
    decisions = RecordDecisions(
        actor="dana.director",
        attended=("dana.director", "alex.assistant", "hana.hos", "nadia.manager"),
        progress=(
            ProgressReview(
                item=first.id,
                repeat_cycle=True,
                reasons="plans still lack timescales",
                revisit_next_cycle=True,
                revisit_areas="timescales in children's plans",
                repeat_from=REPEAT_FROM,
            ),
        ),
    )
    version = (await meeting.query(QapmMeetingWorkflow.state)).version
    # The Director chairs; who attended is recorded; a repeat is of a CPR cycle; areas to revisit are named.
    assert "hana.hos cannot record the decisions: the QAPM meeting of 2 December 2027 is chaired by the Director" in (
        await refused(meeting, QapmMeetingWorkflow.record_decisions, decisions.model_copy(update={"actor": "hana.hos"}))
    )
    assert "record who attended the meeting" in await refused(
        meeting, QapmMeetingWorkflow.record_decisions, decisions.model_copy(update={"attended": ()})
    )
    thematic = ProgressReview(item="thematic-2027-04-12-neglect", repeat_cycle=True, reasons="r")
    assert "the engine schedules the repeat of a CPR cycle" in await refused(
        meeting, QapmMeetingWorkflow.record_decisions, decisions.model_copy(update={"progress": (thematic,)})
    )
    vague = decisions.progress[0].model_copy(update={"revisit_areas": " "})
    assert "name the areas the next cycle looks at again" in await refused(
        meeting, QapmMeetingWorkflow.record_decisions, decisions.model_copy(update={"progress": (vague,)})
    )
    assert (await meeting.query(QapmMeetingWorkflow.state)).version == version

    decided = await meeting.execute_update(QapmMeetingWorkflow.record_decisions, decisions)
    assert decided.attended == decisions.attended
    [scheduled] = decided.repeats_scheduled
    assert (scheduled.cycle_id, scheduled.start, scheduled.entry_id) == (first.id, REPEAT_FROM, ENTRY)
    # In the calendar, waiting for its day: the entry is opened, and nothing is started before it.
    [opened] = await AuditLog(app_pool).events_of_type("entry.opened")
    assert (opened.stream_id, opened.payload["planned"]["repeat_of"]) == (ENTRY, first.id)
    assert await AuditLog(app_pool).read_stream(REPEAT) == []

    await sleep_until(time_skipping_env, at("2028-01-10", 8))
    repeat = time_skipping_env.client.get_workflow_handle_for(CprCycleWorkflow.run, REPEAT)

    async def sampled():
        s = await repeat.query(CprCycleWorkflow.state)
        return s if s is not None and s.phase == "reviewing" else None

    state = await eventually(sampled)
    assert (state.previous, state.repeat_of, state.sample_size) == (first.id, first.id, 1)
    [carried] = state.revisits
    assert (carried.meeting_id, carried.repeat, carried.areas) == (
        "qapm-2027-12-02",
        True,
        "timescales in children's plans",
    )

    published = await review_moderate_and_report(time_skipping_env, repeat, Grade.good, set())
    markdown = (await stored_file(app_pool, published.report.markdown_path)).decode()
    assert f"## Carried forward from {first.id}\n" in markdown
    assert "areas to look at again: timescales in children's plans" in markdown
    trend = markdown.split("## Against the service's earlier cycles (oldest first)\n\n", 1)[1].split("\n\n", 1)[0]
    lines = trend.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(f"- 2027-11-01 {first.id}: 1 Requires Improvement (0% good or better);")
    assert "most often limited: assessment.2 (1)" in lines[0]
    assert lines[1].startswith(f"- 2028-01-10 {REPEAT}: 1 Good (100% good or better); most often limited: none")
    await keep_history(meeting, "qapm_meeting_chaired_repeat_scheduled")
    await keep_history(repeat, "cpr_cycle_repeat_follows_the_first")
    await keep_history(time_skipping_env.client.get_workflow_handle(ENTRY), "calendar_entry_repeat_waits_for_its_day")
