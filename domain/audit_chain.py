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

# The string encoder json.dumps(ensure_ascii=False) itself uses (the C one when available).
from json.encoder import encode_basestring as _json_string
from typing import Any, Literal, NamedTuple
from uuid import UUID

GENESIS = bytes(32)


def canonical_json(value: Any) -> str:
    """One text per value: sorted keys, no spaces, UTF-8 kept as is."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def utc_text(moment: datetime) -> str:
    """`YYYY-MM-DDTHH:MM:SS.ffffffZ` in UTC (what strftime("%Y-%m-%dT%H:%M:%S.%fZ") gives)."""
    if moment.tzinfo is None:
        raise ValueError("audit times must be timezone-aware")
    if moment.tzinfo is not UTC:
        moment = moment.astimezone(UTC)
    if moment.year < 1000:  # strftime's %Y does not pad these; isoformat would
        return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    # isoformat is several times faster than strftime; its "+00:00" becomes the "Z".
    return moment.isoformat(timespec="microseconds")[:-6] + "Z"


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
    return _hash(stream_id, version, event_id, event_type, actor, business_time, recorded_at, payload_text, prev_hash)


def _hash(
    stream_id: str,
    version: int,
    event_id: UUID,
    event_type: str,
    actor: str,
    business_time: datetime,
    recorded_at: datetime,
    payload_text: str,
    prev_hash: bytes,
) -> bytes:
    """event_hash with its arguments in StoredEvent's order (stored[1:10]), for verification's inner loop."""
    # canonical_json(header), spelled out: the header is hashed for every event appended
    # or verified, and this is byte for byte what json.dumps gives (keys in sorted order,
    # strings escaped by the function json.dumps uses, the version as json writes an int)
    # at a fraction of the cost. tests/domain/test_audit_chain_header.py holds it to that.
    header = _HEADER % (
        _json_string(actor),
        utc_text(business_time),
        str(event_id),
        utc_text(recorded_at),
        _json_string(stream_id),
        _json_string(event_type),
        int.__repr__(version),
    )
    return hashlib.sha256(b"".join((prev_hash, header.encode("utf-8"), b"\n", payload_text.encode("utf-8")))).digest()


_HEADER = '{"actor":%s,"business_time":"%s","event_id":"%s","recorded_at":"%s","stream":%s,"type":%s,"version":%s}'


def header_text(
    *,
    stream_id: str,
    version: int,
    event_id: UUID,
    event_type: str,
    actor: str,
    business_time: datetime,
    recorded_at: datetime,
) -> str:
    """The header as canonical_json encodes it: the definition event_hash's fast path must match."""
    return canonical_json(
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


class StoredEvent(NamedTuple):
    """One row of the log, as read back for verification.

    A named tuple rather than a frozen dataclass: verification makes one per event,
    and a tuple is made several times faster (the log's columns, in this order).
    """

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
    if head is None:
        return _break(event, "no_head", "the stream has events but no head: written outside the audit log")
    if event.version > head.version:
        return _break(event, "beyond_head", f"the head ends at v{head.version}: written outside the audit log")
    if event.version != expected_version:
        return _break(event, "missing", f"expected v{expected_version} before it: events were deleted")
    if _hash(*event[1:10]) != event.hash:  # stream_id ... prev_hash, in _hash's order
        return _break(event, "altered", "its content does not match its hash: it was changed after it was recorded")
    if event.prev_hash != expected_prev:
        return _break(
            event,
            "broken_link",
            "it does not link to the event before it: events were reordered, replaced or inserted",
        )
    return None


def _break(event: StoredEvent, kind: BreakKind, detail: str) -> ChainBreak:
    return ChainBreak(event.stream_id, event.version, kind, detail)


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
