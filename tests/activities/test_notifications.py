"""The outbox against a real PostgreSQL: idempotent posts, task replacement, closing, the inbox, privileges."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from activities.notifications import CloseTasks, NotificationActivities, PostNotifications, PostResult
from domain.notifications import Notification, notification_id
from infra.store.outbox import Outbox, OutboxConflict, RecordingSender

REVIEW = "cpr-2027-03/review-1234567"
DUE = datetime(2027, 4, 21, 22, 59, 59, tzinfo=UTC)


class CallRecorder:
    """A sender that remembers what it was asked to send, and can be made to fail."""

    def __init__(self, fail_times: int = 0) -> None:
        self.sent: list[Notification] = []
        self.fail_times = fail_times

    async def send(self, notification: Notification) -> None:
        if self.fail_times:
            self.fail_times -= 1
            raise ConnectionError("mail server unavailable")
        self.sent.append(notification)


def task(recipient: str = "sam.reviewer", *, key: str = "reflection", item: str = REVIEW, tag: str = "", **kw):
    values = {
        "notification_id": notification_id(item, key, recipient, tag),
        "recipient": recipient,
        "kind": "task",
        "item_id": item,
        "task_key": key,
        "subject": f"Record your {key} for review 1234567",
        "body": "Case 1234567: see the review record.",
        "due_at": DUE,
    }
    values.update(kw)
    return Notification(**values)


def told(recipient: str, kind: str, subject: str, *, item: str = REVIEW) -> Notification:
    return Notification(
        notification_id=notification_id(item, kind, recipient, subject),
        recipient=recipient,
        kind=kind,
        item_id=item,
        subject=subject,
    )


async def rows(conn: asyncpg.Connection, **where: str) -> list[asyncpg.Record]:
    clause = " AND ".join(f"{k} = ${i}" for i, k in enumerate(where, start=1)) or "true"
    return await conn.fetch(f"SELECT * FROM notifications WHERE {clause} ORDER BY created_at", *where.values())


async def test_a_retried_post_records_and_sends_once(app_pool, admin_conn):
    sender = CallRecorder()
    outbox = Outbox(app_pool, sender)
    first = await outbox.post(task())
    again = await outbox.post(task())
    assert (first.posted, first.already_posted, first.sent) == (1, 0, 1)
    assert (again.posted, again.already_posted, again.sent, again.replaced) == (0, 1, 0, 0)
    [row] = await rows(admin_conn)
    assert row["sent_at"] is not None and row["closed_at"] is None and row["created_at"] is not None
    assert sender.sent == [task()]


async def test_a_failed_send_is_retried_and_then_recorded(app_pool, admin_conn):
    sender = CallRecorder(fail_times=1)
    outbox = Outbox(app_pool, sender)
    with pytest.raises(ConnectionError):
        await outbox.post(task())
    [row] = await rows(admin_conn)
    assert row["sent_at"] is None  # recorded, not yet delivered
    outcome = await outbox.post(task())
    assert (outcome.posted, outcome.already_posted, outcome.sent) == (0, 1, 1)
    assert len(sender.sent) == 1 and (await rows(admin_conn))[0]["sent_at"] is not None


async def test_the_same_id_with_other_content_is_a_conflict(app_pool, admin_conn):
    outbox = Outbox(app_pool)
    await outbox.post(task())
    with pytest.raises(OutboxConflict, match="different content"):
        await outbox.post(task(subject="Something else"))
    with pytest.raises(OutboxConflict, match="same notification id twice"):
        await outbox.post_many([told("a", "info", "x"), told("a", "info", "x")])
    [row] = await rows(admin_conn)
    assert row["subject"] == "Record your reflection for review 1234567"


async def test_a_new_task_replaces_the_open_one_of_the_same_item_and_key(app_pool, admin_conn):
    outbox = Outbox(app_pool)
    old = task(tag="v1")
    new = task(tag="v2", due_at=DUE + timedelta(days=3))
    await outbox.post(old)
    await outbox.post(task("pat.practitioner"))  # someone else's task stays open
    await outbox.post(task(key="voice"))  # so does another task of the same item
    outcome = await outbox.post(new)
    assert (outcome.posted, outcome.replaced) == (1, 1)

    by_id = {r["notification_id"]: r for r in await rows(admin_conn)}
    assert by_id[old.notification_id]["closed_at"] is not None
    assert by_id[new.notification_id]["closed_at"] is None
    assert sum(r["closed_at"] is None for r in by_id.values()) == 3

    # a retry of the old post neither reopens it nor closes the new one
    retried = await outbox.post(old)
    assert (retried.posted, retried.already_posted, retried.replaced) == (0, 1, 0)
    assert (
        await admin_conn.fetchval("SELECT closed_at FROM notifications WHERE notification_id = $1", new.notification_id)
    ) is None


async def test_the_database_allows_one_open_task_per_recipient_item_and_key(app_pool):
    async with app_pool.acquire() as conn:
        for tag in ("a", "b"):
            n = task(tag=tag)
            insert = conn.execute(
                "INSERT INTO notifications (notification_id, recipient, kind, item_id, task_key, subject, due_at)"
                " VALUES ($1, $2, 'task', $3, $4, $5, $6)",
                n.notification_id,
                n.recipient,
                n.item_id,
                n.task_key,
                n.subject,
                n.due_at,
            )
            if tag == "a":
                await insert
            else:
                with pytest.raises(asyncpg.UniqueViolationError):
                    await insert


async def test_several_notifications_post_in_one_transaction(app_pool, admin_conn):
    # A safeguarding alert goes to the team manager and the head of service at once, no timer.
    alert = [told(person, "alert", "Safeguarding: case 1234567") for person in ("terry.manager", "hope.head")]
    earlier = told("terry.manager", "info", "Review 1234567 allocated")
    sender = CallRecorder()
    outbox = Outbox(app_pool, sender)
    await outbox.post(earlier)
    clash = Notification(**{**earlier.model_dump(), "subject": "Review 1234567 reallocated"})
    with pytest.raises(OutboxConflict):
        await outbox.post_many([*alert, clash])
    # the batch is one transaction: neither alert was recorded, nor sent
    assert [r["kind"] for r in await rows(admin_conn)] == ["info"]
    assert [n.kind for n in sender.sent] == ["info"]

    outcome = await outbox.post_many(alert)
    assert (outcome.posted, outcome.sent) == (2, 2)
    assert sorted(n.recipient for n in sender.sent if n.kind == "alert") == ["hope.head", "terry.manager"]
    assert all(r["sent_at"] is not None for r in await rows(admin_conn, kind="alert"))


async def test_close_tasks_closes_everyones_or_one_persons(app_pool, admin_conn):
    outbox = Outbox(app_pool)
    for person in ("sam", "pat", "lee"):
        await outbox.post(task(person))
    await outbox.post(task("sam", key="voice"))

    assert await outbox.close_tasks(REVIEW, "reflection", "sam") == 1
    assert await outbox.close_tasks(REVIEW, "reflection", "sam") == 0  # already closed
    assert await outbox.close_tasks(REVIEW, "reflection") == 2
    assert await outbox.close_tasks("no-such-item", "reflection") == 0
    still_open = await admin_conn.fetch("SELECT recipient, task_key FROM notifications WHERE closed_at IS NULL")
    assert [tuple(r) for r in still_open] == [("sam", "voice")]


async def test_the_inbox_lists_open_tasks_by_due_date_and_what_was_told_newest_first(app_pool, admin_conn):
    outbox = Outbox(app_pool)
    now = datetime.now(UTC)
    later = task(key="report", due_at=now + timedelta(days=5))
    overdue = task(key="voice", due_at=now - timedelta(hours=1))
    soon = task(key="reflection", due_at=now + timedelta(hours=2))
    done = task(key="grade", due_at=now - timedelta(days=1))
    for n in (later, overdue, soon, done):
        await outbox.post(n)
    await outbox.close_tasks(REVIEW, "grade")
    await outbox.post(told("sam.reviewer", "reminder", "Reflection due soon"))
    await outbox.post(told("pat.practitioner", "info", "Not for Sam"))
    # something told long ago falls outside the 30 days
    await admin_conn.execute(
        "UPDATE notifications SET created_at = now() - interval '31 days' WHERE task_key = 'report'"
    )

    box = await outbox.inbox("sam.reviewer", datetime.now(UTC))
    assert [(t.task_key, t.overdue) for t in box.to_do] == [("voice", True), ("reflection", False), ("report", False)]
    assert [e.subject for e in box.told][0] == "Reflection due soon"
    assert {e.notification_id for e in box.told} == {n.notification_id for n in (overdue, soon, done)} | {
        told("sam.reviewer", "reminder", "Reflection due soon").notification_id
    }
    assert [e.created_at for e in box.told] == sorted((e.created_at for e in box.told), reverse=True)
    closed = next(e for e in box.told if e.task_key == "grade")
    assert closed.closed_at is not None and closed.sent_at is not None

    # overdue is judged as of the moment asked about
    earlier = await outbox.inbox("sam.reviewer", now - timedelta(hours=2))
    assert [t.overdue for t in earlier.to_do] == [False, False, False]
    assert (await outbox.inbox("nobody", now)).empty
    with pytest.raises(ValueError, match="timezone-aware"):
        await outbox.inbox("sam.reviewer", datetime(2027, 1, 1))


async def test_the_app_role_cannot_delete_or_rewrite_notifications(app_pool):
    outbox = Outbox(app_pool)
    await outbox.post(task())
    await outbox.close_tasks(REVIEW, "reflection")
    async with app_pool.acquire() as conn:
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute("DELETE FROM notifications")
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute("TRUNCATE notifications")
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute("UPDATE notifications SET subject = 'changed'")
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute(
                "INSERT INTO notifications (notification_id, recipient, kind, item_id, subject, created_at)"
                " VALUES ($1, 'sam', 'info', 'x', 'backdated', now() - interval '1 year')",
                uuid.uuid4(),
            )
        # what was sent or closed stays so
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="already closed"):
            await conn.execute("UPDATE notifications SET closed_at = NULL")
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="already sent"):
            await conn.execute("UPDATE notifications SET sent_at = now() + interval '1 day'")
        assert await conn.fetchval("SELECT count(*) FROM notifications") == 1


async def test_the_database_refuses_malformed_rows(app_pool):
    async with app_pool.acquire() as conn:
        for kind, task_key, due_at in (
            ("task", None, DUE),
            ("task", "x", None),
            ("alert", "x", None),
            ("memo", None, None),
        ):
            with pytest.raises(asyncpg.CheckViolationError):
                await conn.execute(
                    "INSERT INTO notifications (notification_id, recipient, kind, item_id, task_key, subject, due_at)"
                    " VALUES ($1, 'sam', $2, 'x', $3, 'subject', $4)",
                    uuid.uuid4(),
                    kind,
                    task_key,
                    due_at,
                )


async def test_the_activities_post_and_close(app_pool):
    sender = CallRecorder()
    activities = NotificationActivities(Outbox(app_pool, sender))
    request = PostNotifications(notifications=(task(), told("terry.manager", "escalation", "Reflection overdue")))
    assert await activities.post(request) == PostResult(posted=2, already_posted=0, replaced=0, sent=2)
    assert await activities.post(request) == PostResult(posted=0, already_posted=2, replaced=0, sent=0)
    assert (await activities.close_tasks(CloseTasks(item_id=REVIEW, task_key="reflection"))).closed == 1
    assert len(sender.sent) == 2


async def test_an_activity_conflict_is_not_retryable(app_pool):
    from temporalio.exceptions import ApplicationError

    activities = NotificationActivities(Outbox(app_pool))
    await activities.post(PostNotifications(notifications=(task(),)))
    with pytest.raises(ApplicationError) as caught:
        await activities.post(PostNotifications(notifications=(task(subject="changed"),)))
    assert caught.value.type == "OutboxConflict" and caught.value.non_retryable


async def test_the_default_sender_records_delivery_in_the_outbox_row(app_pool, admin_conn):
    await Outbox(app_pool).post(told("hope.head", "info", "Cycle 2027-03 opened"))
    [row] = await rows(admin_conn)
    assert row["sent_at"] is not None
    assert await RecordingSender().send(told("hope.head", "info", "x")) is None
