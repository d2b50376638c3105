"""The parts of the stack a request reaches: settings, the database and Temporal, opened per request."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import parse_qs, urlsplit

from infra.application.errors import AppError


def settings():  # type: ignore[no-untyped-def]
    from infra.settings import Settings

    return Settings.from_env()


@asynccontextmanager
async def database(max_size: int = 1) -> AsyncIterator[Any]:
    """A pool on the stack's PostgreSQL for one request, closed once the request is done with it.

    A database that cannot be reached is one line naming it (never its password).
    """
    from infra.db import create_pool

    url = settings().require_database_url()
    try:
        pool = await create_pool(url, max_size=max_size)
    except (OSError, TimeoutError) as exc:
        raise AppError(f"cannot reach the database {where(url)}: {exc}") from None
    try:
        yield pool
    finally:
        await pool.close()


def where(url: str) -> str:
    """A database URL as a person may see it: its name and host or socket folder, without credentials."""
    parts = urlsplit(url)
    host = parse_qs(parts.query).get("host", [parts.hostname or "localhost"])[0]
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.path.lstrip('/') or '(default)'} at {host}{port}"


async def temporal_client():  # type: ignore[no-untyped-def]
    from infra.temporal import connect

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
