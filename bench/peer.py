"""The audit log beside a peer: `eventsourcing`'s PostgreSQL application recorder (psycopg), same server.

What an engineer would pick instead of our audit log, measured in the same run, on the same embedded
PostgreSQL (each side in its own fresh database), with the same events (stream ids, payloads of a few
hundred bytes) and the same durability (synchronous commit, the server's default, for both):

- `peer_append_batch`: our `AuditLog.append` of batches of 100 vs the recorder's `insert_events`.
- `peer_append_concurrent`: 4 writers on 4 streams each, appends of 10 (ours: asyncio tasks on a pool of
  4 connections; the recorder: 4 threads on a pool of 4, as its synchronous API is used).
- `peer_read_stream`: one 10,000-event review stream read and folded with the review's own reducer
  (ours: `read_stream` + `fold`; the peer: `select_events`, each stored state's JSON decoded into the
  same domain event, then the same fold), so the figure compares the stores, not two reducers.

Per event we also chain a SHA-256 hash, move the stream's head and check a retried append against what
is stored; the recorder inserts a row and relies on its primary key. Needs the bench extra
(`pip install -e '.[bench]'`); without it the figures are skipped with one line saying so.
"""

from __future__ import annotations

import asyncio
import gc
import json
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from bench.audit import BATCH_EVENTS, BATCH_SIZE, REPLAY_EVENTS, _pools, batches, review_events
from bench.common import Figure, Postgres, median, runs
from domain.events import NewEvent
from infra.store.audit_log import AuditLog

CONCURRENT_EVENTS = 4_000
CONCURRENT_BATCH = 10
TOPIC = "qa_engine.audit:event"  # the recorder stores a topic per event; ours stores its type


def _recorder(url: str, pool_size: int) -> Any:
    """eventsourcing's PostgreSQL application recorder on the database at `url`, its table created."""
    from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore

    parts = urlsplit(url)
    host = parse_qs(parts.query).get("host", [parts.hostname or "localhost"])[0]
    port = parts.port or 5432
    if (socket := Path(host)).name.startswith(".s.PGSQL."):  # asyncpg takes the socket; libpq its folder
        host, port = str(socket.parent), int(socket.name.rsplit(".", 1)[1])
    datastore = PostgresDatastore(
        dbname=unquote(parts.path.lstrip("/")),
        host=host,
        port=port,
        user=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
        pool_size=pool_size,
        originator_id_type="text",  # our stream ids are text
    )
    recorder = PostgresApplicationRecorder(datastore)
    recorder.create_table()
    return recorder


def _stored(events: list[NewEvent]) -> list[Any]:
    from eventsourcing.persistence import StoredEvent

    return [
        StoredEvent(
            originator_id=e.stream_id,
            originator_version=e.version,
            topic=TOPIC,
            state=json.dumps(e.payload, sort_keys=True, separators=(",", ":")).encode(),
        )
        for e in events
    ]


async def peer(pg: Postgres) -> list[Figure]:
    try:
        import eventsourcing.postgres  # noqa: F401
    except ImportError:
        print(
            "peer: skipped: eventsourcing is not installed; `pip install -e '.[bench]'` to compare with it",
            file=sys.stderr,
        )
        return []
    return [await _append_batch(pg), await _append_concurrent(pg), await _read_stream(pg)]


async def _append_batch(pg: Postgres) -> Figure:
    ours, theirs = [], []
    async with pg.database() as mine, pg.database() as peers:
        pool = await _pools(mine, 1)
        log = AuditLog(pool)
        recorder = _recorder(peers.admin_url, 1)
        try:
            for run in runs():
                tag = uuid.uuid4().hex[:8]
                work = batches([f"batch-{tag}-{s}" for s in range(20)], BATCH_EVENTS // 20, BATCH_SIZE)
                stored = [_stored(b) for b in work]

                async def real(work: list[list[NewEvent]] = work) -> None:
                    for batch in work:
                        await log.append(batch)

                async def other(stored: list[list[Any]] = stored) -> None:
                    for batch in stored:
                        recorder.insert_events(batch)

                order = [(other, theirs), (real, ours)]
                for action, out in order if run % 2 == 0 else reversed(order):
                    start = time.perf_counter()
                    await action()
                    out.append(BATCH_EVENTS / (time.perf_counter() - start))
        finally:
            await pool.close()
            recorder.datastore.close()
    return Figure(
        "peer_append_batch",
        median(ours),
        median(theirs),
        "events/s",
        0.8,
        "higher",
        f"{BATCH_EVENTS:,} events in batches of {BATCH_SIZE}; baseline: eventsourcing's recorder, insert_events",
    )


async def _append_concurrent(pg: Postgres) -> Figure:
    ours, theirs = [], []
    async with pg.database() as mine, pg.database() as peers:
        pool = await _pools(mine, 4)
        log = AuditLog(pool)
        recorder = _recorder(peers.admin_url, 4)
        threads = ThreadPoolExecutor(4)
        try:
            for run in runs():
                tag = uuid.uuid4().hex[:8]
                quads = [batches([f"quad-{tag}-{w}"], CONCURRENT_EVENTS // 4, CONCURRENT_BATCH) for w in range(4)]
                stored = [[_stored(b) for b in w] for w in quads]

                async def real(quads: list[list[list[NewEvent]]] = quads) -> None:
                    async def writer(work: list[list[NewEvent]]) -> None:
                        for batch in work:
                            await log.append(batch)

                    await asyncio.gather(*(writer(w) for w in quads))

                async def other(stored: list[list[list[Any]]] = stored) -> None:
                    def writer(work: list[list[Any]]) -> None:
                        for batch in work:
                            recorder.insert_events(batch)

                    loop = asyncio.get_running_loop()
                    await asyncio.gather(*(loop.run_in_executor(threads, writer, w) for w in stored))

                order = [(other, theirs), (real, ours)]
                for action, out in order if run % 2 == 0 else reversed(order):
                    start = time.perf_counter()
                    await action()
                    out.append(CONCURRENT_EVENTS / (time.perf_counter() - start))
        finally:
            threads.shutdown()
            await pool.close()
            recorder.datastore.close()
    return Figure(
        "peer_append_concurrent",
        median(ours),
        median(theirs),
        "events/s",
        1.0,
        "higher",
        f"{CONCURRENT_EVENTS:,} events, 4 writers on 4 streams, appends of {CONCURRENT_BATCH};"
        " baseline: eventsourcing's recorder from 4 threads",
    )


async def _read_stream(pg: Postgres) -> Figure:
    from domain import review
    from domain.events import EventMeta, fold

    ours, theirs = [], []
    stream_id = "cpr-2027-11-01-children-in-need-review-LCS-100701"
    work = review_events(stream_id, REPLAY_EVENTS)
    meta = {e.version: (e.event_type, e.actor, e.business_time) for e in work}
    async with pg.database() as mine, pg.database() as peers:
        pool = await _pools(mine, 1)
        log = AuditLog(pool)
        recorder = _recorder(peers.admin_url, 1)
        try:
            for i in range(0, len(work), 1000):
                await log.append(work[i : i + 1000])
                recorder.insert_events(_stored(work[i : i + 1000]))

            async def real() -> None:
                state = fold(review.evolve, review.REVIEW_EVENTS, await log.read_stream(stream_id))
                assert state.version == REPLAY_EVENTS

            async def other() -> None:
                # The peer stores the state and the topic; the type, actor and time it would keep in the
                # state too (an aggregate's events carry them): taken here from what was written.
                state = None
                for stored in recorder.select_events(stream_id):
                    event_type, actor, at = meta[stored.originator_version]
                    event = review.REVIEW_EVENTS.decode(event_type, json.loads(stored.state))
                    state = review.evolve(state, event, EventMeta(stored.originator_version, actor, at))
                assert state is not None and state.version == REPLAY_EVENTS

            for run in runs(5):
                order = [(other, theirs), (real, ours)]
                for action, out in order if run % 2 == 0 else reversed(order):
                    gc.collect()
                    start = time.perf_counter()
                    await action()
                    out.append(REPLAY_EVENTS / (time.perf_counter() - start))
        finally:
            await pool.close()
            recorder.datastore.close()
    return Figure(
        "peer_read_stream",
        median(ours),
        median(theirs),
        "events/s",
        0.8,
        "higher",
        f"one review stream of {REPLAY_EVENTS:,} events read and folded by the review's reducer;"
        " baseline: eventsourcing's select_events, the same fold",
    )
