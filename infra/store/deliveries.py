"""Deliveries: notifications taken beyond the app (e-mail), each sent at most once per channel (migration 0016).

A row is queued with its notification, in the same transaction (`queue`). The delivery process
claims one at a time (`claim`): `sending` is committed before the message leaves, and lasts a
lease. Sent, it is `sent`; refused by the mail server, it is queued again after a backoff, or
`failed` once the tries run out. A row still `sending` after its lease belongs to a process that
died mid-send: the message may or may not have left, so it is never sent again on its own, but
listed with the failures as of unknown outcome, for the QA team to check.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

import asyncpg

CHANNEL = "email"
LEASE = timedelta(minutes=5)  # longer than one message can take (infra.delivery.SEND_TIMEOUT_SECONDS)
MAX_ATTEMPTS = 6
BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=15), timedelta(hours=1), timedelta(hours=4))
UNKNOWN = "the delivery process stopped while sending: it may or may not have left; check before sending it again"


@dataclass(frozen=True, slots=True)
class Claimed:
    """A message to send now: its notification, as the outbox holds it, and where it goes."""

    notification_id: UUID
    address: str
    attempts: int  # this one included
    recipient: str
    kind: str
    item_id: str
    subject: str
    body: str
    due_at: datetime | None


@dataclass(frozen=True, slots=True)
class Failed:
    """A delivery that did not happen, or whose outcome is unknown, for the QA team."""

    notification_id: UUID
    recipient: str
    address: str
    kind: str
    item_id: str
    subject: str
    attempts: int
    queued_at: datetime
    why: str


async def queue(conn: asyncpg.Connection, notification_id: UUID, recipient: str) -> int:
    """Queue the notification for e-mail if its recipient's staff record gives an address, in the caller's
    transaction; returns how many were queued (0 or 1; a retry queues nothing new)."""
    status = await conn.execute(
        "INSERT INTO deliveries (notification_id, channel, address)"
        " SELECT $1, $2, email FROM staff WHERE staff_id = $3 AND email IS NOT NULL"
        " ON CONFLICT DO NOTHING",
        notification_id,
        CHANNEL,
        recipient,
    )
    return int(status.rsplit(" ", 1)[-1])


class Deliveries:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def claim(self) -> Claimed | None:
        """The next message due to go on its own (an alert, or to someone who takes each as it comes), marked
        `sending` (committed) for a lease; None if none is due."""
        claimed = await self._claim(
            "SELECT d.notification_id, d.channel FROM deliveries d JOIN notifications n USING (notification_id)"
            " LEFT JOIN delivery_choices c ON c.staff_id = n.recipient"
            " WHERE d.state = 'queued' AND d.next_attempt_at <= now() AND (n.kind = 'alert' OR c.digest IS NOT TRUE)"
            " ORDER BY d.next_attempt_at, d.queued_at LIMIT 1 FOR UPDATE OF d SKIP LOCKED"
        )
        return claimed[0] if claimed else None

    async def claim_digest(self, since: datetime) -> list[Claimed]:
        """The messages due for the next person who takes a daily digest and has some queued before `since` (the
        working day's start), all marked `sending` together, for a lease; [] if nobody has any."""
        return await self._claim(
            "SELECT d.notification_id, d.channel FROM deliveries d JOIN notifications n USING (notification_id)"
            " JOIN delivery_choices c ON c.staff_id = n.recipient AND c.digest"
            " WHERE d.state = 'queued' AND d.next_attempt_at <= now() AND n.kind <> 'alert' AND d.queued_at < $2"
            " AND n.recipient = (SELECT n2.recipient FROM deliveries d2 JOIN notifications n2 USING (notification_id)"
            "   JOIN delivery_choices c2 ON c2.staff_id = n2.recipient AND c2.digest"
            "   WHERE d2.state = 'queued' AND d2.next_attempt_at <= now() AND n2.kind <> 'alert' AND d2.queued_at < $2"
            "   ORDER BY d2.queued_at LIMIT 1)"
            " FOR UPDATE OF d SKIP LOCKED",
            since,
        )

    async def _claim(self, rows: str, *args: object) -> list[Claimed]:
        async with self._pool.acquire() as conn:
            claimed = await conn.fetch(
                "UPDATE deliveries d SET state = 'sending', attempts = d.attempts + 1, next_attempt_at = now() + $1"
                f" FROM notifications n WHERE n.notification_id = d.notification_id AND (d.notification_id, d.channel)"
                f" IN ({rows})"
                " RETURNING d.notification_id, d.address, d.attempts, n.recipient, n.kind, n.item_id, n.subject,"
                " n.body, n.due_at",
                LEASE,
                *args,
            )
        return sorted((Claimed(**dict(row)) for row in claimed), key=lambda c: (c.due_at is None, c.due_at, c.subject))

    async def sent(self, *claimed: Claimed) -> None:
        async with self._pool.acquire() as conn:
            await conn.execute(
                "UPDATE deliveries SET state = 'sent', sent_at = now(), last_error = NULL"
                " WHERE notification_id = ANY($1::uuid[]) AND channel = $2 AND state = 'sending'",
                [c.notification_id for c in claimed],
                CHANNEL,
            )

    async def refused(self, why: str, *claimed: Claimed) -> bool:
        """The mail server refused them: queued again after a backoff, or failed once the tries run out (True)."""
        attempts = max(c.attempts for c in claimed)
        failed = attempts >= MAX_ATTEMPTS
        async with self._pool.acquire() as conn:
            await conn.execute(
                "UPDATE deliveries SET state = $3, next_attempt_at = now() + $4, last_error = $5"
                " WHERE notification_id = ANY($1::uuid[]) AND channel = $2 AND state = 'sending'",
                [c.notification_id for c in claimed],
                CHANNEL,
                "failed" if failed else "queued",
                BACKOFF[min(attempts, len(BACKOFF)) - 1],
                why[:1000],
            )
        return failed

    async def choose(self, staff_id: str, digest: bool) -> None:
        """How `staff_id` takes their messages by e-mail: a daily digest, or each as it comes."""
        async with self._pool.acquire() as conn:
            await conn.execute(
                "INSERT INTO delivery_choices (staff_id, digest) VALUES ($1, $2)"
                " ON CONFLICT (staff_id) DO UPDATE SET digest = EXCLUDED.digest, set_at = now()",
                staff_id,
                digest,
            )

    async def digest_chosen(self, staff_id: str) -> bool:
        async with self._pool.acquire() as conn:
            return bool(await conn.fetchval("SELECT digest FROM delivery_choices WHERE staff_id = $1", staff_id))

    async def states(self, notification_ids: list[UUID]) -> dict[UUID, tuple[str, datetime | None]]:
        """Where each of these notifications' e-mails stands (queued, sending, sent, failed) and when it was sent;
        one with no row was never queued (its recipient has no address, or no mail server is set)."""
        async with self._pool.acquire() as conn:
            rows = await conn.fetch(
                "SELECT notification_id, state, sent_at FROM deliveries WHERE notification_id = ANY($1::uuid[])"
                " AND channel = $2",
                notification_ids,
                CHANNEL,
            )
        return {row["notification_id"]: (row["state"], row["sent_at"]) for row in rows}

    async def failed(self) -> list[Failed]:
        """What did not go out after its last try, and what was left sending by a process that died, oldest first."""
        async with self._pool.acquire() as conn:
            rows = await conn.fetch(
                "SELECT d.notification_id, n.recipient, d.address, n.kind, n.item_id, n.subject, d.attempts,"
                " d.queued_at, CASE WHEN d.state = 'failed' THEN d.last_error ELSE $1 END AS why"
                " FROM deliveries d JOIN notifications n USING (notification_id)"
                " WHERE d.state = 'failed' OR (d.state = 'sending' AND d.next_attempt_at < now())"
                " ORDER BY d.queued_at, d.notification_id",
                UNKNOWN,
            )
        return [Failed(**dict(row)) for row in rows]
