"""What reaches people: a person's inbox (what they have to do and what they were told), how their e-mail comes
(each as it comes, or a daily digest), and the e-mails that did not go out (for the QA team)."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel

from domain.notifications import Inbox
from infra.application.commands import Nothing, command
from infra.application.errors import AppError
from infra.application.services import database
from infra.store.deliveries import Failed


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


@command("notifications.failed")
async def failed(ask: Nothing, reader: str) -> list[Failed]:
    """The e-mails that did not go out after their last try, and those of unknown outcome (a delivery process
    died sending them), oldest first: for the QA team to follow up."""
    from infra.application.directory import require
    from infra.store.deliveries import Deliveries

    await require("notifications.failed", reader)
    async with database() as pool:
        return await Deliveries(pool).failed()


class Choice(BaseModel):
    digest: bool | None = None  # True: one daily digest; False: each as it comes; None: only say which


@command("notifications.digest", changes=True)
async def digest(ask: Choice, person: str) -> bool:
    """How `person` takes their messages by e-mail, changed if asked: one daily digest at a working day's start
    (True) or each as it comes (False). Alerts always go at once. A person chooses for themselves alone."""
    from infra.application.directory import require
    from infra.store.deliveries import Deliveries

    await require("notifications.digest", person)
    async with database() as pool:
        deliveries = Deliveries(pool)
        if ask.digest is not None:
            await deliveries.choose(person, ask.digest)
        return await deliveries.digest_chosen(person)
