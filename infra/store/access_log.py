"""The access log in PostgreSQL: who read which item's audit record, with which command, when, allowed or not.

Append-only (migration 0004): the application may only insert and read, and the
moment of each read is the database's clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg

MAX_TEXT = 500


@dataclass(frozen=True, slots=True)
class AccessEntry:
    access_id: int
    accessed_at: datetime
    reader: str
    item_id: str
    command: str
    allowed: bool
    detail: str

    def as_json(self) -> dict[str, object]:
        return {
            "access_id": self.access_id,
            "accessed_at": self.accessed_at.isoformat(),
            "reader": self.reader,
            "item_id": self.item_id,
            "command": self.command,
            "allowed": self.allowed,
            "detail": self.detail,
        }


def _clip(text: str) -> str:
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 3] + "..."


class AccessLog:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def record(self, reader: str, item_id: str, command: str, allowed: bool, detail: str = "") -> AccessEntry:
        """Record one read (or refused read); returns it with the database's time."""
        async with self._pool.acquire() as conn:
            row = await conn.fetchrow(
                "INSERT INTO access_log (reader, item_id, command, allowed, detail) VALUES ($1, $2, $3, $4, $5)"
                " RETURNING access_id, accessed_at, reader, item_id, command, allowed, detail",
                _clip(reader) or "?",
                _clip(item_id) or "?",
                command,
                allowed,
                _clip(detail),
            )
        return _entry(row)

    async def entries(self, item_id: str | None = None, reader: str | None = None) -> list[AccessEntry]:
        """Every recorded read (of one item, or by one reader), oldest first."""
        async with self._pool.acquire() as conn:
            rows = await conn.fetch(
                "SELECT access_id, accessed_at, reader, item_id, command, allowed, detail FROM access_log"
                " WHERE ($1::text IS NULL OR item_id = $1) AND ($2::text IS NULL OR reader = $2)"
                " ORDER BY access_id",
                item_id,
                reader,
            )
        return [_entry(row) for row in rows]


def _entry(row: asyncpg.Record) -> AccessEntry:
    return AccessEntry(
        access_id=row["access_id"],
        accessed_at=row["accessed_at"],
        reader=row["reader"],
        item_id=row["item_id"],
        command=row["command"],
        allowed=row["allowed"],
        detail=row["detail"],
    )
