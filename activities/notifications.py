"""The activities workflows call to tell people: post to the outbox (infra.store.outbox), close tasks."""

from __future__ import annotations

from pydantic import Field
from temporalio import activity
from temporalio.exceptions import ApplicationError

from domain.frozen import Frozen
from domain.notifications import Notification
from infra.store.outbox import Outbox, OutboxConflict


class PostNotifications(Frozen):
    notifications: tuple[Notification, ...] = Field(min_length=1)


class PostResult(Frozen):
    posted: int
    already_posted: int
    replaced: int
    sent: int


class CloseTasks(Frozen):
    item_id: str = Field(min_length=1, max_length=200)
    task_key: str = Field(min_length=1, max_length=100)
    recipient: str | None = Field(default=None, min_length=1, max_length=200)


class CloseResult(Frozen):
    closed: int


class NotificationActivities:
    def __init__(self, outbox: Outbox) -> None:
        self._outbox = outbox

    @activity.defn(name="notifications.post")
    async def post(self, request: PostNotifications) -> PostResult:
        """Record several notifications in one transaction (e.g. an alert to two people), then send them."""
        try:
            outcome = await self._outbox.post_many(request.notifications)
        except OutboxConflict as exc:
            raise ApplicationError(str(exc), type="OutboxConflict", non_retryable=True) from None
        if outcome.already_posted:
            activity.logger.info("post retried: %d notifications were already recorded", outcome.already_posted)
        return PostResult(
            posted=outcome.posted, already_posted=outcome.already_posted, replaced=outcome.replaced, sent=outcome.sent
        )

    @activity.defn(name="notifications.close_tasks")
    async def close_tasks(self, request: CloseTasks) -> CloseResult:
        """Close a task when it is done; closing what is already closed is a no-op."""
        closed = await self._outbox.close_tasks(request.item_id, request.task_key, request.recipient)
        return CloseResult(closed=closed)
