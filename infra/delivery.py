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
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from email.message import EmailMessage
from email.utils import make_msgid

from domain.working_days import LONDON
from infra.logging import get_logger
from infra.settings import Settings, SettingsError
from infra.store.deliveries import Claimed, Deliveries

log = get_logger("qa.deliver")

SEND_TIMEOUT_SECONDS = 60.0
IDLE_SECONDS = 2.0  # how long the process waits when nothing is due


def _mail(sender: str, address: str, subject: str, carries: Sequence[Claimed] = (), idstring: str = "") -> EmailMessage:
    """An e-mail from `sender` to `address`; one that carries notifications has a Message-ID of its own (`idstring`,
    the same each time: a mail system that sees it twice knows it for the same message) and names their ids."""
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = address
    mail["Subject"] = subject
    if carries:
        mail["Message-ID"] = make_msgid(idstring=idstring, domain="qa-engine")
        mail["X-QA-Notification"] = " ".join(str(c.notification_id) for c in carries)
    return mail


def message(claimed: Claimed, sender: str, server_url: str | None) -> EmailMessage:
    """The e-mail for one notification: its subject, its body, and where to see the item."""
    mail = _mail(sender, claimed.address, claimed.subject, [claimed], str(claimed.notification_id))
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
        assert self._settings.smtp_from is not None
        await self._send(message(claimed, self._settings.smtp_from, self._settings.server_url))

    async def send_invitation(self, address: str, code: str, expires_at: datetime) -> None:
        assert self._settings.smtp_from is not None
        s = self._settings
        await self._send(invitation_message(s.smtp_from, address, code, expires_at, s.server_url))

    async def send_digest(self, claimed: list[Claimed]) -> None:
        assert self._settings.smtp_from is not None
        await self._send(digest_message(claimed, self._settings.smtp_from, self._settings.server_url))

    async def _send(self, mail: EmailMessage) -> None:
        import aiosmtplib

        s = self._settings
        assert s.smtp_host is not None
        await aiosmtplib.send(
            mail,
            hostname=s.smtp_host,
            port=s.smtp_port,
            start_tls=s.smtp_starttls,
            username=s.smtp_username,
            password=s.smtp_password,
            timeout=SEND_TIMEOUT_SECONDS,
        )


DIGEST_AT = time(7)  # a working day's start, London time: when the daily digests go


def digest_since(now: datetime, is_working_day: Callable[[date], bool]) -> datetime:
    """The start of the latest working day that has begun by `now`: what was queued before it is in a digest."""
    day = now.astimezone(LONDON).date()
    while True:
        start = datetime.combine(day, DIGEST_AT, LONDON)
        if is_working_day(day) and start <= now:
            return start
        day -= timedelta(days=1)


def digest_message(claimed: list[Claimed], sender: str, server_url: str | None) -> EmailMessage:
    """One e-mail for a person's day: each notification's subject, body and item."""
    first = claimed[0]
    subject = f"Your Quality Assurance digest: {len(claimed)} message{'s' if len(claimed) != 1 else ''}"
    mail = _mail(sender, first.address, subject, claimed, f"digest.{first.notification_id}")
    parts = [
        f"{c.subject}\n{c.body or ''}".rstrip()
        + (f"\nDue: {c.due_at.isoformat()}" if c.due_at else "")
        + f"\nItem: {c.item_id}"
        for c in claimed
    ]
    where = " (signed in to " + server_url + ")" if server_url else ""
    mail.set_content("\n\n".join(parts) + f"\n\nSee each with `qa status ITEM`{where}.\n")
    return mail


def invitation_message(
    sender: str, address: str, code: str, expires_at: datetime, server_url: str | None
) -> EmailMessage:
    """The e-mail that takes a member of staff their invitation code (to them alone: it is a credential)."""
    mail = _mail(sender, address, "Your invitation to sign in to the Quality Assurance Framework")
    server = f" --server {server_url}" if server_url else ""
    mail.set_content(
        f"Set your password with this one-time code, before {expires_at.astimezone(LONDON):%d %B %Y %H:%M}:\n\n"
        f"    qa auth accept{server} {code}\n\nThen sign in with `qa login`. If you did not expect this,"
        " tell the QA team: nobody else has the code.\n"
    )
    return mail


async def deliver_due(deliveries: Deliveries, sender: SmtpSender, digests_since: datetime | None = None) -> int:
    """Send every message due now on its own, one at a time; then, if `digests_since` is given, each daily digest
    of what was queued before it; how many notifications went."""
    sent = 0
    while (claimed := await deliveries.claim()) is not None:
        sent += await _send(deliveries, [claimed], sender.send(claimed))
    while digests_since is not None and (day := await deliveries.claim_digest(digests_since)):
        sent += await _send(deliveries, day, sender.send_digest(day))
    return sent


async def _send(deliveries: Deliveries, claimed: list[Claimed], sending: Awaitable[None]) -> int:
    """Send `claimed` (already marked `sending`); mark them sent, or refused with why; how many went."""
    import aiosmtplib

    try:
        await sending
    except aiosmtplib.SMTPResponseException as exc:
        why = f"the mail server answered {exc.code} {' '.join(exc.message.split())}"
    except (aiosmtplib.SMTPException, OSError) as exc:
        why = f"the mail server could not be reached: {type(exc).__name__}: {' '.join(str(exc).split())}"
    else:
        await deliveries.sent(*claimed)
        return len(claimed)
    failed = await deliveries.refused(why, *claimed)
    log.warning("delivery refused", notifications=[str(c.notification_id) for c in claimed], why=why, final=failed)
    return 0


async def run_delivery(settings: Settings, stop: asyncio.Event | None = None) -> None:
    """Deliver until `stop` is set (or forever): what is due, then a short wait."""
    from infra.calendar_source import load_calendar
    from infra.db import create_pool

    sender = SmtpSender(settings)
    pool = await create_pool(settings.require_database_url(), min_size=1, max_size=2)
    try:
        deliveries = Deliveries(pool)
        log.info("delivering", smtp=f"{settings.smtp_host}:{settings.smtp_port}")
        stop = stop or asyncio.Event()

        def is_working_day(day: date) -> bool:
            return load_calendar(day, settings.closure_days_path).is_working_day(day)

        while not stop.is_set():
            if await deliver_due(deliveries, sender, digest_since(datetime.now(UTC), is_working_day)):
                continue
            try:
                await asyncio.wait_for(stop.wait(), IDLE_SECONDS)
            except TimeoutError:
                pass
    finally:
        await pool.close()
