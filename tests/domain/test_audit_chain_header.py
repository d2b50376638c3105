"""event_hash spells the canonical header out for speed: it must stay byte for byte canonical_json's."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta, timezone
from uuid import UUID

from hypothesis import given
from hypothesis import strategies as st

from domain.audit_chain import canonical_json, event_hash, header_text, utc_text

moments = st.datetimes(
    min_value=datetime(1, 1, 2),
    max_value=datetime(9999, 12, 30),
    timezones=st.sampled_from([UTC, timezone(timedelta(hours=1)), timezone(timedelta(hours=-5, minutes=-30))]),
)
texts = st.text(min_size=1, max_size=40)


def reference_hash(prev_hash: bytes, payload_text: str, **header: object) -> bytes:
    """The chain's definition, as the module docstring gives it."""
    digest = hashlib.sha256(prev_hash)
    digest.update(header_text(**header).encode("utf-8"))  # type: ignore[arg-type]
    digest.update(b"\n")
    digest.update(payload_text.encode("utf-8"))
    return digest.digest()


def test_utc_text_is_strftime_of_the_utc_moment():
    for moment in (
        datetime(2027, 3, 28, 0, 59, 59, 999999, tzinfo=UTC),
        datetime(2027, 3, 28, 2, 0, tzinfo=timezone(timedelta(hours=1))),
        datetime(999, 1, 1, tzinfo=UTC),
        datetime(1000, 1, 1, tzinfo=UTC),
    ):
        assert utc_text(moment) == moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@given(
    prev=st.binary(min_size=32, max_size=32),
    stream_id=texts,
    version=st.integers(min_value=1, max_value=2**31 - 1),
    event_id=st.uuids(),
    event_type=texts,
    actor=texts,
    business_time=moments,
    recorded_at=moments,
    payload=st.dictionaries(texts, texts | st.integers(), max_size=3),
)
def test_event_hash_is_the_canonical_header_hashed(
    prev, stream_id, version, event_id, event_type, actor, business_time, recorded_at, payload
):
    payload_text = canonical_json(payload)
    header = dict(
        stream_id=stream_id,
        version=version,
        event_id=event_id,
        event_type=event_type,
        actor=actor,
        business_time=business_time,
        recorded_at=recorded_at,
    )
    assert event_hash(prev_hash=prev, payload_text=payload_text, **header) == reference_hash(
        prev, payload_text, **header
    )


def test_a_known_event_keeps_its_hash():
    """Pinned: a change to the encoding would break every chain already stored."""
    at = datetime(2027, 11, 1, 9, 30, tzinfo=UTC)
    digest = event_hash(
        prev_hash=bytes(32),
        stream_id='cpr-2027-11-01 "quoted" \\ é',
        version=7,
        event_id=UUID("12345678-1234-5678-1234-567812345678"),
        event_type="review.voice_recorded",
        actor="sam.reviewer",
        business_time=at,
        recorded_at=at + timedelta(microseconds=5),
        payload_text=canonical_json({"summary": "heard\n", "b": [1, 2]}),
    )
    # computed with the original json.dumps / strftime implementation
    assert digest.hex() == "c7da57e319a1a84a842e59a0a0548bb8edc1f26fa3ae49632ca34d07970e4a97"


def test_stored_events_line_up_with_the_hash_and_the_logs_columns():
    """Verification passes rows and tuple slices by position: the orders must agree."""
    import inspect

    from activities.audit_log import _COLUMNS
    from domain.audit_chain import StoredEvent, _hash

    assert list(StoredEvent._fields[1:10]) == list(inspect.signature(_hash).parameters)
    columns = [c.strip() for c in _COLUMNS.split(",")]
    assert [("payload_text" if c == "payload" else c) for c in columns] == list(StoredEvent._fields)
