"""The audit log in PostgreSQL: idempotent, hash-chained appends; reads; verification."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from itertools import groupby
from operator import itemgetter

import asyncpg
from pydantic_core import from_json

from domain import items
from domain.audit_chain import (
    GENESIS,
    StreamHead,
    StreamReport,
    canonical_json,
    check_stream,
    event_hash,
)
from domain.events import DomainEvent, NewEvent, RecordedEvent, envelopes


class AuditConflict(Exception):
    """An append that contradicts what the log already holds; retrying cannot help."""


@dataclass(frozen=True, slots=True)
class AppendOutcome:
    appended: int
    already_recorded: int


_COLUMNS = (
    "position, stream_id, version, event_id, event_type, actor, business_time, recorded_at, payload, prev_hash, hash,"
    " request_id"
)


_INSERT_EVENT = (
    "INSERT INTO audit_events"
    " (stream_id, version, event_id, event_type, actor, business_time, payload, prev_hash, hash, request_id)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
)
_INSERT_EVENTS = (
    "INSERT INTO audit_events"
    " (stream_id, version, event_id, event_type, actor, business_time, payload, prev_hash, hash, request_id)"
    " SELECT $1, version, event_id, event_type, actor, business_time, payload::json, prev_hash, hash, request_id"
    " FROM unnest($2::integer[], $3::uuid[], $4::text[], $5::text[], $6::timestamptz[], $7::text[], $8::bytea[],"
    " $9::bytea[], $10::text[])"
    " AS batch (version, event_id, event_type, actor, business_time, payload, prev_hash, hash, request_id)"
)


def _same_event(new: NewEvent, payload_text: str, old: asyncpg.Record) -> bool:
    return (
        old["event_id"] == new.event_id
        and old["event_type"] == new.event_type
        and old["actor"] == new.actor
        and old["business_time"] == new.business_time
        and old["payload"] == payload_text
        and old["request_id"] == new.request_id
    )


class AuditLog:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def append(self, events: Sequence[NewEvent]) -> AppendOutcome:
        """Append events atomically, chaining each stream; a repeated append is a no-op.

        Events of one stream must carry consecutive versions. Versions already in
        the log must hold the very same events (an activity retry), or the whole
        append is refused with AuditConflict.
        """
        by_stream = sorted(events, key=lambda e: (e.stream_id, e.version))
        appended = already = 0
        async with self._pool.acquire() as conn, conn.transaction():
            # Streams are locked in name order so two batches never deadlock.
            for stream_id, group in groupby(by_stream, key=lambda e: e.stream_id):
                new, old = await self._append_stream(conn, stream_id, list(group))
                appended += new
                already += old
        return AppendOutcome(appended=appended, already_recorded=already)

    async def _append_stream(self, conn: asyncpg.Connection, stream_id: str, events: list[NewEvent]) -> tuple[int, int]:
        first = events[0].version
        if [e.version for e in events] != list(range(first, first + len(events))):
            raise AuditConflict(f"stream {stream_id}: versions of one append must be consecutive")
        head = await _lock_head(conn, stream_id)
        head_version: int = head["version"]
        texts = [canonical_json(e.payload) for e in events]

        recorded = [(e, t) for e, t in zip(events, texts, strict=True) if e.version <= head_version]
        if recorded:
            rows = await conn.fetch(
                "SELECT version, event_id, event_type, actor, business_time, payload, request_id FROM audit_events"
                " WHERE stream_id = $1 AND version BETWEEN $2 AND $3 ORDER BY version",
                stream_id,
                first,
                recorded[-1][0].version,
            )
            if len(rows) != len(recorded):
                raise AuditConflict(f"stream {stream_id} is missing versions it once held: run `qa audit verify`")
            for (event, text), row in zip(recorded, rows, strict=True):
                if not _same_event(event, text, row):
                    raise AuditConflict(
                        f"stream {stream_id} already holds a different event at version {event.version}"
                    )
        fresh = [(e, t) for e, t in zip(events, texts, strict=True) if e.version > head_version]
        if not fresh:
            return 0, len(recorded)
        if fresh[0][0].version != head_version + 1:
            raise AuditConflict(
                f"stream {stream_id} is at version {head_version}; cannot append version {fresh[0][0].version}"
            )

        now = head["now"]
        prev = bytes(head["hash"])
        rows = []
        for event, text in fresh:
            digest = event_hash(
                prev_hash=prev,
                stream_id=stream_id,
                version=event.version,
                event_id=event.event_id,
                event_type=event.event_type,
                actor=event.actor,
                business_time=event.business_time,
                recorded_at=now,
                payload_text=text,
                request_id=event.request_id,
            )
            rows.append(
                (
                    event.version,
                    event.event_id,
                    event.event_type,
                    event.actor,
                    event.business_time,
                    text,
                    prev,
                    digest,
                    event.request_id,
                )
            )
            prev = digest
        try:
            # recorded_at is left to the column default: the same now() the hashes used.
            if len(rows) == 1:  # what most activities append: a plain VALUES row is cheaper than arrays
                await conn.execute(_INSERT_EVENT, stream_id, *rows[0])
            else:  # one statement for the whole batch: one round trip, not one per row
                await conn.execute(_INSERT_EVENTS, stream_id, *(list(column) for column in zip(*rows, strict=True)))
        except asyncpg.UniqueViolationError as exc:
            raise AuditConflict(
                f"stream {stream_id}: an event id is already recorded elsewhere ({exc.detail})"
            ) from None
        await conn.execute(
            "UPDATE audit_streams SET version = $2, hash = $3, updated_at = now() WHERE stream_id = $1",
            stream_id,
            fresh[-1][0].version,
            prev,
        )
        # The open items, in the same transaction (domain.items.opens, closes).
        for event, _ in fresh:
            if (kind := items.opens(event.event_type)) is not None:
                await conn.execute(_OPEN, stream_id, kind.name)
            elif items.closes(event.event_type):
                await conn.execute("DELETE FROM open_items WHERE stream_id = $1", stream_id)
        return len(fresh), len(recorded)

    async def append_next(
        self,
        conn: asyncpg.Connection,
        stream_id: str,
        actor: str,
        business_time: datetime,
        events: Sequence[DomainEvent],
        request_id: str | None = None,
    ) -> int:
        """Append after whatever the stream holds, inside the caller's transaction.

        For writers outside workflows (imports from the CLI): the change they make
        and its audit record commit together or not at all. Returns the new version.
        `request_id`: the person's request they answer (recorded with them; see `recorded_for`).
        """
        head = await _lock_head(conn, stream_id)
        new = list(envelopes(stream_id, head["version"], events, actor, business_time, uuid.uuid4, request_id))
        await self._append_stream(conn, stream_id, new)
        return new[-1].version

    async def read_stream(self, stream_id: str) -> list[RecordedEvent]:
        async with self._pool.acquire() as conn:
            rows = await conn.fetch(
                f"SELECT {_COLUMNS} FROM audit_events WHERE stream_id = $1 ORDER BY version", stream_id
            )
        return [_recorded(row) for row in rows]

    async def read_streams(self, stream_ids: Sequence[str]) -> dict[str, list[RecordedEvent]]:
        """Several streams' events in one query (each in version order), by stream id."""
        async with self._pool.acquire() as conn:
            rows = await conn.fetch(
                f"SELECT {_COLUMNS} FROM audit_events WHERE stream_id = ANY($1::text[]) ORDER BY stream_id, version",
                list(stream_ids),
            )
        found: dict[str, list[RecordedEvent]] = {sid: [] for sid in stream_ids}
        for row in rows:
            found[row[1]].append(_recorded(row))
        return found

    async def recorded_for(self, request_id: str) -> list[RecordedEvent]:
        """The events a person's request recorded (domain.requests), in the order they were recorded."""
        async with self._pool.acquire() as conn:
            rows = await conn.fetch(
                f"SELECT {_COLUMNS} FROM audit_events WHERE request_id = $1 ORDER BY position", request_id
            )
        return [_recorded(row) for row in rows]

    async def streams_opened_with(self, event_type: str, field: str, value: str) -> list[str]:
        """The streams whose event of `event_type` has `value` in its payload's `field`, oldest first."""
        async with self._pool.acquire() as conn:
            rows = await conn.fetch(
                "SELECT stream_id FROM audit_events WHERE event_type = $1 AND payload->>$2 = $3 ORDER BY position",
                event_type,
                field,
                value,
            )
        return [row["stream_id"] for row in rows]

    async def events_of_type(
        self, event_type: str, field: str | None = None, value: str | None = None
    ) -> list[RecordedEvent]:
        """Every event of `event_type` (only those whose payload's `field` is `value`, if given), oldest first."""
        async with self._pool.acquire() as conn:
            rows = await conn.fetch(
                f"SELECT {_COLUMNS} FROM audit_events WHERE event_type = $1"
                " AND ($2::text IS NULL OR payload->>$2 = $3) ORDER BY position",
                event_type,
                field,
                value,
            )
        return [_recorded(row) for row in rows]

    async def read_streams_opened_with(
        self, event_type: str, field: str, values: Sequence[str]
    ) -> dict[str, list[RecordedEvent]]:
        """The whole streams opened by an event of `event_type` whose payload's `field` is one of `values` (a
        review's disputes), by stream id."""
        async with self._pool.acquire() as conn:
            rows = await conn.fetch(
                "SELECT stream_id FROM audit_events WHERE event_type = $1 AND version = 1 AND payload->>$2 = ANY($3)",
                event_type,
                field,
                list(values),
            )
        return await self.read_streams(sorted(row["stream_id"] for row in rows)) if rows else {}

    async def now(self) -> datetime:
        """The database's clock: the one every recorded time is read from."""
        async with self._pool.acquire() as conn:
            return await conn.fetchval("SELECT now()")

    async def head(self, stream_id: str) -> StreamHead | None:
        """The stream's head (its last version and hash), or None if it holds nothing."""
        async with self._pool.acquire() as conn:
            row = await conn.fetchrow("SELECT version, hash FROM audit_streams WHERE stream_id = $1", stream_id)
        return None if row is None else StreamHead(stream_id, row["version"], bytes(row["hash"]))

    async def opening_events(self, stream_id: str | None = None) -> list[tuple[str, str]]:
        """(stream id, its first event's type) of every stream, or of `stream_id` alone, by stream id."""
        async with self._pool.acquire() as conn:
            rows = await conn.fetch(
                "SELECT DISTINCT ON (stream_id) stream_id, event_type FROM audit_events"
                " WHERE $1::text IS NULL OR stream_id = $1 ORDER BY stream_id, version",
                stream_id,
            )
        return [(row["stream_id"], row["event_type"]) for row in rows]

    async def streams_opened(self, opening: str) -> list[str]:
        """Every stream an event of type `opening` opened, closed since or not, by stream id."""
        async with self._pool.acquire() as conn:
            rows = await conn.fetch(
                "SELECT stream_id FROM audit_events WHERE event_type = $1 ORDER BY stream_id", opening
            )
        return [row["stream_id"] for row in rows]

    async def streams_starting(self, prefix: str) -> list[str]:
        """The streams whose id starts with `prefix` (e.g. a review's disputes), by stream id."""
        async with self._pool.acquire() as conn:
            rows = await conn.fetch(
                "SELECT stream_id FROM audit_streams WHERE left(stream_id, length($1)) = $1 ORDER BY stream_id", prefix
            )
        return [row["stream_id"] for row in rows]

    async def unknown_streams(self, stream_ids: Sequence[str]) -> list[str]:
        """Those of `stream_ids` that name no stream in the log, in the order given."""
        async with self._pool.acquire() as conn:
            rows = await conn.fetch(
                "SELECT DISTINCT stream_id FROM audit_events WHERE stream_id = ANY($1::text[])", list(stream_ids)
            )
        known = {row["stream_id"] for row in rows}
        return [stream_id for stream_id in stream_ids if stream_id not in known]

    async def streams_with_overdue_duties(self) -> list[str]:
        """The open items where a duty's breach was recorded (domain.duties: a chase step of kind 'overdue')."""
        async with self._pool.acquire() as conn:
            rows = await conn.fetch(
                "SELECT DISTINCT e.stream_id FROM open_items o JOIN audit_events e USING (stream_id)"
                " WHERE e.event_type LIKE '%.duty_chased' AND e.payload->'step'->>'kind' = 'overdue'"
                " ORDER BY e.stream_id"
            )
        return [row["stream_id"] for row in rows]

    async def open_streams(self, kind: str) -> list[str]:
        """The items of the kind named `kind` still open (domain.items.opens, closes), by id."""
        async with self._pool.acquire() as conn:
            rows = await conn.fetch("SELECT stream_id FROM open_items WHERE kind = $1 ORDER BY stream_id", kind)
        return [row["stream_id"] for row in rows]

    async def streams_for_pack(
        self, whole: Sequence[str], duty_events: Sequence[str], since: datetime, until: datetime
    ) -> list[str]:
        """The streams opened by an event of a type in `whole`, and those with a duty event in [since, until]."""
        async with self._pool.acquire() as conn:
            rows = await conn.fetch(
                "SELECT DISTINCT stream_id FROM audit_events WHERE event_type = ANY($1::text[])"
                " OR (split_part(event_type, '.', 2) = ANY($2::text[]) AND business_time BETWEEN $3 AND $4)"
                " ORDER BY stream_id",
                list(whole),
                list(duty_events),
                since,
                until,
            )
        return [row["stream_id"] for row in rows]

    async def latest_dated(
        self,
        event_type: str,
        day_field: str,
        before: date,
        *,
        inclusive: bool,
        excluding: str | None = None,
        having: str | None = None,
    ) -> RecordedEvent | None:
        """The event of `event_type` whose payload's day `day_field` is the latest before `before` (or on
        it, if `inclusive`), the later recorded of two on one day; not of stream `excluding`, and only
        one whose payload's `having` is not blank. E.g. the QAPM meeting before this one."""
        async with self._pool.acquire() as conn:
            row = await conn.fetchrow(
                f"SELECT {_COLUMNS} FROM audit_events WHERE event_type = $1 AND stream_id IS DISTINCT FROM $4"
                " AND ((payload->>$2)::date < $3 OR ($5 AND (payload->>$2)::date = $3))"
                " AND ($6::text IS NULL OR coalesce(btrim(payload->>$6), '') <> '')"
                " ORDER BY (payload->>$2)::date DESC, position DESC LIMIT 1",
                event_type,
                day_field,
                before,
                excluding,
                inclusive,
                having,
            )
        return None if row is None else _recorded(row)

    async def last_of_type(self, stream_id: str, event_type: str) -> RecordedEvent | None:
        """The stream's newest event of `event_type`, if any."""
        async with self._pool.acquire() as conn:
            row = await conn.fetchrow(
                f"SELECT {_COLUMNS} FROM audit_events WHERE stream_id = $1 AND event_type = $2"
                " ORDER BY version DESC LIMIT 1",
                stream_id,
                event_type,
            )
        return None if row is None else _recorded(row)

    async def verify(self, stream_id: str | None = None) -> list[StreamReport]:
        """Recompute every chain (or one stream's) from a single consistent snapshot."""
        reports = []
        async with self._pool.acquire() as conn:
            # The times as integers, as PostgreSQL stores them (domain.audit_chain.stored_time): the
            # chain needs only their text, and asyncpg's datetimes cost more to make than all the
            # rest of a row. On this connection for the verification alone: others get datetimes.
            await conn.set_type_codec(
                "timestamptz", schema="pg_catalog", format="tuple", decoder=itemgetter(0), encoder=lambda m: (m,)
            )
            try:
                async with conn.transaction(isolation="repeatable_read", readonly=True):
                    heads = {
                        row["stream_id"]: StreamHead(row["stream_id"], row["version"], bytes(row["hash"]))
                        for row in await conn.fetch(
                            "SELECT stream_id, version, hash FROM audit_streams"
                            " WHERE $1::text IS NULL OR stream_id = $1",
                            stream_id,
                        )
                    }
                    seen = set()
                    async for sid, events in _streams(conn, stream_id):
                        seen.add(sid)
                        reports.append(check_stream(sid, events, heads.get(sid)))
            finally:
                try:
                    await conn.reset_type_codec("timestamptz", schema="pg_catalog")
                except BaseException:
                    conn.terminate()  # rather than hand the pool a connection that reads times as integers
                    raise
        for sid in sorted(heads.keys() - seen):
            reports.append(check_stream(sid, [], heads[sid]))
        return reports


_OPEN = "INSERT INTO open_items (stream_id, kind) VALUES ($1, $2) ON CONFLICT DO NOTHING"


async def fill_open_items(conn: asyncpg.Connection) -> None:
    """The open items as the log holds them: each stream opened by a kind's opening event, and not closed since."""
    await conn.execute(
        "INSERT INTO open_items (stream_id, kind, opened_at)"
        " SELECT o.stream_id, k.kind, o.recorded_at FROM audit_events o"
        " JOIN unnest($1::text[], $2::text[]) AS k (opening, kind) ON o.event_type = k.opening"
        " WHERE NOT EXISTS (SELECT 1 FROM audit_events c WHERE c.stream_id = o.stream_id"
        " AND c.event_type = ANY($3::text[])) ON CONFLICT DO NOTHING",
        [k.opening for k in items.KINDS if k.workflow_type is not None],
        [k.name for k in items.KINDS if k.workflow_type is not None],
        [t for k in items.KINDS for t in k.closing],
    )


async def _lock_head(conn: asyncpg.Connection, stream_id: str) -> asyncpg.Record:
    """The stream's head, locked for this transaction (created empty on first use)."""
    head = await conn.fetchrow(_LOCK_HEAD, stream_id)
    if head is None:  # a new stream: one more round trip, once
        await conn.execute(
            "INSERT INTO audit_streams (stream_id, version, hash) VALUES ($1, 0, $2) ON CONFLICT DO NOTHING",
            stream_id,
            GENESIS,
        )
        head = await conn.fetchrow(_LOCK_HEAD, stream_id)
    return head


_LOCK_HEAD = "SELECT version, hash, now() AS now FROM audit_streams WHERE stream_id = $1 FOR UPDATE"


async def _streams(conn: asyncpg.Connection, stream_id: str | None) -> AsyncIterator[tuple[str, list[asyncpg.Record]]]:
    """Each stream's events in version order, streamed from a server-side cursor."""
    current: str | None = None
    batch: list[asyncpg.Record] = []
    cursor = await conn.cursor(_CHAIN_QUERY, stream_id)
    # Fetched a chunk at a time, and each row passed on as it comes: they are StoredEvent's fields, in order.
    while rows := await cursor.fetch(_CHUNK):
        for row in rows:
            if row[0] != current:
                if batch:
                    yield current, batch  # type: ignore[misc]
                current, batch = row[0], []
            batch.append(row)
    if batch:
        yield current, batch  # type: ignore[misc]


# Only the columns the chain covers (StoredEvent's fields, in order): not the position.
_CHAIN_QUERY = (
    "SELECT stream_id, version, event_id, event_type, actor, business_time, recorded_at, payload, prev_hash, hash,"
    " request_id FROM audit_events WHERE $1::text IS NULL OR stream_id = $1 ORDER BY stream_id, version"
)
_CHUNK = 2000


def _recorded(row: asyncpg.Record) -> RecordedEvent:
    # A replay makes one per event, so the row is taken by position (_COLUMNS' order), a quarter
    # cheaper than by column name, and handed straight to the model's validator: model_validate
    # spends a sixth as much again passing on its keyword options. The payload goes through
    # pydantic's own JSON parser: on payloads of a few hundred bytes or less json.loads spends
    # more in its Python wrapper than in parsing, and takes three times as long.
    return _validate_recorded(
        {
            "position": row[0],
            "stream_id": row[1],
            "version": row[2],
            "event_id": row[3],
            "event_type": row[4],
            "actor": row[5],
            "business_time": row[6],
            "recorded_at": row[7],
            "payload": from_json(row[8]),
            "prev_hash": row[9].hex(),
            "hash": row[10].hex(),
            "request_id": row[11],
        }
    )


_validate_recorded = RecordedEvent.__pydantic_validator__.validate_python
