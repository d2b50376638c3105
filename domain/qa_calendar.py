"""The annual QA calendar as data: which activity, in which month, for which service or team.

The framework's Appendix 1 is the default (infra/data/qa-calendar.csv); another
authority loads its own file. Format (CSV, UTF-8)::

    month,activity,subject,day
    # blank lines and lines starting with '#' are ignored
    Jan,cpr,Family Wellbeing,        # a CPR cycle names its service
    Feb,spotlight,CDT,               # a Team Spotlight names its team
    Jan,qapm,,                       # qapm, gpc, cslt, thematic, practice-week name nothing
    Aug,none,holiday period,         # a month with no core QA activity, and why
    Mar,thematic,,15                 # day: the activity starts on the 15th, not the 1st

An activity starts on the first working day on or after its day of the month (the
1st unless the file says otherwise). `plan_year` turns the calendar into a year's
dated plan with every window's due date: pure, given the year's working-day
calendar, so the CLI, the scheduler and the tests all see the same plan.
"""

from __future__ import annotations

import calendar as months_calendar
import hashlib
from datetime import date, datetime, time
from typing import Literal

from domain.chasing import working_days_before
from domain.files import csv_records
from domain.frozen import Frozen
from domain.naming import slug
from domain.working_days import LONDON, WorkingDayCalendar

HEADER = ("month", "activity", "subject", "day")
Activity = Literal["cpr", "spotlight", "gpc", "cslt", "qapm", "thematic", "practice-week"]
ACTIVITIES: dict[str, str] = {
    "cpr": "Collaborative Practice Review",
    "spotlight": "Team Spotlight",
    "gpc": "Good Practice Conversation",
    "cslt": "CSLT action planning",
    "qapm": "QA and Performance Monitoring meeting",
    "thematic": "Thematic review",
    "practice-week": "Practice Week",
}
CLOSED = "none"
# What each activity names in its subject column: None, nothing.
SUBJECT = {"cpr": "service", "spotlight": "team"}
MONTHS = tuple(months_calendar.month_abbr[1:])  # Jan .. Dec

# Every activity's workflow starts on its start day; a spotlight's day and a QAPM
# meeting fall that many working days later, leaving time for the spotlight's
# documents (due 5 working days before its day) and the meeting's performance pack.
SPOTLIGHT_DAY_AFTER = 10
QAPM_MEETING_AFTER = 5


class CalendarFileError(ValueError):
    """The calendar file is malformed; the message is one line naming the line."""


class CalendarEntry(Frozen):
    month: int
    activity: Activity
    subject: str | None = None
    day: int | None = None
    line: int = 0

    @property
    def key(self) -> str:
        """Stable within a year: what a schedule and the started items are named after."""
        return "-".join(part for part in (f"{self.month:02d}", self.activity, slug(self.subject or "")) if part)


class ClosedMonth(Frozen):
    month: int
    reason: str
    line: int = 0


class QaCalendar(Frozen):
    entries: tuple[CalendarEntry, ...]
    closed: tuple[ClosedMonth, ...]
    digest: str  # of the file's text: which calendar a plan or a schedule came from


def _month(text: str) -> int:
    for number, name in enumerate(MONTHS, start=1):
        if text.casefold() in (name.casefold(), months_calendar.month_name[number].casefold()):
            return number
    if text.isdigit() and 1 <= int(text) <= 12:
        return int(text)
    raise ValueError(f"unknown month {text!r} (expected Jan to Dec, or 1 to 12)")


def _row(cells: list[str]) -> CalendarEntry | ClosedMonth:
    if len(cells) > len(HEADER):
        raise ValueError(f"expected at most {len(HEADER)} columns ({','.join(HEADER)}), got {len(cells)}")
    month_text, activity, subject, day_text = (cells + ["", "", "", ""])[:4]
    month = _month(month_text)
    activity = activity.casefold()
    if activity == CLOSED:
        if not subject or day_text:
            raise ValueError("a month with no core QA activity says why in the subject column, and has no day")
        return ClosedMonth(month=month, reason=subject)
    if activity not in ACTIVITIES:
        raise ValueError(f"unknown activity {activity!r} (expected {', '.join(ACTIVITIES)} or {CLOSED})")
    names = SUBJECT.get(activity)
    if names and not subject:
        raise ValueError(f"a {ACTIVITIES[activity]} names its {names}")
    if not names and subject:
        raise ValueError(f"a {ACTIVITIES[activity]} names no service or team, not {subject!r}")
    day = None
    if day_text:
        if not day_text.isdigit():
            raise ValueError(f"day {day_text!r} is not a day of the month")
        day = int(day_text)
        # The shortest the month can be, so the day exists every year.
        if not 1 <= day <= months_calendar.monthrange(2001, month)[1]:
            raise ValueError(f"{MONTHS[month - 1]} has no day {day} every year")
    return CalendarEntry(month=month, activity=activity, subject=subject or None, day=day)  # type: ignore[arg-type]


def parse_calendar(text: str, source: str = "calendar") -> QaCalendar:
    """The calendar in `text`; raises CalendarFileError on the first problem, naming its line."""
    entries: list[CalendarEntry] = []
    closed: dict[int, ClosedMonth] = {}
    seen: dict[str, int] = {}
    header_seen = False
    for number, cells, stripped in csv_records(text, source, CalendarFileError):
        try:
            if not header_seen:
                if tuple(c.casefold() for c in cells) != HEADER:
                    raise ValueError(f"expected the header '{','.join(HEADER)}', got {stripped!r}")
                header_seen = True
                continue
            row = _row(cells)
            if isinstance(row, ClosedMonth):
                if row.month in closed:
                    raise ValueError(f"{MONTHS[row.month - 1]} is already closed on line {closed[row.month].line}")
                closed[row.month] = row.model_copy(update={"line": number})
                continue
            entry = row.model_copy(update={"line": number})
            if entry.key in seen:
                raise ValueError(f"repeats line {seen[entry.key]}")
            seen[entry.key] = number
            entries.append(entry)
        except ValueError as exc:
            raise CalendarFileError(f"{source} line {number}: {exc}") from None
    if not header_seen:
        raise CalendarFileError(f"{source}: missing the header line '{','.join(HEADER)}'")
    for entry in entries:
        if entry.month in closed:
            shut = closed[entry.month]
            raise CalendarFileError(
                f"{source} line {entry.line}: {MONTHS[entry.month - 1]} has no core QA activity"
                f" (line {shut.line}: {shut.reason}); move the {ACTIVITIES[entry.activity]} or reopen the month"
            )
    return QaCalendar(
        entries=tuple(sorted(entries, key=lambda e: (e.month, list(ACTIVITIES).index(e.activity), e.subject or ""))),
        closed=tuple(sorted(closed.values(), key=lambda c: c.month)),
        digest=hashlib.sha256(text.encode("utf-8")).hexdigest(),
    )


# --- the year's plan --------------------------------------------------------------------------


class Window(Frozen):
    name: str
    due: date


class PlannedActivity(Frozen):
    key: str  # e.g. "2027-03-cpr-cic-family-support-safeguarding"
    activity: Activity
    title: str
    month: int
    subject: str | None
    start: date  # when its workflow starts: a cycle's day 0, a spotlight's arrangement, a meeting's pack
    windows: tuple[Window, ...]
    involved: str
    repeat_of: str | None = None  # the cycle a QAPM meeting decided to repeat (not from the calendar file)


class YearPlan(Frozen):
    year: int
    calendar_digest: str
    working_day_digest: str
    activities: tuple[PlannedActivity, ...]
    closed: tuple[ClosedMonth, ...]


INVOLVED = {
    "cpr": "{subject}: sampled children's practitioners; reviewers and moderators allocated by the QA team",
    "spotlight": "the {subject} team; a senior manager leading 3-4 colleagues, arranged by the QA team",
    "gpc": "a team nominated by a head of service; the CEO and Lead Member invited",
    "cslt": "CSLT (heads of service, the assistant director, the director): the service-wide action plan",
    "qapm": "chaired by the Director of Children's Services; team managers, heads of service, the assistant director",
    "thematic": "the focus set by the QAPM meeting; reviewers allocated by the QA team",
    "practice-week": "the Director of Children's Services, the assistant director and heads of service",
}


def _windows(activity: str, start: date, working: WorkingDayCalendar) -> tuple[Window, ...]:
    def after(day: date, n: int) -> date:
        return working.add_working_days(day, n)

    match activity:
        case "cpr":
            reviews = after(start, 20)
            moderation = after(reviews, 10)
            return (
                Window(name="reviews", due=reviews),
                Window(name="moderation", due=moderation),
                Window(name="findings report", due=after(moderation, 10)),
            )
        case "thematic":
            cycle = after(start, 20)
            return (Window(name="cycle", due=cycle), Window(name="findings report", due=after(cycle, 10)))
        case "spotlight":
            day = after(start, SPOTLIGHT_DAY_AFTER)
            before = working_days_before(working, day, 5)
            draft = after(day, 15)
            return (
                Window(name="key documents", due=before),
                Window(name="proud and challenging list", due=before),
                Window(name="spotlight day", due=day),
                Window(name="member records", due=after(day, 1)),
                Window(name="draft report", due=draft),
                Window(name="finalised report", due=after(draft, 5)),
            )
        case "qapm":
            meeting = after(start, QAPM_MEETING_AFTER)
            return (Window(name="meeting", due=meeting), Window(name="decisions recorded", due=after(meeting, 2)))
        case "gpc":
            last = date(start.year, start.month, months_calendar.monthrange(start.year, start.month)[1])
            last_working = last if working.is_working_day(last) else working_days_before(working, last, 1)
            return (
                Window(name="team nominated", due=after(start, 10)),
                Window(name="appreciative inquiry record", due=last_working),
            )
        case "practice-week":
            week_end = after(start, 4)
            return (Window(name="the week", due=week_end), Window(name="summary", due=after(week_end, 5)))
        case _:  # cslt: the service-wide plan's review at the meeting itself
            return (Window(name="service-wide plan reviewed", due=start),)


def plan_year(qa: QaCalendar, year: int, working: WorkingDayCalendar) -> YearPlan:
    """Every activity of `year` on its working day, with its windows' due dates.

    `working` must cover the year and the next (a November cycle's report may fall due in January).
    """
    planned = []
    for entry in qa.entries:
        start = working.next_working_day_on_or_after(date(year, entry.month, entry.day or 1))
        planned.append(
            PlannedActivity(
                key=f"{year}-{entry.key}",
                activity=entry.activity,
                title=ACTIVITIES[entry.activity] + (f": {entry.subject}" if entry.subject else ""),
                month=entry.month,
                subject=entry.subject,
                start=start,
                windows=_windows(entry.activity, start, working),
                involved=INVOLVED[entry.activity].format(subject=entry.subject),
            )
        )
    return YearPlan(
        year=year,
        calendar_digest=qa.digest,
        working_day_digest=working.digest(),
        activities=tuple(planned),
        closed=qa.closed,
    )


def planned_repeat(service: str, start_from: date, repeat_of: str, working: WorkingDayCalendar) -> PlannedActivity:
    """The repeat of CPR cycle `repeat_of` of `service`, on the first working day on or after `start_from`: an
    activity of the year's calendar that no calendar file holds (a QAPM meeting decided it)."""
    start = working.next_working_day_on_or_after(start_from)
    return PlannedActivity(
        key=f"{start.year}-{start.month:02d}-cpr-{slug(service)}-repeat",
        activity="cpr",
        title=f"{ACTIVITIES['cpr']}: {service} (repeat of {repeat_of})",
        month=start.month,
        subject=service,
        start=start,
        windows=_windows("cpr", start, working),
        involved=INVOLVED["cpr"].format(subject=service),
        repeat_of=repeat_of,
    )


def starts_at(activity: PlannedActivity) -> datetime:
    """The moment its workflow starts: 07:00 London time on that working day, before anyone is at work."""
    return datetime.combine(activity.start, time(7), LONDON)
