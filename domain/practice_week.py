"""Practice Week: once a year the senior leaders immerse themselves in front-line practice.

From the framework: the Director of Children's Services, the Assistant Director
and the Heads of Service spend a week observing practice and engaging with
children and families to gather feedback. The theme is agreed by the QAPM
meeting with staff feedback; learning and development opportunities are
scheduled throughout the week.

The week is 5 working days from its start. Its theme is the newest the QAPM
meeting decided (or one given at the start); without one the QA officer has a
duty to get it agreed before the week. Leaders record their observations during
the week (children by case number only, never by name); the QA officer closes
the week with a summary and the learning and development opportunities within
5 working days of its end.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Literal

from pydantic import AwareDatetime, Field

from domain import duties
from domain.duties import Duty
from domain.errors import Refusal
from domain.events import DomainEvent, EventMeta, EventRegistry, StartedBy, owner
from domain.frozen import Frozen
from domain.kinds import Kind
from domain.requests import ChangeRequest
from domain.text import MAX_SHORT, required_text
from domain.working_days import LONDON

WEEK = 5  # working days, from the week's start
CLOSE_AFTER = 5  # working days after the week ends
THEME_BEFORE = 1  # the theme is agreed by the end of the working day before the week
THEME_FRESH_DAYS = 366  # a QAPM decision older than this is last year's theme, not this week's
Phase = Literal["planned", "closed"]


def week_id(week_start: date) -> str:
    return f"practice-week-{week_start.isoformat()}"


# --- events -------------------------------------------------------------------------------------


class WeekStarted(DomainEvent):
    event_type = "practice_week.started"
    week_start: date
    week_ends_at: AwareDatetime
    theme: str | None
    theme_from: str | None  # the QAPM meeting that decided it, or None when given at the start
    calendar_digest: str
    owner: str | None = None  # whose it is, when the QA calendar opened it (domain.events.owner)


DUTIES = duties.family("practice_week")


class ThemeAgreed(DomainEvent):
    event_type = "practice_week.theme_agreed"
    theme: str
    theme_from: str | None


class Observation(Frozen):
    """One visit: what a leader observed and the feedback of children and families (case numbers, no names)."""

    visit: str = Field(title="The team, service or setting visited")
    observed: str = Field(title="What you observed")
    feedback: str = Field(title="The feedback of children and families")
    case_numbers: tuple[str, ...] = Field((), title="Case numbers of the children seen (one a line; never names)")


class ObservationRecorded(DomainEvent):
    event_type = "practice_week.observation_recorded"
    number: int
    leader: str
    observation: Observation


class WeekClosed(DomainEvent):
    event_type = "practice_week.closed"
    summary: str
    learning: tuple[str, ...]  # learning and development opportunities


PRACTICE_WEEK_EVENTS = EventRegistry(WeekStarted, *DUTIES, ThemeAgreed, ObservationRecorded, WeekClosed)


# --- state --------------------------------------------------------------------------------------


class RecordedObservation(Frozen):
    number: int
    leader: str
    at: AwareDatetime
    observation: Observation


class PracticeWeekState(Frozen):
    version: int
    week_start: date
    week_ends_at: AwareDatetime
    started_by: str
    theme: str | None = None
    theme_from: str | None = None
    phase: Phase = "planned"
    duties: tuple[Duty, ...] = ()
    observations: tuple[RecordedObservation, ...] = ()
    summary: str | None = None
    learning: tuple[str, ...] = ()
    closed_by: str | None = None
    closed_at: AwareDatetime | None = None

    @property
    def ended(self) -> bool:
        """The week is closed: nothing more is awaited (the workflow stops chasing; `qa overdue` stops listing)."""
        return self.phase == "closed"

    @property
    def title(self) -> str:
        return f"the Practice Week of {self.week_start.day} {self.week_start:%B %Y}"

    @property
    def starts_at(self) -> datetime:
        return datetime.combine(self.week_start, time(0), LONDON)

    @property
    def leaders(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(o.leader for o in self.observations))

    @property
    def case_numbers(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(c for o in self.observations for c in o.observation.case_numbers))


def evolve(state: PracticeWeekState | None, event: DomainEvent, meta: EventMeta) -> PracticeWeekState:
    if state is None:
        if not isinstance(event, WeekStarted):
            raise ValueError(f"a Practice Week starts with practice_week.started, not {event.event_type}")
        return PracticeWeekState(
            version=meta.version,
            started_by=owner(event, meta),
            **event.model_dump(exclude={"calendar_digest", "owner"}),
        )
    update: dict[str, object]
    if (changed := duties.evolve_duties(state.duties, event, meta)) is not None:
        update = {"duties": changed}
    else:
        match event:
            case ThemeAgreed():
                update = {"theme": event.theme, "theme_from": event.theme_from}
            case ObservationRecorded():
                recorded = RecordedObservation(
                    number=event.number, leader=event.leader, at=meta.business_time, observation=event.observation
                )
                update = {"observations": (*state.observations, recorded)}
            case WeekClosed():
                update = {
                    "phase": "closed",
                    "summary": event.summary,
                    "learning": event.learning,
                    "closed_by": meta.actor,
                    "closed_at": meta.business_time,
                }
            case _:
                raise ValueError(f"{event.event_type} does not belong to a Practice Week")
    return state.model_copy(update={"version": meta.version, **update})


# --- requests and rules -------------------------------------------------------------------------


class PracticeWeekInput(StartedBy):
    """How a week starts (id `practice-week-<week_start>`): by the calendar's scheduler or the QA team."""

    week_start: date
    theme: str | None = None


class AgreeTheme(ChangeRequest):
    """The theme agreed; None: the newest one a QAPM meeting decided."""

    theme: str | None = None


class RecordObservation(ChangeRequest):
    observation: Observation


class CloseWeek(ChangeRequest):
    summary: str
    learning: tuple[str, ...] = Field(title="Learning and development opportunities (one a line)")


def _started(state: PracticeWeekState | None) -> PracticeWeekState:
    if state is None:
        raise Refusal("the Practice Week is still being set up; try again in a moment")
    return state


def _open(state: PracticeWeekState) -> None:
    if state.phase == "closed":
        raise Refusal(f"{state.title} is closed")


def check_theme(state: PracticeWeekState | None, request: AgreeTheme) -> None:
    state = _started(state)
    _open(state)
    if state.theme is not None:
        raise Refusal(f"the theme of {state.title} is already agreed: {state.theme}")
    if request.theme is not None:
        required_text(request.theme, "the theme (leave it out to take the QAPM meeting's)", MAX_SHORT)


def check_observation(state: PracticeWeekState | None, request: RecordObservation, now: datetime) -> None:
    state = _started(state)
    _open(state)
    if now < state.starts_at:
        raise Refusal(f"observations are recorded during the week, from {state.week_start.isoformat()}")
    if now > state.week_ends_at:
        ended = state.week_ends_at.astimezone(LONDON).date().isoformat()
        raise Refusal(f"the week ended on {ended}: observations are recorded during it")
    observation = request.observation
    required_text(observation.visit, "the visit (the team, service or setting)")
    required_text(observation.observed, "what was observed")
    required_text(observation.feedback, "the feedback from children and families (say 'none sought' if none)")
    if len(set(observation.case_numbers)) != len(observation.case_numbers):
        raise Refusal("each case number is named once")


def check_close(state: PracticeWeekState | None, request: CloseWeek, now: datetime) -> None:
    state = _started(state)
    _open(state)
    if now <= state.week_ends_at:
        ended = state.week_ends_at.astimezone(LONDON).date().isoformat()
        raise Refusal(f"the week is closed once it has ended ({ended})")
    if state.theme is None:
        raise Refusal("the week has no theme agreed yet: agree it first (`qa practice-week theme`)")
    required_text(request.summary, "the summary")
    if not [item for item in request.learning if item.strip()]:
        raise Refusal("name at least one learning and development opportunity")


# --- the kind ---------------------------------------------------------------------------------

KIND = Kind(
    name="practice week",
    prefix="practice_week.",
    events=PRACTICE_WEEK_EVENTS,
    evolve=evolve,
    workflow_type="PracticeWeek",
    closing=("practice_week.closed",),
    show=("practice-week", "show"),
    people=lambda s: {s.started_by, *s.leaders} | ({s.closed_by} if s.closed_by else set()),
    case_numbers=lambda s: list(s.case_numbers),
    duty_title="Practice Week duties",
    words=DUTIES.words
    | {
        "practice_week.started": lambda p: (
            f"Practice Week from {p['week_start']}" + (f", theme {p['theme']!r}" if p.get("theme") else "")
        ),
        "practice_week.theme_agreed": lambda p: (
            f"theme {p['theme']!r}" + (f" (decided at {p['theme_from']})" if p.get("theme_from") else "")
        ),
        "practice_week.observation_recorded": lambda p: (
            f"observation {p['number']} by {p['leader']}: {p['observation']['visit']}"
        ),
        "practice_week.closed": lambda p: f"week closed: {p['summary']}",
    },
)
