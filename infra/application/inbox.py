"""A person's inbox: what they have to do and what they were told (the notifications outbox)."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel

from domain.notifications import Inbox
from infra.application.commands import command
from infra.application.errors import AppError
from infra.application.services import database


class InboxOf(BaseModel):
    person: str  # whose inbox


@command("inbox")
async def inbox(ask: InboxOf, reader: str) -> Inbox:
    """PERSON's open tasks (soonest due first) and what they were told lately, if `reader` may read them
    (domain.audit_access.person_refusal); the read, or its refusal, is in the access log."""
    from domain.audit_access import person_refusal
    from infra.store.access_log import AccessLog
    from infra.store.audit_log import AuditLog
    from infra.store.directory import Directory
    from infra.store.outbox import Outbox

    async with database() as pool:
        staff = {m.staff_id: m for m in await Directory(pool, AuditLog(pool)).all_staff()}
        refusal = person_refusal(reader, ask.person, staff)
        await AccessLog(pool).record(reader, ask.person, "inbox", refusal is None, refusal or "")
        if refusal is not None:
            raise AppError(f"refused: {refusal}")
        return await Outbox(pool).inbox(ask.person, datetime.now(UTC))
