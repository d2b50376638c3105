"""The one activity every workflow records its events through, and the reads of the record a workflow needs."""

from __future__ import annotations

from pydantic import Field
from temporalio import activity
from temporalio.exceptions import ApplicationError

from domain import review, safeguarding
from domain.errors import Refusal
from domain.events import NewEvent, fold
from domain.frozen import Frozen
from domain.items import kind_of_stream, rebuilt
from domain.review import ReviewState
from domain.safeguarding import RaiseAlert
from infra.store.audit_log import AuditConflict, AuditLog


class AppendEvents(Frozen):
    events: tuple[NewEvent, ...] = Field(min_length=1)


class AppendResult(Frozen):
    appended: int
    already_recorded: int


class FindStreams(Frozen):
    event_type: str
    field: str
    value: str


class ReviewLookup(Frozen):
    review_id: str


class AlertSource(Frozen):
    """An alert to be raised, and the item it is raised from."""

    alert: RaiseAlert


class AuditActivities:
    def __init__(self, log: AuditLog) -> None:
        self._log = log

    @activity.defn(name="audit.append_events")
    async def append_events(self, request: AppendEvents) -> AppendResult:
        try:
            outcome = await self._log.append(request.events)
        except AuditConflict as exc:
            raise ApplicationError(str(exc), type="AuditConflict", non_retryable=True) from None
        if outcome.already_recorded:
            activity.logger.info("append retried: %d events were already recorded", outcome.already_recorded)
        return AppendResult(appended=outcome.appended, already_recorded=outcome.already_recorded)

    @activity.defn(name="audit.streams_opened_with")
    async def streams_opened_with(self, request: FindStreams) -> list[str]:
        """Earlier items of a kind with something in common (a team's past spotlights), oldest first."""
        return await self._log.streams_opened_with(request.event_type, request.field, request.value)

    @activity.defn(name="audit.recorded_review")
    async def recorded_review(self, request: ReviewLookup) -> ReviewState | None:
        """A review as its audit record holds it (None if no review is recorded under that id): what a
        dispute about it is checked against (workflows.dispute)."""
        events = await self._log.read_stream(request.review_id)
        if kind_of_stream(request.review_id, (e.event_type for e in events)) is not review.KIND:
            return None
        return fold(review.evolve, review.REVIEW_EVENTS, events)

    @activity.defn(name="audit.alert_refusal")
    async def alert_refusal(self, request: AlertSource) -> str | None:
        """Why this alert may not be raised from its item (domain.safeguarding.check_reader), or None."""
        item_id = request.alert.from_item
        try:
            safeguarding.check_reader(*rebuilt(item_id, await self._log.read_stream(item_id)), request.alert)
        except Refusal as exc:
            return str(exc)
        return None
