"""A Quality Assurance and Performance Monitoring (QAPM) meeting: its performance pack and the chair's decisions.

From the framework: the meeting takes place 6 times a year, in alternate months,
chaired by the Director of Children's Services, to interrogate performance data
by service area, analyse audit findings, and identify and review the actions
that build on strengths and address barriers. It sets the focus of the thematic
reviews and agrees the Practice Week theme, and asks the "Measuring Progress"
questions of the cycles it discusses (is there enough concern about a lack of
progress that the whole cycle should be repeated?).

Before the meeting the engine compiles the performance pack from the audit log
(domain.qapm_pack, a pure function of decoded events); at the meeting the chair's
decisions are recorded, and the actions decided are carried into the
service-wide action plan.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Literal

from pydantic import AwareDatetime, Field

from domain import duties
from domain.action_plan import SmartAction, check_smart_actions
from domain.cpr_cycle import Narrative
from domain.duties import Duty
from domain.errors import Refusal
from domain.events import DomainEvent, EventMeta, EventRegistry, StartedBy, owner
from domain.frozen import Frozen
from domain.kinds import Kind
from domain.performance import Compared
from domain.permissions import MANAGERS
from domain.requests import ChangeRequest
from domain.review import VoiceCount
from domain.staff_concern import is_concern_stream
from domain.text import MAX_SHORT, check_text, required_text
from domain.trends import ServiceTrend
from domain.wording import due
from domain.working_days import LONDON

PACK_BEFORE = 5  # working days before the meeting: the pack is compiled then (or at once, if started later)
PACK_AT = time(7, 0)  # London time, before anyone is at work
DECISIONS_AFTER = 2  # working days after the meeting day: the chair's decisions are recorded by then
REVIEW_INFIX = "-review-"  # a CPR review's id is its cycle's, this, and its case number (workflows.cpr_cycle)
Phase = Literal["preparing", "pack-ready", "decided"]
DecisionField = Literal["thematic_focus", "practice_week_theme"]


def meeting_id(meeting_on: date) -> str:
    return f"qapm-{meeting_on.isoformat()}"


def long_day(day: date) -> str:
    """'4 March 2027': a day as the meeting's papers write it."""
    return f"{day.day} {day:%B %Y}"


def start_of(day: date) -> datetime:
    return datetime.combine(day, time(0), LONDON)


# --- the performance pack's figures (computed by domain.qapm_pack) ------------------------------


class CycleLine(Frozen):
    cycle_id: str
    service: str
    start: date
    phase: str


class VoicesSaid(Frozen):
    """What children and families said, in the QA team's words, as a published findings report quotes it."""

    item_id: str
    summary: str


class ItemFindings(Frozen):
    """What a cycle's or an audit's published findings said, under the framework's headings."""

    item_id: str
    title: str
    words: Narrative


class AuditLine(Frozen):
    """A thematic review or a dip audit: the QA activity besides the CPR cycles."""

    audit_id: str
    kind: str  # "thematic review" or "dip audit"
    focus: str
    start: date
    phase: str


class DeadlineRow(Frozen):
    """Deadlines of one kind of work that fell in the period: met, met late, and missed (gone overdue)."""

    what: str
    met: int = 0
    late: int = 0
    missed: int = 0


class PlanLine(Frozen):
    plan_id: str
    title: str
    owner: str
    overdue_actions: tuple[str, ...]


class SpotlightLine(Frozen):
    spotlight_id: str
    team: str
    day: date
    grade: str | None
    plan_id: str | None


class PackFigures(Frozen):
    """What the meeting interrogates, from the audit log alone, for the period [since, until]."""

    since: AwareDatetime
    until: AwareDatetime
    previous_meeting: str | None
    cycles_opened: tuple[CycleLine, ...] = ()
    cycles_closed: tuple[CycleLine, ...] = ()  # findings report published
    cycles_in_progress: tuple[CycleLine, ...] = ()  # open at `until`
    audits_opened: tuple[AuditLine, ...] = ()  # thematic reviews and dip audits, as the cycles
    audits_closed: tuple[AuditLine, ...] = ()  # findings published
    audits_in_progress: tuple[AuditLine, ...] = ()
    deadlines: tuple[DeadlineRow, ...] = ()
    grades: dict[str, dict[str, int]] = {}  # service -> grade -> reviews submitted in the period
    moderated: int = 0
    agreed: int = 0
    plans_with_overdue: tuple[PlanLine, ...] = ()  # at `until`
    spotlights_finalised: tuple[SpotlightLine, ...] = ()
    voices: dict[str, VoiceCount] = {}  # the children's and families' voices sought in the period's reviews
    voices_said: tuple[VoicesSaid, ...] = ()  # the QA team's summaries in the reports published in the period
    trends: tuple[ServiceTrend, ...] = ()  # each service's cycles to date (as they stood at `until`), oldest first
    findings: tuple[ItemFindings, ...] = ()  # the words of the findings published in the period (recorded ones)
    performance: tuple[Compared, ...] = ()  # service performance data (domain.performance), against the period before
    unread_streams: tuple[str, ...] = ()  # streams the compiler could not decode (named, never hidden)

    @property
    def agreement(self) -> float | None:
        return self.agreed / self.moderated if self.moderated else None

    def deadline(self, what: str) -> DeadlineRow | None:
        return next((d for d in self.deadlines if d.what == what), None)


# --- decisions ----------------------------------------------------------------------------------


class ActionAdded(Frozen):
    """An action decided, as the service-wide plan holds it."""

    action_id: str
    action: str
    support: str
    responsible: str
    by_when: date
    evidence: str


class ProgressReview(Frozen):
    """The framework's "Measuring Progress" questions, asked of one cycle or review the meeting discussed."""

    item: str  # the cycle's or review's id
    repeat_cycle: bool = Field(
        title="Is there enough concern about a lack of progress that the whole cycle should be repeated?"
    )
    reasons: str = Field(title="The reasons")
    time_to_impact: str = Field("", title="How long until changes reach children, young people and families?")
    affected: str = Field("", title="How many children, young people and families would the changes have affected?")
    new_pressures: str = Field(
        "", title="New pressures or demands that should take priority, or that hampered the change"
    )
    circumstances_changed: str = Field(
        "", title="Have the circumstances that led to the review changed (e.g. performance much improved)?"
    )
    revisit_next_cycle: bool = Field(False, title="Should the next cycle's QA include areas this one looked at?")
    revisit_areas: str = Field("", title="The areas the service's next cycle looks at again")
    repeat_from: date | None = Field(
        None, title="The repeat cycle starts on or after (default: the first working day of the next month)"
    )

    @property
    def cycle(self) -> str | None:
        """The CPR cycle the answer is about (a review's answer is about its cycle), or None for another item."""
        return repeated_cycle(self.item)


def repeated_cycle(item: str) -> str | None:
    """`cpr-2027-03-01-s` for itself or one of its reviews (`cpr-2027-03-01-s-review-C1`); None for another item."""
    if not item.startswith("cpr-"):
        return None
    return item.split(REVIEW_INFIX, 1)[0]


# --- events -------------------------------------------------------------------------------------


class MeetingStarted(DomainEvent):
    event_type = "qapm.started"
    meeting_on: date
    pack_due_at: AwareDatetime
    calendar_digest: str
    owner: str | None = None  # whose it is, when the QA calendar opened it (domain.events.owner)
    # The Director of Children's Services, who chairs it (the directory's `director`); None before meetings were
    # chaired so, or where the directory lists no Director: then any senior leader records the decisions.
    chair: str | None = None


class ChairDelegated(DomainEvent):
    """The Director names who chairs in their absence; the decisions duty goes to them, same due moment."""

    event_type = "qapm.chair_delegated"
    delegate: str
    reason: str


class RepeatScheduled(DomainEvent):
    """A "repeat the whole cycle" answer, put in the QA calendar: the entry starts the repeat cycle on its day."""

    event_type = "qapm.repeat_scheduled"
    item: str  # as the answer named it: the cycle, or one of its reviews
    cycle_id: str  # the cycle repeated
    service: str
    start: date
    entry_id: str  # the calendar entry (workflows.calendar_entry) that starts it


DUTIES = duties.family("qapm")


class PackCompiled(DomainEvent):
    event_type = "qapm.pack_compiled"
    figures: PackFigures
    markdown_path: str
    markdown_sha256: str


class DecisionsRecorded(DomainEvent):
    event_type = "qapm.decisions_recorded"
    meeting_on: date
    chair: str
    thematic_focus: str | None
    practice_week_theme: str | None
    plan_id: str | None
    actions: tuple[ActionAdded, ...]
    progress: tuple[ProgressReview, ...]
    notes: str
    attended: tuple[str, ...] = ()  # staff ids; recorded since meetings were chaired by the Director


QAPM_EVENTS = EventRegistry(MeetingStarted, *DUTIES, PackCompiled, DecisionsRecorded, ChairDelegated, RepeatScheduled)


# --- state --------------------------------------------------------------------------------------


class QapmState(Frozen):
    version: int
    meeting_on: date
    pack_due_at: AwareDatetime
    started_by: str
    phase: Phase = "preparing"
    duties: tuple[Duty, ...] = ()
    pack: PackFigures | None = None
    pack_path: str | None = None
    pack_sha256: str | None = None
    pack_compiled_at: AwareDatetime | None = None
    chair: str | None = None
    decided_at: AwareDatetime | None = None
    thematic_focus: str | None = None
    practice_week_theme: str | None = None
    plan_id: str | None = None
    actions: tuple[ActionAdded, ...] = ()
    progress: tuple[ProgressReview, ...] = ()
    notes: str = ""
    director: str | None = None  # who chairs (MeetingStarted.chair)
    delegate: str | None = None  # who chairs in the Director's absence, as the Director named them
    attended: tuple[str, ...] = ()
    repeats_scheduled: tuple[RepeatScheduled, ...] = ()

    @property
    def chairs(self) -> tuple[str, ...]:
        """Who may record the decisions: the Director and their delegate; empty: any senior leader."""
        return tuple(p for p in (self.director, self.delegate) if p)

    @property
    def ended(self) -> bool:
        """The decisions are recorded: nothing more is awaited (the workflow stops chasing; `qa overdue` stops listing)."""
        return self.phase == "decided"

    @property
    def title(self) -> str:
        return f"the QAPM meeting of {long_day(self.meeting_on)}"

    @property
    def repeats(self) -> tuple[str, ...]:
        """The items whose whole cycle the meeting decided to repeat."""
        return tuple(p.item for p in self.progress if p.repeat_cycle)


def evolve(state: QapmState | None, event: DomainEvent, meta: EventMeta) -> QapmState:
    if state is None:
        if not isinstance(event, MeetingStarted):
            raise ValueError(f"a QAPM meeting starts with qapm.started, not {event.event_type}")
        return QapmState(
            version=meta.version,
            meeting_on=event.meeting_on,
            pack_due_at=event.pack_due_at,
            started_by=owner(event, meta),
            director=event.chair,
        )
    update: dict[str, object]
    if (changed := duties.evolve_duties(state.duties, event, meta)) is not None:
        update = {"duties": changed}
    else:
        match event:
            case PackCompiled():
                update = {
                    "phase": "pack-ready",
                    "pack": event.figures,
                    "pack_path": event.markdown_path,
                    "pack_sha256": event.markdown_sha256,
                    "pack_compiled_at": meta.business_time,
                }
            case DecisionsRecorded():
                update = {
                    "phase": "decided",
                    "chair": event.chair,
                    "decided_at": meta.business_time,
                    "thematic_focus": event.thematic_focus,
                    "practice_week_theme": event.practice_week_theme,
                    "plan_id": event.plan_id,
                    "actions": event.actions,
                    "progress": event.progress,
                    "notes": event.notes,
                    "attended": event.attended,
                }
            case ChairDelegated():
                update = {"delegate": event.delegate}
            case RepeatScheduled():
                update = {"repeats_scheduled": (*state.repeats_scheduled, event)}
            case _:
                raise ValueError(f"{event.event_type} does not belong to a QAPM meeting")
    return state.model_copy(update={"version": meta.version, **update})


# --- requests and rules -------------------------------------------------------------------------


class QapmInput(StartedBy):
    """How a meeting's workflow starts (id `qapm-<meeting_on>`): by the calendar's scheduler or the QA team."""

    meeting_on: date


class RecordDecisions(ChangeRequest):
    """The chair's decisions; leave out what the meeting did not decide."""

    thematic_focus: str | None = Field(None, title="The next thematic focus")
    practice_week_theme: str | None = Field(None, title="The Practice Week theme")
    actions: tuple[SmartAction, ...] = Field((), title="Actions for the service-wide plan (SMART)")
    progress: tuple[ProgressReview, ...] = Field((), title="Measuring progress: the cycles and reviews discussed")
    notes: str = Field("", title="Notes")
    attended: tuple[str, ...] = Field((), title="Who attended (staff ids, one a line)")


class DelegateChair(ChangeRequest):
    """The Director names who chairs the meeting in their absence (a senior leader)."""

    delegate: str = Field(title="Who chairs in the Director's absence (staff id)")
    reason: str = Field(title="Why")


def _started(state: QapmState | None) -> QapmState:
    if state is None:
        raise Refusal("the meeting is still being set up; try again in a moment")
    return state


def _optional_text(value: str | None, what: str) -> None:
    if value is not None and not value.strip():
        raise Refusal(f"{what} cannot be empty: leave it out if the meeting did not decide one")
    check_text(what, value, MAX_SHORT)


def _not_decided(state: QapmState) -> None:
    if state.phase == "decided":
        raise Refusal(f"the decisions of {state.title} were already recorded (chair {state.chair})")


def check_delegation(state: QapmState | None, request: DelegateChair) -> None:
    state = _started(state)
    _not_decided(state)
    if state.director is None:
        raise Refusal(f"{state.title} has no Director to delegate the chair: any senior leader records its decisions")
    if request.actor != state.director:
        raise Refusal(f"only the Director ({state.director}) names who chairs {state.title} in their absence")
    if request.delegate in (state.director, state.delegate):
        raise Refusal(f"{request.delegate} already chairs {state.title}")
    required_text(request.reason, "the reason")


def check_decisions(state: QapmState | None, request: RecordDecisions, now: datetime, *, chaired: bool = True) -> None:
    """`chaired`: the rules since the Director chairs (attendance, who records, repeats and revisits); a meeting's
    workflow that recorded its decisions before judges them without (workflow.patched)."""
    state = _started(state)
    _not_decided(state)
    if chaired and state.chairs and request.actor not in state.chairs:
        raise Refusal(
            f"{request.actor} cannot record the decisions: {state.title} is chaired by the Director"
            f" ({state.director})" + (f" or their delegate ({state.delegate})" if state.delegate else "")
        )
    if now < start_of(state.meeting_on):
        raise Refusal(f"the decisions are recorded at or after the meeting ({state.meeting_on.isoformat()})")
    if state.pack is None:
        raise Refusal("the performance pack is still being compiled; try again in a moment")
    _optional_text(request.thematic_focus, "the next thematic focus")
    _optional_text(request.practice_week_theme, "the Practice Week theme")
    if (
        not (request.thematic_focus or request.practice_week_theme or request.actions or request.progress)
        and not request.notes.strip()
    ):
        raise Refusal(
            "record at least one decision: the next thematic focus, the Practice Week theme, actions for the"
            " service-wide plan, a Measuring Progress answer, or notes"
        )
    check_text("the notes", request.notes)
    check_smart_actions(request.actions, now.astimezone(LONDON).date())
    seen: set[str] = set()
    for answer in request.progress:
        if not answer.item.strip():
            raise Refusal("each Measuring Progress answer names the cycle or review discussed (its id)")
        if is_concern_stream(answer.item):
            raise Refusal("a practice concern about a member of staff is never discussed by item at the meeting")
        if answer.item in seen:
            raise Refusal(f"{answer.item} is answered twice: one answer per cycle or review")
        seen.add(answer.item)
        if not answer.reasons.strip():
            verdict = "repeat" if answer.repeat_cycle else "not repeat"
            raise Refusal(f"{answer.item}: give the reasons to {verdict} the whole cycle")
        check_text(f"{answer.item}: the reasons", answer.reasons)
        if chaired:
            _check_carried(answer, state.meeting_on)
    if chaired:
        if not request.attended:
            raise Refusal("record who attended the meeting (their staff ids)")
        repeated = sorted({p for p in request.attended if request.attended.count(p) > 1})
        if repeated:
            raise Refusal(f"{repeated[0]} is listed twice among those who attended")


def _check_carried(answer: ProgressReview, meeting_on: date) -> None:
    """A repeat is scheduled for a CPR cycle, after the meeting; areas to revisit are named."""
    if answer.repeat_cycle and answer.cycle is None:
        raise Refusal(
            f"{answer.item}: the engine schedules the repeat of a CPR cycle (name the cycle, cpr-...);"
            " for another item, say so in the notes and the QA team starts it"
        )
    if answer.repeat_from is not None:
        if not answer.repeat_cycle:
            raise Refusal(f"{answer.item}: a day for the repeat is given only when the whole cycle is repeated")
        if answer.repeat_from <= meeting_on:
            raise Refusal(f"{answer.item}: the repeat starts after the meeting ({meeting_on.isoformat()})")
    if answer.revisit_next_cycle and not answer.revisit_areas.strip():
        raise Refusal(f"{answer.item}: name the areas the next cycle looks at again")
    if answer.revisit_areas.strip() and not answer.revisit_next_cycle:
        raise Refusal(f"{answer.item}: areas to revisit are given only when the next cycle revisits them")
    check_text(f"{answer.item}: the areas to revisit", answer.revisit_areas)


def pack_due(day_before: date) -> datetime:
    """07:00 London time on `day_before` (the Nth working day before the meeting)."""
    return datetime.combine(day_before, PACK_AT, LONDON)


# --- the kind ---------------------------------------------------------------------------------

KIND = Kind(
    name="QAPM meeting",
    prefix="qapm.",
    events=QAPM_EVENTS,
    evolve=evolve,
    workflow_type="QapmMeeting",
    closing=("qapm.decisions_recorded",),
    show=("qapm", "show"),
    people=lambda s: {
        s.started_by,
        *({s.chair} if s.chair else set()),
        *s.chairs,
        *s.attended,
        *(a.responsible for a in s.actions),
    },
    duty_title="QAPM decisions",
    # Its attendees: team managers and heads of service read the pack and the decisions (figures, no child's name).
    read_by=frozenset(MANAGERS),
    words=DUTIES.words
    | {
        "qapm.started": lambda p: f"QAPM meeting of {p['meeting_on']}; pack due {due(p['pack_due_at'])}",
        "qapm.pack_compiled": lambda p: (
            f"performance pack compiled: {p['markdown_path']} (sha256 {p['markdown_sha256'][:12]})"
        ),
        "qapm.decisions_recorded": lambda p: (
            f"decisions recorded by the chair {p['chair']}"
            + (f"; thematic focus {p['thematic_focus']!r}" if p.get("thematic_focus") else "")
            + (f"; Practice Week theme {p['practice_week_theme']!r}" if p.get("practice_week_theme") else "")
            + (f"; actions {', '.join(a['action_id'] for a in p['actions'])} in {p['plan_id']}" if p["actions"] else "")
            + "".join(f"; {r['item']}: {'repeat' if r['repeat_cycle'] else 'no repeat'}" for r in p["progress"])
            + (f"; attended: {', '.join(p['attended'])}" if p.get("attended") else "")
        ),
        "qapm.chair_delegated": lambda p: f"the Director named {p['delegate']} to chair: {p['reason']}",
        "qapm.repeat_scheduled": lambda p: (
            f"repeat of {p['cycle_id']} ({p['service']}) scheduled to start {p['start']}: {p['entry_id']}"
        ),
    },
)
