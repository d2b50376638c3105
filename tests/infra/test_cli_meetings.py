"""`qa qapm`, `qa gpc` and `qa practice-week` in process, on the time-skipping server with the production worker."""

from __future__ import annotations

import asyncio
import hashlib
import json
from datetime import datetime

from domain import good_practice, practice_week, qapm
from domain.events import fold
from domain.working_days import LONDON
from infra.store.audit_log import AuditLog
from tests.clock import EXAMPLES, sleep_until
from tests.infra import test_cli_cpr
from tests.infra.test_cli_cpr import alter_document, example_authority, ok, refused

MEETING = "qapm-2027-03-04"
GPC = "gpc-2027-03-01"
WEEK = "practice-week-2027-11-15"
skipping_stack = test_cli_cpr.skipping_stack


def at(day: str, hour: int = 10) -> datetime:
    return datetime.fromisoformat(f"{day}T{hour:02d}:00:00").replace(tzinfo=LONDON)


async def shown(capsys, *args: str) -> dict:
    return json.loads(await ok(capsys, *args, "--json"))


async def same_as_the_log(capsys, app_pool, kind, item_id: str, reducer, registry) -> None:
    state = await shown(capsys, kind, "show", item_id)
    events = await AuditLog(app_pool).read_stream(item_id)
    assert fold(reducer, registry, events).model_dump(mode="json") == {k: v for k, v in state.items() if k != "id"}
    assert (await ok(capsys, "audit", "verify", item_id)).splitlines()[1:] == [
        "cross-checked 1 workflow with Temporal's histories: every event matches"
    ]


async def test_a_qapm_meeting_driven_through_the_cli_from_its_pack_to_the_service_wide_plan(
    skipping_stack, capsys, app_pool, database, tmp_path
):
    await example_authority(capsys)
    plan = await shown(capsys, "plan", "start", "--service-wide", "--owner", "alex.assistant", "--as", "qa.officer")
    start = ("qapm", "start", "--on", "2027-03-04")
    assert (await refused(capsys, *start, "--as", "sam.reviewer")).startswith(
        "refused: sam.reviewer cannot start a QAPM meeting"
    )
    out = await ok(capsys, *start, "--as", "qa.officer")
    assert out.splitlines() == [
        f"{MEETING}: the QAPM meeting of 4 March 2027 (preparing)",
        "  started by        qa.officer",
        "  chaired by        dana.director (the Director)",
        "  pack              compiled at Thu 25 Feb 2027 07:00 GMT",
        "  decisions         dana.director: due Mon 8 Mar 2027 23:59 GMT, awaited",
    ]
    assert await refused(capsys, *start, "--as", "qa.officer") == (
        f"the QAPM meeting of 2027-03-04 was already started: {MEETING}"
    )
    assert await refused(capsys, "qapm", "pack", MEETING) == (
        f"{MEETING}: the pack is compiled at Thu 25 Feb 2027 07:00 GMT"
    )

    # Service performance data for the pack: a malformed file is refused naming its line, and changes nothing.
    bad = tmp_path / "performance.csv"
    bad.write_text("service,month,indicator,value\nChildren in Need,2027-13,Assessments (%),80\n")
    assert await refused(capsys, "performance", "import", str(bad), "--as", "qa.officer") == (
        f"{bad} line 2: month '2027-13' is not a month such as 2027-01"
    )
    assert await refused(capsys, "performance", "import", str(EXAMPLES / "performance.csv"), "--as", "hana.hos") == (
        "refused: hana.hos cannot import service performance data for the QAPM packs: the directory does not list"
        " them as a qa_officer or head_of_qa"
    )
    assert await ok(capsys, "performance", "import", str(EXAMPLES / "performance.csv"), "--as", "qa.officer") == (
        "performance data imported: 7 indicator values for 2 services (SHA-256 "
        + hashlib.sha256((EXAMPLES / "performance.csv").read_bytes()).hexdigest()[:12]
        + "); the next QAPM pack compares them\n"
    )
    # The same request asked twice (a script's retry) is recorded once; another request is another import.
    again = ("--request-id", "perf-2027-02", "performance", "import", str(EXAMPLES / "performance.csv"))
    assert await ok(capsys, *again, "--as", "qa.officer") == await ok(capsys, *again, "--as", "qa.officer")
    imports = await AuditLog(app_pool).read_stream("performance-data")
    assert [e.request_id for e in imports][1:] == ["perf-2027-02"] and len(imports) == 2
    await sleep_until(skipping_stack, at("2027-03-04", 14))
    for _ in range(100):
        if (await shown(capsys, "qapm", "show", MEETING))["pack"]:
            break
        await asyncio.sleep(0.05)
    pack = await ok(capsys, "qapm", "pack", MEETING)
    assert pack.startswith("# QA and Performance Monitoring meeting: 4 March 2027\n")
    assert "the 3 months before the meeting (no earlier meeting is recorded)" in pack
    assert (
        "- Children in Need: Assessments within 45 working days (%): 81.5 (Feb 2027), +5.5 on 76.0 (Nov 2026)" in pack
    )
    assert "- Family Wellbeing: Early help assessments completed: 47 (Feb 2027); no earlier month" in pack

    form = json.loads(await ok(capsys, "qapm", "form"))
    form["actions"][0] |= {
        "action": "every plan names who does what by when",
        "support": "planning workshops",
        "responsible": "hana.hos",
        "by_when": "2027-09-30",
        "evidence": "the next CPR finds timescales in 9 of 10 plans",
    }
    form["progress"][0] |= {"item": "cpr-nope", "reasons": "plans improved"}
    decide = ("qapm", "decide", MEETING, "--focus", "Neglect", "--practice-week-theme", "The voice of the child")
    path = tmp_path / "decisions.json"
    path.write_text(json.dumps(form))
    assert await refused(capsys, *decide, "--file", str(path), "--as", "dana.director") == (
        "refused: record who attended the meeting (their staff ids)"
    )
    decide += ("--attended", "dana.director", "--attended", "hana.hos")
    # The Director chairs; another senior leader only when the Director names them.
    delegate = ("qapm", "delegate", MEETING, "--to", "hana.hos", "--reason", "on leave")
    assert await refused(capsys, *delegate, "--as", "hana.hos") == (
        "refused: only the Director (dana.director) names who chairs the QAPM meeting of 4 March 2027 in their absence"
    )
    assert await ok(capsys, *delegate, "--as", "dana.director") == (
        f"{MEETING}: hana.hos chairs the QAPM meeting of 4 March 2027 in the absence of the Director (dana.director)\n"
    )
    assert await refused(capsys, *decide, "--file", str(path), "--as", "dana.director") == (
        "refused: the audit log holds no item cpr-nope: name a cycle or review by its id"
    )
    form["progress"] = []
    path.write_text(json.dumps(form))
    assert await ok(capsys, *decide, "--file", str(path), "--as", "dana.director") == (
        f"{MEETING}: the decisions of the QAPM meeting of 4 March 2027 are recorded (chair dana.director)\n"
        f"  actions A1 are in {plan['id']}\n"
    )
    again = await refused(capsys, *decide, "--as", "dana.director")
    assert again in (
        f"refused: QAPM meeting {MEETING} is closed; nothing more can be recorded on it",
        "refused: the decisions of the QAPM meeting of 4 March 2027 were already recorded (chair dana.director)",
    )
    plan_now = await shown(capsys, "plan", "show", plan["id"])
    assert [(a["action_id"], a["source"]) for a in plan_now["actions"]] == [("A1", f"{MEETING} action 1")]
    await same_as_the_log(capsys, app_pool, "qapm", MEETING, qapm.evolve, qapm.QAPM_EVENTS)

    state = await shown(capsys, "qapm", "show", MEETING)
    await alter_document(database, state["pack_path"], "# altered\n")
    assert await refused(capsys, "qapm", "pack", MEETING) == (
        f"{state['pack_path']} no longer matches the SHA-256 recorded in the audit log ({state['pack_sha256']})"
    )
    await skipping_stack.client.get_workflow_handle(plan["id"]).terminate()


async def test_a_good_practice_conversation_driven_through_the_cli(skipping_stack, capsys, app_pool):
    await example_authority(capsys)
    out = await ok(capsys, "gpc", "start", "--month-start", "2027-03-01", "--as", "qa.officer")
    assert out.splitlines() == [
        f"{GPC}: the Good Practice Conversation of March 2027 (nominating)",
        "  started by        qa.officer",
        "  nominate          qa.officer: due Mon 15 Mar 2027 23:59 GMT, awaited",
        "  record            qa.officer: due Wed 31 Mar 2027 23:59 BST, awaited",
    ]
    nominate = ("gpc", "nominate", GPC, "--team", "Children in Need", "--good-practice", "keeping siblings together")
    assert (await refused(capsys, *nominate, "--as", "sam.reviewer")).startswith(
        "refused: sam.reviewer cannot nominate a team"
    )
    assert (
        await ok(capsys, *nominate, "--as", "hana.hos")
        == f"{GPC}: the Children in Need team is nominated by hana.hos\n"
    )

    await sleep_until(skipping_stack, at("2027-03-10", 16))
    record = (
        "gpc",
        "record",
        GPC,
        "--held-on",
        "2027-03-10",
        "--worked-well",
        "direct work with a sibling group (LCS-100701)",
        "--insight",
        "reflective supervision",
        "--shared",
        "all-staff briefing",
        "--ceo-attended",
    )
    assert await refused(capsys, *record, "--as", "hana.hos") == "refused: name the staff interviewed (their staff ids)"
    assert await refused(capsys, *record[:4], "2027-13-01", *record[5:], "--as", "hana.hos", code=2) == (
        "--held-on date '2027-13-01' is not a real date"
    )
    interviewed = ("--interviewed", "nadia.manager", "--interviewed", "priya.practitioner")
    assert await ok(capsys, *record, *interviewed, "--as", "hana.hos") == (
        f"{GPC}: the appreciative inquiry with the Children in Need team is recorded\n"
    )
    shown_text = await ok(capsys, "gpc", "show", GPC)
    assert "  interviewed       nadia.manager, priya.practitioner" in shown_text.splitlines()
    assert "  attended          CEO" in shown_text.splitlines()
    await same_as_the_log(capsys, app_pool, "gpc", GPC, good_practice.evolve, good_practice.GPC_EVENTS)


async def test_a_practice_week_driven_through_the_cli(skipping_stack, capsys, app_pool):
    await example_authority(capsys)
    out = await ok(capsys, "practice-week", "start", "--week-start", "2027-11-15", "--as", "qa.officer")
    assert out.splitlines() == [
        f"{WEEK}: the Practice Week of 15 November 2027 (planned)",
        "  ends              Fri 19 Nov 2027 23:59 GMT",
        "  theme             to be agreed",
        "  theme             qa.officer: due Fri 12 Nov 2027 23:59 GMT, awaited",
        "  close             qa.officer: due Fri 26 Nov 2027 23:59 GMT, awaited",
    ]
    assert await refused(capsys, "practice-week", "theme", WEEK, "--as", "qa.officer") == (
        "refused: no QAPM meeting in the year before the week decided a Practice Week theme:"
        " give the theme agreed (--theme)"
    )
    assert await ok(
        capsys, "practice-week", "theme", WEEK, "--theme", "The voice of the child", "--as", "qa.officer"
    ) == (f"{WEEK}: the theme is The voice of the child\n")

    await sleep_until(skipping_stack, at("2027-11-16"))
    observe = (
        "practice-week",
        "observe",
        WEEK,
        "--visit",
        "Children in Need duty team",
        "--observed",
        "a home visit",
        "--feedback",
        "the young person felt listened to",
    )
    assert await refused(capsys, *observe, "--case", "Jamie Smith", "--as", "hana.hos") == (
        "refused: name children by their open case numbers only: not open in cases snapshot 1: Jamie Smith"
    )
    assert await ok(capsys, *observe, "--case", "LCS-100701", "--as", "hana.hos") == (
        f"{WEEK}: observation 1 recorded by hana.hos\n"
    )

    await sleep_until(skipping_stack, at("2027-11-22"))
    close = ("practice-week", "close", WEEK, "--summary", "children felt heard")
    assert await refused(capsys, *close, "--as", "qa.officer") == (
        "refused: name at least one learning and development opportunity"
    )
    assert await ok(capsys, *close, "--learning", "voice of the child workshop", "--as", "qa.officer") == (
        f"{WEEK}: closed with 1 observations and 1 opportunities\n"
    )
    await same_as_the_log(
        capsys, app_pool, "practice-week", WEEK, practice_week.evolve, practice_week.PRACTICE_WEEK_EVENTS
    )
