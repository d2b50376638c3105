"""The log's open items: kept with each append, and the same as filling them afresh from the log."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from domain.events import NewEvent
from infra.store.audit_log import AuditLog, fill_open_items

AT = datetime(2027, 11, 1, 9, 0, tzinfo=UTC)


def event(stream_id: str, version: int, event_type: str) -> NewEvent:
    # The projection goes by event types alone: payloads need not fold here.
    return NewEvent(
        stream_id=stream_id,
        version=version,
        event_id=uuid.uuid4(),
        event_type=event_type,
        actor="qa.officer",
        business_time=AT,
        payload={},
    )


async def open_now(conn) -> list[tuple[str, str]]:
    return [tuple(r) for r in await conn.fetch("SELECT stream_id, kind FROM open_items ORDER BY stream_id")]


async def test_an_item_is_open_from_its_opening_event_until_a_closing_one(app_pool, admin_conn):
    log = AuditLog(app_pool)
    await log.append([event("deadline-a", 1, "deadline.set"), event("deadline-a", 2, "deadline.extended")])
    await log.append([event("deadline-b", 1, "deadline.set")])
    await log.append([event("review-c", 1, "review.opened"), event("review-c", 2, "review.submitted")])
    await log.append([event("plan-d", 1, "plan.started")])  # an action plan never closes
    await log.append([event("deadline-b", 2, "deadline.met")])
    await log.append([event("directory-staff", 1, "directory.staff_imported")])  # not an item: no workflow
    expected = [("deadline-a", "deadline"), ("plan-d", "action plan"), ("review-c", "review")]
    assert await open_now(admin_conn) == expected
    assert await log.open_streams("deadline") == ["deadline-a"]
    # Opened and closed in one append: not open; that append retried changes nothing.
    both = [event("deadline-e", 1, "deadline.set"), event("deadline-e", 2, "deadline.met")]
    await log.append(both)
    assert (await log.append(both)).already_recorded == 2
    assert await open_now(admin_conn) == expected
    # Filled afresh from the log alone (as the migration does), it is the same.
    await admin_conn.execute("DELETE FROM open_items")
    await fill_open_items(admin_conn)
    assert await open_now(admin_conn) == expected


async def test_open_items_read_from_the_cache_are_the_fold_of_the_log(app_pool, admin_conn, database, monkeypatch):
    """A state cached at its stream's head is the very state folding the log gives; once the stream
    moves on (or the cache is altered), it is folded afresh."""
    from bench.audit import review_events
    from domain import review
    from domain.events import fold
    from infra.application.items import open_items

    monkeypatch.setenv("QA_DATABASE_URL", database.app_url)
    log = AuditLog(app_pool)
    streams = {f"review-{n}": review_events(f"review-{n}", 40 + n) for n in range(3)}
    for events in streams.values():
        await log.append(events)
    folded = [(sid, fold(review.evolve, review.REVIEW_EVENTS, await log.read_stream(sid))) for sid in sorted(streams)]
    assert await open_items(review.KIND) == folded  # folded, and cached
    assert await admin_conn.fetchval("SELECT count(*) FROM item_states") == 3
    assert await open_items(review.KIND) == folded  # from the cache: the same states
    # The stream moves on: the cached state is not used, and is replaced.
    more = review_events("review-0", 45)[40:]
    await log.append(more)
    again = await open_items(review.KIND)
    assert again[0] == ("review-0", fold(review.evolve, review.REVIEW_EVENTS, await log.read_stream("review-0")))
    assert again[0][1].version == 45
