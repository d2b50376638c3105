"""The notifications outbox in PostgreSQL and its pluggable sender.

Every notification is first a row in `notifications` (the outbox); only then is
it handed to the `Sender`, and `sent_at` records that it was. The caller chooses
the notification id (deterministically, from the workflow), so an activity retry
inserts nothing new and a notification already sent is not sent again. A sender
that fails leaves `sent_at` empty and the activity retries; one that succeeds
but whose `sent_at` is then lost (a crash in between) sends once more: delivery
is at least once, recording exactly once.

With `mail`, each notification newly posted is also queued for e-mail, in the same
transaction, to a recipient whose staff record gives an address; the delivery
process (infra.delivery) sends it, at most once (infra.store.deliveries).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

import asyncpg

from domain.notifications import Inbox, InboxEntry, InboxTask, Notification, is_overdue
from infra.store.deliveries import queue

TOLD_WINDOW = timedelta(days=30)
"""How far back an inbox shows what a person was told."""


class Sender(Protocol):
    """Delivers a notification beyond the outbox (e-mail, chat, ...); may raise to be retried."""

    async def send(self, notification: Notification) -> None: ...


class RecordingSender:
    """The default sender: the outbox row is the delivery, read with `qa inbox`; nothing more to do."""

    async def send(self, notification: Notification) -> None:
        return None


class OutboxConflict(Exception):
    """A notification id already stored with different content; retrying cannot help."""


@dataclass(frozen=True, slots=True)
class PostOutcome:
    posted: int
    """Rows inserted by this call."""
    already_posted: int
    """Notifications whose id was already stored (an activity retry)."""
    replaced: int
    """Open tasks closed because a new task took their place."""
    sent: int
    """Notifications handed to the sender by this call."""


_FIELDS = ("recipient", "kind", "item_id", "task_key", "subject", "body", "due_at")


def _same(notification: Notification, row: asyncpg.Record) -> bool:
    return all(getattr(notification, name) == row[name] for name in _FIELDS)


class Outbox:
    def __init__(self, pool: asyncpg.Pool, sender: Sender | None = None, *, mail: bool = False) -> None:
        self._pool = pool
        self._sender: Sender = sender if sender is not None else RecordingSender()
        self._mail = mail  # queue each for e-mail too, to whoever has an address (infra.store.deliveries)

    async def post(self, notification: Notification) -> PostOutcome:
        """Record one notification and send it; see `post_many`."""
        return await self.post_many([notification])

    async def post_many(self, notifications: Sequence[Notification]) -> PostOutcome:
        """Record notifications in one transaction, then send each one not yet sent.

        A task replaces the recipient's open task of the same item and task key:
        the old one is closed in the same transaction. Posting a notification id
        that is already stored is a no-op (with the same content) or an
        `OutboxConflict` (with different content), and replaces nothing.
        """
        if len({n.notification_id for n in notifications}) != len(notifications):
            raise OutboxConflict("one post names the same notification id twice")
        posted = already = replaced = 0
        async with self._pool.acquire() as conn, conn.transaction():
            for notification in notifications:
                if await _stored(conn, notification):
                    already += 1
                    continue
                if notification.kind == "task":
                    closed = await conn.execute(
                        "UPDATE notifications SET closed_at = now()"
                        " WHERE recipient = $1 AND item_id = $2 AND task_key = $3"
                        " AND kind = 'task' AND closed_at IS NULL",
                        notification.recipient,
                        notification.item_id,
                        notification.task_key,
                    )
                    replaced += _count(closed)
                # Only the id may conflict here (a concurrent retry): a clash on the
                # one-open-task index means a concurrent replacement, which raises and
                # is retried, rather than silently dropping this task.
                inserted = await conn.execute(
                    "INSERT INTO notifications"
                    " (notification_id, recipient, kind, item_id, task_key, subject, body, due_at)"
                    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
                    " ON CONFLICT (notification_id) DO NOTHING",
                    notification.notification_id,
                    notification.recipient,
                    notification.kind,
                    notification.item_id,
                    notification.task_key,
                    notification.subject,
                    notification.body,
                    notification.due_at,
                )
                if _count(inserted):
                    posted += 1
                    if self._mail:
                        await queue(conn, notification.notification_id, notification.recipient)
                else:
                    # A concurrent retry stored it first: it must hold the same content.
                    await _stored(conn, notification)
                    already += 1
        sent = 0
        for notification in notifications:
            sent += await self._deliver(notification)
        return PostOutcome(posted=posted, already_posted=already, replaced=replaced, sent=sent)

    async def _deliver(self, notification: Notification) -> int:
        """Send unless already sent; the row lock keeps a concurrent retry from sending it too."""
        async with self._pool.acquire() as conn, conn.transaction():
            sent_at = await conn.fetchval(
                "SELECT sent_at FROM notifications WHERE notification_id = $1 FOR UPDATE",
                notification.notification_id,
            )
            if sent_at is not None:
                return 0
            await self._sender.send(notification)
            await conn.execute(
                "UPDATE notifications SET sent_at = now() WHERE notification_id = $1",
                notification.notification_id,
            )
            return 1

    async def close_tasks(self, item_id: str, task_key: str, recipient: str | None = None) -> int:
        """Close the open tasks of an item with this task key (everyone's, or one recipient's); returns how many."""
        async with self._pool.acquire() as conn:
            status = await conn.execute(
                "UPDATE notifications SET closed_at = now()"
                " WHERE item_id = $1 AND task_key = $2 AND kind = 'task' AND closed_at IS NULL"
                " AND ($3::text IS NULL OR recipient = $3)",
                item_id,
                task_key,
                recipient,
            )
        return _count(status)

    async def inbox(self, recipient: str, now: datetime) -> Inbox:
        """A person's open tasks (soonest due first, overdue flagged as of `now`) and the last 30 days' notifications."""
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        async with self._pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
            tasks = await conn.fetch(
                "SELECT notification_id, item_id, task_key, subject, body, due_at, created_at FROM notifications"
                " WHERE recipient = $1 AND kind = 'task' AND closed_at IS NULL"
                " ORDER BY due_at, created_at, notification_id",
                recipient,
            )
            told = await conn.fetch(
                "SELECT notification_id, kind, item_id, task_key, subject, body, due_at, created_at, sent_at,"
                " closed_at FROM notifications"
                " WHERE recipient = $1 AND created_at >= $2"
                " ORDER BY created_at DESC, notification_id",
                recipient,
                now - TOLD_WINDOW,
            )
        return Inbox(
            recipient=recipient,
            as_of=now,
            to_do=tuple(InboxTask(**dict(row), overdue=is_overdue(row["due_at"], now)) for row in tasks),
            told=tuple(InboxEntry(**dict(row)) for row in told),
        )


async def _stored(conn: asyncpg.Connection, notification: Notification) -> bool:
    """Whether this notification is already stored; the same id with other content is an `OutboxConflict`."""
    row = await conn.fetchrow(
        f"SELECT {', '.join(_FIELDS)} FROM notifications WHERE notification_id = $1",
        notification.notification_id,
    )
    if row is None:
        return False
    if not _same(notification, row):
        raise OutboxConflict(f"notification {notification.notification_id} is already stored with different content")
    return True


def _count(status: str) -> int:
    """Rows affected, from a command tag such as 'UPDATE 2' or 'INSERT 0 1'."""
    return int(status.rsplit(" ", 1)[-1])
