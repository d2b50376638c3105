"""`qa spotlight` in process, on the time-skipping server with the production worker and a real PostgreSQL."""

from __future__ import annotations

import json
from datetime import datetime

from domain import spotlight
from domain.events import fold
from domain.working_days import LONDON
from infra.store.audit_log import AuditLog
from tests.clock import sleep_until
from tests.infra import test_cli_cpr
from tests.infra.test_cli_cpr import example_authority, ok, refused

SPOTLIGHT = "spotlight-2027-03-16-children-in-need"
START = ("spotlight", "start", "--team", "Children in Need", "--day", "2027-03-16", "--lead", "fatima.hos")
MEMBERS = ("tom.manager", "sam.reviewer", "maya.moderator")
skipping_stack = test_cli_cpr.skipping_stack


async def test_a_spotlight_driven_through_the_cli_to_its_report_in_the_team_plan(
    skipping_stack, capsys, app_pool, tmp_path
):
    await example_authority(capsys)
    members = [arg for m in MEMBERS for arg in ("--member", m)]
    assert await refused(capsys, *START, "--member", "tom.manager", "--as", "qa.officer") == (
        "refused: a spotlight team is 3 or 4 different people, not 1"
    )
    out = await ok(capsys, *START, *members, "--as", "qa.officer")
    assert out.splitlines()[:6] == [
        f"{SPOTLIGHT}: the Children in Need team spotlight of 16 March 2027 (preparing)",
        "  lead              fatima.hos",
        "  members           tom.manager, sam.reviewer, maya.moderator",
        "  team manager      nadia.manager",
        "  previous          none recorded",
        "  documents         nadia.manager: due Tue 9 Mar 2027 23:59 GMT, awaited",
    ]
    assert "  draft             fatima.hos: due Thu 8 Apr 2027 23:59 BST, awaited" in out.splitlines()
    assert await refused(capsys, *START, *members, "--as", "qa.officer") == (
        f"the Children in Need spotlight of 2027-03-16 was already started: {SPOTLIGHT}"
    )

    as_manager = ("--as", "nadia.manager")
    assert await refused(capsys, "spotlight", "documents", SPOTLIGHT, "--document", "plan", *as_manager, code=2) == (
        "'plan' is not KIND=REFERENCE (e.g. team-action-plan=plan-team-children-in-need)"
    )
    await ok(capsys, "spotlight", "documents", SPOTLIGHT, "--document", "team-action-plan=plan-team-cin", *as_manager)
    nominations = {
        "priya.practitioner": ("LCS-100701", "LCS-100716"),
        "dan.practitioner": ("LCS-100745", "LCS-100761"),
        "lee.reviewer": ("LCS-100809", "LCS-100851"),
    }
    for who, (proud, challenging) in nominations.items():
        await ok(
            capsys, "spotlight", "nominate", SPOTLIGHT, "--proud", proud, "--challenging", challenging, "--as", who
        )
    await ok(capsys, "spotlight", "send-list", SPOTLIGHT, *as_manager)

    await sleep_until(skipping_stack, datetime(2027, 3, 16, 9, tzinfo=LONDON))
    allocated = await ok(capsys, "spotlight", "allocate", SPOTLIGHT, "--as", "fatima.hos")
    assert [line.split(":")[0] for line in allocated.splitlines()] == list(MEMBERS)
    feedback = ("spotlight", "feedback", SPOTLIGHT, "--to", "nadia.manager", "--to", "hana.hos")
    assert await refused(capsys, *feedback, "--actions", "plans", "--as", "tom.manager") == (
        "refused: the lead (fatima.hos) gives the feedback"
    )
    assert await ok(capsys, *feedback, "--actions", "timescales in plans", "--as", "fatima.hos") == (
        f"{SPOTLIGHT}: feedback given to nadia.manager, hana.hos\n"
    )

    record = json.loads(await ok(capsys, "spotlight", "form", "record"))
    # No grade is chosen for anyone: the blank forms' are empty, and left so the record is refused, nothing recorded.
    assert record["grade"] == "" and report_blank_grade(await ok(capsys, "spotlight", "form", "report")) == ""
    assert await refused(
        capsys, "spotlight", "record", SPOTLIGHT, "--file", _write(tmp_path, "r", record), "--as", "tom.manager", code=2
    ) == ("grade: Input should be 'Outstanding', 'Good', 'Requires Improvement' or 'Inadequate'")
    record["grade"] = "Good"
    assert await refused(
        capsys, "spotlight", "record", SPOTLIGHT, "--file", _write(tmp_path, "r", record), "--as", "tom.manager"
    ) == (
        "refused: section 1 of the record, Culture of the team (culture), needs positives to highlight or areas for"
        " development"
    )
    for section in record["sections"].values():
        section["positives"] = "child-focused direct work"
    record["focus"] = "timescales in plans"
    for member in MEMBERS:
        await ok(capsys, "spotlight", "record", SPOTLIGHT, "--file", _write(tmp_path, "r", record), "--as", member)

    report = json.loads(await ok(capsys, "spotlight", "form", "report"))
    for section in report["sections"].values():
        section.update(general="settled", strengths="direct work", development="plans", evidence="12 records")
    report |= {"progress": "first spotlight", "focus": "plans", "barriers": "caseloads", "grade": "Good"}
    report["actions"][0] |= {
        "action": "every child's plan has timescales",
        "support": "a planning workshop",
        "responsible": "nadia.manager",
        "by_when": "2027-06-30",
        "evidence": "dip audit finds 9 of 10",
    }
    broken = tmp_path / "broken.json"
    broken.write_text("{ not json")
    assert await refused(
        capsys, "spotlight", "draft", SPOTLIGHT, "--file", str(broken), "--as", "fatima.hos", code=2
    ) == (f"{broken}: not JSON (line 1: Expecting property name enclosed in double quotes)")
    missing = tmp_path / "missing.json"
    assert await refused(
        capsys, "spotlight", "share", SPOTLIGHT, "--file", str(missing), "--as", "fatima.hos", code=2
    ) == (f"{missing}: no such file")
    draft = ("spotlight", "draft", SPOTLIGHT, "--file", _write(tmp_path, "d", report), "--as", "fatima.hos")
    assert await refused(capsys, *draft) == (
        "refused: share the draft with the spotlight team for comment first (qa spotlight share)"
    )
    assert await ok(
        capsys, "spotlight", "share", SPOTLIGHT, "--file", _write(tmp_path, "d", report), "--as", "fatima.hos"
    ) == (f"{SPOTLIGHT}: the draft is with tom.manager, sam.reviewer, maya.moderator for comment\n")
    assert (await ok(capsys, "spotlight", "report", SPOTLIGHT, "--shared")).startswith("# Spotlight Report")
    assert await refused(capsys, "spotlight", "report", SPOTLIGHT) == (
        f"{SPOTLIGHT} has no report yet: the lead sends the draft after the members' records"
    )
    await ok(capsys, "spotlight", "comment", SPOTLIGHT, "--comments", "none", "--as", "sam.reviewer")
    assert await refused(
        capsys, "spotlight", "agree-plan", SPOTLIGHT, "--head", "nadia.manager", "--note", "ok", "--as", "fatima.hos"
    ) == (
        "refused: nadia.manager cannot agree a spotlight's action plan (the heads of service do): the directory does"
        " not list them as a head_of_service"
    )
    await ok(capsys, "spotlight", "agree-plan", SPOTLIGHT, "--head", "hana.hos", "--note", "ok", "--as", "fatima.hos")
    assert await ok(capsys, *draft) == (
        f"{SPOTLIGHT}: the draft report is with quinn.hoqa, to finalise by Tue 23 Mar 2027 23:59 GMT\n"
    )
    assert await ok(capsys, "spotlight", "return", SPOTLIGHT, "--reasons", "thin evidence", "--as", "quinn.hoqa") == (
        f"{SPOTLIGHT}: the draft is back with fatima.hos, to send again by Tue 23 Mar 2027 23:59 GMT\n"
    )
    shown = await ok(capsys, "spotlight", "show", SPOTLIGHT)
    for expected in (
        "  feedback to       nadia.manager, hana.hos: timescales in plans",
        "  comments          sam.reviewer: none",
        "  plan agreed with  hana.hos: ok",
        "  returned          thin evidence",
    ):
        assert expected in shown.splitlines(), expected
    await ok(capsys, *draft)
    assert await ok(capsys, "spotlight", "finalise", SPOTLIGHT, "--as", "quinn.hoqa") == (
        f"{SPOTLIGHT}: the report is final and circulated to nadia.manager\n"
        "  actions A1 are in plan-team-children-in-need\n"
    )
    markdown = await ok(capsys, "spotlight", "report", SPOTLIGHT)
    assert markdown.startswith("# Spotlight Report: Children in Need\n")
    assert "| every child's plan has timescales | a planning workshop | nadia.manager | 2027-06-30 |" in markdown

    plan = json.loads(await ok(capsys, "plan", "show", "plan-team-children-in-need", "--json"))
    assert [(a["action_id"], a["source"]) for a in plan["actions"]] == [("A1", f"{SPOTLIGHT} action 1")]
    assert (await ok(capsys, "audit", "verify", SPOTLIGHT)).splitlines()[1:] == [
        "cross-checked 1 workflow with Temporal's histories: every event matches"
    ]

    shown = json.loads(await ok(capsys, "spotlight", "show", SPOTLIGHT, "--json"))
    events = await AuditLog(app_pool).read_stream(SPOTLIGHT)
    assert fold(spotlight.evolve, spotlight.SPOTLIGHT_EVENTS, events).model_dump(mode="json") == {
        k: v for k, v in shown.items() if k != "id"
    }
    await skipping_stack.client.get_workflow_handle("plan-team-children-in-need").terminate()


def _write(folder, name: str, data: dict) -> str:
    path = folder / f"{name}.json"
    path.write_text(json.dumps(data))
    return str(path)


async def test_overdue_lists_a_spotlights_late_duties_until_they_are_done(skipping_stack, capsys):
    await example_authority(capsys)
    await ok(capsys, *START, *[arg for m in MEMBERS for arg in ("--member", m)], "--as", "qa.officer")
    # Thursday 11 March: both of the team manager's duties were due on the 9th, and escalated once.
    await sleep_until(skipping_stack, datetime(2027, 3, 11, 12, tzinfo=LONDON))
    out = (await ok(capsys, "overdue")).splitlines()
    assert out == [
        "no reviews are overdue",
        "2 other duties overdue",
        f"  {SPOTLIGHT}  team spotlight: nadia.manager was to send the collated proud and challenging list,"
        " due Tue 9 Mar 2027 23:59 GMT; escalated to their line manager",
        f"  {SPOTLIGHT}  team spotlight: nadia.manager was to send the key documents to the spotlight team,"
        " due Tue 9 Mar 2027 23:59 GMT; escalated to their line manager",
    ]
    await ok(
        capsys, "spotlight", "documents", SPOTLIGHT, "--document", "audit-outcomes=CPR 2027-01", "--as", "nadia.manager"
    )
    duties = json.loads(await ok(capsys, "overdue", "--json"))["duties"]
    assert [(d["id"], d["key"]) for d in duties] == [(SPOTLIGHT, "case-list")]


def report_blank_grade(form: str) -> str:
    return json.loads(form)["grade"]
