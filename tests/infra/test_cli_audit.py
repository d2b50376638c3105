"""`qa audit` in process, against a real PostgreSQL, Temporal dev server and worker.

An auditor takes a whole CPR cycle (one child's review, moderation, the findings
report) and, from the CLI alone, gets its history, its state at each moment (equal
to what the workflow's query said then), a clean verification against the engine's
own history, and an evidence bundle whose digests check. Every read is in the access
log; tampering with the log is caught; a non-deterministic code change is caught.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, date, datetime

import asyncpg
import pytest

from domain.audit_chain import event_hash
from domain.audit_views import NO_CHILD_NAMED
from domain.cpr_cycle import AllocateModerator, ModerateReview, PublishReport
from domain.review import (
    CompleteAction,
    GiveGrade,
    JudgeRubric,
    RecommendAction,
    RecordConclusion,
    RecordConversation,
    RecordReflection,
    RecordVoice,
    SubmitReview,
)
from domain.rubric import CRITERION_IDS, Evidence, Grade
from infra.store.audit_log import AuditLog
from tests.clock import today
from tests.infra.store.test_audit_log import tamper
from tests.infra.test_cli_cpr import (  # noqa: F401 - `stack` is a fixture
    CYCLE,
    START,
    YEAR,
    cycle_authority,
    example_authority,
    ok,
    qa,
    refused,
    stack,
)
from tests.workflows.conftest import eventually
from workflows.cpr_cycle import CprCycleWorkflow
from workflows.deadline import DeadlineWorkflow
from workflows.review import ReviewWorkflow

AUDITOR = ("--as", "audrey.auditor")


async def business_time(app_pool, stream_id: str, version: int) -> datetime:
    [event] = [e for e in await AuditLog(app_pool).read_stream(stream_id) if e.version == version]
    return event.business_time


async def replayed(capsys, item_id: str, *extra: str) -> dict:
    return json.loads(await ok(capsys, "audit", "replay", item_id, *extra, "--json", *AUDITOR))


async def reads(database) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(database.admin_url)
    try:
        return await conn.fetch("SELECT reader, item_id, command, allowed, detail FROM access_log ORDER BY access_id")
    finally:
        await conn.close()


async def test_an_auditor_gets_history_state_at_any_moment_verification_and_evidence(
    stack,  # noqa: F811 - the fixture
    capsys,
    database,
    app_pool,
    tmp_path,
):
    env = stack
    await cycle_authority(capsys)
    await ok(capsys, *START, "--sample", "1", "--as", "qa.officer")
    cycle = env.client.get_workflow_handle_for(CprCycleWorkflow.run, CYCLE)
    moments: list[tuple[str, datetime, dict]] = []  # (item, business time, what the workflow's query returned)

    async def capture(handle, query) -> None:
        state = await handle.query(query)
        moments.append((handle.id, await business_time(app_pool, handle.id, state.version), state))

    await capture(cycle, CprCycleWorkflow.state)
    case = (await cycle.query(CprCycleWorkflow.state)).cases[0]
    review_id = (
        await ok(
            capsys, "cpr", "allocate", CYCLE, case.case_number, "--reviewer", "sam.reviewer", *("--as", "qa.officer")
        )
    ).strip()
    await capture(cycle, CprCycleWorkflow.state)
    review = env.client.get_workflow_handle_for(ReviewWorkflow.run, review_id)
    await eventually(lambda: review.query(ReviewWorkflow.state))
    await capture(review, ReviewWorkflow.state)

    reviewer, practitioner = "sam.reviewer", case.practitioner
    steps = [
        (ReviewWorkflow.record_voice, RecordVoice(actor=reviewer, whose="child", summary="feels listened to")),
        (ReviewWorkflow.record_voice, RecordVoice(actor=reviewer, whose="family", summary="mum values the visits")),
        (
            ReviewWorkflow.reflect,
            RecordReflection(actor=practitioner, score=7, pleased_with="direct work", could_develop="chronology"),
        ),
        (ReviewWorkflow.record_conversation, RecordConversation(actor=reviewer, summary="agreed the plan")),
        (
            ReviewWorkflow.judge,
            JudgeRubric(actor=reviewer, judgements=dict.fromkeys(CRITERION_IDS, Evidence.some)),
        ),
        (ReviewWorkflow.grade, GiveGrade(actor=reviewer, grade=Grade.good, rationale="consistently good help")),
        (
            ReviewWorkflow.conclude,
            RecordConclusion(actor=reviewer, working_well="the child is seen alone", do_differently="timely plans"),
        ),
        (
            ReviewWorkflow.recommend_action,
            RecommendAction(actor=reviewer, action="bring the chronology up to date", due_by=date(YEAR, 12, 17)),
        ),
    ]
    for update, request in steps:
        await review.execute_update(update, request)
        await capture(review, ReviewWorkflow.state)

    # Without --as-of: the current state, which is what the running workflow's query returns.
    assert (await replayed(capsys, review_id))["state"] == (await review.query(ReviewWorkflow.state)).model_dump(
        mode="json"
    )
    assert (await replayed(capsys, CYCLE))["state"] == (await cycle.query(CprCycleWorkflow.state)).model_dump(
        mode="json"
    )

    # A performance issue raised from this review lives in its own stream, never in the review's.
    concern_id = (
        await ok(
            capsys,
            "concern",
            "raise",
            "--about",
            practitioner,
            "--concern",
            "visits repeatedly late",
            "--review",
            review_id,
            "--as",
            reviewer,
        )
    ).strip()

    await review.execute_update(ReviewWorkflow.submit, SubmitReview(actor=reviewer))
    await capture(review, ReviewWorkflow.state)

    async def moderation_started():
        s = await cycle.query(CprCycleWorkflow.state)
        return s if s.phase == "moderation" else None

    await eventually(moderation_started)
    await capture(cycle, CprCycleWorkflow.state)
    await review.execute_update(
        ReviewWorkflow.complete_action,
        CompleteAction(actor="nadia.manager", action_id="A1", oversight_note="reviewed in supervision"),
    )
    await review.result()
    await capture(review, ReviewWorkflow.state)
    await cycle.execute_update(
        CprCycleWorkflow.allocate_moderator,
        AllocateModerator(actor="qa.officer", case_number=case.case_number, moderator="maya.moderator"),
    )
    await capture(cycle, CprCycleWorkflow.state)
    await cycle.execute_update(
        CprCycleWorkflow.moderate,
        ModerateReview(
            actor="maya.moderator",
            case_number=case.case_number,
            grade=Grade.good,
            rationale="agreed",
            sampled="the plan",
        ),
    )

    async def reporting():
        s = await cycle.query(CprCycleWorkflow.state)
        return s if s.phase == "reporting" else None

    await eventually(reporting)
    await capture(cycle, CprCycleWorkflow.state)
    await cycle.execute_update(
        CprCycleWorkflow.publish_report,
        PublishReport(
            actor="qa.officer",
            key_findings="Plans lack timescales.",
            strengths="Children's voices are heard.",
            areas_for_development="Chronologies.",
            recommendations="A chronology workshop.",
            voices_summary="Children said their social worker listens.",
        ),
    )
    await cycle.result()
    await capture(cycle, CprCycleWorkflow.state)

    # The state at every captured moment, rebuilt from the audit log alone, is what the query returned then.
    assert len(moments) == 17
    for item_id, at, state in moments:
        replay = await replayed(capsys, item_id, "--as-of", at.isoformat())
        assert (replay["state"], replay["version"], replay["as_of"]) == (
            state.model_dump(mode="json"),
            state.version,
            at.isoformat(),
        ), (item_id, at)
    human = await ok(capsys, "audit", "replay", review_id, "--as-of", moments[3][1].isoformat(), *AUDITOR)
    assert human.splitlines()[0].startswith(f"{review_id}: review as it stood at ")
    assert "(business time), rebuilt from 4 of 16 events (to v4)" in human.splitlines()[0]
    assert "    summary: feels listened to" in human

    # Its history, in words.
    history = await ok(capsys, "audit", "history", review_id, *AUDITOR)
    lines = history.splitlines()
    assert lines[0].startswith(f"{review_id}: review, 16 events (Europe/London;")
    assert len(lines) == 17
    assert f"qa.officer: review of case {case.case_number} opened (Children in Need" in lines[1]
    assert lines[2].endswith(
        f"sam.reviewer is to complete the review of case {case.case_number} by {YEAR}-11-29 23:59:59 GMT"
    )
    assert lines[4].endswith("sam.reviewer: the child's voice recorded: feels listened to")
    assert lines[9].endswith("sam.reviewer: rubric evidence recorded for 26 criteria (26 some)")
    assert lines[11].endswith(
        "sam.reviewer: concluded: working well: the child is seen alone; could be done differently: timely plans"
    )
    assert lines[12].endswith(
        f"sam.reviewer: action A1 recommended, due by {YEAR}-12-17: bring the chronology up to date"
    )
    assert lines[14].endswith("sam.reviewer: review done")
    assert lines[15].endswith("nadia.manager: action A1 recorded complete: reviewed in supervision")
    assert lines[16].endswith("qa-engine: review closed: submitted and every action done")
    data = json.loads(await ok(capsys, "audit", "history", review_id, "--json", *AUDITOR))
    assert [e["version"] for e in data["events"]] == list(range(1, 17))
    assert {"business_time", "recorded_at", "actor", "what", "event_type", "payload"} <= data["events"][0].keys()
    cycle_history = await ok(capsys, "audit", "history", CYCLE, *AUDITOR)
    assert "findings report published: 1 Good; 1 of 1 moderations agreed" in cycle_history
    for text in (history, cycle_history, json.dumps(data)):
        assert "concern" not in text and "visits repeatedly late" not in text

    # Clean verification, chains and engine; the code replays the histories.
    verified = json.loads(await ok(capsys, "audit", "verify", "--json"))
    assert verified == {"ok": True, "streams": 5, "events": verified["events"], "breaks": []}
    assert (await ok(capsys, "audit", "verify", "--all")).splitlines() == [
        f"verified 5 items, {verified['events']} events: all chains intact",
        "cross-checked 3 workflows with Temporal's histories: every event matches",
    ]
    assert (await ok(capsys, "audit", "verify", review_id)).splitlines()[1] == (
        "cross-checked 1 workflow with Temporal's histories: every event matches"
    )
    for item_id in (review_id, CYCLE):
        assert "replay on the current workflow code: deterministic" in await ok(capsys, "audit", "determinism", item_id)

    # The evidence bundle.
    bundle = tmp_path / "evidence"
    out = await ok(capsys, "audit", "export", review_id, "--out", str(bundle), *AUDITOR)
    assert out.splitlines()[0] == f"{bundle}: evidence bundle for {review_id} (16 events)"
    manifest = json.loads((bundle / "manifest.json").read_text())
    assert sorted(manifest["files"]) == sorted(
        ["events.json", "temporal-history.json", "verification.json", "state.json", "summary.html"]
    )
    for name, digest in manifest["files"].items():
        assert hashlib.sha256((bundle / name).read_bytes()).hexdigest() == digest
    final_review = [state for item_id, _, state in moments if item_id == review_id][-1]
    assert json.loads((bundle / "state.json").read_text())["state"] == final_review.model_dump(mode="json")
    assert json.loads((bundle / "verification.json").read_text())["ok"] is True
    assert len(json.loads((bundle / "events.json").read_text())) == 16
    assert json.loads((bundle / "temporal-history.json").read_text())["workflow_id"] == review_id
    summary = (bundle / "summary.html").read_text()
    assert NO_CHILD_NAMED in summary and case.case_number in summary
    assert "concern" not in summary and not any("concern" in p.read_text() for p in bundle.iterdir())
    checked = await ok(capsys, "audit", "check-bundle", str(bundle))
    assert checked.startswith(f"{bundle}: intact evidence bundle for {review_id}: 5 files match their SHA-256;")
    assert (await refused(capsys, "audit", "export", review_id, "--out", str(bundle), *AUDITOR, code=2)).endswith(
        "is not an empty folder: export into a new one"
    )

    # An altered file, or one altered with its digest recomputed, or a missing manifest: one line, exit 1.
    state_file = bundle / "state.json"
    original = state_file.read_bytes()
    state_file.write_bytes(original.replace(b'"Good"', b'"Outstanding"'))
    assert (await refused(capsys, "audit", "check-bundle", str(bundle))).startswith(
        f"{bundle} is not an intact evidence bundle: state.json was altered: its SHA-256 is "
    )
    manifest["files"]["state.json"] = hashlib.sha256(state_file.read_bytes()).hexdigest()
    (bundle / "manifest.json").write_text(json.dumps(manifest))
    assert await refused(capsys, "audit", "check-bundle", str(bundle)) == (
        f"{bundle} is not an intact evidence bundle: state.json is not the state its events replay to"
    )
    (bundle / "manifest.json").unlink()
    assert await refused(capsys, "audit", "check-bundle", str(bundle)) == (
        f"{bundle} is not an intact evidence bundle: manifest.json cannot be read (FileNotFoundError)"
    )
    assert await refused(capsys, "audit", "check-bundle", str(tmp_path / "nowhere")) == (
        f"{tmp_path / 'nowhere'} is not an intact evidence bundle: no such folder"
    )

    # Bad ids and times: one line each.
    assert await refused(capsys, "audit", "history", "cpr-1999-no-such-item", *AUDITOR) == (
        "no audit record for 'cpr-1999-no-such-item'"
    )
    assert (await refused(capsys, "audit", "replay", review_id, "--as-of", "2100-01-01", *AUDITOR, code=2)).startswith(
        "2100-01-01 is in the future (it is now "
    )
    assert (
        await refused(capsys, "audit", "replay", review_id, "--as-of", "2020-01-01 09:00", *AUDITOR, code=2)
    ).startswith(f"{review_id} did not exist yet at 2020-01-01 09:00: its first event is at ")
    assert (
        await refused(capsys, "audit", "replay", review_id, "--as-of", "last tuesday", *AUDITOR, code=2)
    ).startswith("--as-of: 'last tuesday' is not a time")
    assert await refused(capsys, "audit", "determinism", "cpr-1999-no-such-item") == (
        "the engine holds no history for 'cpr-1999-no-such-item'"
    )
    assert await refused(capsys, "audit", "verify", "cpr-1999-no-such-item") == (
        "no audit record for 'cpr-1999-no-such-item'"
    )

    # Who may read: auditors, the QA team, the managers of the people the review names; nobody else.
    before = len(await reads(database))
    for reader in ("qa.officer", "quinn.hoqa", "nadia.manager", "hana.hos"):
        await ok(capsys, "audit", "history", review_id, "--as", reader)
    for reader in ("sam.reviewer", practitioner, "kofi.manager", "nobody.known"):
        line = await refused(capsys, "audit", "replay", review_id, "--as", reader)
        assert line.startswith("refused: ") and (reader in line)
    # The concern: only its manager, those above them, whoever raised it and auditors.
    await ok(capsys, "audit", "history", concern_id, "--as", "nadia.manager")
    await ok(capsys, "audit", "history", concern_id, *AUDITOR)
    assert (await refused(capsys, "audit", "history", concern_id, "--as", "qa.officer")) == (
        f"refused: {concern_id} is restricted: only the manager it was raised with, those above them,"
        " the person who raised it and auditors may read it"
    )
    await refused(capsys, "audit", "replay", concern_id, "--as", practitioner)

    logged = (await reads(database))[before:]
    assert [(r["reader"], r["item_id"], r["command"], r["allowed"]) for r in logged] == [
        ("qa.officer", review_id, "history", True),
        ("quinn.hoqa", review_id, "history", True),
        ("nadia.manager", review_id, "history", True),
        ("hana.hos", review_id, "history", True),
        ("sam.reviewer", review_id, "replay", False),
        (practitioner, review_id, "replay", False),
        ("kofi.manager", review_id, "replay", False),
        ("nobody.known", review_id, "replay", False),
        ("nadia.manager", concern_id, "history", True),
        ("audrey.auditor", concern_id, "history", True),
        ("qa.officer", concern_id, "history", False),
        (practitioner, concern_id, "replay", False),
    ]
    # Every read before those was recorded too, each with what was asked.
    everything = await reads(database)
    # (each moment, the two current states, the human one, and the two refused moments: read, then refused)
    assert sum(1 for r in everything if r["command"] == "replay" and r["allowed"]) == len(moments) + 2 + 1 + 2
    assert any(r["command"] == "export" and r["detail"] == f"to {bundle}" for r in everything)
    assert any(r["command"] == "replay" and r["detail"] == "current state" for r in everything)
    shown = json.loads(await ok(capsys, "audit", "access-log", concern_id, "--json", *AUDITOR))
    assert [(e["reader"], e["command"], e["allowed"]) for e in shown] == [
        ("nadia.manager", "history", True),
        ("audrey.auditor", "history", True),
        ("qa.officer", "history", False),
        (practitioner, "replay", False),
        ("audrey.auditor", "access-log", True),  # reading the access log is a read too
    ]
    assert (await refused(capsys, "audit", "access-log", "--as", "qa.officer")).startswith("refused: qa.officer is not")
    conn = await asyncpg.connect(database.app_url)
    try:
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute("UPDATE access_log SET allowed = true")
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute("DELETE FROM access_log")
    finally:
        await conn.close()


# --- tampering, and the engine's own history ---------------------------------------------------


async def finished_deadline(env) -> str:
    """A deadline set, extended three times and met: five events, v1 to v5."""
    from domain.deadline import CompleteDeadline, ExtendDeadline
    from workflows.deadline import DeadlineInput

    handle = await env.client.start_workflow(
        DeadlineWorkflow.run,
        DeadlineInput(
            title="CPR review 1234567",
            owner="sam.reviewer",
            start=today(),  # the dev server's clock: its 20 working days do not pass during the test
            working_days=20,
            set_by="qa.officer",
        ),
        id="deadline-audited",
        task_queue=(await _task_queue()),
    )
    await eventually(lambda: handle.query(DeadlineWorkflow.state))
    for reason in ("family unavailable", "reviewer ill", "records late"):
        await handle.execute_update(
            DeadlineWorkflow.extend, ExtendDeadline(actor="qa.officer", extra_working_days=1, reason=reason)
        )
    await handle.execute_update(DeadlineWorkflow.complete, CompleteDeadline(actor="sam.reviewer", note="uploaded"))
    await handle.result()
    return handle.id


async def _task_queue() -> str:
    from infra.settings import Settings

    return Settings.from_env().task_queue


async def verify_breaks(capsys, stream: str) -> set[tuple[str, int]]:
    code, out, err = await qa(capsys, "audit", "verify", stream, "--json")
    data = json.loads(out)
    assert (code, err, data["ok"]) == (1 if data["breaks"] else 0, "", not data["breaks"]), (code, err)
    return {(b["kind"], b["version"]) for b in data["breaks"]}


async def test_every_tamper_case_is_caught_and_the_engine_cross_check_sees_what_the_chain_cannot(
    stack,  # noqa: F811 - the fixture
    capsys,
    database,
    monkeypatch,
    tmp_path,
):
    await example_authority(capsys)
    stream = await finished_deadline(stack)
    admin = await asyncpg.connect(database.admin_url)
    try:
        saved = await admin.fetch("SELECT * FROM audit_events WHERE stream_id = $1 ORDER BY version", stream)
        head = await admin.fetchrow("SELECT version, hash FROM audit_streams WHERE stream_id = $1", stream)
        assert [r["event_type"] for r in saved] == ["deadline.set", *["deadline.extended"] * 3, "deadline.met"]
        assert all(r["request_id"] for r in saved[1:4])  # the extensions were people's requests
        assert await verify_breaks(capsys, stream) == set()

        async def restore() -> None:
            async with admin.transaction():
                await admin.execute("SET LOCAL session_replication_role = replica")
                await admin.execute("DELETE FROM audit_events WHERE stream_id IN ($1, 'deadline-invented')", stream)
                await admin.execute("DELETE FROM audit_streams WHERE stream_id = 'deadline-invented'")
                await admin.executemany(
                    "INSERT INTO audit_events (position, stream_id, version, event_id, event_type, actor, business_time,"
                    " recorded_at, payload, prev_hash, hash, request_id) OVERRIDING SYSTEM VALUE"
                    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
                    [tuple(r.values()) for r in saved],
                )
                await admin.execute(
                    "UPDATE audit_streams SET version = $2, hash = $3 WHERE stream_id = $1", stream, *head.values()
                )

        def row(version: int) -> asyncpg.Record:
            return saved[version - 1]

        where = f"stream_id = '{stream}'"
        cases: list[tuple[str, list[str], str, set[tuple[str, int]]]] = [
            (
                "an altered payload",
                [f"""UPDATE audit_events SET payload = '{{"reason":"softened"}}' WHERE {where} AND version = 3"""],
                stream,
                {("altered", 3), ("differs_from_engine", 3)},
            ),
            (
                "an altered recorded time",
                [
                    f"UPDATE audit_events SET recorded_at = recorded_at - interval '2 days' WHERE {where} AND version = 2"
                ],
                stream,
                {("altered", 2)},
            ),
            (
                "an altered actor",
                [f"UPDATE audit_events SET actor = 'someone.else' WHERE {where} AND version = 2"],
                stream,
                {("altered", 2), ("differs_from_engine", 2)},
            ),
            (
                "another request id",
                [f"UPDATE audit_events SET request_id = 'someone-elses' WHERE {where} AND version = 2"],
                stream,
                {("altered", 2), ("differs_from_engine", 2)},
            ),
            (
                "a request id removed",
                [f"UPDATE audit_events SET request_id = NULL WHERE {where} AND version = 3"],
                stream,
                {("altered", 3), ("differs_from_engine", 3)},
            ),
            (
                "a deleted event",
                [f"DELETE FROM audit_events WHERE {where} AND version = 4"],
                stream,
                {("missing", 5), ("missing_from_log", 4)},
            ),
            (
                "reordered events",
                [
                    f"UPDATE audit_events SET version = version + 1000 WHERE {where} AND version IN (2, 3)",
                    f"UPDATE audit_events SET version = CASE version WHEN 1002 THEN 3 ELSE 2 END WHERE {where} AND version > 1000",
                ],
                stream,
                {("altered", 2), ("differs_from_engine", 2), ("differs_from_engine", 3)},
            ),
            (
                "an event appended behind the log's back",
                [
                    "INSERT INTO audit_events (stream_id, version, event_id, event_type, actor, business_time, payload,"
                    " prev_hash, hash) SELECT stream_id, 6, gen_random_uuid(), event_type, actor, business_time, payload,"
                    f" hash, hash FROM audit_events WHERE {where} AND version = 5"
                ],
                stream,
                {("beyond_head", 6), ("not_in_engine", 6)},
            ),
            (
                "the newest events removed",
                [f"DELETE FROM audit_events WHERE {where} AND version >= 4"],
                stream,
                {("truncated", 4), ("missing_from_log", 4), ("missing_from_log", 5)},
            ),
            (
                "a stream emptied",
                [f"DELETE FROM audit_events WHERE {where}"],
                stream,
                {("truncated", 1), *(("missing_from_log", v) for v in range(1, 6))},
            ),
            (
                "a stream forged without a head",
                [
                    "INSERT INTO audit_events (stream_id, version, event_id, event_type, actor, business_time, payload,"
                    " prev_hash, hash) SELECT 'deadline-invented', 1, gen_random_uuid(), event_type, actor,"
                    f" business_time, payload, prev_hash, hash FROM audit_events WHERE {where} AND version = 1"
                ],
                "deadline-invented",
                {("no_head", 1), ("no_engine_history", 1)},
            ),
        ]
        for name, statements, target, expected in cases:
            await tamper(admin, *statements)
            assert await verify_breaks(capsys, target) == expected, name
            await restore()
            assert await verify_breaks(capsys, stream) == set(), name

        # A forger who recomputes a forged event's hash in place of v3 cannot fix its successor's link...
        text = '{"reason":"forged"}'
        v3 = row(3)
        digest = event_hash(
            prev_hash=bytes(v3["prev_hash"]),
            stream_id=stream,
            version=3,
            event_id=v3["event_id"],
            event_type=v3["event_type"],
            actor=v3["actor"],
            business_time=v3["business_time"],
            recorded_at=v3["recorded_at"],
            payload_text=text,
            request_id=v3["request_id"],
        )
        await tamper(
            admin,
            f"UPDATE audit_events SET payload = '{text}', hash = '\\x{digest.hex()}' WHERE {where} AND version = 3",
        )
        assert await verify_breaks(capsys, stream) == {("broken_link", 4), ("differs_from_engine", 3)}
        await restore()

        # ... but one who rewrites the whole chain and its head deceives the chain check. Not the engine's history:
        # an event forged into the log,
        now = datetime.now(UTC)
        v5 = row(5)
        forged_id, forged_text = uuid.uuid4(), '{"note":"forged after the fact"}'
        forged_hash = event_hash(
            prev_hash=bytes(v5["hash"]),
            stream_id=stream,
            version=6,
            event_id=forged_id,
            event_type="deadline.met",
            actor="sam.reviewer",
            business_time=v5["business_time"],
            recorded_at=now,
            payload_text=forged_text,
        )
        async with admin.transaction():
            await admin.execute("SET LOCAL session_replication_role = replica")
            await admin.execute(
                "INSERT INTO audit_events (stream_id, version, event_id, event_type, actor, business_time, recorded_at,"
                " payload, prev_hash, hash) VALUES ($1, 6, $2, 'deadline.met', 'sam.reviewer', $3, $4, $5, $6, $7)",
                stream,
                forged_id,
                v5["business_time"],
                now,
                forged_text,
                bytes(v5["hash"]),
                forged_hash,
            )
            await admin.execute(
                "UPDATE audit_streams SET version = 6, hash = $2 WHERE stream_id = $1", stream, forged_hash
            )
        assert await verify_breaks(capsys, stream) == {("not_in_engine", 6)}
        code, out, _ = await qa(capsys, "audit", "verify", "--chains-only")
        assert code == 0 and out.endswith("all chains intact\n")
        # An evidence bundle of it records the problem (and exits 1); the bundle itself is intact.
        bundle = tmp_path / "forged"
        code, out, err = await qa(capsys, "audit", "export", stream, "--out", str(bundle), *AUDITOR)
        assert (code, err) == (1, f"qa: {stream} did not verify: see {bundle / 'verification.json'}\n")
        recorded = json.loads((bundle / "verification.json").read_text())
        assert (recorded["chain"]["ok"], [d["kind"] for d in recorded["engine"]["differences"]]) == (
            True,
            ["not_in_engine"],
        )
        assert "not_in_engine" in (bundle / "summary.html").read_text()
        checked = await ok(capsys, "audit", "check-bundle", str(bundle))
        assert "verification it records: PROBLEMS FOUND (see verification.json)" in checked
        await restore()

        # and an event removed from the log, with the head moved back onto the one before it.
        await tamper(
            admin,
            f"DELETE FROM audit_events WHERE {where} AND version = 5",
            f"UPDATE audit_streams SET version = 4, hash = '\\x{bytes(row(4)['hash']).hex()}' WHERE {where}",
        )
        assert await verify_breaks(capsys, stream) == {("missing_from_log", 5)}
        code, out, _ = await qa(capsys, "audit", "verify")
        assert code == 1 and f"DIFFERS {stream} v5: missing_from_log: the workflow recorded deadline.met" in out
        await restore()
        assert await verify_breaks(capsys, stream) == set()
    finally:
        await admin.close()

    # The engine's history replays on today's code; a deliberately non-deterministic change is caught.
    import workflows.registry
    from tests.workflows.nondeterministic import ACTIVITY, changed

    assert (await ok(capsys, "audit", "determinism", stream)) == (
        f"{stream}: its {len((await stack.client.get_workflow_handle(stream).fetch_history()).events)} history events"
        " replay on the current workflow code: deterministic\n"
    )
    timer_first = changed("Deadline", ACTIVITY)  # a timer in front of the deadline's first activity
    monkeypatch.setattr(
        workflows.registry,
        "WORKFLOWS",
        [timer_first if w is DeadlineWorkflow else w for w in workflows.registry.WORKFLOWS],
    )
    line = await refused(capsys, "audit", "determinism", stream)
    assert line.startswith(f"{stream} is NOT deterministic on the current workflow code: "), line
    # The changed code's timer meets the history's first recorded command, the directory check's patch marker.
    assert line.endswith(
        "Nondeterminism error: Non-deprecated patch marker encountered for change deadline-people-in-directory,"
        " but there is no corresponding change command!"
    ), line
