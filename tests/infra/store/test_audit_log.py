"""The audit log against a real PostgreSQL: idempotent appends, refusals, and every tamper case."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta, timezone

import asyncpg
import pytest

from domain.audit_chain import ChainBreak, canonical_json, event_hash
from domain.events import DomainEvent, NewEvent
from infra.store.audit_log import AuditConflict, AuditLog

T0 = datetime(2027, 3, 22, 9, 0, tzinfo=UTC)


def events(stream: str, first: int, count: int, *, tag: str = "") -> list[NewEvent]:
    return [
        NewEvent(
            stream_id=stream,
            version=v,
            event_id=uuid.uuid5(uuid.NAMESPACE_URL, f"{stream}/{v}/{tag}"),
            event_type="test.happened",
            actor="qa.officer",
            business_time=T0 + timedelta(minutes=v),
            payload={"n": v, "text": f"step {v} {tag}", "nested": {"b": [1, 2], "a": "é"}},
        )
        for v in range(first, first + count)
    ]


async def count(conn: asyncpg.Connection, stream: str) -> int:
    return await conn.fetchval("SELECT count(*) FROM audit_events WHERE stream_id = $1", stream)


async def test_append_read_and_verify(app_pool, admin_conn):
    log = AuditLog(app_pool)
    outcome = await log.append(events("review-1", 1, 3))
    assert (outcome.appended, outcome.already_recorded) == (3, 0)
    await log.append(events("review-1", 4, 2))

    stored = await log.read_stream("review-1")
    assert [e.version for e in stored] == [1, 2, 3, 4, 5]
    assert stored[0].payload == {"n": 1, "text": "step 1 ", "nested": {"b": [1, 2], "a": "é"}}
    assert stored[0].prev_hash == "00" * 32
    assert all(b.prev_hash == a.hash for a, b in zip(stored, stored[1:], strict=False))
    # the recorded time is the database's, not the caller's business time
    assert all(e.recorded_at != e.business_time for e in stored)
    assert stored[3].recorded_at >= stored[2].recorded_at

    [report] = await log.verify()
    assert report.ok and report.events == 5
    head = await admin_conn.fetchrow("SELECT version, hash FROM audit_streams WHERE stream_id = 'review-1'")
    assert head["version"] == 5 and bytes(head["hash"]).hex() == stored[-1].hash


async def test_repeated_append_is_a_no_op(app_pool, admin_conn):
    log = AuditLog(app_pool)
    batch = events("review-2", 1, 4)
    await log.append(batch)
    again = await log.append(batch)
    assert (again.appended, again.already_recorded) == (0, 4)
    # a retry that overlaps what is stored appends only the new tail
    overlap = await log.append(events("review-2", 3, 4))
    assert (overlap.appended, overlap.already_recorded) == (2, 2)
    assert await count(admin_conn, "review-2") == 6
    assert all(r.ok for r in await log.verify())


async def test_different_event_at_a_stored_version_is_a_conflict(app_pool, admin_conn):
    log = AuditLog(app_pool)
    await log.append(events("review-3", 1, 2))
    with pytest.raises(AuditConflict, match="different event at version 2"):
        await log.append(events("review-3", 2, 2, tag="other"))
    assert await count(admin_conn, "review-3") == 2


async def test_the_very_same_event_appended_again_is_recorded_once(app_pool, admin_conn):
    log = AuditLog(app_pool)
    await log.append(events("review-12", 1, 2))
    before = await log.read_stream("review-12")
    [stored] = events("review-12", 2, 1)
    # The same event as a retry may rebuild it: its payload's keys in another order, its business time
    # the same moment at another offset. Both are what was hashed, so both are the event already recorded.
    retry = stored.model_copy(
        update={
            "payload": dict(reversed(stored.payload.items())),
            "business_time": stored.business_time.astimezone(timezone(timedelta(hours=-5))),
        }
    )
    for again in (stored, retry):
        outcome = await log.append([again])
        assert (outcome.appended, outcome.already_recorded) == (0, 1)
    assert await log.read_stream("review-12") == before
    assert await count(admin_conn, "review-12") == 2
    [report] = await log.verify("review-12")
    assert report.ok and report.events == 2


@pytest.mark.parametrize(
    "change",
    [
        {"payload": {"n": 2, "text": "step 2 amended"}},
        {"actor": "someone.else"},
        {"business_time": T0 + timedelta(minutes=2, microseconds=1)},
    ],
    ids=["payload", "actor", "business_time"],
)
async def test_a_retry_with_the_same_event_id_and_type_but_other_content_is_a_conflict(app_pool, admin_conn, change):
    """An event id and type are not the event: a retry carrying another payload, actor or business time
    would leave the log holding something other than what the workflow now believes it recorded."""
    log = AuditLog(app_pool)
    await log.append(events("review-13", 1, 2))
    before = await log.read_stream("review-13")
    [stored] = events("review-13", 2, 1)
    altered = stored.model_copy(update=change)
    assert (altered.event_id, altered.event_type) == (stored.event_id, stored.event_type)
    # with a fresh event after it, which must not be appended either
    with pytest.raises(AuditConflict, match="already holds a different event at version 2"):
        await log.append([altered, *events("review-13", 3, 1)])
    assert await log.read_stream("review-13") == before
    [report] = await log.verify("review-13")
    assert report.ok and report.events == 2


async def test_gap_and_non_consecutive_versions_are_refused(app_pool, admin_conn):
    log = AuditLog(app_pool)
    await log.append(events("review-4", 1, 1))
    with pytest.raises(AuditConflict, match="is at version 1; cannot append version 3"):
        await log.append(events("review-4", 3, 1))
    with pytest.raises(AuditConflict, match="consecutive"):
        await log.append([*events("review-4", 2, 1), *events("review-4", 4, 1)])
    assert await count(admin_conn, "review-4") == 1


async def test_an_event_id_reused_in_another_stream_is_refused_atomically(app_pool, admin_conn):
    log = AuditLog(app_pool)
    [first] = events("review-5", 1, 1)
    await log.append([first])
    clash = first.model_copy(update={"stream_id": "review-6"})
    with pytest.raises(AuditConflict, match="already recorded elsewhere"):
        await log.append([*events("review-7", 1, 1), clash])
    # the whole batch rolled back, including the other stream's event
    assert await count(admin_conn, "review-7") == 0


async def test_verify_leaves_its_connection_reading_datetimes(database, monkeypatch):
    """Verification reads the times as stored on the connection it borrows; whatever happens, the next user
    of that connection gets datetimes again."""
    pool = await asyncpg.create_pool(database.app_url, min_size=1, max_size=1)
    try:
        log = AuditLog(pool)
        await log.append(events("review-11", 1, 2))
        assert all(r.ok for r in await log.verify())
        assert [e.business_time for e in await log.read_stream("review-11")] == [
            T0 + timedelta(minutes=1),
            T0 + timedelta(minutes=2),
        ]

        def failing(*args):
            raise RuntimeError("verification failed half way")

        monkeypatch.setattr("infra.store.audit_log.check_stream", failing)
        with pytest.raises(RuntimeError, match="half way"):
            await log.verify()
        assert await pool.fetchval("SELECT business_time FROM audit_events WHERE version = 1") == T0 + timedelta(
            minutes=1
        )
    finally:
        await pool.close()


async def test_concurrent_appends_to_one_stream_never_fork_it(app_pool):
    log = AuditLog(app_pool)
    results = await asyncio.gather(
        log.append(events("review-8", 1, 3, tag="a")),
        log.append(events("review-8", 1, 3, tag="b")),
        return_exceptions=True,
    )
    assert sum(isinstance(r, AuditConflict) for r in results) == 1
    [report] = await log.verify("review-8")
    assert report.ok and report.events == 3


async def test_streams_append_side_by_side(app_pool):
    log = AuditLog(app_pool)
    await asyncio.gather(*(log.append(events(f"cycle-{i}", 1, 20)) for i in range(4)))
    reports = await log.verify()
    assert [(r.stream_id, r.events, r.ok) for r in reports] == [(f"cycle-{i}", 20, True) for i in range(4)]


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_events SET actor = 'someone else'",
        "DELETE FROM audit_events",
        "TRUNCATE audit_events",
        "DELETE FROM audit_streams",
        "TRUNCATE audit_streams",
        "UPDATE audit_streams SET version = 1",
    ],
)
async def test_the_database_refuses_rewrites_even_to_the_owner(app_pool, admin_conn, statement):
    await AuditLog(app_pool).append(events("review-9", 1, 3))
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await admin_conn.execute(statement)
    assert await count(admin_conn, "review-9") == 3


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_events SET actor = 'someone else'",
        "DELETE FROM audit_events",
        "TRUNCATE audit_events",
        "INSERT INTO audit_events (stream_id, version, event_id, event_type, actor, business_time, payload,"
        " prev_hash, hash, recorded_at) SELECT stream_id, 9, gen_random_uuid(), event_type, actor, business_time,"
        " payload, prev_hash, hash, now() - interval '1 year' FROM audit_events LIMIT 1",
    ],
)
async def test_the_application_role_may_only_read_and_append(app_pool, database, statement):
    await AuditLog(app_pool).append(events("review-10", 1, 2))
    conn = await asyncpg.connect(database.app_url)
    try:
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="permission denied"):
            await conn.execute(statement)
    finally:
        await conn.close()


# Tampering needs someone who can switch the triggers off: a superuser. verify must see it.


async def tamper(conn: asyncpg.Connection, *statements: str) -> None:
    """As a superuser with the triggers off: the only way anything in the log can change."""
    async with conn.transaction():
        await conn.execute("SET LOCAL session_replication_role = replica")
        for statement in statements:
            await conn.execute(statement)


async def break_of(log: AuditLog, stream: str):
    [report] = [r for r in await log.verify() if r.stream_id == stream]
    return report.first_break


@pytest.fixture
async def chained(app_pool):
    log = AuditLog(app_pool)
    await log.append(events("target", 1, 6))
    await log.append(events("bystander", 1, 3))
    yield log
    # tampering one stream never taints another
    assert await break_of(log, "bystander") is None


async def test_verify_finds_an_altered_payload(chained, admin_conn):
    await tamper(
        admin_conn,
        """UPDATE audit_events SET payload = '{"n":3,"text":"softened"}' WHERE stream_id='target' AND version=3""",
    )
    brk = await break_of(chained, "target")
    assert (brk.kind, brk.version) == ("altered", 3)


async def test_verify_finds_an_altered_actor_or_time(chained, admin_conn):
    await tamper(
        admin_conn,
        "UPDATE audit_events SET recorded_at = recorded_at - interval '2 days' WHERE stream_id='target' AND version=2",
    )
    brk = await break_of(chained, "target")
    assert (brk.kind, brk.version) == ("altered", 2)


async def test_verify_finds_a_deleted_event(chained, admin_conn):
    await tamper(admin_conn, "DELETE FROM audit_events WHERE stream_id='target' AND version=4")
    brk = await break_of(chained, "target")
    assert (brk.kind, brk.version) == ("missing", 5)


async def test_verify_finds_reordered_events(chained, admin_conn):
    await tamper(
        admin_conn,
        "UPDATE audit_events SET version = version + 1000 WHERE stream_id='target' AND version IN (2, 3)",
        "UPDATE audit_events SET version = CASE version WHEN 1002 THEN 3 ELSE 2 END WHERE stream_id='target' AND version > 1000",
    )
    brk = await break_of(chained, "target")
    assert (brk.kind, brk.version) == ("altered", 2)


async def forged_event(admin_conn, version: int, payload: dict) -> tuple[asyncpg.Record, str, bytes]:
    """The stored row at `version` of 'target', another payload's text, and the hash a forger would
    give it: correct for the row's own fields and its link to the event before."""
    row = await admin_conn.fetchrow("SELECT * FROM audit_events WHERE stream_id='target' AND version=$1", version)
    text = canonical_json(payload)
    fields = ("event_id", "event_type", "actor", "business_time", "recorded_at")
    forged = event_hash(
        prev_hash=bytes(row["prev_hash"]),
        stream_id="target",
        version=version,
        payload_text=text,
        **{name: row[name] for name in fields},
    )
    return row, text, forged


async def test_verify_finds_a_forged_insert_in_place_of_an_event(chained, admin_conn):
    # The forger recomputes the forged event's own hash correctly, but cannot fix its successors.
    row, text, forged = await forged_event(admin_conn, 3, {"n": 3, "text": "forged"})
    await tamper(
        admin_conn,
        "DELETE FROM audit_events WHERE stream_id='target' AND version=3",
        f"""INSERT INTO audit_events (stream_id, version, event_id, event_type, actor, business_time, recorded_at,
            payload, prev_hash, hash) VALUES ('target', 3, '{row["event_id"]}', '{row["event_type"]}', '{row["actor"]}',
            '{row["business_time"].isoformat()}', '{row["recorded_at"].isoformat()}', '{text}',
            '\\x{bytes(row["prev_hash"]).hex()}', '\\x{forged.hex()}')""",
    )
    brk = await break_of(chained, "target")
    assert (brk.kind, brk.version) == ("broken_link", 4)


async def test_verify_finds_the_newest_event_rewritten_with_a_consistent_hash(chained, admin_conn):
    # The forger rewrites v6 and recomputes its hash from v5's: every event verifies on its own and links
    # to the one before. Only the head, left as the log kept it, still holds the hash of what was recorded.
    row, text, forged = await forged_event(admin_conn, 6, {"n": 6, "text": "rewritten"})
    await tamper(
        admin_conn,
        f"""UPDATE audit_events SET payload = '{text}', hash = '\\x{forged.hex()}'
            WHERE stream_id='target' AND version=6""",
    )
    head = await admin_conn.fetchrow("SELECT version, hash FROM audit_streams WHERE stream_id='target'")
    assert head["version"] == 6 and bytes(head["hash"]) == bytes(row["hash"]) != forged
    assert await break_of(chained, "target") == ChainBreak(
        "target", 6, "broken_link", "the head's hash does not match the last event"
    )


async def test_verify_finds_an_event_appended_behind_the_logs_back(chained, admin_conn):
    await tamper(
        admin_conn,
        """INSERT INTO audit_events (stream_id, version, event_id, event_type, actor, business_time, payload,
           prev_hash, hash) SELECT stream_id, 7, gen_random_uuid(), event_type, actor, business_time, payload,
           hash, hash FROM audit_events WHERE stream_id='target' AND version=6""",
    )
    brk = await break_of(chained, "target")
    assert (brk.kind, brk.version) == ("beyond_head", 7)


async def test_verify_finds_removed_newest_events(chained, admin_conn):
    await tamper(admin_conn, "DELETE FROM audit_events WHERE stream_id='target' AND version >= 5")
    brk = await break_of(chained, "target")
    assert (brk.kind, brk.version) == ("truncated", 5)


async def test_verify_finds_a_stream_emptied_entirely(chained, admin_conn):
    await tamper(admin_conn, "DELETE FROM audit_events WHERE stream_id='target'")
    brk = await break_of(chained, "target")
    assert (brk.kind, brk.version) == ("truncated", 1)


async def test_verify_finds_a_stream_forged_without_a_head(chained, admin_conn):
    await tamper(
        admin_conn,
        """INSERT INTO audit_events (stream_id, version, event_id, event_type, actor, business_time, payload,
           prev_hash, hash) SELECT 'invented', 1, gen_random_uuid(), event_type, actor, business_time, payload,
           prev_hash, hash FROM audit_events WHERE stream_id='target' AND version=1""",
    )
    brk = await break_of(chained, "invented")
    assert (brk.kind, brk.version) == ("no_head", 1)


class Imported(DomainEvent):
    event_type = "test.imported"
    rows: int


async def test_append_next_commits_with_the_callers_change_or_not_at_all(app_pool, admin_conn):
    log = AuditLog(app_pool)
    async with app_pool.acquire() as conn:
        async with conn.transaction():
            assert await log.append_next(conn, "directory", "qa.officer", T0, [Imported(rows=3)]) == 1
            assert await log.append_next(conn, "directory", "qa.officer", T0, [Imported(rows=4), Imported(rows=5)]) == 3
        with pytest.raises(RuntimeError, match="the caller's change failed"):
            async with conn.transaction():
                await log.append_next(conn, "directory", "qa.officer", T0, [Imported(rows=6)])
                raise RuntimeError("the caller's change failed")
    stored = await log.read_stream("directory")
    assert [e.payload["rows"] for e in stored] == [3, 4, 5]
    assert all(r.ok for r in await log.verify())


async def test_the_streams_opened_about_an_item_are_found_by_their_event_oldest_first(app_pool):
    # How a review's disputes are found after the review has closed: by the event that opened each.
    log = AuditLog(app_pool)
    for stream, text in (("dispute-2", "step 1 about"), ("other-1", "step 1 elsewhere"), ("dispute-1", "step 1 about")):
        await log.append(events(stream, 1, 2, tag=text.removeprefix("step 1 ")))
    assert await log.streams_opened_with("test.happened", "text", "step 1 about") == ["dispute-2", "dispute-1"]
    assert await log.streams_opened_with("test.happened", "text", "step 2 about") == ["dispute-2", "dispute-1"]
    assert await log.streams_opened_with("test.other", "text", "step 1 about") == []
    assert await log.streams_opened_with("test.happened", "n", "1") == ["dispute-2", "other-1", "dispute-1"]
