"""The audit log's hash chain: canonical encoding, event hashes and chain checks.

Pure functions, shared by the code that appends (to compute hashes) and the code
that verifies (to recompute them), so the two can never drift apart.

    hash(event) = SHA-256( prev_hash || canonical(header) || "\\n" || payload_text )

`header` holds every column except the payload and the hashes, including the
recorded time the database assigned; `payload_text` is the exact canonical JSON
text stored in the log. The first event of a stream links to GENESIS. The request
id a person's command carried is in the header only when there is one, so an event
recorded without one (a timer's, or one from before request ids were recorded)
hashes as it always did.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from hashlib import sha256

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
    if moment.tzinfo is not UTC:
        if moment.tzinfo is None:
            raise ValueError("audit times must be timezone-aware")
        moment = moment.astimezone(UTC)
    if moment.year < 1000:  # strftime's %Y does not pad these; isoformat would
        return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    # Written out from the fields: twice as fast as isoformat (and several times strftime),
    # and every event hashed or verified formats two times.
    return (
        f"{moment.year}-{_TWO_DIGITS[moment.month]}-{_TWO_DIGITS[moment.day]}T{_TWO_DIGITS[moment.hour]}:"
        f"{_TWO_DIGITS[moment.minute]}:{_TWO_DIGITS[moment.second]}.{moment.microsecond:06d}Z"
    )


_TWO_DIGITS = tuple(f"{n:02d}" for n in range(100))


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
    request_id: str | None = None,
) -> bytes:
    return _hash(
        prev_hash,
        _json_string(stream_id),
        version,
        event_id,
        _json_string(event_type),
        _json_string(actor),
        utc_text(business_time),
        utc_text(recorded_at),
        payload_text,
        _request_json(request_id),
    )


def _request_json(request_id: str | None) -> str:
    """The request id's place in the header: nothing, or its key and value (sorted between the times and the stream)."""
    return "" if request_id is None else f',"request_id":{_json_string(request_id)}'


def _hash(
    prev_hash: bytes,
    stream_json: str,
    version: int,
    event_id: UUID,
    type_json: str,
    actor_json: str,
    business_text: str,
    recorded_text: str,
    payload_text: str,
    request_json: str,
) -> bytes:
    """event_hash from the header's values already encoded: check_stream encodes what repeats along a stream once."""
    # canonical_json(header), spelled out: the header is hashed for every event appended
    # or verified, and this is byte for byte what json.dumps gives (keys in sorted order,
    # strings escaped by the function json.dumps uses, the version an int as json writes it)
    # at a fraction of the cost. tests/domain/test_audit_chain_header.py holds it to that.
    # The payload goes into the same text, so it is encoded (and joined to prev_hash) in one step.
    preimage = (
        f'{{"actor":{actor_json},"business_time":"{business_text}","event_id":"{event_id!s}",'
        f'"recorded_at":"{recorded_text}"{request_json},'
        f'"stream":{stream_json},"type":{type_json},"version":{version!s}}}'
        f"\n{payload_text}"
    )
    return sha256(prev_hash + preimage.encode("utf-8")).digest()


def header_text(
    *,
    stream_id: str,
    version: int,
    event_id: UUID,
    event_type: str,
    actor: str,
    business_time: datetime,
    recorded_at: datetime,
    request_id: str | None = None,
) -> str:
    """The header as canonical_json encodes it: the definition event_hash's fast path must match."""
    return canonical_json(
        ({} if request_id is None else {"request_id": request_id})
        | {
            "stream": stream_id,
            "version": version,
            "event_id": str(event_id),
            "type": event_type,
            "actor": actor,
            "business_time": utc_text(business_time),
            "recorded_at": utc_text(recorded_at),
        }
    )


PG_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def stored_time(moment: datetime) -> int:
    """A time as PostgreSQL stores a timestamptz: whole microseconds since PG_EPOCH."""
    if moment.tzinfo is None:
        raise ValueError("audit times must be timezone-aware")
    return (moment - PG_EPOCH) // _MICROSECOND


def stored_time_text(micros: int) -> str:
    """utc_text of a stored time, without making the datetime (verification writes two per event)."""
    seconds, fraction = divmod(micros, 1_000_000)
    days, seconds = divmod(seconds, 86_400)
    hour, seconds = divmod(seconds, 3_600)
    minute, second = divmod(seconds, 60)
    return f"{_day_text(days)}T{_TWO_DIGITS[hour]}:{_TWO_DIGITS[minute]}:{_TWO_DIGITS[second]}.{fraction:06d}Z"


@lru_cache(maxsize=4096)  # a log's events fall on comparatively few days
def _day_text(days: int) -> str:
    """utc_text's date, for the day `days` after PG_EPOCH's."""
    return utc_text(PG_EPOCH + timedelta(days=days))[: -len("THH:MM:SS.ffffffZ")]


class StoredEvent(NamedTuple):
    """One row of the log as verification reads it: the columns the chain covers, in this order,
    the times as stored (stored_time). check_stream takes these, or the database's rows alike."""

    stream_id: str
    version: int
    event_id: UUID
    event_type: str
    actor: str
    business_time: int
    recorded_at: int
    payload_text: str
    prev_hash: bytes
    hash: bytes
    request_id: str | None = None


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


def check_stream(stream_id: str, events: Iterable[Sequence[Any]], head: StreamHead | None) -> StreamReport:
    """Recompute one stream's chain (events in version order) and find its first broken link.

    `events`: StoredEvents, or rows of the same fields in the same order.
    """
    last_version = 0
    last_hash = GENESIS
    count = 0
    first: ChainBreak | None = None
    # The header's values that repeat along a stream, kept encoded: the stream and, for the
    # events of one append, the recorded time (the transaction's) and often the business time.
    stream = stream_json = last_business = last_recorded = None
    business_text = recorded_text = ""
    for row in events:
        count += 1
        if first is not None:
            continue
        (
            sid,
            version,
            event_id,
            event_type,
            actor,
            business_time,
            recorded_at,
            payload_text,
            prev_hash,
            digest,
            request,
        ) = row
        if sid != stream:
            stream, stream_json = sid, _json_string(sid)
        if business_time != last_business:
            last_business, business_text = business_time, stored_time_text(business_time)
        if recorded_at != last_recorded:
            last_recorded, recorded_text = recorded_at, stored_time_text(recorded_at)
        if head is None:
            first = ChainBreak(
                sid, version, "no_head", "the stream has events but no head: written outside the audit log"
            )
        elif version > head.version:
            first = ChainBreak(
                sid, version, "beyond_head", f"the head ends at v{head.version}: written outside the audit log"
            )
        elif version != last_version + 1:
            first = ChainBreak(sid, version, "missing", f"expected v{last_version + 1} before it: events were deleted")
        elif (
            _hash(
                prev_hash,
                stream_json,
                version,
                event_id,
                _json_string(event_type),
                _json_string(actor),
                business_text,
                recorded_text,
                payload_text,
                _request_json(request),
            )
            != digest
        ):
            first = ChainBreak(
                sid,
                version,
                "altered",
                "its content does not match its hash: it was changed after it was recorded",
            )
        elif prev_hash != last_hash:
            first = ChainBreak(
                sid,
                version,
                "broken_link",
                "it does not link to the event before it: events were reordered, replaced or inserted",
            )
        else:
            last_version, last_hash = version, digest
    if first is None:
        first = _check_head(stream_id, last_version, last_hash, head)
    return StreamReport(stream_id=stream_id, events=count, first_break=first)


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
