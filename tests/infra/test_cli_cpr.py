"""`qa cpr`, `qa review` and `qa overdue` in process, against a real PostgreSQL, Temporal and worker.

A QA officer starts a Children in Need cycle and allocates reviewers; the reviewer,
the practitioner and the team manager each record their part with `--as`. Whoever
acts outside their role, on an item that is not theirs or out of order gets one
line saying why, a non-zero exit, and nothing is recorded.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import asyncpg
import pytest
from temporalio.testing import WorkflowEnvironment

from domain import cpr_cycle, review
from domain.events import fold
from domain.working_days import LONDON
from infra.cli.main import main
from infra.settings import Settings
from infra.store.audit_log import AuditLog
from tests.clock import EXAMPLES, cycle_year, example_cases, sleep_until, time_skipping
from tests.codec_keys import CONVERTER
from tests.conftest import binary
from tests.workflows.conftest import eventually
from worker.main import build_worker

YEAR = cycle_year()  # 2027 until its November is a week away: the cycle runs on the dev server's wall clock
CYCLE = f"cpr-{YEAR}-11-01-children-in-need"
START = ("cpr", "start", "--service", "Children in Need", "--start", f"{YEAR}-11-01", "--seed", "cpr-2027-11")
# The seed draws, in rank order: LCS-100809 (lee.reviewer's case), LCS-100701 and LCS-100716 (priya.practitioner's).
OWN_CASE, CASE = "LCS-100809", "LCS-100701"
REVIEW = f"{CYCLE}-review-{CASE}"


def review_of(case_number: str) -> str:
    return f"{CYCLE}-review-{case_number}"


async def _stack(env: WorkflowEnvironment, database, app_pool, tmp_path: Path, monkeypatch) -> AsyncIterator[None]:
    settings = Settings(home=tmp_path, task_queue=f"cli-{uuid.uuid4().hex[:8]}")
    monkeypatch.delenv("QA_CLOSURE_DAYS_FILE", raising=False)
    for name, value in {
        "QA_HOME": str(tmp_path),
        "QA_DATABASE_URL": database.app_url,
        "QA_ADMIN_DATABASE_URL": database.admin_url,
        "QA_DIRECTORY_DATABASE_URL": database.directory_url,
        "QA_SERVER_DATABASE_URL": database.server_url,  # what `qa serve` logs in as (migration 0014)
        "QA_TEMPORAL_ADDRESS": env.client.service_client.config.target_host,
        "QA_TASK_QUEUE": settings.task_queue,
    }.items():
        monkeypatch.setenv(name, value)
    async with build_worker(env.client, app_pool, settings):
        yield


@pytest.fixture
async def stack(database, app_pool, tmp_path, monkeypatch) -> AsyncIterator[WorkflowEnvironment]:
    """A Temporal dev server and the production worker, with the CLI pointed at both."""
    async with await WorkflowEnvironment.start_local(
        dev_server_existing_path=binary("temporal"), data_converter=CONVERTER, ui=False
    ) as env:
        async for _ in _stack(env, database, app_pool, tmp_path, monkeypatch):
            yield env


@pytest.fixture
async def skipping_stack(database, app_pool, tmp_path, monkeypatch) -> AsyncIterator[WorkflowEnvironment]:
    """The same on the time-skipping test server, whose clock starts at tests.clock.EPOCH and moves only
    when the test sleeps."""
    async with time_skipping(tmp_path) as env:
        async for _ in _stack(env, database, app_pool, tmp_path, monkeypatch):
            yield env


async def qa(capsys, *args: str) -> tuple[int, str, str]:
    """`qa ARGS...` in process; main() runs its own event loop, so in a thread of its own."""
    code = await asyncio.to_thread(main, list(args))
    out, err = capsys.readouterr()
    return code, out, err


async def ok(capsys, *args: str) -> str:
    code, out, err = await qa(capsys, *args)
    assert (code, err) == (0, ""), (args, code, err)
    return out


async def refused(capsys, *args: str, code: int = 1) -> str:
    """The one line a refusal prints, with its exit code checked and nothing on stdout."""
    got, out, err = await qa(capsys, *args)
    assert (got, out) == (code, ""), (args, got, out, err)
    assert err.startswith("qa: ") and err.count("\n") == 1, err
    return err.removeprefix("qa: ").rstrip("\n")


async def as_superuser(database, statement: str, *args: object) -> None:
    """A superuser changes a table behind the log's back: its append-only triggers off for the statement."""
    conn = await asyncpg.connect(database.admin_url)
    try:
        async with conn.transaction():
            await conn.execute("SET LOCAL session_replication_role = replica")
            await conn.execute(statement, *args)
    finally:
        await conn.close()


async def alter_document(database, location: str, text: str) -> None:
    """A superuser rewrites a stored file (its digest column made to match)."""
    from infra.store.documents import parse_location

    item_id, name = parse_location(location)
    await as_superuser(
        database,
        "UPDATE documents SET content = $3, sha256 = sha256($3) WHERE item_id = $1 AND name = $2",
        item_id,
        name,
        text.encode(),
    )


async def event_count(database) -> int:
    conn = await asyncpg.connect(database.admin_url)
    try:
        return await conn.fetchval("SELECT count(*) FROM audit_events")
    finally:
        await conn.close()


async def example_authority(capsys, cases: Path = EXAMPLES / "cases.csv") -> None:
    await ok(capsys, "staff", "import", str(EXAMPLES / "staff.csv"), "--as", "qa.officer")
    await ok(capsys, "cases", "import", str(cases), "--as", "qa.officer")


async def cycle_authority(capsys) -> None:
    """The example authority, its cases moved to YEAR's November cycle."""
    await example_authority(capsys, example_cases(Path(os.environ["QA_HOME"])))


async def started_cycle(capsys, sample: int = 3) -> str:
    await cycle_authority(capsys)
    return await ok(capsys, *START, "--sample", str(sample), "--as", "qa.officer")


async def test_a_cycle_started_allocated_and_one_review_submitted(stack, capsys, database, app_pool):
    out = await started_cycle(capsys)
    assert out.splitlines() == [
        f"{CYCLE}: Children in Need, started by qa.officer",
        "  phase    reviewing",
        f"  reviews  from {YEAR}-11-01, due Mon 29 Nov {YEAR} 23:59 GMT",
        "  sample   3 of 6 eligible cases (3 supported under 4 weeks left out), seed cpr-2027-11, snapshot 1",
        "  case        practitioner        team              reviewer  grade  review",
        "  LCS-100809  lee.reviewer        Children in Need  -         -      -",
        "  LCS-100701  priya.practitioner  Children in Need  -         -      -",
        "  LCS-100716  priya.practitioner  Children in Need  -         -      -",
    ]
    assert await refused(capsys, *START, "--sample", "3", "--as", "qa.officer") == (
        f"a Children in Need cycle starting {YEAR}-11-01 was already started: {CYCLE} (see `qa cpr show {CYCLE}`)"
    )

    # An auditor redoes the draw from the stored snapshot: it matches; the method is said in words.
    proven = (await ok(capsys, "cpr", "prove", CYCLE, "--as", "audrey.auditor")).splitlines()
    assert proven[0].startswith("From open-cases snapshot 1 (service Children in Need), the 6 cases supported for")
    assert (
        'ranked by SHA-256("cpr-2027-11:" + the case number) as hex; the sample is the 3 with the smallest'
        in (proven[0])
    )
    assert [line.split()[0] for line in proven[1:4]] == ["LCS-100809", "LCS-100701", "LCS-100716"]
    assert proven[4] == "matches: the recorded sample is the draw from snapshot 1"
    assert (await refused(capsys, "cpr", "prove", CYCLE, "--as", "priya.practitioner")).startswith(
        f"refused: priya.practitioner may not read the audit record of {CYCLE}"
    )
    # A snapshot altered behind the log's back (a case's support made to start later) no longer proves the draw.
    await as_superuser(
        database, "UPDATE cases SET support_began = support_began + 60 WHERE snapshot_id = 1 AND case_number = $1", CASE
    )
    code, out, _ = await qa(capsys, "cpr", "prove", CYCLE, "--as", "audrey.auditor", "--json")
    assert code == 1 and json.loads(out)["problems"] == ["the eligible cases differ from those the draw recorded"]
    await as_superuser(
        database, "UPDATE cases SET support_began = support_began - 60 WHERE snapshot_id = 1 AND case_number = $1", CASE
    )

    # Allocation: never the child's own practitioner; only a QA officer allocates.
    before = await event_count(database)
    assert await refused(
        capsys, "cpr", "allocate", CYCLE, OWN_CASE, "--reviewer", "lee.reviewer", "--as", "qa.officer"
    ) == (f"refused: lee.reviewer is the allocated practitioner for case {OWN_CASE} and cannot review their own work")
    assert await refused(
        capsys, "cpr", "allocate", CYCLE, CASE, "--reviewer", "sam.reviewer", "--as", "sam.reviewer"
    ) == ("refused: sam.reviewer cannot allocate reviewers: the directory does not list them as a qa_officer")
    assert await event_count(database) == before
    assert await ok(capsys, "cpr", "allocate", CYCLE, CASE, "--reviewer", "sam.reviewer", "--as", "qa.officer") == (
        f"{REVIEW}\n"
    )

    # Out of order, or not theirs: one line each, and nothing recorded.
    before = await event_count(database)
    grade = ("review", "grade", REVIEW, "--grade", "Good", "--rationale", "consistently good help")
    assert await refused(capsys, *grade, "--as", "sam.reviewer") == (
        "refused: grade after the practitioner's reflection; priya.practitioner has not given it yet"
    )
    reflect = ("review", "reflect", REVIEW, "--score", "7", "--pleased-with", "direct work")
    reflect += ("--could-develop", "chronology")
    assert await refused(capsys, *reflect, "--as", "sam.reviewer") == (
        "refused: only the allocated practitioner (priya.practitioner) can give the reflection"
    )
    assert await refused(capsys, "review", "submit", REVIEW, "--as", "sam.reviewer") == (
        f"refused: the review of case {CASE} still needs the child's voice; the family's voice;"
        " the reflection of priya.practitioner; the collaborative conversation;"
        " rubric evidence for 26 criteria (basic-information.1, ...); the grade and rationale;"
        " the conclusion (what is working well, what could be done differently)"
    )
    assert await refused(
        capsys, "review", "judge", REVIEW, "assessment.3=clear", "assessment.10=some", "--as", "sam.reviewer", code=2
    ) == (
        "unknown rubric criteria assessment.10: ids are basic-information.1-6, assessment.1-9,"
        " planning-and-review.1-6, management-oversight.1-5"
    )
    assert await refused(capsys, "review", "judge", REVIEW, "assessment.3=great", "--as", "sam.reviewer", code=2) == (
        "unknown evidence level in assessment.3=great: a level is clear, some or limited"
    )
    assert await refused(
        capsys, "review", "grade", REVIEW, "--grade", "Excellent", "--rationale", "x", "--as", "sam.reviewer", code=2
    ) == ("unknown grade 'Excellent': expected one of Outstanding, Good, Requires Improvement, Inadequate")
    assert await event_count(database) == before

    # Every step, each by its own person.
    out = await ok(
        capsys, "review", "voice", REVIEW, "--child", "--summary", "feels listened to", "--as", "sam.reviewer"
    )
    assert out.splitlines() == [
        f"{REVIEW}: the child's voice was recorded",
        "  still needed: the family's voice; the reflection of priya.practitioner; the collaborative conversation;"
        " rubric evidence for 26 criteria (basic-information.1, ...); the grade and rationale;"
        " the conclusion (what is working well, what could be done differently)",
    ]
    await ok(
        capsys,
        "review",
        "voice",
        REVIEW,
        "--family",
        "--not-obtained",
        "--summary",
        "mum declined to talk",
        "--as",
        "sam.reviewer",
    )
    assert (await ok(capsys, *reflect, "--as", "priya.practitioner")).startswith(
        f"{REVIEW}: priya.practitioner's reflection (7/10) was recorded\n"
    )
    await ok(
        capsys,
        "review",
        "conversation",
        REVIEW,
        "--summary",
        "agreed the plan needs timescales",
        "--as",
        "sam.reviewer",
    )
    out = await ok(
        capsys,
        "review",
        "judge",
        REVIEW,
        "assessment.3=clear",
        "planning-and-review.1=Limited",
        "--all",
        "some",
        "--as",
        "sam.reviewer",
    )
    assert out.splitlines()[0] == f"{REVIEW}: rubric evidence for 26 criteria was recorded"
    out = await ok(
        capsys,
        "review",
        "grade",
        REVIEW,
        "--grade",
        "requires improvement",
        "--rationale",
        "plans lack timescales",
        "--as",
        "sam.reviewer",
    )
    assert out.splitlines() == [
        f"{REVIEW}: graded Requires Improvement",
        "  still needed: the conclusion (what is working well, what could be done differently)",
    ]
    out = await ok(
        capsys,
        "review",
        "conclude",
        REVIEW,
        "--working-well",
        "the child is seen alone",
        "--differently",
        "timescales in the plan",
        "--as",
        "sam.reviewer",
    )
    assert out.splitlines() == [f"{REVIEW}: the conclusion was recorded", "  ready to submit (by sam.reviewer)"]
    out = await ok(
        capsys,
        "review",
        "action",
        REVIEW,
        "--action",
        "add timescales to the plan",
        "--by",
        f"{YEAR}-12-17",
        "--as",
        "sam.reviewer",
    )
    assert out.splitlines()[0] == f"{REVIEW}: action A1 was recommended, due by {YEAR}-12-17"
    assert await refused(
        capsys, "review", "complete-action", REVIEW, "A1", "--note", "done", "--as", "nadia.manager"
    ) == ("refused: actions are completed through supervision after the review is submitted")
    out = await ok(capsys, "review", "submit", REVIEW, "--as", "sam.reviewer")
    assert out.splitlines() == [
        f"{REVIEW}: submitted on time, graded Requires Improvement",
        "  open actions A1: nadia.manager records each one complete",
    ]
    assert await refused(capsys, "review", "voice", REVIEW, "--child", "--summary", "more", "--as", "sam.reviewer") == (
        f"refused: the review of case {CASE} was submitted; it can no longer change"
    )

    # What the CLI shows is what the audit log holds.
    shown = json.loads(await ok(capsys, "review", "show", REVIEW, "--json"))
    replayed = fold(review.evolve, review.REVIEW_EVENTS, await AuditLog(app_pool).read_stream(REVIEW))
    assert shown == {"id": REVIEW, **replayed.model_dump(mode="json")}
    assert (shown["status"], shown["grade"], shown["late"], shown["reviewer"], shown["practitioner"]) == (
        "submitted",
        "Requires Improvement",
        False,
        "sam.reviewer",
        "priya.practitioner",
    )
    assert (shown["judgements"]["assessment.3"], shown["judgements"]["planning-and-review.1"]) == ("clear", "limited")
    assert list(shown["judgements"].values()).count("some") == 24
    assert shown["voices"]["family"]["obtained"] is False
    assert shown["reflection"]["score"] == 7 and shown["due_at"] == f"{YEAR}-11-29T23:59:59Z"
    human = await ok(capsys, "review", "show", REVIEW)
    assert "  rubric          26 of 26 criteria judged: 1 clear, 24 some, 1 limited\n" in human
    assert "  family's voice  not obtained: mum declined to talk\n" in human
    # The reviewer's and the practitioner's parts, each a duty done by its owner.
    assert [(d["key"], d["owner"], d["done_by"]) for d in shown["duties"]] == [
        ("review", "sam.reviewer", "sam.reviewer"),
        ("reflection", "priya.practitioner", "priya.practitioner"),
    ]
    assert "  reflection duty priya.practitioner: due " in human

    async def cycle_knows() -> dict:
        for _ in range(100):
            data = json.loads(await ok(capsys, "cpr", "show", CYCLE, "--json"))
            if data["cases"][1]["grade"]:
                return data
            await asyncio.sleep(0.05)
        raise AssertionError("the cycle never heard of the submission")

    cycle = await cycle_knows()
    assert cycle["id"] == CYCLE and cycle["phase"] == "reviewing"
    assert {
        k: cycle["cases"][1][k]
        for k in ("case_number", "team", "practitioner", "reviewer", "review_id", "grade", "late")
    } == {
        "case_number": CASE,
        "team": "Children in Need",
        "practitioner": "priya.practitioner",
        "reviewer": "sam.reviewer",
        "review_id": REVIEW,
        "grade": "Requires Improvement",
        "late": False,
    }
    # The state as the log folds it, and each case's grade of record beside it (the reviewer's, until moderated).
    of_record = {c["case_number"]: c.pop("grade_of_record") for c in cycle["cases"]}
    assert of_record[CASE] == {
        "grade": "Requires Improvement",
        "steps": [{"by": "reviewer", "grade": "Requires Improvement", "who": "sam.reviewer", "item": REVIEW}],
    }
    assert cycle == {
        "id": CYCLE,
        **fold(cpr_cycle.evolve, cpr_cycle.CYCLE_EVENTS, await AuditLog(app_pool).read_stream(CYCLE)).model_dump(
            mode="json"
        ),
    }
    assert (
        f"  LCS-100701  priya.practitioner  Children in Need  sam.reviewer  Requires Improvement  {REVIEW}"
        "  Requires Improvement\n"
    ) in await ok(capsys, "cpr", "show", CYCLE)
    listed = await ok(capsys, "cpr", "list")
    assert listed == f"{CYCLE}  reviewing       reviews due {YEAR}-11-29  3 sampled, 1 allocated, 1 submitted\n"

    # Supervision: the team manager closes the action, and with it the review.
    out = await ok(
        capsys, "review", "complete-action", REVIEW, "a1", "--note", "discussed in supervision", "--as", "nadia.manager"
    )
    assert out.splitlines() == [f"{REVIEW}: action A1 was recorded complete", "  no open actions: the review closes"]
    for _ in range(100):
        if json.loads(await ok(capsys, "review", "show", REVIEW, "--json"))["status"] == "closed":
            break
        await asyncio.sleep(0.05)
    assert await refused(capsys, "review", "submit", REVIEW, "--as", "sam.reviewer") == (
        f"refused: review {REVIEW} is closed; nothing more can be recorded on it"
    )
    verified = json.loads(await ok(capsys, "audit", "verify", "--json"))
    assert verified["ok"] and verified["streams"] == 4  # the directory's two, the cycle and the review


async def test_refusals_before_a_cycle_starts_leave_nothing_behind(stack, capsys, database):
    await cycle_authority(capsys)
    before = await event_count(database)
    start = (*START, "--sample")
    assert await refused(capsys, *start, "3", "--as", "sam.reviewer") == (
        "refused: sam.reviewer cannot start a CPR cycle: the directory does not list them as a qa_officer"
    )
    assert await refused(capsys, *start, "7", "--as", "qa.officer") == (
        f"refused: Children in Need: only 6 cases were supported for at least 4 weeks on {YEAR}-11-01; cannot sample 7"
    )
    assert (
        await refused(
            capsys,
            "cpr",
            "start",
            "--service",
            "Children in Nede",
            "--start",
            f"{YEAR}-11-01",
            "--sample",
            "1",
            "--as",
            "qa.officer",
        )
    ).startswith(
        "refused: open-cases snapshot 1 has no cases of service 'Children in Nede' (its services: Care Leavers,"
    )
    assert (
        await refused(capsys, *start, "three", "--as", "qa.officer", code=2)
        == "sample size 'three' is not a whole number"
    )
    assert await refused(capsys, *start, "0", "--as", "qa.officer", code=2) == (
        "sample_size: Input should be greater than or equal to 1"
    )
    assert await refused(
        capsys,
        "cpr",
        "start",
        "--service",
        "Children in Need",
        "--start",
        "2027-11-31",
        "--sample",
        "1",
        "--as",
        "qa.officer",
        code=2,
    ) == ("start date '2027-11-31' is not a real date")
    assert await event_count(database) == before
    assert await ok(capsys, "cpr", "list") == (
        "no open CPR cycles (`--all` lists the completed ones): start one with"
        " `qa cpr start --service S --start DATE --sample N --as P`\n"
    )
    assert await ok(capsys, "cpr", "list", "--all") == (
        "no CPR cycles yet: start one with `qa cpr start --service S --start DATE --sample N --as P`\n"
    )

    assert await refused(capsys, "review", "show", "no-such-review") == "no item with id 'no-such-review'"
    assert await refused(capsys, "review", "submit", "no-such-review", "--as", "sam.reviewer") == (
        "no item with id 'no-such-review'"
    )
    assert await refused(capsys, "cpr", "show", "cpr-2099-01-01-nothing") == "no item with id 'cpr-2099-01-01-nothing'"
    assert await refused(capsys, "review", "voice", "x", "--summary", "s", "--as", "sam.reviewer", code=2) == (
        "say whose voice: --child or --family (one of them)"
    )
    assert await refused(capsys, "review", "judge", "x", "--as", "sam.reviewer", code=2) == (
        "give CRITERION=LEVEL pairs (e.g. assessment.3=clear), or --all LEVEL"
    )
    assert await refused(capsys, "review", "judge", "x", "assessment.3", "--as", "sam.reviewer", code=2) == (
        "'assessment.3' is not CRITERION=LEVEL (e.g. assessment.3=clear)"
    )


async def test_a_sample_the_workflow_cannot_draw_is_one_line(stack, capsys, database):
    """The CLI checks the sample before starting; should the cases change in between, the cycle's own refusal shows."""
    from domain import cpr_cycle
    from infra.application.errors import AppError
    from infra.application.items import start_opened
    from workflows.cpr_cycle import CprCycleWorkflow, CycleInput

    await cycle_authority(capsys)
    # Started without the CLI's own check: the workflow's refusal is what the start answers with.
    request = CycleInput(service="Children in Need", start=f"{YEAR}-11-01", sample_size=7, started_by="qa.officer")
    with pytest.raises(AppError) as refusal:
        await start_opened(cpr_cycle.KIND, CprCycleWorkflow, request, "cpr-race", taken="taken")
    assert str(refusal.value) == (
        f"refused: Children in Need: only 6 cases were supported for at least 4 weeks on {YEAR}-11-01; cannot sample 7"
    )


async def test_a_safeguarding_alert_reaches_the_team_manager_at_once(stack, capsys):
    await started_cycle(capsys, sample=2)
    other = review_of("LCS-100809")
    assert (
        await ok(capsys, "cpr", "allocate", CYCLE, CASE, "--reviewer", "sam.reviewer", "--as", "qa.officer")
        == f"{REVIEW}\n"
    )
    assert (
        await ok(capsys, "cpr", "allocate", CYCLE, "LCS-100809", "--reviewer", "rosa.reviewer", "--as", "qa.officer")
        == f"{other}\n"
    )

    alert = ("review", "alert", REVIEW, "--concern", "unexplained bruising seen on the visit")
    assert await refused(capsys, *alert, "--as", "rosa.reviewer") == (
        f"refused: {REVIEW} does not name rosa.reviewer: an alert is raised by one who reads the child's record for"
        " it (raise it from the item you work on)"
    )
    out = (await ok(capsys, *alert, "--as", "sam.reviewer")).splitlines()
    alert_id, said = out[0].split(": ", 1)
    assert alert_id.startswith("alert-")
    assert said == f"safeguarding alert for case {CASE} raised; it is in the inboxes of nadia.manager and hana.hos"
    assert out[1].startswith("  unless acknowledged by ") and out[1].endswith(
        " it goes to the Head of QA (`qa alerts` follows it)"
    )

    inbox = await ok(capsys, "inbox", "--as", "nadia.manager")
    [line] = [line for line in inbox.splitlines() if "SAFEGUARDING" in line]
    assert line.endswith(f"alert       SAFEGUARDING: immediate steps needed for case {CASE}  [{alert_id}]")
    told = json.loads(await ok(capsys, "inbox", "--as", "hana.hos", "--json"))["told"]
    assert [(n["kind"], n["item_id"]) for n in told if n["kind"] == "alert"] == [("alert", alert_id)]
    shown = await ok(capsys, "alert", "show", alert_id)
    assert "  concern           unexplained bruising seen on the visit" in shown
    assert "  nadia.manager     NOT YET ACKNOWLEDGED" in shown

    # Each of the two says they have it; the raiser follows it: who has it, and where each e-mail stands (no mail
    # server here: in the app only).
    [listed] = json.loads(await ok(capsys, "alerts", "--as", "sam.reviewer", "--json"))
    assert (listed["id"], listed["awaited"], listed["from_item"]) == (alert_id, ["nadia.manager", "hana.hos"], REVIEW)
    assert [(t["person"], t["email"]) for t in listed["told"]] == [
        ("nadia.manager", "in the app only"),
        ("hana.hos", "in the app only"),
    ]
    assert "nadia.manager: NOT YET ACKNOWLEDGED; e-mail: in the app only" in await ok(
        capsys, "alerts", "--as", "sam.reviewer"
    )
    assert await refused(capsys, "alert", "ack", alert_id, "--as", "sam.reviewer") == (
        f"refused: the safeguarding alert for case {CASE} went to nadia.manager and hana.hos: only they acknowledge it"
    )
    assert await refused(capsys, "alert", "ack", "S1", "--as", "nadia.manager", code=2) == (
        "'S1' is not an alert id: give it as `qa alerts` lists it (alert-<uuid>, or REVIEW_ID/S1)"
    )
    assert await ok(capsys, "alert", "ack", alert_id, "--as", "nadia.manager") == (
        f"{alert_id}: acknowledged by nadia.manager; still awaited from hana.hos\n"
    )
    assert await refused(capsys, "alert", "ack", alert_id, "--as", "nadia.manager") == (
        f"refused: nadia.manager already acknowledged the safeguarding alert for case {CASE}"
    )
    assert await ok(capsys, "alert", "ack", alert_id, "--as", "hana.hos") == (
        f"{alert_id}: acknowledged by hana.hos; everyone it went to has it\n"
    )
    raiser = json.loads(await ok(capsys, "inbox", "--as", "sam.reviewer", "--json"))["told"]
    assert sorted(n["subject"] for n in raiser if "acknowledged by" in n["subject"]) == [
        f"Safeguarding alert for case {CASE} acknowledged by hana.hos",
        f"Safeguarding alert for case {CASE} acknowledged by nadia.manager",
    ]
    # The team manager confirms it is on the child's record; then nothing more is awaited, and it closes.
    assert await refused(capsys, "alert", "document", alert_id, "--reference", " ", "--as", "nadia.manager") == (
        "refused: the reference of its entry on the child's LCS record cannot be empty"
    )
    assert await ok(
        capsys, "alert", "document", alert_id, "--reference", "LCS case note 88123", "--as", "nadia.manager"
    ) == (f"{alert_id}: on the child's LCS record: LCS case note 88123\n")

    async def closed():
        return json.loads(await ok(capsys, "alert", "show", alert_id, "--json"))["status"] == "closed"

    assert await eventually(closed)
    assert json.loads(await ok(capsys, "alerts", "--as", "nadia.manager", "--json")) == []
    # From an item about several children, the case is named.
    several = await refused(
        capsys, "alert", "raise", "--from", CYCLE, "--concern", "a missed visit", "--as", "qa.officer", code=2
    )
    assert several.startswith(f"name the case (--case): {CYCLE} is about 2 (") and CASE in several

    # Not theirs: a reviewer of another child in the cycle; and ids of the wrong kind.
    assert await refused(capsys, "review", "voice", other, "--child", "--summary", "s", "--as", "sam.reviewer") == (
        "refused: only the reviewer (rosa.reviewer) can record the child's voice for case LCS-100809"
    )
    assert await refused(capsys, "review", "show", CYCLE) == f"{CYCLE} is a CPR cycle, not a review"
    assert await refused(capsys, "cpr", "show", REVIEW) == f"{REVIEW} is a review, not a CPR cycle"


async def test_overdue_reviews_are_listed_until_an_extension_moves_them(skipping_stack, capsys):
    await started_cycle(capsys, sample=1)
    first = review_of("LCS-100809")
    await ok(capsys, "cpr", "allocate", CYCLE, "LCS-100809", "--reviewer", "sam.reviewer", "--as", "qa.officer")
    assert await ok(capsys, "overdue") == "no reviews are overdue\n"

    # Two working days after the due date: the breach and the first escalation are recorded.
    await sleep_until(skipping_stack, datetime(YEAR, 12, 1, 9, tzinfo=LONDON))
    out = await ok(capsys, "overdue")
    assert out.splitlines() == [
        "1 review overdue",
        f"  {first}  case LCS-100809  reviewer sam.reviewer  due Mon 29 Nov {YEAR} 23:59 GMT;"
        " escalated to the reviewer's manager",
        "    still needed: the child's voice; the family's voice; the reflection of lee.reviewer;"
        " the collaborative conversation; rubric evidence for 26 criteria (basic-information.1, ...);"
        " the grade and rationale; the conclusion (what is working well, what could be done differently)",
    ]
    listed = json.loads(await ok(capsys, "overdue", "--json"))
    assert listed["duties"] == []
    [data] = listed["reviews"]
    assert (data["id"], data["status"], data["escalation_level"]) == (first, "overdue", 1)

    assert await refused(
        capsys, "review", "extend", first, "--days", "5", "--reason", "please", "--as", "sam.reviewer"
    ) == ("refused: sam.reviewer cannot extend a review's deadline: the directory does not list them as a qa_officer")
    out = await ok(
        capsys, "review", "extend", first, "--days", "10", "--reason", "family unavailable", "--as", "qa.officer"
    )
    assert out.splitlines()[0] == f"{first}: extended by 10 working days; now due Mon 13 Dec {YEAR} 23:59 GMT"
    assert await ok(capsys, "overdue") == "no reviews are overdue\n"


async def submit_by_cli(
    capsys, case_number: str, practitioner: str | None, grade: str, reviewer: str = "sam.reviewer"
) -> None:
    """The review's steps and its submission; `practitioner` None: their reflection was recorded as not obtained."""
    review_id = review_of(case_number)
    for whose in ("--child", "--family"):
        await ok(capsys, "review", "voice", review_id, whose, "--summary", "heard", "--as", reviewer)
    if practitioner is not None:
        reflection = ("--score", "6", "--pleased-with", "visits", "--could-develop", "plans")
        await ok(capsys, "review", "reflect", review_id, *reflection, "--as", practitioner)
    await ok(capsys, "review", "conversation", review_id, "--summary", "talked", "--as", reviewer)
    await ok(capsys, "review", "judge", review_id, "--all", "some", "assessment.4=limited", "--as", reviewer)
    await ok(capsys, "review", "grade", review_id, "--grade", grade, "--rationale", "as seen", "--as", reviewer)
    conclusion = ("--working-well", "direct work", "--differently", "timely plans")
    await ok(capsys, "review", "conclude", review_id, *conclusion, "--as", reviewer)
    await ok(capsys, "review", "submit", review_id, "--as", reviewer)


async def phase(capsys, cycle_id: str, wanted: str) -> dict:
    """The cycle once it reaches `wanted` (it moves on when the reviews' and moderations' news reaches it)."""
    for _ in range(300):
        shown = json.loads(await ok(capsys, "cpr", "show", cycle_id, "--json"))
        if shown["phase"] == wanted:
            return shown
        await asyncio.sleep(0.1)
    raise AssertionError(f"the cycle never reached {wanted}")


async def test_a_reviewer_a_moderator_and_a_reflection_replaced_mid_cycle_and_the_cycle_completes(stack, capsys):
    await started_cycle(capsys, sample=2)
    (own, own_practitioner), (case, practitioner) = [
        (c["case_number"], c["practitioner"])
        for c in json.loads(await ok(capsys, "cpr", "show", CYCLE, "--json"))["cases"]
    ]
    for case_number in (own, case):
        await ok(capsys, "cpr", "allocate", CYCLE, case_number, "--reviewer", "sam.reviewer", "--as", "qa.officer")

    # The reviewer of one review is away: the QA team gives it to another, with the reason; both are told.
    reallocate = ("cpr", "reallocate", CYCLE, case, "--reason", "sam.reviewer is on long-term leave")
    assert await refused(capsys, *reallocate, "--reviewer", practitioner, "--as", "qa.officer") == (
        f"refused: {practitioner} is the allocated practitioner for case {case} and cannot review their own work"
    )
    # The directory gives her post: a principal social worker is not among the framework's CPR reviewers.
    assert await refused(capsys, *reallocate, "--reviewer", "paula.psw", "--as", "qa.officer") == (
        "refused: paula.psw is a principal social worker: the framework's CPR reviewers are senior social workers,"
        " ISROs, team managers, heads of service, the Assistant Director and the Director"
    )
    assert (await refused(capsys, *reallocate, "--reviewer", "rosa.reviewer", "--as", "sam.reviewer")).startswith(
        "refused: sam.reviewer cannot reallocate a review to another reviewer"
    )
    assert await ok(capsys, *reallocate, "--reviewer", "rosa.reviewer", "--as", "qa.officer") == (
        f"{case}: now reviewed by rosa.reviewer ({review_of(case)})\n"
    )
    for _ in range(100):  # the review hears of it from the cycle
        if json.loads(await ok(capsys, "review", "show", review_of(case), "--json"))["reviewer"] == "rosa.reviewer":
            break
        await asyncio.sleep(0.05)
    assert await refused(
        capsys, "review", "voice", review_of(case), "--child", "--summary", "x", "--as", "sam.reviewer"
    ) == (f"refused: only the reviewer (rosa.reviewer) can record the child's voice for case {case}")
    told = await ok(capsys, "inbox", "--as", "sam.reviewer")
    assert f"The review of case {case} is no longer yours: rosa.reviewer has it now" in told
    assert f"Complete the review of case {case}" in await ok(capsys, "inbox", "--as", "rosa.reviewer")

    # The other's practitioner cannot give a reflection: recorded as not obtained, by the QA team, with the reason.
    not_obtained = ("review", "reflection-not-obtained", review_of(own), "--reason", "on maternity leave")
    assert await refused(capsys, *not_obtained, "--as", "sam.reviewer") == (
        "refused: the review's team manager or the QA team records that the reflection cannot be obtained"
    )
    await ok(capsys, *not_obtained, "--as", "qa.officer")
    # The practitioner's duty is done, by whoever recorded why; the moved review's duty went to its new reviewer.
    duties = {d["key"]: d for d in json.loads(await ok(capsys, "review", "show", review_of(own), "--json"))["duties"]}
    assert duties["reflection"]["done_by"] == "qa.officer" and duties["review"]["done_at"] is None
    moved_review = json.loads(await ok(capsys, "review", "show", review_of(case), "--json"))["duties"]
    assert [(d["key"], d["owner"]) for d in moved_review if d["done_at"] is None][0] == ("review", "rosa.reviewer")
    await submit_by_cli(capsys, own, None, "Good")
    await submit_by_cli(capsys, case, practitioner, "Good", reviewer="rosa.reviewer")
    assert own_practitioner != practitioner

    # A moderator is away: the moderation goes to another; the report waits for the new one alone.
    await phase(capsys, CYCLE, "moderation")
    for case_number in (own, case):
        await ok(
            capsys, "moderation", "allocate", CYCLE, case_number, "--moderator", "maya.moderator", "--as", "qa.officer"
        )
    moved = ("moderation", "reallocate", CYCLE, own, "--reason", "maya.moderator is unwell")
    assert await refused(capsys, *moved, "--moderator", "maya.moderator", "--as", "qa.officer") == (
        f"refused: maya.moderator already moderates the review of case {own}"
    )
    assert (await ok(capsys, *moved, "--moderator", "omar.moderator", "--as", "qa.officer")).startswith(
        f"{own}: now moderated by omar.moderator, due "
    )
    record = ("moderation", "record", CYCLE, own, "--grade", "Good", "--rationale", "consistent", "--sampled", "plan")
    assert await refused(capsys, *record, "--as", "maya.moderator") == (
        f"refused: only the allocated moderator (omar.moderator) can moderate case {own}"
    )
    await ok(capsys, *record, "--as", "omar.moderator")
    await ok(
        capsys,
        "moderation",
        "record",
        CYCLE,
        case,
        "--grade",
        "Good",
        "--rationale",
        "fair",
        "--sampled",
        "plan",
        "--as",
        "maya.moderator",
    )
    await phase(capsys, CYCLE, "reporting")
    publish = ("report", "publish", CYCLE, "--key-findings", "k", "--strengths", "s", "--development", "d")
    publish += ("--voices", "children said they are listened to")
    await ok(capsys, *publish, "--recommendations", "r", "--as", "qa.officer")
    shown = await phase(capsys, CYCLE, "complete")
    assert [(c["reviewer"], c["moderation"]["moderator"]) for c in shown["cases"]] == [
        ("sam.reviewer", "omar.moderator"),
        ("rosa.reviewer", "maya.moderator"),
    ]
    history = await ok(capsys, "audit", "history", CYCLE, "--as", "audrey.auditor")
    assert (
        f"case {case} reallocated from reviewer sam.reviewer to rosa.reviewer: sam.reviewer is on long-term leave"
        in history
    )
    assert "reallocated from moderator maya.moderator to omar.moderator" in history
    assert "the practitioner's reflection recorded as not obtained: on maternity leave" in await ok(
        capsys, "audit", "history", review_of(own), "--as", "audrey.auditor"
    )
    # The year's findings collated: the cycle with its report's words, kept and recorded with their digests.
    assert await refused(capsys, "report", "annual", "--year", f"{YEAR}", "--as", "audrey.auditor") == (
        "refused: audrey.auditor cannot collate the year's findings (the QA team collates them): the directory does"
        " not list them as a qa_officer or head_of_qa"
    )
    assert await refused(capsys, "report", "annual", "--year", "twenty", "--as", "qa.officer", code=2) == (
        "--year must be a year such as 2027, not 'twenty'"
    )
    annual = json.loads(await ok(capsys, "report", "annual", "--year", f"{YEAR}", "--json", "--as", "qa.officer"))
    assert annual["cycles"] == [CYCLE] and annual["thematic"] == []
    assert hashlib.sha256(annual["markdown"].encode()).hexdigest() == annual["markdown_sha256"]
    assert f"### Children in Need, started {YEAR}-11-01 ({CYCLE})" in annual["markdown"]
    assert (
        "- Key findings: k\n- Areas of strength: s\n- Areas for development: d\n- Recommendations: r"
        in (annual["markdown"])
    )
    assert "- What children and families said: children said they are listened to" in annual["markdown"]
    assert "No thematic review started in the year." in annual["markdown"]
    assert f"findings of {YEAR} collated (CPR cycles: 1; thematic reviews: 0)" in await ok(
        capsys, "audit", "history", f"annual-report-{YEAR}", "--as", "audrey.auditor"
    )
    # Asked again with the same request id, the same compilation answers: nothing is recorded twice.
    twice = ("--request-id", "annual-1", "report", "annual", "--year", f"{YEAR}", "--json", "--as", "qa.officer")
    first = json.loads(await ok(capsys, *twice))
    assert json.loads(await ok(capsys, *twice)) == first
    history = await ok(capsys, "audit", "history", f"annual-report-{YEAR}", "--as", "audrey.auditor")
    assert history.count(f"findings of {YEAR} collated") == 2


async def test_moderation_and_the_findings_report_through_the_cli(stack, capsys, database, tmp_path):
    await started_cycle(capsys, sample=2)
    state = json.loads(await ok(capsys, "cpr", "show", CYCLE, "--json"))
    cases = [(c["case_number"], c["practitioner"]) for c in state["cases"]]
    assert (
        await refused(
            capsys, "moderation", "allocate", CYCLE, cases[0][0], "--moderator", "maya.moderator", "--as", "qa.officer"
        )
        == "refused: moderation starts once the reviews close"
    )
    for case_number, _ in cases:
        await ok(capsys, "cpr", "allocate", CYCLE, case_number, "--reviewer", "sam.reviewer", "--as", "qa.officer")
    await submit_by_cli(capsys, cases[0][0], cases[0][1], "Good")
    summary = await ok(capsys, "status")
    assert f"{CYCLE}  Children in Need  reviewing  reviews due Mon 29 Nov {YEAR} 23:59 GMT" in summary
    assert "reviews: 1 in progress, 0 overdue, 0 submitted with 0 actions still open" in summary  # no actions: closed
    assert await ok(capsys, "status", review_of(cases[1][0]), "--json") == await ok(
        capsys, "review", "show", review_of(cases[1][0]), "--json"
    )
    assert await refused(capsys, "status", "no-such-item") == "no item with id 'no-such-item'"
    await submit_by_cli(capsys, cases[1][0], cases[1][1], "requires improvement")

    for _ in range(300):  # the cycle moves on once both reviews' submissions reach it (slower on a busy machine)
        if json.loads(await ok(capsys, "cpr", "show", CYCLE, "--json"))["phase"] == "moderation":
            break
        await asyncio.sleep(0.1)
    else:
        raise AssertionError("the cycle never reached moderation")
    assert await refused(
        capsys, "moderation", "allocate", CYCLE, cases[0][0], "--moderator", "sam.reviewer", "--as", "qa.officer"
    ) == (f"refused: sam.reviewer reviewed case {cases[0][0]} and cannot moderate their own review")
    for case_number, _ in cases:
        out = await ok(
            capsys, "moderation", "allocate", CYCLE, case_number, "--moderator", "maya.moderator", "--as", "qa.officer"
        )
        assert out.startswith(f"{case_number}: moderated by maya.moderator, due ")
    assert await refused(
        capsys,
        "moderation",
        "record",
        CYCLE,
        cases[0][0],
        "--grade",
        "Inadequate",
        "--rationale",
        "unsafe",
        "--sampled",
        "the plan",
        "--as",
        "maya.moderator",
    ) == (
        "refused: your grade (Inadequate) differs from the reviewer's (Good): record your conversation with sam.reviewer"
    )
    assert await refused(
        capsys,
        "moderation",
        "record",
        CYCLE,
        cases[0][0],
        "--grade",
        "Superb",
        "--rationale",
        "x",
        "--sampled",
        "the plan",
        "--as",
        "maya.moderator",
        code=2,
    ) == ("unknown grade 'Superb': expected one of Outstanding, Good, Requires Improvement, Inadequate")
    assert (
        await ok(
            capsys,
            "moderation",
            "record",
            CYCLE,
            cases[0][0],
            "--grade",
            "Good",
            "--rationale",
            "fair",
            "--sampled",
            "the plan and the assessment domain",
            "--as",
            "maya.moderator",
        )
    ).strip() == f"{cases[0][0]}: moderated Good, which agrees with the reviewer's Good"
    await ok(
        capsys,
        "moderation",
        "record",
        CYCLE,
        cases[1][0],
        "--grade",
        "Good",
        "--rationale",
        "better than graded",
        "--conversation",
        "agreed the plan had improved",
        "--sampled",
        "the plan",
        "--as",
        "maya.moderator",
    )

    for _ in range(100):
        if json.loads(await ok(capsys, "cpr", "show", CYCLE, "--json"))["phase"] == "reporting":
            break
        await asyncio.sleep(0.1)
    assert (await refused(capsys, "report", "show", CYCLE)).startswith(
        f"{CYCLE} has no published findings report yet; it is due "
    )
    # The practitioner disputes the first review's grade (Good, agreed by moderation) up the ladder; the Head of QA's
    # final decision sets its grade of record. A decision about the actions could not have.
    review_0, practitioner_0 = review_of(cases[0][0]), cases[0][1]
    dispute_0 = f"{review_0}-dispute-1"
    talk = ("--issues", "the grade overlooks the late visits", "--outcome", "we differ")
    await ok(capsys, "dispute", "raise", review_0, "--about", "judgement", *talk[:2], "--as", practitioner_0)
    await ok(capsys, "dispute", "escalate", dispute_0, *talk, "--as", "sam.reviewer")
    # Its first moderator is away: a QA officer gives the dispute to another, who moderates afresh.
    await ok(capsys, "dispute", "allocate", dispute_0, "--moderator", "paula.psw", "--as", "qa.officer")
    moved = ("dispute", "reallocate", dispute_0, "--moderator", "omar.moderator", "--reason", "paula.psw is on leave")
    assert (await refused(capsys, *moved, "--as", practitioner_0)).startswith(f"refused: {practitioner_0} cannot")
    assert (await ok(capsys, *moved, "--as", "qa.officer")).startswith(f"{dispute_0}: omar.moderator now moderates")
    assert (
        await refused(capsys, "dispute", "moderate", dispute_0, "--moderation", "x", "--as", "paula.psw")
        == "refused: only the moderator (omar.moderator) can record the independent moderation"
    )
    await ok(capsys, "dispute", "moderate", dispute_0, "--moderation", "visits were late", "--as", "omar.moderator")
    three_way = ("dispute", "three-way", dispute_0, *talk, "--decision", "not-resolved", "--as", "omar.moderator")
    await ok(capsys, *three_way)
    decide = ("dispute", "decide", dispute_0, "--issues", "the visits", "--decision", "Requires Improvement")
    assert await refused(capsys, *decide, "--grade", "Superb", "--as", "quinn.hoqa", code=2) == (
        "--grade: unknown grade 'Superb': expected one of Outstanding, Good, Requires Improvement, Inadequate"
    )
    assert (await ok(capsys, *decide, "--grade", "requires improvement", "--as", "quinn.hoqa")).startswith(
        f"{dispute_0}: final decision recorded by quinn.hoqa; grade of record Requires Improvement"
    )
    of_record = {
        c["case_number"]: c["grade_of_record"]
        for c in json.loads(await ok(capsys, "cpr", "show", CYCLE, "--json"))["cases"]
    }
    assert [(s["by"], s["grade"]) for s in of_record[cases[0][0]]["steps"]] == [
        ("reviewer", "Good"),
        ("moderation", "Good"),
        ("dispute", "Requires Improvement"),
    ]
    assert (of_record[cases[1][0]]["grade"], of_record[cases[0][0]]["grade"]) == ("Good", "Requires Improvement")
    assert "Requires Improvement (dispute)" in await ok(capsys, "cpr", "show", CYCLE)
    publish = (
        "report",
        "publish",
        CYCLE,
        "--key-findings",
        "Plans drift.",
        "--strengths",
        "Voices heard.",
        "--development",
        "Timescales.",
        "--recommendations",
        "Plan workshop.",
        "--voices",
        "Children said their workers listen; one family felt unheard.",
    )
    assert await refused(capsys, *publish, "--as", "sam.reviewer") == (
        "refused: sam.reviewer cannot publish the findings report: the directory does not list them as a qa_officer"
    )
    plan = "plan-team-children-in-need"
    await ok(capsys, "plan", "start", "--team", "Children in Need", "--owner", "nadia.manager", "--as", "nadia.manager")
    actions = tmp_path / "actions.csv"
    actions.write_text(
        "action,support,responsible,by_when,evidence\n"
        f"Every plan has timescales,a planning workshop,priya.practitioner,31/03/{YEAR + 1},the next cycle finds them\n"
    )
    with_actions = (*publish, "--plan", plan, "--actions", str(actions), "--as", "qa.officer")
    assert await refused(capsys, *with_actions, code=2) == (
        f"{actions} line 2: by_when '31/03/{YEAR + 1}' is not a YYYY-MM-DD date"
    )
    actions.write_text(actions.read_text().replace(f"31/03/{YEAR + 1}", f"{YEAR + 1}-03-31"))
    assert await refused(capsys, *publish, "--actions", str(actions), "--as", "qa.officer") == (
        "refused: say which action plan the actions go to"
    )
    out = (await ok(capsys, *with_actions)).splitlines()
    paths = out[:2]
    # Kept in the database beside the audit log, not on the worker's disk.
    assert out == [
        f"postgresql:{CYCLE}/findings.md",
        f"postgresql:{CYCLE}/findings.html",
        f"  actions A1 added to {plan}",
    ]
    plan_actions = json.loads(await ok(capsys, "plan", "show", plan, "--json"))["actions"]
    assert [(a["action_id"], a["source"]) for a in plan_actions] == [("A1", f"{CYCLE} action 1")]
    assert await ok(capsys, "status", CYCLE, "--json") == await ok(capsys, "cpr", "show", CYCLE, "--json")
    # Its report published, the cycle is complete: no longer among the open ones, still in the record.
    assert CYCLE not in await ok(capsys, "cpr", "list")
    assert (await ok(capsys, "cpr", "list", "--all")).startswith(f"{CYCLE}  complete")
    shown = await ok(capsys, "report", "show", CYCLE)
    assert "reviewer and moderator agreed on 1 (50%)" in shown and "assessment.4 (2)" in shown
    # The voices sought in the reviews, counted, and what children and families said, in the QA team's words.
    assert (
        "- Children: sought 2, obtained 2, not obtained 0.\n- Families: sought 2, obtained 2, not obtained 0." in shown
    )
    assert "- What they said: Children said their workers listen; one family felt unheard." in shown
    # The service's trend: this cycle's grades of record, its most limited criteria, voices and deadlines.
    assert await refused(capsys, "trends", "--as", "priya.practitioner") == (
        "refused: priya.practitioner cannot see the services' trends across CPR cycles: the directory does not list"
        " them as a qa_officer or head_of_qa or auditor or team_manager or head_of_service"
    )
    trend = json.loads(await ok(capsys, "trends", "--service", "Children in Need", "--json", "--as", "audrey.auditor"))
    assert [(t["service"], [c["cycle_id"] for c in t["cycles"]]) for t in trend] == [("Children in Need", [CYCLE])]
    assert trend[0]["cycles"][0]["grades"] == {"Outstanding": 0, "Good": 1, "Requires Improvement": 1, "Inadequate": 0}
    assert (
        f"{YEAR}-11-01 {CYCLE}: 1 Good, 1 Requires Improvement (50% good or better); most often limited:"
        in await ok(capsys, "trends", "--as", "audrey.auditor")
    )
    # Each review's conclusion and each moderation's sample are in the report.
    assert "## What is working well and what could be done differently" in shown
    assert f"- {cases[0][0]}: working well: direct work; could be done differently: timely plans" in shown
    assert f"- Sampled in moderating {cases[0][0]}: the plan and the assessment domain" in shown
    # The grades of record: one moderated up, one decided down by the dispute.
    assert "Grades of record (after moderation and any dispute's final decision): Outstanding 0; Good 1;" in shown
    assert (
        f"Grade changed: {cases[1][0]}: Requires Improvement (reviewer) -> Good (moderation, maya.moderator)" in shown
    )
    assert (
        f"Grade changed: {cases[0][0]}: Good (reviewer) -> Good (moderation, maya.moderator) -> Requires Improvement"
        " (dispute, quinn.hoqa)"
    ) in shown
    assert f"A1: Every plan has timescales (priya.practitioner, by {YEAR + 1}-03-31)" in shown
    # My practice: the practitioner sees the reviews of their own cases, their line managers their team's; nobody else.
    practitioner = cases[0][1]
    own = json.loads(await ok(capsys, "practice", "mine", "--json", "--as", practitioner))
    assert {r["case_number"] for r in own} == {n for n, p in cases if p == practitioner}
    first = next(r for r in own if r["case_number"] == cases[0][0])
    assert first["grade_of_record"]["grade"] == "Requires Improvement"  # the dispute's final decision
    assert (first["working_well"], first["do_differently"]) == ("direct work", "timely plans")
    for manager in ("nadia.manager", "hana.hos", "alex.assistant"):  # every level above
        assert {
            r["case_number"] for r in json.loads(await ok(capsys, "practice", "mine", "--json", "--as", manager))
        } == {n for n, _ in cases}
    for outsider in ("kofi.manager", "sam.reviewer", "qa.officer"):
        assert json.loads(await ok(capsys, "practice", "mine", "--json", "--as", outsider)) == []
    assert "Good (reviewer) -> Good (moderation, maya.moderator) -> Requires Improvement (dispute, quinn.hoqa)" in (
        await ok(capsys, "practice", "mine", "--as", practitioner)
    )
    await alter_document(database, paths[0], shown.replace("Plan workshop.", "No action needed."))
    assert await refused(capsys, "report", "show", CYCLE) == (
        f"{paths[0]} no longer matches the SHA-256 recorded in the audit log ("
        + json.loads(await ok(capsys, "cpr", "show", CYCLE, "--json"))["report"]["markdown_sha256"]
        + ")"
    )
    await stack.client.get_workflow_handle(plan).terminate()


async def test_the_qa_teams_work_is_chased_and_in_overdue_until_done(skipping_stack, capsys):
    """Allocating reviewers and moderators, each moderation and the findings report are duties: late, each is in
    `qa overdue` (and chased) until it is done."""
    await started_cycle(capsys, sample=2)
    cases = [
        (c["case_number"], c["practitioner"])
        for c in json.loads(await ok(capsys, "cpr", "show", CYCLE, "--json"))["cases"]
    ]

    async def overdue_keys() -> list[str]:
        return [d["key"] for d in json.loads(await ok(capsys, "overdue", "--json"))["duties"] if d["id"] == CYCLE]

    # Two working days after the start, nobody allocated: the QA officer's duty is overdue, and listed in words.
    await sleep_until(skipping_stack, datetime(YEAR, 11, 4, 12, tzinfo=LONDON))
    assert await overdue_keys() == ["allocate-reviewers"]
    assert (
        f"  {CYCLE}  CPR cycle: qa.officer was to allocate a reviewer to each child in the sample of the Children in"
        f" Need CPR cycle, due Wed 3 Nov {YEAR} 23:59 GMT; escalated to their line manager"
    ) in (await ok(capsys, "overdue")).splitlines()
    for case_number, _ in cases:
        await ok(capsys, "cpr", "allocate", CYCLE, case_number, "--reviewer", "sam.reviewer", "--as", "qa.officer")
    assert await overdue_keys() == []
    for case_number, practitioner in cases:
        await submit_by_cli(capsys, case_number, practitioner, "Good")
    await phase(capsys, CYCLE, "moderation")

    # The reviews closed on Thursday 4th: moderators are due by Monday 8th.
    await sleep_until(skipping_stack, datetime(YEAR, 11, 9, 12, tzinfo=LONDON))
    assert await overdue_keys() == ["allocate-moderators"]
    for case_number, _ in cases:
        await ok(
            capsys, "moderation", "allocate", CYCLE, case_number, "--moderator", "maya.moderator", "--as", "qa.officer"
        )
    assert await overdue_keys() == []

    # Each moderation has 10 working days: late, each is the moderator's overdue duty.
    await sleep_until(skipping_stack, datetime(YEAR, 11, 25, 12, tzinfo=LONDON))
    assert sorted(await overdue_keys()) == sorted(f"moderation-{case_number}" for case_number, _ in cases)
    for case_number, _ in cases:
        record = (
            "moderation",
            "record",
            CYCLE,
            case_number,
            "--grade",
            "Good",
            "--rationale",
            "r",
            "--sampled",
            "plan",
        )
        await ok(capsys, *record, "--as", "maya.moderator")
    await phase(capsys, CYCLE, "reporting")
    assert await overdue_keys() == []

    # The findings report, 10 working days after moderation ends: late, it is the QA officer's overdue duty.
    await sleep_until(skipping_stack, datetime(YEAR, 12, 13, 12, tzinfo=LONDON))
    assert await overdue_keys() == ["findings-report"]
    publish = ("report", "publish", CYCLE, "--key-findings", "k", "--strengths", "s", "--development", "d")
    await ok(capsys, *publish, "--recommendations", "r", "--voices", "v", "--as", "qa.officer")
    await phase(capsys, CYCLE, "complete")
    assert await overdue_keys() == []
    history = await ok(capsys, "audit", "history", CYCLE, "--as", "audrey.auditor")
    assert "findings-report overdue: qa.officer told" in history and "allocate-reviewers done" in history
