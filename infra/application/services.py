"""The parts of the stack a request reaches: settings, the database and Temporal, opened per request."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from infra.application.errors import AppError


def settings():  # type: ignore[no-untyped-def]
    from infra.settings import Settings

    return Settings.from_env()


class Shared:
    """A long-running process's own pool and Temporal client (the server's, infra.http.server), used by every
    request it serves; a `qa` command, which serves one request, opens its own and closes them."""

    pool: Any = None
    client: Any = None


@asynccontextmanager
async def shared(pool: Any, client: Any) -> AsyncIterator[None]:
    Shared.pool, Shared.client = pool, client
    try:
        yield
    finally:
        Shared.pool = Shared.client = None


@asynccontextmanager
async def database(max_size: int = 1, min_size: int = 1, url: str | None = None) -> AsyncIterator[Any]:
    """A pool on the stack's PostgreSQL for one request, closed once the request is done with it
    (or the process's shared one); `url`: under another login than the application's, for this request.

    A database that cannot be reached is one line naming it (never its password).
    """
    from infra.db import DatabaseUnreachable, create_pool

    if Shared.pool is not None and url is None:
        yield Shared.pool
        return
    try:
        pool = await create_pool(url or settings().require_database_url(), min_size=min_size, max_size=max_size)
    except DatabaseUnreachable as exc:
        raise AppError(str(exc)) from None
    try:
        yield pool
    finally:
        await pool.close()


async def migrate_database():  # type: ignore[no-untyped-def]
    """`qa db migrate`: the migrations not yet applied, applied; an unreachable database in one line."""
    from infra.db import DatabaseUnreachable, MigrationError, migrate

    try:
        return await migrate(settings().require_admin_database_url())
    except (DatabaseUnreachable, MigrationError) as exc:
        raise AppError(str(exc)) from None


async def temporal_client():  # type: ignore[no-untyped-def]
    from infra.temporal import connect

    if Shared.client is not None:
        return Shared.client
    s = settings()
    try:
        return await connect(s)
    except RuntimeError as exc:
        if "Connection refused" in str(exc) or "connect" in str(exc).lower():
            raise AppError(f"cannot reach Temporal at {s.require_temporal_address()}: is `qa up` running?") from None
        raise


def temporal_failed(error: Exception) -> AppError:
    """A Temporal call that failed, in one line naming Temporal: unreachable, or what it refused."""
    from temporalio.service import RPCError, RPCStatusCode

    message = getattr(error, "message", None) or str(error)
    if isinstance(error, RPCError) and error.status in (RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED):
        address = settings().temporal_address or "the address `qa up` published"
        return AppError(f"cannot reach Temporal at {address}: {message}")
    return AppError(f"Temporal refused the request: {message}")
