"""The audit log's heads, as checkpoints sign them, and the signed checkpoints kept (domain.checkpoints)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import asyncpg

from domain.checkpoints import Head


@dataclass(frozen=True, slots=True)
class StoredCheckpoint:
    made_by: str
    body: str
    signature: str
    public_key: str


class Checkpoints:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def heads(self) -> list[Head]:
        """Every stream's head now (streams never written, at version 0, left out)."""
        async with self._pool.acquire() as conn:
            rows = await conn.fetch("SELECT stream_id, version, hash FROM audit_streams WHERE version > 0")
        return [Head(row["stream_id"], row["version"], bytes(row["hash"]).hex()) for row in rows]

    async def held(self, heads: Sequence[Head]) -> tuple[dict[tuple[str, int], str], dict[str, int]]:
        """The hash the log holds at each (stream, version) of `heads`, and each of those streams' head now."""
        streams = [h.stream_id for h in heads]
        async with self._pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
            rows = await conn.fetch(
                "SELECT e.stream_id, e.version, e.hash FROM unnest($1::text[], $2::integer[]) AS c (stream_id, version)"
                " JOIN audit_events e USING (stream_id, version)",
                streams,
                [h.version for h in heads],
            )
            versions = await conn.fetch(
                "SELECT stream_id, version FROM audit_streams WHERE stream_id = ANY($1::text[])", streams
            )
        return (
            {(row["stream_id"], row["version"]): bytes(row["hash"]).hex() for row in rows},
            {row["stream_id"]: row["version"] for row in versions},
        )

    async def keep(self, made_by: str, body: str, signature: str, public_key: str) -> None:
        async with self._pool.acquire() as conn:
            await conn.execute(
                "INSERT INTO audit_checkpoints (made_by, body, signature, public_key) VALUES ($1, $2, $3, $4)",
                made_by,
                body,
                signature,
                public_key,
            )

    async def newest(self) -> StoredCheckpoint | None:
        async with self._pool.acquire() as conn:
            row = await conn.fetchrow(
                "SELECT made_by, body, signature, public_key FROM audit_checkpoints ORDER BY checkpoint_id DESC LIMIT 1"
            )
        return None if row is None else StoredCheckpoint(**dict(row))
