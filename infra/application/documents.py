"""Published files (a cycle's findings report, a QAPM pack), read back only if they match the audit log."""

from __future__ import annotations

import hashlib
from pathlib import Path

from pydantic import BaseModel

from infra.application.commands import command
from infra.application.errors import AppError
from infra.application.services import database


async def published_file(location: str, sha256: str) -> bytes:
    """The file the audit log recorded at `location` with digest `sha256`; refused in one line if it is
    missing or no longer matches. A location that is not `postgresql:...` was recorded before files
    were kept in the database: it is a path on the disk of the worker that wrote it."""
    from infra.store.documents import Documents, parse_location

    stored = parse_location(location)
    if stored is None:
        try:
            data = Path(location).read_bytes()
        except OSError as exc:
            raise AppError(f"cannot read {location}: {exc.strerror}; the audit log records SHA-256 {sha256}") from None
    else:
        async with database() as pool:
            document = await Documents(pool).get(*stored)
        if document is None:
            raise AppError(f"{location} is missing: the audit log records SHA-256 {sha256}")
        data = document.content
    if hashlib.sha256(data).hexdigest() != sha256:
        raise AppError(f"{location} no longer matches the SHA-256 recorded in the audit log ({sha256})")
    return data


class Document(BaseModel):
    item_id: str  # a CPR cycle (its findings report) or a QAPM meeting (its pack)


@command("document")
async def document(ask: Document, reader: str) -> str:
    """The document an item published, as Markdown, for those who may read the item (the read is logged)."""
    from domain import cpr_cycle, qapm
    from infra.application.items import read

    kind, state = await read(ask.item_id, reader)
    if kind is cpr_cycle.KIND and state.report is not None:
        location, sha256 = state.report.markdown_path, state.report.markdown_sha256
    elif kind is qapm.KIND and state.pack_path is not None:
        location, sha256 = state.pack_path, state.pack_sha256
    else:
        raise AppError(f"{ask.item_id} has published no document yet")
    return (await published_file(location, sha256)).decode("utf-8")
