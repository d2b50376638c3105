"""`qa deliver`: the delivery process, which takes queued notifications out by e-mail (infra.store.deliveries),
through the council's mail server (SMTP) or GOV.UK Notify, as the settings choose (`sender_for`).

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
from typing import NamedTuple, Protocol

from domain.working_days import LONDON
from infra.logging import get_logger
from infra.settings import Settings, SettingsError
from infra.store.deliveries import Claimed, Deliveries

log = get_logger("qa.deliver")

SEND_TIMEOUT_SECONDS = 60.0
IDLE_SECONDS = 2.0  # how long the process waits when nothing is due


def _mail(sender: str, address: str, carries: Sequence[Claimed] = (), idstring: str = "") -> EmailMessage:
    """An e-mail from `sender` to `address`; one that carries notifications has a Message-ID of its own (`idstring`,
    the same each time: a mail system that sees it twice knows it for the same message) and names their ids."""
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = address
    if carries:
        mail["Message-ID"] = make_msgid(idstring=idstring, domain="qa-engine")
        mail["X-QA-Notification"] = " ".join(str(c.notification_id) for c in carries)
    return mail


class Undelivered(Exception):
    """A message the mail service would not take, or could not be reached for: in one line, for the QA team."""


class Text(NamedTuple):
    """What a message says, whichever service takes it."""

    subject: str
    body: str


def notification_text(claimed: Claimed, server_url: str | None) -> Text:
    """One notification: its subject, its body, and where to see the item."""
    where = f"qa status {claimed.item_id}" + (f", signed in to {server_url}" if server_url else "")
    due = f"\nDue: {claimed.due_at.isoformat()}" if claimed.due_at else ""
    return Text(
        claimed.subject, f"{claimed.body or claimed.subject}{due}\n\nItem: {claimed.item_id} (see it with `{where}`)\n"
    )


class Sender(Protocol):
    """A mail service the delivery process hands messages to."""

    @property
    def through(self) -> str:
        """The service in words, for the banner and the log."""

    async def send(self, claimed: Claimed) -> None: ...

    async def send_digest(self, claimed: list[Claimed]) -> None: ...

    async def send_invitation(self, address: str, code: str, expires_at: datetime) -> None: ...


def sender_for(settings: Settings) -> Sender | None:
    """The mail service the settings choose: the council's mail server (QA_SMTP_HOST), GOV.UK Notify
    (QA_NOTIFY_API_KEY), or none (messages stay in the app)."""
    if settings.smtp_host and settings.notify_api_key:
        raise SettingsError("choose one way to send e-mail: QA_SMTP_HOST or QA_NOTIFY_API_KEY, not both")
    if settings.smtp_host:
        return SmtpSender(settings)
    if settings.notify_api_key:
        return NotifySender(settings)
    return None


def required_sender(settings: Settings) -> Sender:
    """The mail service the settings choose, for the delivery process: without one there is nothing to do."""
    sender = sender_for(settings)
    if sender is None:
        raise SettingsError(
            "no way to send e-mail is set: QA_SMTP_HOST (a mail server) or QA_NOTIFY_API_KEY (GOV.UK Notify)"
        )
    return sender


class SmtpSender:
    """The council's mail server (aiosmtplib): STARTTLS and a login from settings."""

    def __init__(self, settings: Settings) -> None:
        if not settings.smtp_host or not settings.smtp_from:
            raise SettingsError("e-mail needs QA_SMTP_HOST and QA_SMTP_FROM (the address messages come from)")
        self._settings = settings
        self._from = settings.smtp_from

    @property
    def through(self) -> str:
        return f"the mail server {self._settings.smtp_host}:{self._settings.smtp_port}"

    async def send(self, claimed: Claimed) -> None:
        mail = _mail(self._from, claimed.address, [claimed], str(claimed.notification_id))
        await self._send(mail, notification_text(claimed, self._settings.server_url))

    async def send_invitation(self, address: str, code: str, expires_at: datetime) -> None:
        await self._send(_mail(self._from, address), invitation_text(code, expires_at, self._settings.server_url))

    async def send_digest(self, claimed: list[Claimed]) -> None:
        first = claimed[0]
        mail = _mail(self._from, first.address, claimed, f"digest.{first.notification_id}")
        await self._send(mail, digest_text(claimed, self._settings.server_url))

    async def _send(self, mail: EmailMessage, text: Text) -> None:
        import aiosmtplib

        mail["Subject"] = text.subject
        mail.set_content(text.body)
        s = self._settings
        try:
            await aiosmtplib.send(
                mail,
                hostname=s.smtp_host,
                port=s.smtp_port,
                start_tls=s.smtp_starttls,
                username=s.smtp_username,
                password=s.smtp_password,
                timeout=SEND_TIMEOUT_SECONDS,
            )
        except aiosmtplib.SMTPResponseException as exc:
            raise Undelivered(f"the mail server answered {exc.code} {' '.join(exc.message.split())}") from None
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise Undelivered(
                f"the mail server could not be reached: {type(exc).__name__}: {' '.join(str(exc).split())}"
            ) from None


class NotifySender:
    """GOV.UK Notify (notifications-python-client): every message through one e-mail template of the service,
    whose subject is ((subject)) and whose body is ((body)); its reference is the notification's id."""

    def __init__(self, settings: Settings) -> None:
        from notifications_python_client.notifications import NotificationsAPIClient

        if not settings.notify_api_key or not settings.notify_template_id:
            raise SettingsError(
                "GOV.UK Notify needs QA_NOTIFY_API_KEY and QA_NOTIFY_TEMPLATE_ID (an e-mail template whose subject"
                " is ((subject)) and body ((body)))"
            )
        try:
            self._client = NotificationsAPIClient(
                settings.notify_api_key, base_url=settings.notify_base_url, timeout=SEND_TIMEOUT_SECONDS
            )
        except (AssertionError, IndexError, ValueError):
            raise SettingsError("QA_NOTIFY_API_KEY is not a GOV.UK Notify API key (name-service_id-secret)") from None
        self._settings = settings
        self._template = settings.notify_template_id

    @property
    def through(self) -> str:
        return f"GOV.UK Notify ({self._settings.notify_base_url})"

    async def send(self, claimed: Claimed) -> None:
        text = notification_text(claimed, self._settings.server_url)
        await self._send(claimed.address, text, str(claimed.notification_id))

    async def send_invitation(self, address: str, code: str, expires_at: datetime) -> None:
        await self._send(address, invitation_text(code, expires_at, self._settings.server_url), None)

    async def send_digest(self, claimed: list[Claimed]) -> None:
        text = digest_text(claimed, self._settings.server_url)
        await self._send(claimed[0].address, text, f"digest.{claimed[0].notification_id}")

    async def _send(self, address: str, text: Text, reference: str | None) -> None:
        from notifications_python_client.errors import APIError
        from requests import RequestException

        try:
            # The client is synchronous (requests): off the event loop, so one slow call holds nothing else up.
            await asyncio.to_thread(
                self._client.send_email_notification,
                address,
                self._template,
                personalisation={"subject": text.subject, "body": text.body},
                reference=reference,
            )
        except APIError as exc:
            # Notify answers a list of errors, each with its message.
            said = (
                exc.message if isinstance(exc.message, str) else "; ".join(str(e.get("message")) for e in exc.message)
            )
            raise Undelivered(f"GOV.UK Notify answered {exc.status_code}: {' '.join(said.split())}") from None
        except RequestException as exc:
            raise Undelivered(f"GOV.UK Notify could not be reached: {type(exc).__name__}") from None


DIGEST_AT = time(7)  # a working day's start, London time: when the daily digests go


def digest_since(now: datetime, is_working_day: Callable[[date], bool]) -> datetime:
    """The start of the latest working day that has begun by `now`: what was queued before it is in a digest."""
    day = now.astimezone(LONDON).date()
    while True:
        start = datetime.combine(day, DIGEST_AT, LONDON)
        if is_working_day(day) and start <= now:
            return start
        day -= timedelta(days=1)


def digest_text(claimed: list[Claimed], server_url: str | None) -> Text:
    """One message for a person's day: each notification's subject, body and item."""
    subject = f"Your Quality Assurance digest: {len(claimed)} message{'s' if len(claimed) != 1 else ''}"
    parts = [
        f"{c.subject}\n{c.body or ''}".rstrip()
        + (f"\nDue: {c.due_at.isoformat()}" if c.due_at else "")
        + f"\nItem: {c.item_id}"
        for c in claimed
    ]
    where = " (signed in to " + server_url + ")" if server_url else ""
    return Text(subject, "\n\n".join(parts) + f"\n\nSee each with `qa status ITEM`{where}.\n")


def invitation_text(code: str, expires_at: datetime, server_url: str | None) -> Text:
    """The message that takes a member of staff their invitation code (to them alone: it is a credential)."""
    server = f" --server {server_url}" if server_url else ""
    return Text(
        "Your invitation to sign in to the Quality Assurance Framework",
        f"Set your password with this one-time code, before {expires_at.astimezone(LONDON):%d %B %Y %H:%M}:\n\n"
        f"    qa auth accept{server} {code}\n\nThen sign in with `qa login`. If you did not expect this,"
        " tell the QA team: nobody else has the code.\n",
    )


async def deliver_due(deliveries: Deliveries, sender: Sender, digests_since: datetime | None = None) -> int:
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
    try:
        await sending
    except Undelivered as exc:
        why = str(exc)
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

    sender = required_sender(settings)
    pool = await create_pool(settings.require_database_url(), min_size=1, max_size=2)
    try:
        deliveries = Deliveries(pool)
        log.info("delivering", through=sender.through)
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
