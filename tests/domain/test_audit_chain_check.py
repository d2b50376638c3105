"""check_stream against the stream's head: the head is what makes the newest event tamper-evident."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

from domain.audit_chain import (
    GENESIS,
    ChainBreak,
    StoredEvent,
    StreamHead,
    canonical_json,
    check_stream,
    event_hash,
    stored_time,
)

T0 = datetime(2027, 11, 1, 9, 30, tzinfo=UTC)


def chain(stream_id: str, payloads: list[dict]) -> list[StoredEvent]:
    """A stream's events as appends would have stored them, each linked to the one before."""
    prev, stored = GENESIS, []
    for version, payload in enumerate(payloads, start=1):
        event = dict(
            stream_id=stream_id,
            version=version,
            event_id=UUID(int=version),
            event_type="review.graded",
            actor="sam.reviewer",
            business_time=T0 + timedelta(minutes=version),
            recorded_at=T0 + timedelta(minutes=version, microseconds=5),
            payload_text=canonical_json(payload),
        )
        digest = event_hash(prev_hash=prev, **event)
        times = {key: stored_time(event[key]) for key in ("business_time", "recorded_at")}
        stored.append(StoredEvent(**event | times, prev_hash=prev, hash=digest))
        prev = digest
    return stored


def test_a_head_at_the_last_version_with_its_hash_verifies():
    stored = chain("review-1", [{"n": 1}, {"n": 2}, {"n": 3}])
    report = check_stream("review-1", stored, StreamHead("review-1", 3, stored[-1].hash))
    assert report.ok and report.events == 3


def test_a_head_at_the_last_version_with_another_hash_is_a_broken_link_at_that_version():
    """The newest event replaced by one whose own hash and link are both right (rewritten from the event
    before it): every event verifies, and only the head still holds the hash of what was recorded."""
    recorded = chain("review-1", [{"n": 1}, {"n": 2}, {"n": 3}])
    head = StreamHead("review-1", 3, recorded[-1].hash)
    forged = chain("review-1", [{"n": 1}, {"n": 2}, {"n": 3, "softened": True}])
    assert forged[:2] == recorded[:2] and forged[2].hash != head.hash

    report = check_stream("review-1", forged, head)
    assert report.events == 3
    assert report.first_break == ChainBreak(
        "review-1", 3, "broken_link", "the head's hash does not match the last event"
    )
