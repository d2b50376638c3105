"""The audit log's benchmarks: appends (batched, concurrent, durable), verification and replay."""

from __future__ import annotations

import asyncio
import gc
import json
import os
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import asyncpg

from activities.recording import AppendEvents, AuditActivities
from bench.common import Figure, Postgres, median, plain_table, runs
from domain.events import NewEvent
from infra.embedded import ScratchDatabase
from infra.store.audit_log import AuditLog

BUSINESS_TIME = datetime(2027, 11, 1, 9, 30, tzinfo=UTC)
_PLAIN_INSERT = (
    "INSERT INTO {table} (stream_id, version, event_id, event_type, actor, business_time, payload, prev_hash, hash)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
)


def payload(n: int) -> dict:
    """A payload the size of a typical review event's (a few hundred bytes)."""
    return {
        "case_number": f"LCS-{100000 + n % 90000}",
        "whose": "child" if n % 2 else "family",
        "obtained": True,
        "summary": f"visit {n}: the child said they feel listened to and want to stay at their school",
        "recipients": ["sam.reviewer", "priya.practitioner"],
        "score": n % 11,
    }


def events(stream_id: str, count: int, first_version: int = 1) -> list[NewEvent]:
    return [
        NewEvent(
            stream_id=stream_id,
            version=first_version + i,
            event_id=uuid.uuid4(),
            event_type="review.voice_recorded",
            actor="sam.reviewer",
            business_time=BUSINESS_TIME + timedelta(seconds=i),
            payload=payload(i),
        )
        for i in range(count)
    ]


def plain_rows(batch: Sequence[NewEvent]) -> list[tuple]:
    """The same rows, for the unchained table: fresh ids, arbitrary hashes."""
    return [
        (
            e.stream_id,
            e.version,
            uuid.uuid4(),
            e.event_type,
            e.actor,
            e.business_time,
            json.dumps(e.payload, sort_keys=True, separators=(",", ":")),
            os.urandom(32),
            os.urandom(32),
        )
        for e in batch
    ]


def batches(stream_ids: list[str], per_stream: int, batch: int) -> list[list[NewEvent]]:
    out = []
    for sid in stream_ids:
        evs = events(sid, per_stream)
        out.extend(evs[i : i + batch] for i in range(0, per_stream, batch))
    return out


async def _pools(db: ScratchDatabase, size: int = 4) -> asyncpg.Pool:
    pool = await asyncpg.create_pool(db.app_url, min_size=size, max_size=size)
    assert pool is not None
    return pool


# --- append_batch --------------------------------------------------------------------------------

BATCH_EVENTS = 20_000
BATCH_SIZE = 100
BATCH_STREAMS = 20


async def append_batch(pg: Postgres) -> list[Figure]:
    """20,000 events in batches of 100 (20 streams of 1,000) through AuditLog.append, vs executemany."""
    chained, plain = [], []
    async with pg.database() as db:
        table = await plain_table(db)
        pool = await _pools(db, 1)
        log = AuditLog(pool)
        try:
            for run in runs():
                tag = uuid.uuid4().hex[:8]
                work = batches(
                    [f"batch-{tag}-{s}" for s in range(BATCH_STREAMS)], BATCH_EVENTS // BATCH_STREAMS, BATCH_SIZE
                )
                rows = [plain_rows(b) for b in work]
                insert = _PLAIN_INSERT.format(table=table)

                async def baseline(rows: list[list[tuple]] = rows, insert: str = insert) -> None:
                    async with pool.acquire() as conn:
                        for batch in rows:
                            async with conn.transaction():
                                await conn.executemany(insert, batch)

                async def real(work: list[list[NewEvent]] = work) -> None:
                    for batch in work:
                        await log.append(batch)

                # Alternate which side goes first, so neither always meets a warmer cache.
                order = [(baseline, plain), (real, chained)]
                for action, out in order if run % 2 == 0 else reversed(order):
                    start = time.perf_counter()
                    await action()
                    out.append(BATCH_EVENTS / (time.perf_counter() - start))
        finally:
            await pool.close()
    return [
        Figure(
            "append_batch",
            median(chained),
            median(plain),
            "events/s",
            0.65,
            "higher",
            f"{BATCH_EVENTS:,} events, batches of {BATCH_SIZE}; baseline: executemany into an unchained table",
        )
    ]


# --- append_concurrent ---------------------------------------------------------------------------

CONCURRENT_EVENTS = 4_000
CONCURRENT_BATCH = 10


async def append_concurrent(pg: Postgres) -> list[Figure]:
    """4 writers on 4 streams vs 1 writer, the same total of events in appends of 10, each its own transaction."""
    four, one = [], []
    async with pg.database() as db:
        pool = await _pools(db, 4)
        log = AuditLog(pool)
        try:
            for run in runs():
                tag = uuid.uuid4().hex[:8]
                solo = batches([f"solo-{tag}"], CONCURRENT_EVENTS, CONCURRENT_BATCH)
                quads = [batches([f"quad-{tag}-{w}"], CONCURRENT_EVENTS // 4, CONCURRENT_BATCH) for w in range(4)]

                async def writer(work: list[list[NewEvent]]) -> None:
                    for batch in work:
                        await log.append(batch)

                async def single(solo: list[list[NewEvent]] = solo) -> None:
                    await writer(solo)

                async def several(quads: list[list[list[NewEvent]]] = quads) -> None:
                    await asyncio.gather(*(writer(w) for w in quads))

                order = [(single, one), (several, four)]
                for action, out in order if run % 2 == 0 else reversed(order):
                    start = time.perf_counter()
                    await action()
                    out.append(CONCURRENT_EVENTS / (time.perf_counter() - start))
        finally:
            await pool.close()
    return [
        Figure(
            "append_concurrent",
            median(four),
            median(one),
            "events/s",
            1.0,
            "higher",
            f"{CONCURRENT_EVENTS:,} events in appends of {CONCURRENT_BATCH}: 4 writers on 4 streams vs 1 writer",
        )
    ]


# --- append_durable ------------------------------------------------------------------------------

DURABLE_EVENTS = 2_000


async def append_durable(pg: Postgres) -> list[Figure]:
    """One event per transaction through the append activity, vs a plain single-row autocommit INSERT."""
    chained, plain = [], []
    async with pg.database() as db:
        table = await plain_table(db)
        pool = await _pools(db, 1)
        activity = AuditActivities(AuditLog(pool))
        try:
            for run in runs(5):  # a commit's flush varies from one to the next: more runs, a steadier median
                tag = uuid.uuid4().hex[:8]
                work = events(f"durable-{tag}", DURABLE_EVENTS)
                requests = [AppendEvents(events=(e,)) for e in work]
                rows = plain_rows(work)
                insert = _PLAIN_INSERT.format(table=table)

                async def baseline(rows: list[tuple] = rows, insert: str = insert) -> None:
                    # Through the same pool, as an activity would: each INSERT its own autocommit transaction.
                    for row in rows:
                        await pool.execute(insert, *row)

                async def real(requests: list[AppendEvents] = requests) -> None:
                    for request in requests:
                        await activity.append_events(request)

                order = [(baseline, plain), (real, chained)]
                for action, out in order if run % 2 == 0 else reversed(order):
                    start = time.perf_counter()
                    await action()
                    out.append(DURABLE_EVENTS / (time.perf_counter() - start))
        finally:
            await pool.close()
    return [
        Figure(
            "append_durable",
            median(chained),
            median(plain),
            "events/s",
            0.4,
            "higher",
            f"{DURABLE_EVENTS:,} events, one per transaction (audit.append_events) vs autocommit INSERT",
        )
    ]


# --- verify --------------------------------------------------------------------------------------

VERIFY_EVENTS = 100_000
VERIFY_STREAMS = 100


async def fill(log: AuditLog, streams: int, per_stream: int, prefix: str, batch: int = 1000) -> None:
    for sid in range(streams):
        for part in batches([f"{prefix}-{sid:04d}"], per_stream, batch):
            await log.append(part)


async def verify(pg: Postgres) -> list[Figure]:
    """`qa audit verify` (AuditLog.verify over every stream) of 100,000 events, vs a streaming SELECT of them."""
    from infra.store.audit_log import _COLUMNS

    checked, streamed = [], []
    async with pg.database() as db:
        pool = await _pools(db, 1)
        log = AuditLog(pool)
        try:
            await fill(log, VERIFY_STREAMS, VERIFY_EVENTS // VERIFY_STREAMS, "verify")
            query = f"SELECT {_COLUMNS} FROM audit_events WHERE $1::text IS NULL OR stream_id = $1 ORDER BY stream_id, version"

            async def baseline() -> None:
                n = 0
                async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
                    cursor = await conn.cursor(query, None)
                    while rows := await cursor.fetch(2000):
                        for _row in rows:
                            n += 1
                assert n == VERIFY_EVENTS

            async def real() -> None:
                reports = await log.verify()
                assert sum(r.events for r in reports) == VERIFY_EVENTS and all(r.ok for r in reports)

            for run in runs(5):
                order = [(baseline, streamed), (real, checked)]
                for action, out in order if run % 2 == 0 else reversed(order):
                    gc.collect()
                    start = time.perf_counter()
                    await action()
                    out.append(VERIFY_EVENTS / (time.perf_counter() - start))
        finally:
            await pool.close()
    return [
        Figure(
            "verify",
            median(checked),
            median(streamed),
            "events/s",
            0.5,
            "higher",
            f"{VERIFY_EVENTS:,} events in {VERIFY_STREAMS} streams; baseline: the same rows from a server-side cursor",
        )
    ]


# --- replay --------------------------------------------------------------------------------------

REPLAY_EVENTS = 10_000


def review_events(stream_id: str, count: int) -> list[NewEvent]:
    """A review's stream: opened, then a mix of the people's parts and chase steps (the reducer checks no rules)."""
    from domain.chasing import ChaseStep
    from domain.review import (
        ConversationRecorded,
        ReflectionRecorded,
        ReviewChased,
        ReviewOpened,
        RubricJudged,
        VoiceRecorded,
    )
    from domain.rubric import CRITERION_IDS, Evidence

    due = datetime(2027, 11, 29, 23, 59, 59, tzinfo=UTC)
    step = ChaseStep(kind="reminder", level=0, at=due - timedelta(days=2))
    criteria = sorted(CRITERION_IDS)
    opened = ReviewOpened(
        cycle_id="cpr-2027-11-01-children-in-need",
        case_number="LCS-100701",
        service="Children in Need",
        team="Children in Need",
        practitioner="priya.practitioner",
        reviewer="sam.reviewer",
        team_manager="nadia.manager",
        head_of_service="hana.hos",
        due_at=due,
        calendar_digest="0" * 64,
        chase=(step,),
    )
    cycle = [
        lambda i: VoiceRecorded(whose="child" if i % 2 else "family", obtained=True, summary=f"heard, visit {i}"),
        lambda i: ReflectionRecorded(score=i % 11, pleased_with="direct work", could_develop="chronology"),
        lambda i: ConversationRecorded(summary=f"talked about the plan, visit {i}"),
        lambda i: RubricJudged(judgements={criteria[i % len(criteria)]: Evidence.some}),
        lambda i: ReviewChased(step=step, recipients=("sam.reviewer", "priya.practitioner")),
    ]
    domain_events = [opened, *(cycle[i % len(cycle)](i) for i in range(1, count))]
    return [
        NewEvent(
            stream_id=stream_id,
            version=i + 1,
            event_id=uuid.uuid4(),
            event_type=event.event_type,
            actor="sam.reviewer",
            business_time=BUSINESS_TIME + timedelta(minutes=i),
            payload=event.payload(),
        )
        for i, event in enumerate(domain_events)
    ]


async def replay(pg: Postgres) -> list[Figure]:
    """Rebuilding a 10,000-event review from the log (read_stream + fold, as `qa status`/`qa cpr` replay it),
    vs fetching the same rows and decoding their JSON only."""
    from domain import review
    from domain.events import fold
    from infra.store.audit_log import _COLUMNS

    rebuilt, decoded = [], []
    async with pg.database() as db:
        pool = await _pools(db, 1)
        log = AuditLog(pool)
        stream_id = "cpr-2027-11-01-children-in-need-review-LCS-100701"
        try:
            work = review_events(stream_id, REPLAY_EVENTS)
            for i in range(0, len(work), 1000):
                await log.append(work[i : i + 1000])

            async def baseline() -> None:
                # The same query read_stream runs; each row's payload JSON decoded, nothing more.
                async with pool.acquire() as conn:
                    rows = await conn.fetch(
                        f"SELECT {_COLUMNS} FROM audit_events WHERE stream_id = $1 ORDER BY version", stream_id
                    )
                payloads = [json.loads(row["payload"]) for row in rows]
                assert len(payloads) == REPLAY_EVENTS

            async def real() -> None:
                state = fold(review.evolve, review.REVIEW_EVENTS, await log.read_stream(stream_id))
                assert state.version == REPLAY_EVENTS

            for run in runs(5):  # each side takes a fraction of a second: more runs, a steadier median
                order = [(baseline, decoded), (real, rebuilt)]
                for action, out in order if run % 2 == 0 else reversed(order):
                    gc.collect()
                    start = time.perf_counter()
                    await action()
                    out.append(REPLAY_EVENTS / (time.perf_counter() - start))
        finally:
            await pool.close()
    return [
        Figure(
            "replay",
            median(rebuilt),
            median(decoded),
            "events/s",
            0.3,
            "higher",
            f"one review stream of {REPLAY_EVENTS:,} events; baseline: the same rows, payload JSON decoded only",
        )
    ]
