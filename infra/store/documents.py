"""Published files (findings reports, QAPM packs) in PostgreSQL: written once, read back by digest.

A file's location, as the audit event that publishes it records it, is `postgresql:ITEM/NAME`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import asyncpg

SCHEME = "postgresql:"


class DocumentConflict(Exception):
    """A file already stored under that item and name holds other bytes: it is never replaced."""


@dataclass(frozen=True, slots=True)
class Document:
    item_id: str
    name: str
    media_type: str
    content: bytes

    @property
    def location(self) -> str:
        return location(self.item_id, self.name)


def location(item_id: str, name: str) -> str:
    return f"{SCHEME}{item_id}/{name}"


def parse_location(text: str) -> tuple[str, str] | None:
    """(item id, name) of a stored file's location; None for anything else (a path on a disk)."""
    if not text.startswith(SCHEME):
        return None
    item_id, slash, name = text.removeprefix(SCHEME).rpartition("/")
    return (item_id, name) if slash and item_id and name else None


class Documents:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def put(self, item_id: str, name: str, media_type: str, text: str) -> tuple[str, str]:
        """Store `text` (UTF-8) as the item's file `name`; its (location, SHA-256 in hex).

        Storing the same bytes again (an activity retried) changes nothing; other bytes under the
        same name are refused with DocumentConflict.
        """
        content = text.encode("utf-8")
        digest = hashlib.sha256(content).digest()
        async with self._pool.acquire() as conn:
            await conn.execute(
                "INSERT INTO documents (item_id, name, media_type, content, sha256) VALUES ($1, $2, $3, $4, $5)"
                " ON CONFLICT (item_id, name) DO NOTHING",
                item_id,
                name,
                media_type,
                content,
                digest,
            )
            # Whoever stored it first, this or a retry racing it: what the database now holds.
            held = await conn.fetchval("SELECT sha256 FROM documents WHERE item_id = $1 AND name = $2", item_id, name)
        if bytes(held) != digest:
            raise DocumentConflict(f"{location(item_id, name)} is already stored with other content")
        return location(item_id, name), digest.hex()

    async def get(self, item_id: str, name: str) -> Document | None:
        async with self._pool.acquire() as conn:
            row = await conn.fetchrow(
                "SELECT media_type, content FROM documents WHERE item_id = $1 AND name = $2", item_id, name
            )
        return None if row is None else Document(item_id, name, row["media_type"], bytes(row["content"]))
