"""The audit log's hash chain: canonical encoding, event hashes and chain checks.

Pure functions, shared by the code that appends (to compute hashes) and the code
that verifies (to recompute them), so the two can never drift apart.

    hash(event) = SHA-256( prev_hash || canonical(header) || "\\n" || payload_text )

`header` holds every column except the payload and the hashes, including the
recorded time the database assigned; `payload_text` is the exact canonical JSON
text stored in the log. The first event of a stream links to GENESIS.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal
from uuid import UUID

GENESIS = bytes(32)


def canonical_json(value: Any) -> str:
    """One text per value: sorted keys, no spaces, UTF-8 kept as is."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def utc_text(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("audit times must be timezone-aware")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def event_hash(
    *,
    prev_hash: bytes,
    stream_id: str,
    version: int,
    event_id: UUID,
    event_type: str,
    actor: str,
    business_time: datetime,
    recorded_at: datetime,
    payload_text: str,
) -> bytes:
    header = canonical_json(
        {
            "stream": stream_id,
            "version": version,
            "event_id": str(event_id),
            "type": event_type,
            "actor": actor,
            "business_time": utc_text(business_time),
            "recorded_at": utc_text(recorded_at),
        }
    )
    digest = hashlib.sha256(prev_hash)
    digest.update(header.encode("utf-8"))
    digest.update(b"\n")
    digest.update(payload_text.encode("utf-8"))
    return digest.digest()


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """One row of the log, as read back for verification."""

    position: int
    stream_id: str
    version: int
    event_id: UUID
    event_type: str
    actor: str
    business_time: datetime
    recorded_at: datetime
    payload_text: str
    prev_hash: bytes
    hash: bytes


@dataclass(frozen=True, slots=True)
class StreamHead:
    stream_id: str
    version: int
    hash: bytes


BreakKind = Literal[
    "altered",  # the row's content no longer matches its own hash
    "broken_link",  # the row does not link to the hash of the event before it
    "missing",  # versions are missing before this one (deleted events)
    "beyond_head",  # an event past the stream's recorded head (inserted without the log)
    "truncated",  # the head records newer events than the log holds
    "no_head",  # events for a stream the log never opened
]


@dataclass(frozen=True, slots=True)
class ChainBreak:
    stream_id: str
    version: int
    kind: BreakKind
    detail: str

    def describe(self) -> str:
        return f"{self.stream_id} v{self.version}: {self.kind}: {self.detail}"


@dataclass(frozen=True, slots=True)
class StreamReport:
    stream_id: str
    events: int
    first_break: ChainBreak | None

    @property
    def ok(self) -> bool:
        return self.first_break is None


def check_stream(stream_id: str, events: Iterable[StoredEvent], head: StreamHead | None) -> StreamReport:
    """Recompute one stream's chain (events in version order) and find its first broken link."""
    expected_version = 1
    expected_prev = GENESIS
    count = 0
    first: ChainBreak | None = None
    for event in events:
        count += 1
        if first is not None:
            continue
        first = _check_event(event, expected_version, expected_prev, head)
        expected_version = event.version + 1
        expected_prev = event.hash
    if first is None:
        first = _check_head(stream_id, expected_version - 1, expected_prev, head)
    return StreamReport(stream_id=stream_id, events=count, first_break=first)


def _check_event(
    event: StoredEvent, expected_version: int, expected_prev: bytes, head: StreamHead | None
) -> ChainBreak | None:
    def brk(kind: BreakKind, detail: str) -> ChainBreak:
        return ChainBreak(event.stream_id, event.version, kind, detail)

    if head is None:
        return brk("no_head", "the stream has events but no head: written outside the audit log")
    if event.version > head.version:
        return brk("beyond_head", f"the head ends at v{head.version}: written outside the audit log")
    if event.version != expected_version:
        return brk("missing", f"expected v{expected_version} before it: events were deleted")
    recomputed = event_hash(
        prev_hash=event.prev_hash,
        stream_id=event.stream_id,
        version=event.version,
        event_id=event.event_id,
        event_type=event.event_type,
        actor=event.actor,
        business_time=event.business_time,
        recorded_at=event.recorded_at,
        payload_text=event.payload_text,
    )
    if recomputed != event.hash:
        return brk("altered", "its content does not match its hash: it was changed after it was recorded")
    if event.prev_hash != expected_prev:
        return brk(
            "broken_link", "it does not link to the event before it: events were reordered, replaced or inserted"
        )
    return None


def _check_head(stream_id: str, last_version: int, last_hash: bytes, head: StreamHead | None) -> ChainBreak | None:
    if head is None or (head.version == last_version and head.hash == last_hash):
        return None
    if head.version > last_version:
        return ChainBreak(
            stream_id,
            last_version + 1,
            "truncated",
            f"the head records v{head.version} but the log ends at v{last_version}: newest events were removed",
        )
    return ChainBreak(stream_id, last_version, "broken_link", "the head's hash does not match the last event")
