"""`qa deliver`: the delivery process, which takes queued notifications out by e-mail (infra.store.deliveries).

Its own process, apart from the workflows: a mail server that is slow or down holds up no
workflow, and the queue in PostgreSQL outlives any crash. One message at a time: each is marked
`sending` before it leaves, so a process killed mid-send leaves one message of unknown outcome,
listed for the QA team, and never sends anything twice. Run several and they share the queue.

Messages carry the item's id and its case numbers, never a child's name: the subjects and bodies
the workflows wrote already hold nothing else (domain.notifications).
"""

from __future__ import annotations

import asyncio
from email.message import EmailMessage
from email.utils import make_msgid

from infra.logging import get_logger
from infra.settings import Settings, SettingsError
from infra.store.deliveries import Claimed, Deliveries

log = get_logger("qa.deliver")

SEND_TIMEOUT_SECONDS = 60.0
IDLE_SECONDS = 2.0  # how long the process waits when nothing is due


def message(claimed: Claimed, sender: str, server_url: str | None) -> EmailMessage:
    """The e-mail for one notification: its subject, its body, and where to see the item."""
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = claimed.address
    mail["Subject"] = claimed.subject
    # One id per notification: a mail system that sees it twice knows it for the same message.
    mail["Message-ID"] = make_msgid(idstring=str(claimed.notification_id), domain="qa-engine")
    mail["X-QA-Notification"] = str(claimed.notification_id)
    where = f"qa status {claimed.item_id}" + (f", signed in to {server_url}" if server_url else "")
    due = f"\nDue: {claimed.due_at.isoformat()}" if claimed.due_at else ""
    mail.set_content(f"{claimed.body or claimed.subject}{due}\n\nItem: {claimed.item_id} (see it with `{where}`)\n")
    return mail


class SmtpSender:
    """The council's mail server (aiosmtplib): STARTTLS and a login from settings."""

    def __init__(self, settings: Settings) -> None:
        if not settings.smtp_host or not settings.smtp_from:
            raise SettingsError("e-mail needs QA_SMTP_HOST and QA_SMTP_FROM (the address messages come from)")
        self._settings = settings

    async def send(self, claimed: Claimed) -> None:
        import aiosmtplib

        s = self._settings
        assert s.smtp_host is not None and s.smtp_from is not None
        await aiosmtplib.send(
            message(claimed, s.smtp_from, s.server_url),
            hostname=s.smtp_host,
            port=s.smtp_port,
            start_tls=s.smtp_starttls,
            username=s.smtp_username,
            password=s.smtp_password,
            timeout=SEND_TIMEOUT_SECONDS,
        )


async def deliver_due(deliveries: Deliveries, sender: SmtpSender) -> int:
    """Send every message due now, one at a time; how many went."""
    import aiosmtplib

    sent = 0
    while (claimed := await deliveries.claim()) is not None:
        try:
            await sender.send(claimed)
        except aiosmtplib.SMTPResponseException as exc:
            why = f"the mail server answered {exc.code} {' '.join(exc.message.split())}"
        except (aiosmtplib.SMTPException, OSError) as exc:
            why = f"the mail server could not be reached: {type(exc).__name__}: {' '.join(str(exc).split())}"
        else:
            await deliveries.sent(claimed.notification_id)
            sent += 1
            continue
        failed = await deliveries.refused(claimed, why)
        log.warning("delivery refused", notification=str(claimed.notification_id), why=why, final=failed)
    return sent


async def run_delivery(settings: Settings, stop: asyncio.Event | None = None) -> None:
    """Deliver until `stop` is set (or forever): what is due, then a short wait."""
    from infra.db import create_pool

    sender = SmtpSender(settings)
    pool = await create_pool(settings.require_database_url(), min_size=1, max_size=2)
    try:
        deliveries = Deliveries(pool)
        log.info("delivering", smtp=f"{settings.smtp_host}:{settings.smtp_port}")
        stop = stop or asyncio.Event()
        while not stop.is_set():
            if await deliver_due(deliveries, sender):
                continue
            try:
                await asyncio.wait_for(stop.wait(), IDLE_SECONDS)
            except TimeoutError:
                pass
    finally:
        await pool.close()
