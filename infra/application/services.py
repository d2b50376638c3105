"""The parts of the stack a request reaches: settings, the database and Temporal, opened per request."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from infra.application.errors import AppError


def settings():  # type: ignore[no-untyped-def]
    from infra.settings import Settings

    return Settings.from_env()


@asynccontextmanager
async def database(max_size: int = 1) -> AsyncIterator[Any]:
    """A pool on the stack's PostgreSQL for one request, closed once the request is done with it."""
    from infra.db import create_pool

    pool = await create_pool(settings().require_database_url(), max_size=max_size)
    try:
        yield pool
    finally:
        await pool.close()


async def temporal_client():  # type: ignore[no-untyped-def]
    from infra.temporal import connect

    s = settings()
    try:
        return await connect(s)
    except RuntimeError as exc:
        if "Connection refused" in str(exc) or "connect" in str(exc).lower():
            raise AppError(f"cannot reach Temporal at {s.require_temporal_address()}: is `qa up` running?") from None
        raise
