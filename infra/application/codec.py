"""What the codec endpoint (infra.http.codec) needs: the payload keys, and the access log for its reads."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from infra.application.services import database, settings

LogRead = Callable[[str, str, int], Awaitable[None]]


def codec_keys():  # type: ignore[no-untyped-def]
    from infra.codec import payload_keys

    return payload_keys(settings())


@asynccontextmanager
async def codec_reads() -> AsyncIterator[LogRead]:
    """`log_read(who, namespace, count)`: each decode written to the access log, as every read of content is."""
    from infra.store.access_log import AccessLog

    # No connection held while idle: a long-running endpoint must not keep retrying a database that is away.
    async with database(max_size=2, min_size=0) as pool:
        access = AccessLog(pool)

        async def log_read(who: str, namespace: str, count: int) -> None:
            await access.record(who, f"namespace:{namespace}", "codec decode", True, f"{count} payloads decoded")

        yield log_read
