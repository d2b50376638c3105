"""A whole simulated year of the default calendar on the time-skipping server.

Each activity's calendar entry is started at the moment its schedule fires (07:00
London time on its working day); the QA team answers what the entries ask for at
once (a thematic focus, a spotlight's lead and members). Every activity must start
its own workflow that very working day, and nothing may start in August or December.
"""

from __future__ import annotations

import json
from datetime import date, timedelta

from domain.audit_views import describe
from domain.bank_holidays import calendar_for
from domain.calendar_entry import ArrangeSpotlight, EntryInput, SetFocus
from domain.directory import parse_cases_csv, parse_staff_csv
from domain.qa_calendar import parse_calendar, plan_year, starts_at
from domain.working_days import LONDON
from infra.calendar_source import DEFAULT_QA_CALENDAR
from infra.store.audit_log import AuditLog
from infra.store.directory import Directory
from tests.clock import current, sleep_until
from tests.workflows.conftest import EXAMPLES, eventually
from workflows.calendar_entry import CalendarEntryWorkflow

# The example authority's staff, with managers for the teams Appendix 1 visits that it lacks.
EXTRA_TEAMS = ("CDT", "Front Door", "YOS", "Fostering")
MEMBER_POOL = ("tom.manager", "sam.reviewer", "maya.moderator", "jo.reviewer", "kofi.manager")
CPR_SERVICES = (
    "Family Wellbeing",
    "CiC - Family Support + Safeguarding",
    "Care Leavers",
    "Children with Disabilities",
    "CiC - Corporate Parenting",
    "Children in Need",
)


async def a_year_of_staff_and_cases(directory_pool) -> dict[str, str]:
    """Staff for every spotlight team, and cases every CPR service can sample all year; returns staff teams."""
    staff = (EXAMPLES / "staff.csv").read_text()
    for team in EXTRA_TEAMS:
        key = team.casefold().replace(" ", "")
        staff += f"{key}.manager,Team Manager {team},team_manager;reviewer,{team},hana.hos\n"
    cases = "case_number,system,service,team,practitioner,support_began\n"
    for s, service in enumerate(CPR_SERVICES):
        for n in range(4):
            cases += f"LCS-9{s}{n:03d},LCS,{service},Children in Need,priya.practitioner,2020-01-06\n"
    directory = Directory(directory_pool, AuditLog(directory_pool))
    members = parse_staff_csv(staff)
    now = await current()
    await directory.import_staff(members, "qa.officer", now)
    await directory.import_cases(parse_cases_csv(cases), "qa.officer", now)
    return {m.staff_id: m.team for m in members}


async def test_a_whole_year_starts_every_activity_on_its_working_day(
    time_skipping_env, worker, settings, app_pool, directory_pool
):
    teams = await a_year_of_staff_and_cases(directory_pool)
    plan = plan_year(parse_calendar(DEFAULT_QA_CALENDAR.read_text()), 2027, calendar_for(date(2027, 1, 1)))
    client = time_skipping_env.client
    entries = {}
    slept_until = None
    for planned in sorted(plan.activities, key=lambda a: (a.start, a.key)):
        if starts_at(planned) != slept_until:  # activities starting together start at one moment
            slept_until = starts_at(planned)
            await sleep_until(time_skipping_env, slept_until)
        handle = await client.start_workflow(
            CalendarEntryWorkflow.run,
            EntryInput(planned=planned, installed_by="qa.officer", sample_size=3, calendar_digest=plan.calendar_digest),
            id=f"calendar-{planned.key}",
            task_queue=settings.task_queue,
        )
        entries[planned.key] = handle

        async def opened(handle=handle):
            return await handle.query(CalendarEntryWorkflow.state)

        await eventually(opened)
        if planned.activity == "thematic":
            await handle.execute_update(
                CalendarEntryWorkflow.set_focus, SetFocus(actor="qa.officer", focus=f"focus of {planned.key}")
            )
        elif planned.activity == "spotlight":
            members = tuple(m for m in MEMBER_POOL if teams[m] != planned.subject)[:3]
            await handle.execute_update(
                CalendarEntryWorkflow.arrange, ArrangeSpotlight(actor="qa.officer", lead="fatima.hos", members=members)
            )

    # Past every entry's wait for a refusal of the item it started.
    await time_skipping_env.sleep(timedelta(hours=1))
    log = AuditLog(app_pool)
    started_on: dict[str, date] = {}
    for key, handle in entries.items():

        async def settled(handle=handle):
            state = await handle.query(CalendarEntryWorkflow.state)
            return state if state.status in ("started", "noted", "refused") else None

        state = await eventually(settled)
        assert state.status in ("started", "noted"), (key, state.refusals)
        if state.item_id is not None:
            first = (await log.read_stream(state.item_id))[0]
            started_on[key] = first.business_time.astimezone(LONDON).date()

    # Every event every entry and item recorded reads in words in `qa audit history`.
    async with app_pool.acquire() as conn:
        recorded = await conn.fetch("SELECT event_type, payload::text AS payload FROM audit_events")
    raw = {
        r["event_type"]
        for r in recorded
        if describe(r["event_type"], json.loads(r["payload"])).startswith(r["event_type"])
    }
    assert not raw

    planned = {a.key: a.start for a in plan.activities}
    assert started_on == {k: v for k, v in planned.items() if not k.endswith("-cslt")}
    assert len(started_on) == 32 and all(day.month not in (8, 12) for day in started_on.values())
