"""Real parts only: an embedded PostgreSQL (or QA_DATABASE_URL's) and Temporal's own servers."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

from infra.embedded import EmbeddedPostgres, prepare_database, start_postgres


@dataclass(frozen=True)
class ExternalPostgres:
    """QA_DATABASE_URL's server; its user must be able to create databases and roles."""

    base_url: str

    def url(self, user: str, database: str) -> str:
        parts = urlsplit(self.base_url)
        return urlunsplit(parts._replace(path=f"/{database}"))

    @property
    def admin(self) -> str:
        return urlsplit(self.base_url).username or "postgres"


@dataclass(frozen=True)
class Database:
    name: str
    admin_url: str
    app_url: str


@pytest.fixture(scope="session")
def pg_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedPostgres | ExternalPostgres]:
    external = os.environ.get("QA_DATABASE_URL")
    if external:
        yield ExternalPostgres(external)
        return
    pg = start_postgres(tmp_path_factory.mktemp("pg") / "data", delete_on_stop=True)
    yield pg
    pg.stop()


@pytest.fixture
async def database(pg_server: EmbeddedPostgres | ExternalPostgres) -> AsyncIterator[Database]:
    """A fresh, migrated database per test: no test sees another's events."""
    admin = getattr(pg_server, "admin", "postgres")
    name = f"qa_test_{uuid.uuid4().hex[:12]}"
    admin_url, app_url = await prepare_database(pg_server, name, admin=admin)
    yield Database(name, admin_url, app_url)
    conn = await asyncpg.connect(pg_server.url(admin, "postgres"))
    try:
        await conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@pytest.fixture
async def app_pool(database: Database) -> AsyncIterator[asyncpg.Pool]:
    pool = await asyncpg.create_pool(database.app_url, min_size=1, max_size=4)
    yield pool
    await pool.close()


@pytest.fixture
async def admin_conn(database: Database) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(database.admin_url)
    yield conn
    await conn.close()


def binary(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not installed: pip install -e '.[test]'")
    return path
