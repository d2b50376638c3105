"""Folded states of open items, cached by stream head and reducer fingerprint (migration 0010)."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg


class StateCache:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def fresh(self, stream_ids: Sequence[str], fingerprint: str) -> dict[str, str]:
        """The cached state (JSON) of each stream whose head and reducer have not moved since it was cached."""
        async with self._pool.acquire() as conn:
            rows = await conn.fetch(
                "SELECT c.stream_id, c.state FROM unnest($1::text[]) AS i (stream_id)"
                " JOIN audit_streams s USING (stream_id) JOIN item_states c USING (stream_id)"
                " WHERE c.version = s.version AND c.head_hash = s.hash AND c.fingerprint = $2",
                list(stream_ids),
                fingerprint,
            )
        return {row["stream_id"]: row["state"] for row in rows}

    async def keep(self, states: Sequence[tuple[str, int, bytes, str, str]]) -> None:
        """(stream id, version, head hash, fingerprint, state JSON) of states just folded."""
        if not states:
            return
        async with self._pool.acquire() as conn:
            await conn.executemany(
                "INSERT INTO item_states (stream_id, version, head_hash, fingerprint, state)"
                " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (stream_id) DO UPDATE SET version = excluded.version,"
                " head_hash = excluded.head_hash, fingerprint = excluded.fingerprint, state = excluded.state,"
                " cached_at = now() WHERE item_states.version <= excluded.version",
                states,
            )
