"""Reads of open work on a long history: five years of a large authority, then ten.

A synthetic log of 10,000 reviews of 100 events each (1,000,000 events), all closed but 200, is
loaded straight into the tables (hash-chained as appends chain them; the open items filled from the
log as the migration fills them). `open_items(review)` (what `qa overdue` and `qa status` read) is
timed against one indexed query returning the same rows, then again after 10,000 more closed
reviews double the history: the read must cost what the open items cost, not the history.
"""

from __future__ import annotations

import gc
import os
import time
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg

from bench.audit import review_events
from bench.common import Figure, Postgres, median, runs
from domain.audit_chain import GENESIS, canonical_json, event_hash

ITEMS = 10_000
EVENTS_PER_ITEM = 100
OPEN = 200
RECORDED_AT = datetime(2027, 11, 1, 9, 0, tzinfo=UTC)
_COLUMNS = ["stream_id", "version", "event_id", "event_type", "actor", "business_time", "recorded_at", "payload",
            "prev_hash", "hash"]  # fmt: skip


def _template() -> list[tuple[str, str, datetime, str]]:
    """One review's events (type, actor, business time, payload text), reused for every stream: the read
    folds them with the review's reducer, so they must be a review's; only their stream and ids differ."""
    events = review_events("template", EVENTS_PER_ITEM - 1)
    rows = [(e.event_type, e.actor, e.business_time, canonical_json(e.payload)) for e in events]
    closed_at = events[-1].business_time + timedelta(minutes=1)
    return [*rows, ("review.closed", "system", closed_at, "{}")]


async def _load(admin_url: str, first: int, count: int, open_items: int, template: list) -> None:
    """`count` review streams numbered from `first`, the first `open_items` of them left open."""
    conn = await asyncpg.connect(admin_url)
    try:
        heads, batch = [], []
        for n in range(first, first + count):
            stream_id = f"cpr-history-review-{n:06d}"
            events = template[:-1] if n - first < open_items else template
            prev = GENESIS
            for version, (event_type, actor, at, payload) in enumerate(events, start=1):
                event_id = uuid.uuid4()
                digest = event_hash(
                    prev_hash=prev,
                    stream_id=stream_id,
                    version=version,
                    event_id=event_id,
                    event_type=event_type,
                    actor=actor,
                    business_time=at,
                    recorded_at=RECORDED_AT,
                    payload_text=payload,
                )
                batch.append((stream_id, version, event_id, event_type, actor, at, RECORDED_AT, payload, prev, digest))
                prev = digest
            heads.append((stream_id, len(events), prev))
            if len(batch) >= 100_000:
                await conn.copy_records_to_table("audit_events", records=batch, columns=_COLUMNS)
                batch = []
        if batch:
            await conn.copy_records_to_table("audit_events", records=batch, columns=_COLUMNS)
        await conn.copy_records_to_table("audit_streams", records=heads, columns=["stream_id", "version", "hash"])
        await conn.execute("DELETE FROM open_items")
        from infra.store.audit_log import fill_open_items

        await fill_open_items(conn)
        await conn.execute("ANALYZE")
    finally:
        await conn.close()


async def _time_reads(app_url: str) -> tuple[float, float, int]:
    """(the read's median seconds, the baseline's, open items read)."""
    from domain import review
    from infra.application.items import open_items
    from infra.store.audit_log import _COLUMNS as COLUMNS

    os.environ["QA_DATABASE_URL"] = app_url
    read, baseline = [], []
    ids = sorted(i for i, _ in await open_items(review.KIND))
    conn = await asyncpg.connect(app_url)
    try:

        async def real() -> None:
            assert len(await open_items(review.KIND)) == OPEN

        async def plain() -> None:
            rows = await conn.fetch(
                f"SELECT {COLUMNS} FROM audit_events WHERE stream_id = ANY($1::text[]) ORDER BY stream_id, version",
                ids,
            )
            assert len(rows) == OPEN * (EVENTS_PER_ITEM - 1)

        for run in runs(5):
            order = [(plain, baseline), (real, read)]
            for action, out in order if run % 2 == 0 else reversed(order):
                gc.collect()
                start = time.perf_counter()
                await action()
                out.append(time.perf_counter() - start)
    finally:
        await conn.close()
    return median(read), median(baseline), len(ids)


async def history_reads(pg: Postgres) -> list[Figure]:
    template = _template()
    async with pg.database() as db:
        await _load(db.admin_url, 0, ITEMS, OPEN, template)
        once, plain, open_count = await _time_reads(db.app_url)
        await _load(db.admin_url, ITEMS, ITEMS, 0, template)
        twice, _, _ = await _time_reads(db.app_url)
    events = ITEMS * EVENTS_PER_ITEM
    return [
        Figure(
            "history_reads",
            once,
            plain,
            "s",
            3.0,
            "lower",
            f"open reviews read and folded ({open_count} open of {ITEMS:,}, {events:,} events);"
            " baseline: one indexed query returning their rows",
        ),
        Figure(
            "history_reads.doubled",
            twice,
            once,
            "s",
            1.2,
            "lower",
            f"the same read with the history doubled ({2 * events:,} events); baseline: at {events:,}",
        ),
    ]
