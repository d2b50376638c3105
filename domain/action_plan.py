"""Team and service-wide action plans: events, state, reducer and the rules for each change.

The framework: "service wide action plans ... will be reviewed by Children's
Services Leadership Team in a quarterly meeting. Team action plans should be
reviewed every 6 weeks in team meetings, and this is led by Team Managers."
A plan is owned by its team manager (team plan) or by a member of CSLT
(service-wide plan). Its actions are SMART: the action, the support needed,
the person responsible, by when, and how completion will be shown. At each
review meeting the owner records progress on each action, and may add, change
or close actions. Findings from CPRs, thematic reviews and spotlights add
actions that link back to the finding.

A plan runs for years. Its meetings are numbered; the state carries across
each meeting (the workflow continues as new there) and its audit stream is one
stream for the plan's whole life.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from typing import Literal

from pydantic import AwareDatetime, Field

from domain import duties
from domain.directory import check_staff_id
from domain.duties import Duty
from domain.errors import Refusal
from domain.events import DomainEvent, EventMeta, EventRegistry
from domain.files import FileError, csv_rows
from domain.frozen import Frozen
from domain.kinds import Kind
from domain.requests import ChangeRequest
from domain.text import MAX_SHORT, check_text, required_text
from domain.working_days import LONDON

END_OF_DAY = time(23, 59, 59)
PlanKind = Literal["team", "service-wide"]
Progress = Literal["not-started", "on-track", "at-risk", "done"]
PROGRESS: tuple[Progress, ...] = ("not-started", "on-track", "at-risk", "done")
TEAM_CADENCE = timedelta(weeks=6)
SERVICE_WIDE_CADENCE_MONTHS = 3
CADENCE_TEXT = {"team": "every 6 weeks in a team meeting", "service-wide": "quarterly by CSLT"}

# The SMART fields, in the order a person is told what is missing.
SMART_FIELDS = {
    "action": "the action",
    "support": "the support needed",
    "responsible": "the person responsible",
    "by_when": "by when",
    "evidence": "how completion will be shown",
}


def nominal_meeting(kind: PlanKind, first: date, number: int) -> date:
    """The date meeting `number` (1 is the first) falls on before moving it to a working day.

    Every meeting is counted from the first, so moving one past a holiday never
    makes the next one drift.
    """
    steps = number - 1
    if kind == "team":
        return first + steps * TEAM_CADENCE
    months = first.month - 1 + steps * SERVICE_WIDE_CADENCE_MONTHS
    year, month = first.year + months // 12, months % 12 + 1
    return date(year, month, min(first.day, calendar.monthrange(year, month)[1]))


def first_nominal_meeting(kind: PlanKind, start: date) -> date:
    """One cadence after the plan starts: 6 weeks for a team plan, 3 months for a service-wide one."""
    return nominal_meeting(kind, start, 2)


# --- events -----------------------------------------------------------------------------------


class PlanStarted(DomainEvent):
    event_type = "plan.started"
    kind: PlanKind
    team: str | None
    owner: str
    first_nominal: date
    next_meeting_on: date
    next_meeting_at: AwareDatetime
    calendar_digest: str


class ActionAdded(DomainEvent):
    event_type = "plan.action_added"
    action_id: str
    action: str
    support: str
    responsible: str
    by_when: date
    evidence: str
    source: str | None = None


class ActionChanged(DomainEvent):
    event_type = "plan.action_changed"
    action_id: str
    action: str | None = None
    support: str | None = None
    responsible: str | None = None
    by_when: date | None = None
    evidence: str | None = None
    reason: str


class ProgressRecorded(DomainEvent):
    event_type = "plan.progress_recorded"
    action_id: str
    status: Progress
    note: str | None = None
    evidence: str | None = None


class ActionClosed(DomainEvent):
    event_type = "plan.action_closed"
    action_id: str
    reason: str


class ActionOverdue(DomainEvent):
    """An open action past the end of its by-when date: the responsible person and the owner are told."""

    event_type = "plan.action_overdue"
    action_id: str
    reminded: str
    escalated_to: str


class MeetingHeld(DomainEvent):
    """The end of a review meeting's day: the cycle closes and the next meeting is set."""

    event_type = "plan.meeting_held"
    number: int
    held_on: date
    reviewed: tuple[str, ...]
    not_reviewed: tuple[str, ...]
    next_meeting_on: date
    next_meeting_at: AwareDatetime
    calendar_digest: str


class MeetingRecorded(DomainEvent):
    """The owner records the review meeting held: who attended, on which day; the cycle closes and the next meeting
    is set. The engine never records a meeting held: one not recorded by the end of its day is an overdue duty."""

    event_type = "plan.meeting_recorded"
    number: int
    held_on: date
    attendees: tuple[str, ...]
    reviewed: tuple[str, ...]
    not_reviewed: tuple[str, ...]
    notes: str
    next_meeting_on: date
    next_meeting_at: AwareDatetime
    calendar_digest: str


DUTIES = duties.family("plan")


def meeting_key(number: int) -> str:
    """The owner's duty to hold and record review meeting `number` (also its task's key)."""
    return f"meeting-{number}"


def meeting_what(number: int, title: str) -> str:
    return f"hold and record review meeting {number} of {title}"


def plan_title(kind: PlanKind, team: str | None) -> str:
    return f"the {team} team action plan" if kind == "team" else "the service-wide action plan"


PLAN_EVENTS = EventRegistry(
    PlanStarted,
    ActionAdded,
    ActionChanged,
    ProgressRecorded,
    ActionClosed,
    ActionOverdue,
    MeetingHeld,
    MeetingRecorded,
    *DUTIES,
)


# --- state ------------------------------------------------------------------------------------


class PlanAction(Frozen):
    action_id: str
    action: str
    support: str
    responsible: str
    by_when: date
    evidence: str
    source: str | None = None
    added_at: AwareDatetime
    added_in: int
    status: Progress = "not-started"
    progress_in: int | None = None
    progress_note: str | None = None
    completion_evidence: str | None = None
    completed_at: AwareDatetime | None = None
    closed_reason: str | None = None
    closed_at: AwareDatetime | None = None
    overdue: bool = False

    @property
    def open(self) -> bool:
        return self.completed_at is None and self.closed_at is None

    @property
    def due_at(self) -> datetime:
        """The end of its by-when date, local time."""
        return datetime.combine(self.by_when, END_OF_DAY, LONDON)


class Meeting(Frozen):
    number: int
    held_on: date
    reviewed: tuple[str, ...]
    not_reviewed: tuple[str, ...]
    recorded_by: str | None = (
        None  # None: held by the engine at the end of its day (plans before meetings were recorded)
    )
    attendees: tuple[str, ...] = ()
    notes: str = ""


class PlanMoment(Frozen):
    """What the plan waits for next: the review meeting, or an open action's by-when date."""

    kind: Literal["meeting", "action"]
    at: AwareDatetime
    action_id: str | None = None


class PlanState(Frozen):
    version: int
    kind: PlanKind
    team: str | None
    owner: str
    started_at: AwareDatetime
    first_nominal: date
    next_meeting_on: date
    next_meeting_at: AwareDatetime
    meetings: tuple[Meeting, ...] = ()
    actions: tuple[PlanAction, ...] = ()
    duties: tuple[Duty, ...] = ()  # the owner's duty to record each meeting (plans before: none)

    @property
    def title(self) -> str:
        return plan_title(self.kind, self.team)

    @property
    def cycle(self) -> int:
        """The number of the meeting the plan is working towards."""
        return len(self.meetings) + 1

    @property
    def open_actions(self) -> tuple[PlanAction, ...]:
        return tuple(a for a in self.actions if a.open)

    def action(self, action_id: str) -> PlanAction | None:
        return next((a for a in self.actions if a.action_id == action_id), None)

    def action_from(self, source: str) -> PlanAction | None:
        """The action a finding already added (a finding adds each of its actions once)."""
        source = source.strip()
        return next((a for a in self.actions if source and a.source == source), None)

    @property
    def next_action_due(self) -> PlanAction | None:
        waiting = [a for a in self.open_actions if not a.overdue]
        return min(waiting, key=lambda a: (a.by_when, a.action_id), default=None)

    @property
    def next_moment(self) -> PlanMoment:
        """The earlier of the next overdue check and the meeting (an action due first goes first)."""
        action = self.next_action_due
        if action is not None and action.due_at <= self.next_meeting_at:
            return PlanMoment(kind="action", at=action.due_at, action_id=action.action_id)
        return PlanMoment(kind="meeting", at=self.next_meeting_at)

    @property
    def reviewed_this_cycle(self) -> tuple[str, ...]:
        return tuple(a.action_id for a in self.actions if a.progress_in == self.cycle or a.added_in == self.cycle)

    @property
    def not_reviewed_this_cycle(self) -> tuple[str, ...]:
        reviewed = set(self.reviewed_this_cycle)
        return tuple(a.action_id for a in self.open_actions if a.action_id not in reviewed)


def _replace(state: PlanState, action_id: str, **update: object) -> tuple[PlanAction, ...]:
    return tuple(a.model_copy(update=update) if a.action_id == action_id else a for a in state.actions)


def evolve(state: PlanState | None, event: DomainEvent, meta: EventMeta) -> PlanState:
    if state is None:
        if not isinstance(event, PlanStarted):
            raise ValueError(f"a plan starts with plan.started, not {event.event_type}")
        fields = event.model_dump(exclude={"calendar_digest"})
        return PlanState(version=meta.version, started_at=meta.business_time, **fields)

    at = meta.business_time
    if (changed := duties.evolve_duties(state.duties, event, meta)) is not None:
        return state.model_copy(update={"version": meta.version, "duties": changed})
    update: dict[str, object]
    match event:
        case ActionAdded():
            added = PlanAction(**event.model_dump(), added_at=at, added_in=state.cycle)
            update = {"actions": (*state.actions, added)}
        case ActionChanged():
            changes = event.model_dump(exclude={"action_id", "reason"}, exclude_none=True)
            if "by_when" in changes:
                changes["overdue"] = False  # a new date starts a new wait
            update = {"actions": _replace(state, event.action_id, **changes)}
        case ProgressRecorded():
            progress: dict[str, object] = {
                "status": event.status,
                "progress_in": state.cycle,
                "progress_note": event.note,
            }
            if event.status == "done":
                progress |= {"completion_evidence": event.evidence, "completed_at": at}
            update = {"actions": _replace(state, event.action_id, **progress)}
        case ActionClosed():
            update = {"actions": _replace(state, event.action_id, closed_reason=event.reason, closed_at=at)}
        case ActionOverdue():
            update = {"actions": _replace(state, event.action_id, overdue=True)}
        case MeetingHeld() | MeetingRecorded():
            recorded = isinstance(event, MeetingRecorded)
            meeting = Meeting(
                number=event.number,
                held_on=event.held_on,
                reviewed=event.reviewed,
                not_reviewed=event.not_reviewed,
                recorded_by=meta.actor if recorded else None,
                attendees=event.attendees if isinstance(event, MeetingRecorded) else (),
                notes=event.notes if isinstance(event, MeetingRecorded) else "",
            )
            update = {
                "meetings": (*state.meetings, meeting),
                "next_meeting_on": event.next_meeting_on,
                "next_meeting_at": event.next_meeting_at,
            }
        case _:
            raise ValueError(f"{event.event_type} does not belong to an action plan")
    return state.model_copy(update={"version": meta.version, **update})


# --- requests (one per update) ----------------------------------------------------------------


class PlanInput(Frozen):
    """How a plan starts; `carried` is the state a run hands to the next at each meeting."""

    kind: PlanKind
    owner: str
    started_by: str
    team: str | None = None
    first_meeting: date | None = None
    carried: PlanState | None = None


class SmartAction(Frozen):
    """A SMART action a finding or a meeting brings to a plan; any part may arrive empty to be named missing."""

    action: str = Field("", title="Action")
    support: str = Field("", title="Any support needed to achieve the action")
    responsible: str = Field("", title="Person responsible (staff id)")
    by_when: date | None = Field(None, title="By when")
    evidence: str = Field("", title="The evidence that shows it is done")


def parse_actions(text: str, source: str) -> tuple[SmartAction, ...]:
    """SMART actions from CSV with the header `action,support,responsible,by_when,evidence`."""
    actions = []
    for line, row in csv_rows(text, source, tuple(SMART_FIELDS)):
        by_when = None
        if row["by_when"]:
            try:
                by_when = date.fromisoformat(row["by_when"])
            except ValueError:
                raise FileError(f"{source} line {line}: by_when {row['by_when']!r} is not a YYYY-MM-DD date") from None
        actions.append(SmartAction(**(row | {"by_when": by_when})))
    if not actions:
        raise FileError(f"{source}: no actions")
    return tuple(actions)


class AddAction(ChangeRequest, SmartAction):
    """The owner's SMART action. Every field may arrive empty so the refusal can name all that is missing."""


class AddFromFinding(AddAction):
    """An action from a CPR, thematic review, spotlight or dip audit finding; `source` links back to it."""

    source: str = ""


class ChangeAction(ChangeRequest):
    action_id: str
    action: str | None = None
    support: str | None = None
    responsible: str | None = None
    by_when: date | None = None
    evidence: str | None = None
    reason: str


class RecordProgress(ChangeRequest):
    action_id: str
    status: Progress
    note: str | None = None
    evidence: str | None = None


class CloseAction(ChangeRequest):
    action_id: str
    reason: str


# --- rules ------------------------------------------------------------------------------------


def _started(state: PlanState | None) -> PlanState:
    if state is None:
        raise Refusal("the plan is still being set up; try again in a moment")
    return state


def _owner(state: PlanState | None, request: ChangeRequest, what: str) -> PlanState:
    state = _started(state)
    if request.actor != state.owner:
        raise Refusal(f"only the plan's owner ({state.owner}) can {what} on {state.title}")
    return state


def _open_action(state: PlanState, action_id: str) -> PlanAction:
    action = state.action(action_id)
    if action is None:
        known = ", ".join(a.action_id for a in state.actions) or "none"
        raise Refusal(f"the plan has no action {action_id} (its actions: {known})")
    if action.completed_at is not None:
        raise Refusal(f"action {action_id} was recorded done; it can no longer change")
    if action.closed_at is not None:
        raise Refusal(f"action {action_id} was closed ({action.closed_reason}); it can no longer change")
    return action


def _future(by_when: date, today: date) -> None:
    if by_when <= today:
        raise Refusal(f"by when must be a date in the future (after {today.isoformat()}), not {by_when.isoformat()}")


def check_smart(request: SmartAction, today: date) -> None:
    """An action is SMART or refused, naming every part it lacks."""
    missing = [
        label
        for name, label in SMART_FIELDS.items()
        if (value := getattr(request, name)) is None or (isinstance(value, str) and not value.strip())
    ]
    if missing:
        raise Refusal("the action is not SMART: it needs " + ", ".join(missing))
    for name, label in SMART_FIELDS.items():
        if isinstance(value := getattr(request, name), str):
            check_text(label, value, MAX_SHORT)
    assert request.by_when is not None
    _future(request.by_when, today)


def check_smart_actions(actions: Iterable[SmartAction], today: date) -> None:
    """Every action is SMART, or the refusal names the first that is not (1 is the first)."""
    for number, action in enumerate(actions, start=1):
        try:
            check_smart(action, today)
        except Refusal as exc:
            raise Refusal(f"action {number}: {exc}") from None


def check_add(state: PlanState | None, request: AddAction, today: date) -> None:
    _owner(state, request, "add actions")
    check_smart(request, today)


def check_add_from_finding(state: PlanState | None, request: AddFromFinding, today: date) -> None:
    """Anyone bringing a finding (the QA team, the owner) may add it; the workflow checks who they are.

    A finding already added is accepted again and changes nothing.
    """
    state = _started(state)
    if state.action_from(request.source) is not None:
        return
    required_text(request.source, "the finding the action comes from (e.g. a cycle id)")
    check_smart(request, today)


def check_change(state: PlanState | None, request: ChangeAction, today: date) -> None:
    state = _owner(state, request, "change actions")
    _open_action(state, request.action_id)
    changed = {name: getattr(request, name) for name in SMART_FIELDS if getattr(request, name) is not None}
    if not changed:
        raise Refusal("say what changes: the action, support, responsible, by when or evidence")
    for name, value in changed.items():
        if isinstance(value, str):
            required_text(value, SMART_FIELDS[name], MAX_SHORT)
    if request.by_when is not None:
        _future(request.by_when, today)
    required_text(request.reason, "the reason for the change")


class RecordMeeting(ChangeRequest):
    attendees: tuple[str, ...] = Field(title="Who attended (staff ids, one a line)")
    notes: str = Field("", title="Notes of the meeting")


def check_meeting(state: PlanState | None, request: RecordMeeting) -> None:
    state = _started(state)
    if request.actor != state.owner:
        raise Refusal(f"only the plan's owner ({state.owner}) records its review meeting")
    if not request.attendees:
        raise Refusal("say who attended the meeting (staff ids)")
    for attendee in request.attendees:
        try:
            check_staff_id(attendee, "attendee")
        except ValueError as exc:
            raise Refusal(str(exc)) from None
    check_text("the notes", request.notes)


def check_progress(state: PlanState | None, request: RecordProgress) -> None:
    state = _owner(state, request, "record progress")
    _open_action(state, request.action_id)
    if request.status == "done":
        required_text(request.evidence, "the evidence that the action is done")


def check_close(state: PlanState | None, request: CloseAction) -> None:
    state = _owner(state, request, "close actions")
    _open_action(state, request.action_id)
    required_text(request.reason, "the reason for closing the action")


def check_action_overdue(state: PlanState | None, action_id: str, at: datetime) -> None:
    """The timer flags an action only if it is still the open action due first, and its date has passed."""
    state = _started(state)
    action = state.next_action_due
    if action is None or action.action_id != action_id or action.due_at > at:
        raise Refusal(f"action {action_id} of {state.title} is no longer awaited")


# --- the kind ---------------------------------------------------------------------------------

KIND = Kind(
    name="action plan",
    prefix="plan.",
    events=PLAN_EVENTS,
    evolve=evolve,
    workflow_type="ActionPlan",
    show=("plan", "show"),
    people=lambda s: {s.owner, *(a.responsible for a in s.actions)},
    duty_title="Action plan review meetings",
    words={
        "plan.started": lambda p: (
            f"{p['kind']} action plan started{' for ' + p['team'] if p.get('team') else ''}, owned by {p['owner']};"
            f" first review meeting {p['next_meeting_on']}"
        ),
        "plan.action_added": lambda p: (
            f"action {p['action_id']} added for {p['responsible']}, by {p['by_when']}: {p['action']}"
            f" (support: {p['support']}; shown by: {p['evidence']})"
            + (f"; from {p['source']}" if p.get("source") else "")
        ),
        "plan.action_changed": lambda p: (
            f"action {p['action_id']} changed ("
            + ", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in p.items() if k not in ("action_id", "reason") and v)
            + f"): {p['reason']}"
        ),
        "plan.progress_recorded": lambda p: (
            f"progress on action {p['action_id']}: {p['status']}"
            + (f"; {p['note']}" if p.get("note") else "")
            + (f"; evidence: {p['evidence']}" if p.get("evidence") else "")
        ),
        "plan.action_closed": lambda p: f"action {p['action_id']} closed: {p['reason']}",
        "plan.action_overdue": lambda p: (
            f"action {p['action_id']} past its by-when date: {p['reminded']} reminded, {p['escalated_to']} told"
        ),
        "plan.meeting_held": lambda p: (
            f"review meeting {p['number']} held on {p['held_on']}: {len(p['reviewed'])} actions reviewed,"
            f" {len(p['not_reviewed'])} not; next meeting {p['next_meeting_on']}"
        ),
        "plan.meeting_recorded": lambda p: (
            f"review meeting {p['number']} recorded as held on {p['held_on']}, attended by {', '.join(p['attendees'])}:"
            f" {len(p['reviewed'])} actions reviewed, {len(p['not_reviewed'])} not; next meeting {p['next_meeting_on']}"
        ),
    }
    | DUTIES.words,
)
