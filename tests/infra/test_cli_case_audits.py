"""`qa thematic` and `qa dip` in process, on the time-skipping server with the production worker and PostgreSQL.

A QA officer starts one of each on the example authority, allocates reviewers, the
reviewers answer and submit, and the QA team publishes the findings (the dip
audit's actions into the team's plan); each audit stream then verifies.
"""

from __future__ import annotations

import asyncio
import json

from infra.store.audit_log import AuditLog
from tests.infra import test_cli_cpr
from tests.infra.test_cli_cpr import event_count, example_authority, ok, refused

skipping_stack = test_cli_cpr.skipping_stack  # the CPR tests' stack fixture, on the time-skipping server
THEMATIC = "thematic-2027-04-12-neglect"
DIP = "dip-2027-05-24-neglect-plans"
PLAN = "plan-team-children-in-need"
JO_CASE, PRIYA_CASE = "LCS-100318", "LCS-100701"
QA = ("--as", "qa.officer")
FINDINGS = (
    "--key-findings",
    "Neglect is named but its impact is rarely analysed.",
    "--strengths",
    "Children seen alone.",
) + ("--development", "Chronologies.", "--recommendations", "A neglect toolkit workshop for every team.")


async def test_a_thematic_review_driven_to_its_findings(skipping_stack, capsys, database, app_pool, tmp_path):
    await example_authority(capsys)
    questions = tmp_path / "neglect.csv"
    questions.write_text(
        "# The QAPM meeting's questions on neglect\n"
        "id,text\n"
        "N1,The impact of neglect on the child is analysed\n"
        'N2,"The plan says who does what, by when"\n'
    )
    broken = tmp_path / "broken.csv"
    broken.write_text("id,text\nN1,first\nN1,again\n")
    start = ("thematic", "start", "--focus", "Neglect", "--start", "2027-04-12", "--sample", "2")
    start += ("--seed", "thematic-2027-04", "--questions")
    assert await refused(capsys, *start, str(broken), *QA, code=2) == "broken.csv line 3: question N1 is listed twice"
    assert await refused(capsys, *start, str(questions), "--as", "sam.reviewer") == (
        "refused: sam.reviewer cannot start a thematic review: the directory does not list them as a qa_officer"
    )
    assert await refused(capsys, *start, str(questions), "--service", "Children in Need", *QA) == (
        "refused: Children in Need: only 1 cases were supported for at least 4 weeks on 2027-04-12; cannot sample 2"
    )
    out = (await ok(capsys, *start, str(questions), *QA)).splitlines()
    assert out[:4] == [
        f"{THEMATIC}: thematic review on Neglect, started by qa.officer",
        "  phase      reviewing",
        "  window     20 working days from 2027-04-12, closes Tue 11 May 2027 23:59 BST",
        "  questions  2 from neglect.csv",
    ]
    assert await refused(capsys, *start, str(questions), *QA) == (
        f"a thematic review on Neglect starting 2027-04-12 was already started: {THEMATIC}"
        f" (see `qa thematic show {THEMATIC}`)"
    )

    cases = [c["case_number"] for c in json.loads(await ok(capsys, "thematic", "show", THEMATIC, "--json"))["cases"]]
    # The first case's reviewer is away before starting: the QA officer gives it to another, with the reason.
    await ok(capsys, "thematic", "allocate", THEMATIC, cases[0], "--reviewer", "rosa.reviewer", *QA)
    moved = ("thematic", "reallocate", THEMATIC, cases[0], "--reason", "rosa.reviewer is on leave")
    assert await refused(capsys, *moved, "--reviewer", "rosa.reviewer", *QA) == (
        f"refused: rosa.reviewer already reviews case {cases[0]}"
    )
    assert await ok(capsys, *moved, "--reviewer", "sam.reviewer", *QA) == f"{cases[0]}: now answered by sam.reviewer\n"
    assert f"Case {cases[0]} of the thematic review is no longer yours" in await ok(
        capsys, "inbox", "--as", "rosa.reviewer"
    )
    for case in cases:
        if case == cases[0]:
            continue

        assert await ok(capsys, "thematic", "allocate", THEMATIC, case, "--reviewer", "sam.reviewer", *QA) == (
            f"{case}: sam.reviewer answers by Tue 11 May 2027 23:59 BST\n"
        )
    for case in cases:
        before = await event_count(database)
        answer = ("thematic", "answer", THEMATIC, case)
        assert await refused(capsys, *answer, "--answer", "assessment.3=clear", "--as", "sam.reviewer") == (
            "refused: unknown question assessment.3: the questions are N1, N2"
        )
        assert await refused(capsys, *answer, "--answer", "N1=great", "--as", "sam.reviewer", code=2) == (
            "--answer N1: unknown level 'great': a level is clear, some or limited"
        )
        assert await refused(capsys, "thematic", "submit", THEMATIC, case, "--as", "sam.reviewer") == (
            f"refused: case {case} still needs an answer to 2 questions: N1, N2"
        )
        assert await event_count(database) == before
        out = await ok(
            capsys, *answer, "--answer", "N1=limited", "--comment", "N1=named, not analysed", "--as", "sam.reviewer"
        )
        assert out.splitlines() == [f"{case}: 1 of 2 questions answered", "  still to answer: N2"]
        await ok(capsys, *answer, "--all", "clear", "--as", "sam.reviewer")
        await ok(capsys, "thematic", "submit", THEMATIC, case, "--as", "sam.reviewer")

    for _ in range(100):  # every case is in: the reviews close on their own, in a moment
        if json.loads(await ok(capsys, "thematic", "show", THEMATIC, "--json"))["phase"] == "reporting":
            break
        await asyncio.sleep(0.05)
    assert "  findings   due Tue 25 May 2027 23:59 BST from qa.officer" in await ok(
        capsys, "thematic", "show", THEMATIC
    )
    assert await refused(capsys, "thematic", "publish", THEMATIC, *FINDINGS, "--as", "sam.reviewer") == (
        "refused: sam.reviewer cannot publish the findings: the directory does not list them as a qa_officer or head_of_qa"
    )
    assert await ok(capsys, "thematic", "publish", THEMATIC, *FINDINGS, *QA) == (
        f"{THEMATIC}: findings published; 2 of 2 cases answered\n"
    )
    assert (await ok(capsys, "audit", "verify", THEMATIC)).splitlines() == [
        "verified 1 items, 20 events: all chains intact",
        "cross-checked 1 workflow with Temporal's histories: every event matches",
    ]
    events = await AuditLog(app_pool).read_stream(THEMATIC)
    answered = [e.payload for e in events if e.event_type == "thematic.answers_recorded"]
    assert answered[0]["answers"] == [{"question_id": "N1", "evidence": "limited", "comment": "named, not analysed"}]


async def test_a_dip_audit_of_listed_cases_adds_its_actions_to_the_team_plan(
    skipping_stack, capsys, database, app_pool, tmp_path
):
    await example_authority(capsys)
    plan = ("plan", "start", "--team", "Children in Need", "--owner", "nadia.manager", "--first-meeting", "2027-07-05")
    await ok(capsys, *plan, "--as", "nadia.manager")
    start = ("dip", "start", "--focus", "Neglect plans", "--start", "2027-05-24", "--window")
    listed = ("--case", JO_CASE, "--case", PRIYA_CASE)
    before = await event_count(database)
    assert await refused(capsys, *start, "61", *listed, *QA, code=2) == (
        "--window must be 1 to 60 working days, not 61"
    )
    assert await refused(capsys, *start, "5", *listed, "--sample", "2", *QA, code=2) == (
        "give either a sample size (drawn at random) or the cases to audit, one of them"
    )
    assert await refused(capsys, *start, "5", *listed, "--case", "LCS-999999", *QA) == (
        "refused: not open in cases snapshot 1: LCS-999999"
    )
    assert await event_count(database) == before
    out = (await ok(capsys, *start, "5", *listed, *QA)).splitlines()
    assert out[2:5] == [
        "  window     5 working days from 2027-05-24, closes Tue 1 Jun 2027 23:59 BST",
        "  questions  26 from the CPR rubric",
        "  sample     2 listed cases, snapshot 1",
    ]

    allocate = ("dip", "allocate", DIP)
    assert await refused(capsys, *allocate, JO_CASE, "--reviewer", "jo.reviewer", *QA) == (
        f"refused: jo.reviewer is the allocated practitioner for case {JO_CASE} and cannot review their own work"
    )
    for case, reviewer in ((JO_CASE, "sam.reviewer"), (PRIYA_CASE, "rosa.reviewer")):
        await ok(capsys, *allocate, case, "--reviewer", reviewer, *QA)
        out = await ok(capsys, "dip", "answer", DIP, case, "--all", "some", "--as", reviewer)
        assert out.splitlines() == [
            f"{case}: 26 of 26 questions answered",
            f"  submit with `qa dip submit {DIP} {case} --as {reviewer}`",
        ]
        await ok(capsys, "dip", "submit", DIP, case, "--as", reviewer)

    actions = tmp_path / "actions.csv"
    actions.write_text(
        "action,support,responsible,by_when,evidence\n"
        "Every neglect plan names who does what,a planning workshop,priya.practitioner,2027-09-30,"
        "the next dip audit finds it in 9 of 10 plans\n"
    )
    publish = ("dip", "publish", DIP, *FINDINGS, "--plan", PLAN, "--actions", str(actions))
    assert await ok(capsys, *publish, *QA) == (
        f"{DIP}: findings published; 2 of 2 cases answered\n  actions A1 added to {PLAN}\n"
    )
    assert await refused(capsys, *publish, *QA) == (
        f"refused: dip audit {DIP} is closed; nothing more can be recorded on it"
    )
    plan_actions = json.loads(await ok(capsys, "plan", "show", PLAN, "--json"))["actions"]
    assert [(a["action_id"], a["source"]) for a in plan_actions] == [("A1", f"{DIP} action 1")]
    assert (await ok(capsys, "audit", "verify", DIP)).splitlines()[1] == (
        "cross-checked 1 workflow with Temporal's histories: every event matches"
    )
    await skipping_stack.client.get_workflow_handle(PLAN).terminate()
