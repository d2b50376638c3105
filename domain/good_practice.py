"""A Good Practice Conversation: a team nominated by a head of service, and its appreciative-inquiry record.

From the framework: one happens every other month across the service. Heads of
Service nominate teams to share their good practice; an Appreciative Inquiry
interview with those connected to it draws out what worked well, and gives an
opportunity to recognise and share it. The Chief Executive Officer and the Lead
Member for Children's Services are invited to attend.

The nomination is due 10 working days after the month's start, the record by
the end of the month's last working day; both are duties of the QA officer who
started the conversation, who asks the heads of service for a nomination.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import AwareDatetime, Field

from domain import duties
from domain.duties import Duty
from domain.errors import Refusal
from domain.events import DomainEvent, EventMeta, EventRegistry, StartedBy, owner
from domain.frozen import Frozen
from domain.kinds import Kind
from domain.requests import ChangeRequest
from domain.text import required_text
from domain.wording import people
from domain.working_days import LONDON

NOMINATE_AFTER = 10  # working days after the month's start
Phase = Literal["nominating", "recording", "recorded"]


def gpc_id(month_start: date) -> str:
    return f"gpc-{month_start.isoformat()}"


def next_month(day: date) -> date:
    """The first day of the month after `day`'s."""
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


# --- events -------------------------------------------------------------------------------------


class GpcStarted(DomainEvent):
    event_type = "gpc.started"
    month_start: date
    calendar_digest: str
    owner: str | None = None  # whose it is, when the QA calendar opened it (domain.events.owner)


DUTIES = duties.family("gpc")


class TeamNominated(DomainEvent):
    event_type = "gpc.team_nominated"
    team: str
    good_practice: str  # what the head of service saw that is worth sharing
    team_managers: tuple[str, ...]


class InquiryRecord(Frozen):
    """The appreciative-inquiry record: staff by their ids, children by case number only, never by name."""

    held_on: date = Field(title="The day of the inquiry")
    worked_well: str = Field(title="What worked well")
    interviewed: tuple[str, ...] = Field(title="The staff interviewed (staff ids, one a line)")
    insight: str = Field(title="The insight drawn out")
    shared: str = Field(title="How the good practice is recognised and shared")
    ceo_attended: bool = Field(False, title="Did the Chief Executive attend?")
    lead_member_attended: bool = Field(False, title="Did the Lead Member attend?")


class InquiryRecorded(DomainEvent):
    event_type = "gpc.inquiry_recorded"
    record: InquiryRecord


GPC_EVENTS = EventRegistry(GpcStarted, *DUTIES, TeamNominated, InquiryRecorded)


# --- state --------------------------------------------------------------------------------------


class GpcState(Frozen):
    version: int
    month_start: date
    started_by: str
    phase: Phase = "nominating"
    duties: tuple[Duty, ...] = ()
    team: str | None = None
    nominated_by: str | None = None
    good_practice: str | None = None
    team_managers: tuple[str, ...] = ()
    record: InquiryRecord | None = None
    recorded_by: str | None = None
    recorded_at: AwareDatetime | None = None

    @property
    def ended(self) -> bool:
        """The inquiry is recorded: nothing more is awaited (the workflow stops chasing; `qa overdue` stops listing)."""
        return self.phase == "recorded"

    @property
    def title(self) -> str:
        return f"the Good Practice Conversation of {self.month_start:%B %Y}"


def evolve(state: GpcState | None, event: DomainEvent, meta: EventMeta) -> GpcState:
    if state is None:
        if not isinstance(event, GpcStarted):
            raise ValueError(f"a Good Practice Conversation starts with gpc.started, not {event.event_type}")
        return GpcState(version=meta.version, month_start=event.month_start, started_by=owner(event, meta))
    update: dict[str, object]
    if (changed := duties.evolve_duties(state.duties, event, meta)) is not None:
        update = {"duties": changed}
    else:
        match event:
            case TeamNominated():
                update = {
                    "phase": "recording",
                    "team": event.team,
                    "nominated_by": meta.actor,
                    "good_practice": event.good_practice,
                    "team_managers": event.team_managers,
                }
            case InquiryRecorded():
                update = {
                    "phase": "recorded",
                    "record": event.record,
                    "recorded_by": meta.actor,
                    "recorded_at": meta.business_time,
                }
            case _:
                raise ValueError(f"{event.event_type} does not belong to a Good Practice Conversation")
    return state.model_copy(update={"version": meta.version, **update})


# --- requests and rules -------------------------------------------------------------------------


class GpcInput(StartedBy):
    """How a conversation starts (id `gpc-<month_start>`): by the calendar's scheduler or the QA team."""

    month_start: date


class NominateTeam(ChangeRequest):
    team: str
    good_practice: str


class RecordInquiry(ChangeRequest):
    record: InquiryRecord


def _started(state: GpcState | None) -> GpcState:
    if state is None:
        raise Refusal("the conversation is still being set up; try again in a moment")
    return state


def check_nomination(state: GpcState | None, request: NominateTeam) -> None:
    state = _started(state)
    if state.phase != "nominating":
        raise Refusal(f"{state.team} was already nominated by {state.nominated_by} for {state.title}")
    required_text(request.team, "the team nominated")
    required_text(request.good_practice, "the good practice the team is to share")


def check_record(state: GpcState | None, request: RecordInquiry, now: datetime) -> None:
    state = _started(state)
    if state.phase == "nominating":
        raise Refusal("the appreciative inquiry follows the nomination: a head of service nominates a team first")
    if state.phase == "recorded":
        raise Refusal(f"the appreciative inquiry of {state.title} was already recorded")
    record = request.record
    today = now.astimezone(LONDON).date()
    if record.held_on < state.month_start or record.held_on > today:
        raise Refusal(
            f"the conversation was held between {state.month_start.isoformat()} and today ({today.isoformat()}),"
            f" not on {record.held_on.isoformat()}"
        )
    for value, what in (
        (record.worked_well, "what worked well"),
        (record.insight, "the insight drawn out"),
        (record.shared, "how the good practice is recognised and shared"),
    ):
        required_text(value, what)
    if not record.interviewed:
        raise Refusal("name the staff interviewed (their staff ids)")
    if len(set(record.interviewed)) != len(record.interviewed):
        raise Refusal("each person interviewed is named once")


# --- the kind ---------------------------------------------------------------------------------


def _named(state: GpcState) -> set[str]:
    named = {state.started_by, *state.team_managers} | ({state.nominated_by} if state.nominated_by else set())
    return named | set(state.record.interviewed if state.record else ())


KIND = Kind(
    name="good practice conversation",
    prefix="gpc.",
    events=GPC_EVENTS,
    evolve=evolve,
    workflow_type="GoodPracticeConversation",
    closing=("gpc.inquiry_recorded",),
    show=("gpc", "show"),
    people=_named,
    duty_title="Good Practice Conversation duties",
    words=DUTIES.words
    | {
        "gpc.started": lambda p: f"Good Practice Conversation of the month from {p['month_start']}",
        "gpc.team_nominated": lambda p: f"the {p['team']} team nominated: {p['good_practice']}",
        "gpc.inquiry_recorded": lambda p: (
            f"appreciative inquiry of {p['record']['held_on']} recorded;"
            f" interviewed {people(p['record']['interviewed'])}"
        ),
    },
)
