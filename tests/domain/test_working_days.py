"""Working-day deadlines against the real England and Wales calendar.

Every expected date below was worked out by hand from a calendar, not copied
from the implementation's output; the comments show the counting.
"""

from __future__ import annotations

import ast
import hashlib
import os
import subprocess
import sys
from datetime import UTC, date, datetime, time, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.bank_holidays import calendar_for, england_and_wales_calendar
from domain.chasing import working_days_before
from domain.working_days import (
    LONDON,
    MAX_WORKING_DAYS,
    CalendarRangeError,
    WorkingDayCalendar,
)

PROJECT_ROOT = Path(__file__).resolve().parents[2]
GMT = UTC
BST = timezone(timedelta(hours=1))

# 2026 to 2030 is enough for 260 working days from any day of 2026 to 2028.
CAL = england_and_wales_calendar(range(2026, 2031))


def end_of(d: date, offset: timezone) -> datetime:
    return datetime(d.year, d.month, d.day, 23, 59, 59, tzinfo=offset)


def assert_same_instant_and_offset(actual: datetime, expected: datetime) -> None:
    # datetime equality ignores the offset, so check it separately.
    assert actual == expected
    assert actual.utcoffset() == expected.utcoffset()
    assert actual.tzinfo is LONDON


# --- the calendar itself -----------------------------------------------------


@pytest.mark.parametrize(
    "holiday",
    [
        # 2026: Easter Sunday 5 April; Boxing Day is a Saturday.
        date(2026, 1, 1),
        date(2026, 4, 3),  # Good Friday
        date(2026, 4, 6),  # Easter Monday
        date(2026, 5, 4),  # early May: first Monday
        date(2026, 5, 25),  # spring: last Monday of May
        date(2026, 8, 31),  # late summer: last Monday of August
        date(2026, 12, 25),
        date(2026, 12, 28),  # substitute for Boxing Day (Sat 26th)
        # 2027: Easter Sunday 28 March; Christmas Saturday, Boxing Day Sunday.
        date(2027, 1, 1),
        date(2027, 3, 26),  # Good Friday
        date(2027, 3, 29),  # Easter Monday
        date(2027, 5, 3),
        date(2027, 5, 31),
        date(2027, 8, 30),
        date(2027, 12, 27),  # substitute for Christmas Day
        date(2027, 12, 28),  # substitute for Boxing Day
        # 2028: New Year's Day is a Saturday.
        date(2028, 1, 3),
    ],
)
def test_bank_holidays_are_not_working_days(holiday: date) -> None:
    assert holiday.weekday() < 5  # a weekday, so only the holiday list closes it
    assert not CAL.is_working_day(holiday)


@pytest.mark.parametrize(
    "ordinary_day",
    [
        date(2026, 4, 2),  # Thursday before Good Friday
        date(2026, 4, 7),  # Tuesday after Easter Monday
        date(2026, 5, 11),  # second Monday of May
        date(2026, 8, 24),  # not the last Monday of August 2026
        date(2026, 12, 24),
        date(2026, 12, 29),
        date(2027, 12, 29),
        date(2027, 12, 31),
    ],
)
def test_ordinary_weekdays_are_working_days(ordinary_day: date) -> None:
    assert CAL.is_working_day(ordinary_day)


@pytest.mark.parametrize("year", range(2026, 2031))
def test_england_and_wales_have_eight_weekday_bank_holidays_a_year(year: int) -> None:
    # Substitutes keep the count at eight whatever the weekdays (no one-off
    # holidays have been announced for these years).
    closed_weekdays = [d for d in CAL.closed_days if d.year == year and d.weekday() < 5]
    assert len(closed_weekdays) == 8


def test_one_off_bank_holidays_are_included() -> None:
    cal = england_and_wales_calendar(range(2022, 2023))
    # Spring bank holiday moved to Thu 2 June for the Platinum Jubilee (Fri 3 June).
    assert cal.add_working_days(date(2022, 6, 1), 1) == date(2022, 6, 6)
    # State funeral of Queen Elizabeth II, Monday 19 September 2022.
    assert not cal.is_working_day(date(2022, 9, 19))


def test_calendar_for_covers_the_year_before_and_two_ahead() -> None:
    cal = calendar_for(date(2027, 3, 22))
    assert (cal.first_year, cal.last_year) == (2026, 2029)
    # A moment before an early-January start: 5 working days before Tuesday 5 January 2027 (28 December 2026, a
    # bank holiday, is skipped).
    assert working_days_before(calendar_for(date(2027, 1, 5)), date(2027, 1, 5), 5) == date(2026, 12, 24)


def test_calendar_for_reaches_the_longest_deadline_from_new_years_eve() -> None:
    deadline = calendar_for(date(2027, 12, 31)).add_working_days(date(2027, 12, 31), MAX_WORKING_DAYS)
    assert deadline.year == 2029


def test_closure_days_outside_the_years_are_ignored() -> None:
    cal = england_and_wales_calendar(range(2027, 2028), [date(2025, 12, 29), date(2027, 12, 29)])
    assert date(2027, 12, 29) in cal.closed_days
    assert date(2025, 12, 29) not in cal.closed_days


def test_calendar_years_must_be_consecutive() -> None:
    with pytest.raises(ValueError, match="consecutive"):
        england_and_wales_calendar([2026, 2028])
    with pytest.raises(ValueError, match="at least one year"):
        england_and_wales_calendar([])


def test_calendar_rejects_closed_days_outside_its_years() -> None:
    with pytest.raises(ValueError, match="2025-12-29"):
        WorkingDayCalendar(frozenset({date(2025, 12, 29)}), 2026, 2026)


def test_calendar_rejects_a_backwards_year_range() -> None:
    with pytest.raises(ValueError, match="after"):
        WorkingDayCalendar(frozenset(), 2027, 2026)


def test_calendar_rejects_datetimes_as_closed_days() -> None:
    with pytest.raises(TypeError):
        WorkingDayCalendar(frozenset({datetime(2026, 12, 29)}), 2026, 2026)


# --- the qa example ------------------------------------------------------------


def test_qa_example_twenty_working_days_across_easter_and_bst() -> None:
    # From Mon 22 Mar 2027: Tue 23 (1), Wed 24 (2), Thu 25 (3), [Good Fri 26,
    # weekend, Easter Mon 29], Tue 30 (4), Wed 31 (5), Thu 1 Apr (6), Fri 2 (7),
    # 5-9 Apr (8-12), 12-16 Apr (13-17), Mon 19 (18), Tue 20 (19), Wed 21 (20).
    # British Summer Time began on Sun 28 Mar 2027, so the offset is +01:00.
    due = CAL.due_at(date(2027, 3, 22), 20)
    assert_same_instant_and_offset(due, end_of(date(2027, 4, 21), BST))
    assert due.isoformat() == "2027-04-21T23:59:59+01:00"
    assert CAL.working_days_between(date(2027, 3, 22), date(2027, 4, 21)) == 20


# --- holidays inside the window ------------------------------------------------


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        # Easter 2026: Thu 2 Apr -> [Fri 3, weekend, Mon 6] -> Tue 7 Apr.
        (date(2026, 4, 2), 1, date(2026, 4, 7)),
        # Easter 2027: Thu 25 Mar -> [Fri 26, weekend, Mon 29] -> Tue 30 Mar.
        (date(2027, 3, 25), 1, date(2027, 3, 30)),
        (date(2027, 3, 25), 2, date(2027, 3, 31)),
        # Early May 2027: Fri 30 Apr -> [weekend, Mon 3 May] -> Tue 4 May.
        (date(2027, 4, 30), 1, date(2027, 5, 4)),
        # Early May 2026: Fri 1 May -> [weekend, Mon 4 May] -> Tue 5 May.
        (date(2026, 5, 1), 1, date(2026, 5, 5)),
        # Spring 2027: Fri 28 May -> [weekend, Mon 31 May] -> Tue 1 Jun.
        (date(2027, 5, 28), 1, date(2027, 6, 1)),
        # Spring 2026: Fri 22 May -> [weekend, Mon 25 May] -> Tue 26 May.
        (date(2026, 5, 22), 1, date(2026, 5, 26)),
        # Late summer 2027: Fri 27 Aug -> [weekend, Mon 30 Aug] -> Tue 31 Aug.
        (date(2027, 8, 27), 1, date(2027, 8, 31)),
        # Late summer 2026 is Mon 31 Aug: Fri 28 Aug -> Tue 1 Sep.
        (date(2026, 8, 28), 1, date(2026, 9, 1)),
        # A week across it: Mon 24 Aug 2026 + 5 = 25, 26, 27, 28, [31], Tue 1 Sep.
        (date(2026, 8, 24), 5, date(2026, 9, 1)),
    ],
)
def test_bank_holidays_are_skipped(start: date, n: int, expected: date) -> None:
    assert CAL.add_working_days(start, n) == expected
    assert CAL.working_days_between(start, expected) == n


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        # 2026: Fri 25 Dec, Boxing Day Sat 26 -> substitute Mon 28 Dec.
        # Thu 24 Dec -> [25, weekend, 28] -> Tue 29 Dec.
        (date(2026, 12, 24), 1, date(2026, 12, 29)),
        # Then 30 (2), 31 (3), [Fri 1 Jan 2027, weekend], Mon 4 (4), Tue 5 (5).
        (date(2026, 12, 24), 5, date(2027, 1, 5)),
        # 2027: Sat 25 and Sun 26 Dec -> substitutes Mon 27 and Tue 28 Dec.
        # Fri 24 Dec -> [weekend, 27, 28] -> Wed 29 Dec.
        (date(2027, 12, 24), 1, date(2027, 12, 29)),
        # Thu 23 Dec: Fri 24 (1), Wed 29 (2), Thu 30 (3), Fri 31 (4),
        # [Sat 1 Jan 2028 -> substitute Mon 3 Jan], Tue 4 Jan (5).
        (date(2027, 12, 23), 5, date(2028, 1, 4)),
        (date(2027, 12, 31), 1, date(2028, 1, 4)),
        # 2028: Christmas Mon 25, Boxing Day Tue 26 Dec, no substitutes.
        # Fri 22 Dec -> [weekend, 25, 26] -> Wed 27 Dec.
        (date(2028, 12, 22), 1, date(2028, 12, 27)),
        # New Year 2029 is Mon 1 Jan: Fri 29 Dec 2028 -> Tue 2 Jan 2029.
        (date(2028, 12, 29), 1, date(2029, 1, 2)),
    ],
)
def test_christmas_and_new_year_with_substitutes(start: date, n: int, expected: date) -> None:
    assert CAL.add_working_days(start, n) == expected
    assert CAL.working_days_between(start, expected) == n


def test_new_year_substitute_in_a_past_year() -> None:
    # 1 Jan 2023 was a Sunday, so Mon 2 Jan 2023 was the bank holiday.
    cal = england_and_wales_calendar(range(2022, 2024))
    assert cal.add_working_days(date(2022, 12, 30), 1) == date(2023, 1, 3)


# --- closure days ----------------------------------------------------------------


def test_council_closure_day_moves_the_deadline_by_one_day() -> None:
    closure = date(2027, 12, 29)
    with_closure = england_and_wales_calendar(range(2026, 2031), [closure])
    # Fri 24 Dec 2027 + 1: Wed 29 is now closed -> Thu 30 Dec.
    assert with_closure.add_working_days(date(2027, 12, 24), 1) == date(2027, 12, 30)
    # Thu 23 Dec + 5: 24 (1), 30 (2), 31 (3), [3 Jan], Tue 4 (4), Wed 5 Jan (5).
    assert with_closure.add_working_days(date(2027, 12, 23), 5) == date(2028, 1, 5)
    assert CAL.add_working_days(date(2027, 12, 23), 5) == date(2028, 1, 4)


def test_closure_day_on_a_weekend_changes_nothing() -> None:
    weekend_closure = england_and_wales_calendar(range(2026, 2031), [date(2027, 12, 18)])
    start = date(2027, 12, 13)
    assert weekend_closure.add_working_days(start, 10) == CAL.add_working_days(start, 10)


def test_closure_days_change_the_digest() -> None:
    with_closure = england_and_wales_calendar(range(2026, 2031), [date(2027, 12, 29)])
    assert with_closure.digest() != CAL.digest()
    assert england_and_wales_calendar(range(2026, 2031)).digest() == CAL.digest()
    assert len(CAL.digest()) == 64
    assert int(CAL.digest(), 16) >= 0


def test_digest_depends_on_the_year_range() -> None:
    a = WorkingDayCalendar(frozenset(), 2026, 2027)
    b = WorkingDayCalendar(frozenset(), 2026, 2028)
    assert a.digest() != b.digest()


# --- clock changes -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        # BST starts Sun 29 Mar 2026. From Mon 23 Mar: 24, 25, 26, Fri 27 (4).
        (date(2026, 3, 23), 4, end_of(date(2026, 3, 27), GMT)),
        # ... Mon 30 Mar (5), now in summer time.
        (date(2026, 3, 23), 5, end_of(date(2026, 3, 30), BST)),
        # BST ends Sun 25 Oct 2026. From Mon 19 Oct: 20, 21, 22, Fri 23 (4).
        (date(2026, 10, 19), 4, end_of(date(2026, 10, 23), BST)),
        # ... Mon 26 Oct (5), back on GMT.
        (date(2026, 10, 19), 5, end_of(date(2026, 10, 26), GMT)),
        # BST ends Sun 31 Oct 2027. From Mon 25 Oct: 26, 27, 28, Fri 29 (4).
        (date(2027, 10, 25), 4, end_of(date(2027, 10, 29), BST)),
        # ... Mon 1 Nov (5).
        (date(2027, 10, 25), 5, end_of(date(2027, 11, 1), GMT)),
        # The last day of each season is on the clock-change Sunday itself:
        # 23:59:59 on Sun 28 Mar 2027 is already BST, on Sun 31 Oct 2027 GMT.
        (date(2027, 3, 28), 0, end_of(date(2027, 3, 28), BST)),
        (date(2027, 3, 27), 0, end_of(date(2027, 3, 27), GMT)),
        (date(2027, 10, 31), 0, end_of(date(2027, 10, 31), GMT)),
        (date(2027, 10, 30), 0, end_of(date(2027, 10, 30), BST)),
    ],
)
def test_deadline_offset_follows_the_clock_change(start: date, n: int, expected: datetime) -> None:
    assert_same_instant_and_offset(CAL.due_at(start, n), expected)


def test_deadline_is_not_start_plus_24_hour_days() -> None:
    # Across the March change the local day is 23 hours long, so a deadline
    # computed as an instant plus whole days would land at 00:59:59 next day.
    due = CAL.due_at(date(2026, 3, 27), 1)  # Fri -> Mon 30 Mar
    assert due.astimezone(GMT) == datetime(2026, 3, 30, 22, 59, 59, tzinfo=GMT)


# --- day 0 and odd starting days -------------------------------------------------------


@pytest.mark.parametrize(
    "start",
    [
        date(2027, 3, 22),  # a working Monday
        date(2027, 3, 26),  # Good Friday
        date(2027, 3, 27),  # Saturday
        date(2027, 12, 25),  # Christmas Day on a Saturday
    ],
)
def test_day_zero_is_the_start_day_whatever_it_is(start: date) -> None:
    assert CAL.add_working_days(start, 0) == start
    assert CAL.due_at(start, 0).date() == start


def test_day_zero_needs_no_calendar_coverage() -> None:
    assert CAL.add_working_days(date(2040, 1, 1), 0) == date(2040, 1, 1)


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        # Sat 27 Mar 2027: [Sun 28, Easter Mon 29] -> Tue 30 Mar.
        (date(2027, 3, 27), 1, date(2027, 3, 30)),
        # Sun 28 Mar 2027 -> Tue 30 Mar too.
        (date(2027, 3, 28), 1, date(2027, 3, 30)),
        # Good Friday 26 Mar 2027 -> Tue 30 Mar.
        (date(2027, 3, 26), 1, date(2027, 3, 30)),
        # Christmas Day Fri 25 Dec 2026 -> [weekend, Mon 28 substitute] -> Tue 29.
        (date(2026, 12, 25), 1, date(2026, 12, 29)),
        # Sat 2 Jan 2027 -> Mon 4 Jan.
        (date(2027, 1, 2), 1, date(2027, 1, 4)),
    ],
)
def test_start_on_a_weekend_or_holiday(start: date, n: int, expected: date) -> None:
    assert CAL.add_working_days(start, n) == expected


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        (date(2027, 3, 22), date(2027, 3, 22)),
        (date(2027, 3, 26), date(2027, 3, 30)),  # Good Friday -> Tue after Easter
        (date(2027, 12, 25), date(2027, 12, 29)),
        (date(2027, 12, 31), date(2027, 12, 31)),
    ],
)
def test_next_working_day_on_or_after(start: date, expected: date) -> None:
    assert CAL.next_working_day_on_or_after(start) == expected


# --- working_days_between ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (date(2027, 3, 22), date(2027, 3, 22), 0),
        (date(2027, 3, 19), date(2027, 3, 22), 1),  # Fri -> Mon
        (date(2027, 3, 20), date(2027, 3, 21), 0),  # Sat -> Sun
        (date(2027, 3, 25), date(2027, 3, 29), 0),  # over Good Friday to Easter Monday
        (date(2027, 3, 22), date(2027, 3, 19), -1),
        (date(2027, 4, 21), date(2027, 3, 22), -20),
        # Whole of 2027: 261 weekdays less 8 bank holidays.
        (date(2026, 12, 31), date(2027, 12, 31), 253),
    ],
)
def test_working_days_between(start: date, end: date, expected: int) -> None:
    assert CAL.working_days_between(start, end) == expected


# --- errors ---------------------------------------------------------------------------


def test_calendar_range_error_names_the_year_and_the_range() -> None:
    cal = england_and_wales_calendar(range(2027, 2028))
    with pytest.raises(CalendarRangeError, match="2028.*2027 to 2027"):
        cal.add_working_days(date(2027, 12, 23), 5)
    with pytest.raises(CalendarRangeError, match="2026"):
        cal.is_working_day(date(2026, 12, 31))
    with pytest.raises(CalendarRangeError, match="2028"):
        cal.working_days_between(date(2027, 12, 1), date(2028, 1, 5))


def test_calendar_range_error_is_a_value_error() -> None:
    assert issubclass(CalendarRangeError, ValueError)


@pytest.mark.parametrize("n", [-1, MAX_WORKING_DAYS + 1, 10_000])
def test_working_days_out_of_range(n: int) -> None:
    with pytest.raises(ValueError, match=f"between 0 and 260, got {n}") as info:
        CAL.add_working_days(date(2027, 3, 22), n)
    assert not isinstance(info.value, CalendarRangeError)
    with pytest.raises(ValueError, match="between 0 and 260"):
        CAL.due_at(date(2027, 3, 22), n)


@pytest.mark.parametrize("n", [2.0, "3", True, None])
def test_working_days_must_be_an_integer(n: object) -> None:
    with pytest.raises(ValueError, match="must be an integer"):
        CAL.add_working_days(date(2027, 3, 22), n)  # type: ignore[arg-type]


def test_max_working_days_is_allowed() -> None:
    assert CAL.add_working_days(date(2027, 3, 22), MAX_WORKING_DAYS).year == 2028


def test_datetime_is_rejected_where_a_date_is_expected() -> None:
    # It would silently never match a closed day.
    with pytest.raises(TypeError, match="date"):
        CAL.add_working_days(datetime(2027, 3, 25, 9, 0, tzinfo=LONDON), 1)


# --- purity -------------------------------------------------------------------------


def test_importing_working_days_does_not_import_holidays() -> None:
    code = (
        "import sys, domain.working_days\n"
        "loaded = [m for m in sys.modules if m == 'holidays' or m.startswith('holidays.')]\n"
        "print(loaded)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=PROJECT_ROOT,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == "[]"


def test_working_days_imports_only_the_standard_library_and_reads_no_clock() -> None:
    tree = ast.parse((PROJECT_ROOT / "domain" / "working_days.py").read_text())
    imported = {
        alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names
    } | {node.module.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    assert imported <= {"__future__", "dataclasses", "datetime", "hashlib", "zoneinfo"}
    called = {
        node.func.attr for node in ast.walk(tree) if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
    }
    assert not called & {"today", "now", "utcnow", "time", "monotonic"}


# --- properties ------------------------------------------------------------------------

start_dates = st.dates(min_value=date(2026, 1, 1), max_value=date(2028, 12, 31))
spans = st.integers(min_value=0, max_value=MAX_WORKING_DAYS)
covered_dates = st.dates(min_value=date(2026, 1, 1), max_value=date(2030, 12, 31))


def last_sunday(year: int, month: int) -> date:
    # Last day of the month, stepped back to a Sunday.
    first_of_next = date(year + month // 12, month % 12 + 1, 1)
    last = first_of_next - timedelta(days=1)
    return last - timedelta(days=(last.weekday() - 6) % 7)


def is_bst_at_end_of(d: date) -> bool:
    # UK summer time runs from 01:00 GMT on the last Sunday of March to
    # 01:00 GMT on the last Sunday of October, so those Sundays end in BST
    # and GMT respectively.
    return last_sunday(d.year, 3) <= d < last_sunday(d.year, 10)


@given(start=start_dates, n=st.integers(min_value=1, max_value=MAX_WORKING_DAYS))
def test_result_is_a_working_day_after_the_start(start: date, n: int) -> None:
    result = CAL.add_working_days(start, n)
    assert result > start
    assert CAL.is_working_day(result)


@given(start=start_dates, n=spans)
def test_working_days_between_inverts_add_working_days(start: date, n: int) -> None:
    end = CAL.add_working_days(start, n)
    assert CAL.working_days_between(start, end) == n
    assert CAL.working_days_between(end, start) == -n


@given(start=start_dates, n=st.integers(min_value=0, max_value=MAX_WORKING_DAYS - 1))
def test_add_working_days_is_strictly_monotonic_in_n(start: date, n: int) -> None:
    assert CAL.add_working_days(start, n) < CAL.add_working_days(start, n + 1)


@given(start=start_dates, n=spans)
def test_due_at_is_the_end_of_a_london_day(start: date, n: int) -> None:
    due = CAL.due_at(start, n)
    assert due.tzinfo is LONDON
    assert (due.hour, due.minute, due.second, due.microsecond) == (23, 59, 59, 0)
    assert due.date() == CAL.add_working_days(start, n)
    expected_offset = timedelta(hours=1) if is_bst_at_end_of(due.date()) else timedelta(0)
    assert due.utcoffset() == expected_offset


@given(start=covered_dates, end=covered_dates)
def test_working_days_between_matches_a_day_by_day_count(start: date, end: date) -> None:
    low, high = sorted((start, end))
    count = sum(1 for offset in range(1, (high - low).days + 1) if CAL.is_working_day(low + timedelta(days=offset)))
    assert CAL.working_days_between(start, end) == (count if end >= start else -count)


@settings(max_examples=50)
@given(
    start=start_dates,
    n=spans,
    # Few enough that 260 working days from late 2028 still end inside 2030.
    closures=st.frozensets(st.dates(min_value=date(2026, 1, 1), max_value=date(2030, 12, 31)), max_size=20),
)
def test_closure_days_never_bring_a_deadline_forward(start: date, n: int, closures: frozenset[date]) -> None:
    cal = england_and_wales_calendar(range(2026, 2031), closures)
    assert cal.add_working_days(start, n) >= CAL.add_working_days(start, n)


def test_a_wrong_type_names_the_argument_and_what_it_got() -> None:
    def message(call) -> str:
        with pytest.raises(TypeError) as refused:
            call()
        return str(refused.value)

    assert message(lambda: WorkingDayCalendar(frozenset({datetime(2026, 12, 29)}), 2026, 2026)) == (
        "closed day must be a datetime.date, got datetime"
    )
    assert message(lambda: CAL.is_working_day("2027-03-26")) == "d must be a datetime.date, got str"
    assert message(lambda: CAL.add_working_days(None, 1)) == "d must be a datetime.date, got NoneType"
    assert message(lambda: CAL.working_days_between(20270326, date(2027, 3, 29))) == (
        "start must be a datetime.date, got int"
    )
    assert message(lambda: CAL.working_days_between(date(2027, 3, 29), datetime(2027, 4, 1))) == (
        "end must be a datetime.date, got datetime"
    )


def test_the_calendar_digest_is_sha256_of_its_lines_written_out() -> None:
    # Recorded beside every deadline: its definition may never change.
    calendar = WorkingDayCalendar(frozenset({date(2027, 12, 29), date(2027, 12, 24)}), 2027, 2028)
    text = b"working-day-calendar/v1\nyears 2027-2028\n2027-12-24\n2027-12-29"
    assert calendar.digest() == hashlib.sha256(text).hexdigest()


# --- working hours (a safeguarding alert's window) -------------------------------------------

NINE, FIVE = time(9), time(17)


@pytest.mark.parametrize(
    ("start", "hours", "expected"),
    [
        # Within a morning: two hours later.
        (datetime(2027, 3, 10, 10, 0, tzinfo=LONDON), 2, datetime(2027, 3, 10, 12, 0, tzinfo=LONDON)),
        # Raised before nine: counted from nine.
        (datetime(2027, 3, 10, 7, 30, tzinfo=LONDON), 2, datetime(2027, 3, 10, 11, 0, tzinfo=LONDON)),
        # Friday 16:30: half an hour that day, the rest on Monday.
        (datetime(2027, 3, 5, 16, 30, tzinfo=LONDON), 2, datetime(2027, 3, 8, 10, 30, tzinfo=LONDON)),
        # Thursday before Easter, 16:00: Good Friday and Easter Monday do not count.
        (datetime(2027, 3, 25, 16, 0, tzinfo=LONDON), 2, datetime(2027, 3, 30, 10, 0, tzinfo=LONDON)),
        # Saturday evening: from Monday's opening.
        (datetime(2027, 3, 6, 20, 0, tzinfo=LONDON), 2, datetime(2027, 3, 8, 11, 0, tzinfo=LONDON)),
        # Exactly a working day: to its close.
        (datetime(2027, 3, 10, 9, 0, tzinfo=LONDON), 8, datetime(2027, 3, 10, 17, 0, tzinfo=LONDON)),
        # The Friday before the clocks go forward: Monday 10:00 is BST (09:00 UTC).
        (datetime(2027, 3, 26 - 7, 16, 0, tzinfo=LONDON), 2, datetime(2027, 3, 22, 10, 0, tzinfo=LONDON)),
        (datetime(2027, 10, 29, 16, 0, tzinfo=LONDON), 2, datetime(2027, 11, 1, 10, 0, tzinfo=LONDON)),
    ],
)
def test_working_hours_count_only_the_working_day(start: datetime, hours: int, expected: datetime) -> None:
    assert_same_instant_and_offset(CAL.add_working_hours(start, timedelta(hours=hours), NINE, FIVE), expected)


def test_a_moment_given_in_utc_is_counted_in_london() -> None:
    # 08:30 UTC on a summer day is 09:30 in London.
    start = datetime(2027, 7, 14, 8, 30, tzinfo=UTC)
    assert CAL.add_working_hours(start, timedelta(hours=2), NINE, FIVE) == datetime(2027, 7, 14, 11, 30, tzinfo=LONDON)


@pytest.mark.parametrize(
    ("start", "duration", "opens", "closes", "message"),
    [
        (datetime(2027, 3, 10, 10), timedelta(hours=2), NINE, FIVE, "aware"),
        (datetime(2027, 3, 10, 10, tzinfo=LONDON), timedelta(0), NINE, FIVE, "more than none"),
        (datetime(2027, 3, 10, 10, tzinfo=LONDON), timedelta(hours=2), FIVE, NINE, "opens"),
    ],
)
def test_working_hours_refuse_what_cannot_be_counted(start, duration, opens, closes, message) -> None:
    with pytest.raises((TypeError, ValueError), match=message):
        CAL.add_working_hours(start, duration, opens, closes)


def _working_minutes_until(start: datetime, minutes: int) -> datetime:
    """The slow way: walk the clock a minute at a time, counting the working ones."""
    moment = start.astimezone(LONDON).replace(second=0, microsecond=0)
    counted = 0
    while counted < minutes:
        local = moment.astimezone(LONDON)
        if CAL.is_working_day(local.date()) and NINE <= local.time() < FIVE:
            counted += 1
        moment += timedelta(minutes=1)
    return moment


@settings(max_examples=40, deadline=None)
@given(
    start=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2029, 12, 1), timezones=st.just(LONDON)),
    minutes=st.integers(min_value=1, max_value=16 * 60),
)
def test_working_hours_match_a_minute_by_minute_count(start: datetime, minutes: int) -> None:
    start = start.replace(second=0, microsecond=0)
    got = CAL.add_working_hours(start, timedelta(minutes=minutes), NINE, FIVE)
    assert got == _working_minutes_until(start, minutes)
    assert got.tzinfo is LONDON
