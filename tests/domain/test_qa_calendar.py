"""The annual QA calendar as data: Appendix 1 cell for cell, malformed files refused by line, working days."""

from __future__ import annotations

from datetime import date

import pytest

from domain.bank_holidays import calendar_for
from domain.qa_calendar import CalendarFileError, parse_calendar, plan_year
from infra.calendar_source import DEFAULT_QA_CALENDAR

# Appendix 1 of the framework, as ../shared/SPEC.md transcribes it:
# month: (CPR service, Team Spotlight, GPC, CSLT, QAPM, Thematic, other); None: no core QA activity.
APPENDIX_1: dict[int, tuple | None] = {
    1: ("Family Wellbeing", None, True, True, True, False, None),
    2: (None, "CDT", False, False, False, True, None),
    3: ("CiC - Family Support + Safeguarding", "Children in Care", True, False, True, False, None),
    4: (None, "Front Door", False, True, False, True, None),
    5: ("Care Leavers", "Family Support and Safeguarding", True, False, True, False, None),
    6: (None, "Family Wellbeing", False, False, False, True, None),
    7: ("Children with Disabilities", "YOS", True, True, True, False, None),
    8: None,
    9: ("CiC - Corporate Parenting", "Fostering", True, False, True, False, None),
    10: (None, "Quality and Assurance", False, True, False, True, None),
    11: ("Children in Need", "Care Leavers", True, False, True, False, "Practice Week"),
    12: None,
}


def appendix_cells(plan: dict) -> dict[int, tuple | None]:
    """A plan (as `qa calendar plan --json` gives it) back in Appendix 1's shape."""
    closed = {c["month"] for c in plan["closed"]}
    table: dict[int, tuple | None] = {}
    for month in range(1, 13):
        if month in closed:
            table[month] = None
            continue
        of_month = [a for a in plan["activities"] if a["month"] == month]
        kinds = {a["activity"]: a["subject"] for a in of_month}
        assert len(kinds) == len(of_month), f"month {month} holds an activity twice"
        table[month] = (
            kinds.get("cpr"),
            kinds.get("spotlight"),
            "gpc" in kinds,
            "cslt" in kinds,
            "qapm" in kinds,
            "thematic" in kinds,
            "Practice Week" if "practice-week" in kinds else None,
        )
    return table


def default_plan(year: int = 2027):
    return plan_year(parse_calendar(DEFAULT_QA_CALENDAR.read_text()), year, calendar_for(date(year, 1, 1)))


def test_the_default_calendar_is_appendix_1_cell_for_cell():
    assert appendix_cells(default_plan().model_dump(mode="json")) == APPENDIX_1


def test_every_activity_starts_on_the_first_working_day_of_its_month_and_none_in_august_or_december():
    plan = default_plan()
    starts = {a.key: a.start for a in plan.activities}
    assert starts["2027-01-cpr-family-wellbeing"] == date(2027, 1, 4)  # 1 January: New Year's Day, then a weekend
    assert starts["2027-05-cpr-care-leavers"] == date(2027, 5, 4)  # 3 May: Early May bank holiday
    assert starts["2027-11-practice-week"] == date(2027, 11, 1)
    working = calendar_for(date(2027, 1, 1))
    for a in plan.activities:
        assert working.is_working_day(a.start), a.key
        assert a.start.month == a.month and a.start.month not in (8, 12), a.key
        assert a.start == working.next_working_day_on_or_after(date(2027, a.month, 1)), a.key


def test_windows_are_the_frameworks_in_working_days():
    plan = {a.key: {w.name: w.due for w in a.windows} for a in default_plan().activities}
    assert plan["2027-03-cpr-cic-family-support-safeguarding"] == {
        "reviews": date(2027, 3, 31),  # 20 working days from 1 March, not counting 26 and 29 March (Easter)
        "moderation": date(2027, 4, 14),
        "findings report": date(2027, 4, 28),
    }
    assert plan["2027-04-spotlight-front-door"] == {
        "key documents": date(2027, 4, 8),
        "proud and challenging list": date(2027, 4, 8),
        "spotlight day": date(2027, 4, 15),  # 10 working days after 1 April
        "member records": date(2027, 4, 16),
        "draft report": date(2027, 5, 7),  # 15 working days, not counting 3 May
        "finalised report": date(2027, 5, 14),
    }
    assert plan["2027-11-qapm"] == {"meeting": date(2027, 11, 8), "decisions recorded": date(2027, 11, 10)}


def test_a_day_in_the_file_moves_the_start_and_a_holiday_moves_it_again():
    text = "month,activity,subject,day\nMar,thematic,,26\nDec,cpr,Care Leavers,27\n"
    plan = plan_year(parse_calendar(text), 2027, calendar_for(date(2027, 1, 1)))
    # Friday 26 March 2027 is Good Friday: the next working day is Tuesday 30 March.
    # 27 and 28 December 2027 are the Christmas and Boxing Day substitutes.
    assert [a.start for a in plan.activities] == [date(2027, 3, 30), date(2027, 12, 29)]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("month,activity,subject,day\nJan,audit,,\n", "line 2: unknown activity 'audit'"),
        ("month,activity,subject,day\n13,qapm,,\n", "line 2: unknown month '13' (expected Jan to Dec, or 1 to 12)"),
        ("month,activity,subject,day\n# teams\nMar,spotlight,,\n", "line 3: a Team Spotlight names its team"),
        ("month,activity,subject,day\nJan,cpr,,\n", "line 2: a Collaborative Practice Review names its service"),
        ("month,activity,subject,day\nJan,qapm,Board,\n", "line 2: a QA and Performance Monitoring meeting names"),
        (
            "month,activity,subject,day\nAug,none,holidays,\nAug,gpc,,\n",
            "line 3: Aug has no core QA activity (line 2: holidays)",
        ),
        ("month,activity,subject,day\nFeb,thematic,,30\n", "line 2: Feb has no day 30 every year"),
        ("month,activity,subject,day\nJan,qapm,,\njan,QAPM,,\n", "line 3: repeats line 2"),
        ("month,activity\nJan,qapm\n", "line 1: expected the header 'month,activity,subject,day'"),
        ("# nothing\n", "missing the header line"),
    ],
)
def test_a_malformed_file_is_refused_naming_its_line(text, message):
    with pytest.raises(CalendarFileError) as refusal:
        parse_calendar(text, source="mine.csv")
    assert message in str(refusal.value)
    assert str(refusal.value).startswith("mine.csv")
    assert "\n" not in str(refusal.value)
