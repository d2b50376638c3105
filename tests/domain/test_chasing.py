from __future__ import annotations

from datetime import date, datetime

from domain.bank_holidays import calendar_for
from domain.chasing import chase_schedule, working_days_before
from domain.working_days import LONDON

CALENDAR = calendar_for(date(2027, 3, 1))


def test_reminder_breach_and_escalations_fall_on_working_days():
    # Due end of Wed 21 Apr 2027; Good Friday (26 Mar) and Easter Monday (29 Mar) are well before it.
    due = datetime(2027, 4, 21, 23, 59, 59, tzinfo=LONDON)
    steps = chase_schedule(CALENDAR, datetime(2027, 3, 22, 9, tzinfo=LONDON), due)
    assert [(s.kind, s.level, s.at) for s in steps] == [
        ("reminder", 0, datetime(2027, 4, 19, 9, 0, tzinfo=LONDON)),
        ("overdue", 0, due),
        ("escalation", 1, due),
        ("escalation", 2, datetime(2027, 4, 23, 23, 59, 59, tzinfo=LONDON)),
        ("escalation", 3, datetime(2027, 4, 28, 23, 59, 59, tzinfo=LONDON)),
    ]


def test_the_reminder_skips_easter_and_is_dropped_when_already_past():
    # Due end of Wed 31 Mar 2027: two working days before are Tue 30 and Thu 25 Mar (26 and 29 are bank holidays).
    due = datetime(2027, 3, 31, 23, 59, 59, tzinfo=LONDON)
    assert working_days_before(CALENDAR, date(2027, 3, 31), 2) == date(2027, 3, 25)
    steps = chase_schedule(CALENDAR, datetime(2027, 3, 20, tzinfo=LONDON), due)
    assert steps[0].at == datetime(2027, 3, 25, 9, 0, tzinfo=LONDON)
    late_start = chase_schedule(CALENDAR, datetime(2027, 3, 30, 12, tzinfo=LONDON), due)
    assert [s.kind for s in late_start] == ["overdue", "escalation", "escalation", "escalation"]
