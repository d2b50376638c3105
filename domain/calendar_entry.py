"""One activity of the year's calendar, started by the engine on its day: events, state, rules.

A schedule fires on the activity's first working day and starts a calendar entry,
which starts the activity's own workflow (a CPR cycle, a QAPM meeting, ...). Some
need a person first: a thematic review needs the focus the QAPM meeting set (if it
set none, the QA officer is asked and chased, and the review waits rather than
starting empty); a spotlight needs its lead and members, which the QA team
arranges. The entry records what it started, or why it could not.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import Field

from domain import duties
from domain.duties import Duty
from domain.errors import Refusal
from domain.events import DomainEvent, EventMeta, EventRegistry
from domain.frozen import Frozen
from domain.kinds import Kind
from domain.qa_calendar import PlannedActivity
from domain.requests import ChangeRequest
from domain.sampling import MAX_SAMPLE
from domain.text import MAX_SHORT, required_text
from domain.wording import people

FOCUS_WITHIN = 5  # working days for the QA officer to get a thematic focus agreed
ARRANGE_WITHIN = 2  # working days to name a spotlight's lead and members
Status = Literal["waiting", "started", "refused", "noted"]


def entry_id(planned: PlannedActivity) -> str:
    """The entry's workflow id and audit stream: `calendar-2027-03-cpr-children-in-need`."""
    return f"calendar-{planned.key}"


class EntryInput(Frozen):
    planned: PlannedActivity
    installed_by: str  # the QA officer who installed the calendar: the activities' starter
    sample_size: int = Field(ge=1, le=MAX_SAMPLE)  # children sampled by a scheduled CPR cycle or thematic review
    calendar_digest: str


class EntryOpened(DomainEvent):
    event_type = "entry.opened"
    planned: PlannedActivity
    installed_by: str
    calendar_digest: str


DUTIES = duties.family("entry")


class FocusSet(DomainEvent):
    event_type = "entry.focus_set"
    focus: str
    source: str  # the QAPM meeting that set it, or the QA officer who recorded it


class SpotlightArranged(DomainEvent):
    event_type = "entry.spotlight_arranged"
    lead: str
    members: tuple[str, ...]
    day: date
    arranged_by: str


class ItemStarted(DomainEvent):
    event_type = "entry.item_started"
    item_id: str
    workflow_type: str


class ItemRefused(DomainEvent):
    """The activity's workflow refused to start (recording nothing): why, for the QA officer."""

    event_type = "entry.item_refused"
    item_id: str
    reason: str


class EntryNoted(DomainEvent):
    """An activity with no workflow of its own this month (CSLT planning is the service-wide plan's review)."""

    event_type = "entry.noted"
    note: str


ENTRY_EVENTS = EventRegistry(
    EntryOpened,
    *DUTIES,
    FocusSet,
    SpotlightArranged,
    ItemStarted,
    ItemRefused,
    EntryNoted,
)


class EntryState(Frozen):
    version: int
    planned: PlannedActivity
    installed_by: str
    status: Status = "waiting"
    duties: tuple[Duty, ...] = ()
    focus: str | None = None
    focus_source: str | None = None
    arranged: SpotlightArranged | None = None
    item_id: str | None = None
    refusals: tuple[str, ...] = ()
    note: str | None = None

    @property
    def ended(self) -> bool:
        """Its activity started, or was noted: nothing more is awaited (`qa overdue` stops listing)."""
        return self.status in ("started", "noted")

    @property
    def title(self) -> str:
        return f"{self.planned.title} ({self.planned.start.strftime('%B %Y')})"


def evolve(state: EntryState | None, event: DomainEvent, meta: EventMeta) -> EntryState:
    if state is None:
        if not isinstance(event, EntryOpened):
            raise ValueError(f"a calendar entry starts with entry.opened, not {event.event_type}")
        return EntryState(version=meta.version, planned=event.planned, installed_by=event.installed_by)
    update: dict[str, object]
    if (changed := duties.evolve_duties(state.duties, event, meta)) is not None:
        update = {"duties": changed}
    else:
        match event:
            case FocusSet():
                update = {"focus": event.focus, "focus_source": event.source}
            case SpotlightArranged():
                update = {"arranged": event}
            case ItemStarted():
                update = {"status": "started", "item_id": event.item_id}
            case ItemRefused():
                # A refused spotlight may be arranged again; anything else waits for a person.
                update = {
                    "status": "refused",
                    "item_id": None,
                    "arranged": None,
                    "refusals": (*state.refusals, event.reason),
                }
            case EntryNoted():
                update = {"status": "noted", "note": event.note}
            case _:
                raise ValueError(f"{event.event_type} does not belong to a calendar entry")
    return state.model_copy(update={"version": meta.version, **update})


class SetFocus(ChangeRequest):
    focus: str


class ArrangeSpotlight(ChangeRequest):
    lead: str
    members: tuple[str, ...]
    day: date | None = None  # default: the planned spotlight day


def _started(state: EntryState | None) -> EntryState:
    if state is None:
        raise Refusal("the calendar entry is still being set up; try again in a moment")
    return state


def check_focus(state: EntryState | None, request: SetFocus) -> None:
    state = _started(state)
    if state.planned.activity != "thematic":
        raise Refusal(f"{state.title} is not a thematic review; it takes no focus")
    if state.focus is not None:
        raise Refusal(f"the focus is already set: {state.focus!r} ({state.focus_source})")
    required_text(request.focus, "the focus", MAX_SHORT)


def check_arrangement(state: EntryState | None, request: ArrangeSpotlight) -> None:
    state = _started(state)
    if state.planned.activity != "spotlight":
        raise Refusal(f"{state.title} is not a team spotlight; there is nothing to arrange")
    if state.status == "started" or state.arranged is not None:
        raise Refusal(f"the spotlight is already arranged: {state.item_id or 'starting'}")


# --- the kind ---------------------------------------------------------------------------------

KIND = Kind(
    name="calendar entry",
    prefix="entry.",
    events=ENTRY_EVENTS,
    evolve=evolve,
    workflow_type="CalendarEntry",
    closing=("entry.item_started", "entry.noted"),
    show=("calendar", "entry"),
    people=lambda s: {s.installed_by} | ({s.arranged.arranged_by} if s.arranged else set()),
    duty_title="Calendar entry duties",
    words=DUTIES.words
    | {
        "entry.opened": lambda p: f"calendar entry for {p['planned']['title']} on {p['planned']['start']}",
        "entry.focus_set": lambda p: f"focus {p['focus']!r} (from {p['source']})",
        "entry.spotlight_arranged": lambda p: (
            f"spotlight arranged by {p['arranged_by']} for {p['day']}: lead {p['lead']}, members {people(p['members'])}"
        ),
        "entry.item_started": lambda p: f"{p['workflow_type']} {p['item_id']} started",
        "entry.item_refused": lambda p: f"{p['item_id']} could not start: {p['reason']}",
        "entry.noted": lambda p: p["note"],
    },
)
