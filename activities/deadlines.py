"""Due moments from the working-day clock, computed once and recorded by the caller."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta

from pydantic import AwareDatetime, Field
from temporalio import activity
from temporalio.exceptions import ApplicationError

from domain.chasing import ChaseStep, chase_schedule, working_days_before
from domain.closures import ClosureFileError
from domain.dates import check_date
from domain.errors import Refusal
from domain.frozen import Frozen
from domain.qa_calendar import PlannedActivity, planned_repeat
from domain.working_days import LONDON, MAX_WORKING_DAYS, WorkingDayCalendar


class DueRequest(Frozen):
    start: date
    # Negative: the end of the Nth working day before `start` (a spotlight's documents, say).
    working_days: int = Field(ge=-MAX_WORKING_DAYS, le=MAX_WORKING_DAYS)
    # When given, the reminder and escalation moments are worked out too, from this moment on.
    chase_from: AwareDatetime | None = None


class DueMoment(Frozen):
    due_at: AwareDatetime
    calendar_digest: str
    chase: tuple[ChaseStep, ...] = ()


class WorkingHours(Frozen):
    """A safeguarding alert's window: so many working hours of a working day that opens and closes so (from
    settings: QA_ALERT_WINDOW_HOURS, QA_WORKING_DAY_OPENS, QA_WORKING_DAY_CLOSES)."""

    window: timedelta
    opens: time
    closes: time


class AlertRequest(Frozen):
    raised_at: AwareDatetime
    steps: int = Field(ge=1, le=5)


class AlertMoments(Frozen):
    """When each step of an alert's escalation falls due: one window after another, in working hours."""

    at: tuple[AwareDatetime, ...]
    calendar_digest: str


class RepeatRequest(Frozen):
    service: str
    start_from: date
    repeat_of: str  # the cycle repeated


class CalendarActivities:
    def __init__(self, calendar_for: Callable[[date], WorkingDayCalendar], hours: WorkingHours) -> None:
        # Injected so that workflow code, which imports this module for its
        # contracts, never imports the holiday library behind the calendar.
        self._calendar_for = calendar_for
        self._hours = hours

    @activity.defn(name="calendar.alert_moments")
    async def alert_moments(self, request: AlertRequest) -> AlertMoments:
        hours = self._hours
        try:
            calendar = self._calendar_for(request.raised_at.astimezone(LONDON).date())
        except ClosureFileError as exc:
            raise ApplicationError(str(exc), type="ClosureFileError") from None
        moments: list[datetime] = []
        moment = request.raised_at
        for _ in range(request.steps):
            moment = calendar.add_working_hours(moment, hours.window, hours.opens, hours.closes)
            moments.append(moment)
        return AlertMoments(at=tuple(moments), calendar_digest=calendar.digest())

    @activity.defn(name="calendar.due_at")
    async def due_at(self, request: DueRequest) -> DueMoment:
        try:
            check_date(request.start, "the start")
        except Refusal as refusal:
            # No retry can make such a date work: the person's error, at once.
            raise ApplicationError(str(refusal), type="Refused", non_retryable=True) from None
        try:
            calendar = self._calendar_for(request.start)
        except ClosureFileError as exc:
            # Retrying helps once someone mends the file, so this one stays retryable.
            raise ApplicationError(str(exc), type="ClosureFileError") from None
        if request.working_days < 0:
            due_at = calendar.due_at(working_days_before(calendar, request.start, -request.working_days), 0)
        else:
            due_at = calendar.due_at(request.start, request.working_days)
        return DueMoment(
            due_at=due_at,
            calendar_digest=calendar.digest(),
            chase=chase_schedule(calendar, request.chase_from, due_at) if request.chase_from else (),
        )

    @activity.defn(name="calendar.repeat_planned")
    async def repeat_planned(self, request: RepeatRequest) -> PlannedActivity:
        """A cycle's repeat as the year's calendar would plan it (domain.qa_calendar.planned_repeat)."""
        try:
            calendar = self._calendar_for(request.start_from)
        except ClosureFileError as exc:
            raise ApplicationError(str(exc), type="ClosureFileError") from None
        return planned_repeat(request.service, request.start_from, request.repeat_of, calendar)
