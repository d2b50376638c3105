"""event_hash spells the canonical header out for speed: it must stay byte for byte canonical_json's."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta, timezone
from uuid import UUID

from hypothesis import given
from hypothesis import strategies as st

from domain.audit_chain import (
    StoredEvent,
    StreamHead,
    canonical_json,
    check_stream,
    event_hash,
    header_text,
    stored_time,
    stored_time_text,
    utc_text,
)

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


@given(moments)
def test_a_stored_time_reads_as_the_moment_it_holds(moment):
    """Verification writes the times out as PostgreSQL stores them; appends, from the datetimes."""
    assert stored_time_text(stored_time(moment)) == utc_text(moment)


def test_stored_times_are_postgresqls_microseconds_since_2000():
    assert stored_time(datetime(2000, 1, 1, tzinfo=UTC)) == 0
    assert stored_time(datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)) == -1
    assert stored_time(datetime(2000, 1, 2, 1, tzinfo=timezone(timedelta(hours=1)))) == 86_400_000_000
    assert stored_time_text(-1) == "1999-12-31T23:59:59.999999Z"
    assert stored_time_text(stored_time(datetime(999, 1, 1, tzinfo=UTC))) == "999-01-01T00:00:00.000000Z"


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
    request_id=st.none() | st.from_regex(r"[A-Za-z0-9._:-]{1,100}", fullmatch=True),
)
def test_event_hash_is_the_canonical_header_hashed(
    prev, stream_id, version, event_id, event_type, actor, business_time, recorded_at, payload, request_id
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
    assert event_hash(prev_hash=prev, payload_text=payload_text, **header, request_id=request_id) == reference_hash(
        prev, payload_text, **header, request_id=request_id
    )
    if request_id is not None:  # a request id is covered: another (or none) gives another hash
        assert event_hash(prev_hash=prev, payload_text=payload_text, **header, request_id=request_id) != event_hash(
            prev_hash=prev, payload_text=payload_text, **header
        )


@given(
    stream_id=texts,
    event_type=texts,
    actors=st.lists(texts, min_size=1, max_size=4),
    times=st.lists(moments, min_size=1, max_size=4),
    payloads=st.lists(st.dictionaries(texts, texts | st.integers(), max_size=3), min_size=1, max_size=4),
    altered=st.sampled_from(
        [None, "event_type", "actor", "business_time", "recorded_at", "payload_text", "request_id"]
    ),
)
def test_verification_recomputes_the_hashes_appends_made(stream_id, event_type, actors, times, payloads, altered):
    """check_stream hashes from stored times and values it keeps encoded along the stream: the same hash
    event_hash gave each event, and an altered field in any event is found."""
    count = max(len(actors), len(times), len(payloads))
    prev, stored = bytes(32), []
    for i in range(count):
        event = dict(
            stream_id=stream_id,
            version=i + 1,
            event_id=UUID(int=i),
            event_type=event_type,
            actor=actors[i % len(actors)],
            business_time=times[i % len(times)],
            recorded_at=times[(i + 1) % len(times)],
            payload_text=canonical_json(payloads[i % len(payloads)]),
            request_id=f"request-{i}" if i % 2 else None,  # a person's request, or a timer's event
        )
        digest = event_hash(prev_hash=prev, **event)
        row = StoredEvent(
            **event | {key: stored_time(event[key]) for key in ("business_time", "recorded_at")},
            prev_hash=prev,
            hash=digest,
        )
        stored.append(row)
        prev = digest
    head = StreamHead(stream_id, count, prev)
    assert check_stream(stream_id, stored, head).ok
    if altered is not None:
        at = count // 2
        value = stored[at]._asdict()[altered]
        changed = value + 1 if isinstance(value, int) else "forged" if value is None else value + "!"
        stored[at] = stored[at]._replace(**{altered: changed})
        brk = check_stream(stream_id, stored, head).first_break
        assert (brk.kind, brk.version) == ("altered", at + 1)


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


def test_stored_events_line_up_with_the_chain_query():
    """Verification passes the database's rows to check_stream as they come: the orders must agree."""
    from domain.audit_chain import StoredEvent
    from infra.store.audit_log import _CHAIN_QUERY

    selected = _CHAIN_QUERY.removeprefix("SELECT ").partition(" FROM ")[0]
    columns = [c.strip() for c in selected.split(",")]
    assert [("payload_text" if c == "payload" else c) for c in columns] == list(StoredEvent._fields)


def test_a_worked_example_hashes_the_header_bytes_written_out_by_hand():
    """The definition (README, "The audit log"), applied by hand rather than through the module's own
    encoders: SHA-256(prev_hash || canonical(header) || "\\n" || payload), the header canonical JSON with
    sorted keys, no spaces, non-ASCII kept as UTF-8 and both times in UTC to the microsecond."""
    prev_hash = bytes.fromhex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f")
    # Written out by hand, not produced by the implementation: keys in sorted order, the stream's quotes
    # escaped and its "é" as the two UTF-8 bytes c3 a9 (not \u00e9), the business time (10:30:00.000250
    # at +01:00) moved to UTC, the version a bare integer.
    header = (
        b'{"actor":"sam.reviewer",'
        b'"business_time":"2027-11-01T09:30:00.000250Z",'
        b'"event_id":"0f8e2c4a-5b6d-4e7f-8a9b-0c1d2e3f4a5b",'
        b'"recorded_at":"2027-11-02T08:00:01.123456Z",'
        b'"stream":"cpr-2027-11 \\"An\xc3\xa9\\"",'
        b'"type":"review.graded",'
        b'"version":12}'
    )
    payload = b'{"grade":"good","notes":"line one\\nline two"}'
    expected = hashlib.sha256(prev_hash + header + b"\n" + payload).digest()
    event = dict(
        stream_id='cpr-2027-11 "Ané"',
        version=12,
        event_id=UUID("0f8e2c4a-5b6d-4e7f-8a9b-0c1d2e3f4a5b"),
        event_type="review.graded",
        actor="sam.reviewer",
        business_time=datetime(2027, 11, 1, 10, 30, 0, 250, tzinfo=timezone(timedelta(hours=1))),
        recorded_at=datetime(2027, 11, 2, 8, 0, 1, 123456, tzinfo=UTC),
    )

    assert header_text(**event).encode("utf-8") == header
    assert event_hash(prev_hash=prev_hash, payload_text=payload.decode("utf-8"), **event) == expected
    # The digest itself, pinned: neither the example nor the definition can drift without this failing.
    assert expected.hex() == "07618d81983756bd6838a6e4eece59d6f62eb483c2efa8c5fba8c1f15302e68f"
