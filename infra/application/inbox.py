"""What reaches people: a person's inbox (what they have to do and what they were told), how their e-mail comes
(each as it comes, or a daily digest), the safeguarding alerts that went to them, and the e-mails that did not go
out (for the QA team)."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import AwareDatetime, BaseModel

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


class Alert(BaseModel):
    """A safeguarding alert that went to the person asking, as the review records it."""

    id: str  # REVIEW_ID/ALERT_ID, as `qa alert ack` takes it
    case_number: str
    concern: str
    raised_by: str
    raised_at: AwareDatetime
    acknowledged: dict[str, AwareDatetime]
    awaited: tuple[str, ...]  # who it went to has not yet acknowledged it
    escalated_to: tuple[str, ...]  # the Head of QA, then the Director, as it went up unacknowledged
    escalates_at: AwareDatetime | None  # when it goes up the next level if still not acknowledged


@command("alerts")
async def alerts(ask: Nothing, person: str) -> list[Alert]:
    """The safeguarding alerts that went to `person` (to acknowledge, or escalated to them) on reviews still
    open, newest first; the read is logged."""
    from domain import review
    from infra.application.directory import require
    from infra.application.items import open_items
    from infra.application.status import logged

    await require("alerts", person)
    await logged(person, "*", "alerts")
    found = [
        Alert(
            id=f"{review_id}/{a.alert_id}",
            case_number=state.case_number,
            concern=a.concern,
            raised_by=a.raised_by,
            raised_at=a.raised_at,
            acknowledged=a.acknowledged,
            awaited=a.awaited,
            escalated_to=a.escalated_to,
            escalates_at=step[1] if (step := a.next_escalation) else None,
        )
        for review_id, state in await open_items(review.KIND)
        for a in state.alerts
        if person in a.notified or person in a.escalated_to
    ]
    return sorted(found, key=lambda a: a.raised_at, reverse=True)
