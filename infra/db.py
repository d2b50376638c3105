"""The asyncpg pool and the versioned SQL migrations."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from importlib import resources
from urllib.parse import parse_qs, urlsplit

import asyncpg

# Any fixed number: only qa-engine's migrators take this lock.
_MIGRATION_LOCK = 0x51A_E491

_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


class MigrationError(RuntimeError):
    pass


class DatabaseUnreachable(RuntimeError):
    """The database could not be reached: one line that names it (never its password)."""


def where(url: str) -> str:
    """A database URL as a person may see it: its name and host or socket folder, without credentials."""
    parts = urlsplit(url)
    host = parse_qs(parts.query).get("host", [parts.hostname or "localhost"])[0]
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.path.lstrip('/') or '(default)'} at {host}{port}"


async def _connect(url: str) -> asyncpg.Connection:
    try:
        return await asyncpg.connect(url)
    except (OSError, TimeoutError, asyncpg.CannotConnectNowError) as exc:
        raise DatabaseUnreachable(f"cannot reach the database {where(url)}: {exc}") from None


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode("utf-8")).hexdigest()


def bundled_migrations() -> list[Migration]:
    found = []
    for entry in resources.files("infra.migrations").iterdir():
        match = _NAME.match(entry.name)
        if match:
            found.append(Migration(int(match[1]), match[2], entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if versions != list(range(1, len(found) + 1)):
        raise MigrationError(f"migration files must be numbered 0001, 0002, ... without gaps; found {versions}")
    return found


async def _fill_open_items(conn: asyncpg.Connection) -> None:
    from infra.store.audit_log import fill_open_items

    await fill_open_items(conn)


# Migrations that create a projection of the log fill it, in their transaction, from what the log holds.
_FILL = {9: _fill_open_items}


async def migrate(admin_url: str) -> list[Migration]:
    """Apply the migrations not yet applied, each in its own transaction; returns those applied.

    Safe to run from several processes at once (an advisory lock serialises them)
    and as often as you like. A migration edited after it was applied is refused.
    """
    conn = await _connect(admin_url)
    try:
        return await _migrate(conn)
    except asyncpg.InsufficientPrivilegeError as exc:
        raise MigrationError(
            f"the login given for migrations may not change the schema ({exc}): set QA_ADMIN_DATABASE_URL to the"
            " schema owner's login (`qa db migrate` with it once is enough)"
        ) from None
    finally:
        await conn.close()


async def _migrate(conn: asyncpg.Connection) -> list[Migration]:
    await conn.execute("SELECT pg_advisory_lock($1)", _MIGRATION_LOCK)
    try:
        await conn.execute(
            """
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version    integer PRIMARY KEY,
                name       text NOT NULL,
                checksum   text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now()
            )
            """
        )
        applied = {
            row["version"]: row["checksum"]
            for row in await conn.fetch("SELECT version, checksum FROM schema_migrations")
        }
        done = []
        for migration in bundled_migrations():
            if migration.version in applied:
                if applied[migration.version] != migration.checksum:
                    raise MigrationError(
                        f"migration {migration.version:04d}_{migration.name} was changed after it was applied;"
                        " add a new migration instead"
                    )
                continue
            async with conn.transaction():
                await conn.execute(migration.sql)
                if (fill := _FILL.get(migration.version)) is not None:
                    await fill(conn)
                await conn.execute(
                    "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                    migration.version,
                    migration.name,
                    migration.checksum,
                )
            done.append(migration)
        return done
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", _MIGRATION_LOCK)


async def create_pool(url: str, *, min_size: int = 1, max_size: int = 10) -> asyncpg.Pool:
    try:
        pool = await asyncpg.create_pool(url, min_size=min_size, max_size=max_size)
    except (OSError, TimeoutError, asyncpg.CannotConnectNowError) as exc:
        raise DatabaseUnreachable(f"cannot reach the database {where(url)}: {exc}") from None
    assert pool is not None
    return pool
