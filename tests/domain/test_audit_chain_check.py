"""check_stream against the stream's head: the head is what makes the newest event tamper-evident."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest

from domain.audit_chain import (
    GENESIS,
    ChainBreak,
    StoredEvent,
    StreamHead,
    StreamReport,
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


def relinked(event: StoredEvent, prev_hash: bytes) -> StoredEvent:
    """The event re-hashed over another predecessor's hash: its own content checks out, its link does not."""
    fields = {f: getattr(event, f) for f in ("stream_id", "version", "event_id", "event_type", "actor", "payload_text")}
    times = {
        f: T0 + timedelta(minutes=event.version, microseconds=5 if f == "recorded_at" else 0)
        for f in ("business_time", "recorded_at")
    }
    return event._replace(prev_hash=prev_hash, hash=event_hash(prev_hash=prev_hash, **fields, **times))


def test_every_kind_of_break_names_its_stream_version_and_cause_and_every_event_is_still_counted():
    events = chain("review-7", [{"n": n} for n in range(1, 5)])
    head = StreamHead("review-7", 4, events[-1].hash)
    at = {  # what an auditor reads for each tampering, word for word
        "no_head": (
            events,
            None,
            ChainBreak("review-7", 1, "no_head", "the stream has events but no head: written outside the audit log"),
        ),
        "beyond_head": (
            events,
            StreamHead("review-7", 2, events[1].hash),
            ChainBreak("review-7", 3, "beyond_head", "the head ends at v2: written outside the audit log"),
        ),
        "missing": (
            [events[0], *events[2:]],
            head,
            ChainBreak("review-7", 3, "missing", "expected v2 before it: events were deleted"),
        ),
        "altered": (
            [events[0], events[1]._replace(payload_text='{"n":20}'), *events[2:]],
            head,
            ChainBreak(
                "review-7", 2, "altered", "its content does not match its hash: it was changed after it was recorded"
            ),
        ),
        "broken_link": (
            [*events[:2], relinked(events[2], events[0].hash), events[3]],
            head,
            ChainBreak(
                "review-7",
                3,
                "broken_link",
                "it does not link to the event before it: events were reordered, replaced or inserted",
            ),
        ),
        "truncated": (
            events,
            StreamHead("review-7", 6, b"\x01" * 32),
            ChainBreak(
                "review-7", 5, "truncated", "the head records v6 but the log ends at v4: newest events were removed"
            ),
        ),
    }
    for kind, (stored, stream_head, expected) in at.items():
        report = check_stream("review-7", stored, stream_head)
        assert report == StreamReport("review-7", len(stored), expected), kind
    assert check_stream("review-7", events, head) == StreamReport("review-7", 4, None)


def test_canonical_json_refuses_what_json_cannot_say_and_times_must_be_aware():
    with pytest.raises(ValueError):
        canonical_json({"score": float("nan")})
    with pytest.raises(ValueError, match="^audit times must be timezone-aware$"):
        stored_time(datetime(2027, 11, 1, 9, 30))
