"""When to chase a piece of work: a reminder before its deadline, escalation after it.

Every user expects it though the framework does not spell it out: remind the
owner ahead of time; on a breach tell the owner's manager; then the next level
up. The moments are working-day moments, computed once from the calendar and
recorded with the deadline, so a workflow only ever waits for recorded times.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Literal

from pydantic import AwareDatetime

from domain.frozen import Frozen
from domain.working_days import LONDON, WorkingDayCalendar

# Working days before the due date that the owner is reminded (at the start of the day).
REMIND_BEFORE = 2
# Working days after the due date at which each escalation level is reached.
ESCALATE_AFTER = {1: 0, 2: 2, 3: 5}
START_OF_DAY = time(9, 0)

ChaseKind = Literal["reminder", "overdue", "escalation"]


class ChaseStep(Frozen):
    """One moment in a deadline's life: level 0 is the owner, 1 their manager, 2 the head of service, 3 the Head of QA."""

    kind: ChaseKind
    level: int
    at: AwareDatetime


def working_days_before(calendar: WorkingDayCalendar, day: date, n: int) -> date:
    """The Nth working day before `day` (which need not be a working day itself)."""
    while n > 0:
        day -= timedelta(days=1)
        if calendar.is_working_day(day):
            n -= 1
    return day


def chase_schedule(calendar: WorkingDayCalendar, opened: datetime, due_at: datetime) -> tuple[ChaseStep, ...]:
    """The reminder (if there is still time for one), the breach, and the escalation levels, in order."""
    due_day = due_at.astimezone(LONDON).date()
    steps = []
    remind_at = datetime.combine(working_days_before(calendar, due_day, REMIND_BEFORE), START_OF_DAY, LONDON)
    if remind_at > opened:
        steps.append(ChaseStep(kind="reminder", level=0, at=remind_at))
    steps.append(ChaseStep(kind="overdue", level=0, at=due_at))
    for level, after in ESCALATE_AFTER.items():
        at = due_at if after == 0 else calendar.due_at(due_day, after)
        steps.append(ChaseStep(kind="escalation", level=level, at=at))
    return tuple(steps)
