"""Migrations against a real PostgreSQL: applied once, recorded, and never silently rewritten."""

from __future__ import annotations

import pytest

from infra import db
from infra.db import Migration, MigrationError, bundled_migrations, migrate


async def test_migrations_are_recorded_and_idempotent(database, admin_conn):
    # the fixture already migrated this database: a second run applies nothing
    assert await migrate(database.admin_url) == []
    rows = await admin_conn.fetch("SELECT version, name, checksum FROM schema_migrations ORDER BY version")
    assert [(r["version"], r["name"], r["checksum"]) for r in rows] == [
        (m.version, m.name, m.checksum) for m in bundled_migrations()
    ]


async def test_a_migration_changed_after_it_was_applied_is_refused(database, monkeypatch):
    edited = [Migration(m.version, m.name, m.sql + "\n-- edited") for m in bundled_migrations()]
    monkeypatch.setattr(db, "bundled_migrations", lambda: edited)
    with pytest.raises(MigrationError, match="0001_audit_log was changed after it was applied"):
        await migrate(database.admin_url)


async def test_a_new_migration_is_applied_once_in_order(database, admin_conn, monkeypatch):
    extra = Migration(len(bundled_migrations()) + 1, "probe", "CREATE TABLE migration_probe (id int)")
    monkeypatch.setattr(db, "bundled_migrations", lambda: [*bundled_migrations(), extra])
    assert await migrate(database.admin_url) == [extra]
    assert await migrate(database.admin_url) == []
    assert await admin_conn.fetchval("SELECT to_regclass('migration_probe') IS NOT NULL")


async def test_migrating_with_a_login_that_may_not_change_the_schema_is_one_line(database):
    # The application's login (qa_app) on a migrated database: a setting to fix, said so, never a traceback.
    with pytest.raises(
        MigrationError,
        match="^the login given for migrations may not change the schema .*"
        "set QA_ADMIN_DATABASE_URL to the schema owner's login",
    ):
        await migrate(database.app_url)
