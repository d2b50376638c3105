"""A Quality Assurance and Performance Monitoring (QAPM) meeting: its performance pack and the chair's decisions.

From the framework: the meeting takes place 6 times a year, in alternate months,
chaired by the Director of Children's Services, to interrogate performance data
by service area, analyse audit findings, and identify and review the actions
that build on strengths and address barriers. It sets the focus of the thematic
reviews and agrees the Practice Week theme, and asks the "Measuring Progress"
questions of the cycles it discusses (is there enough concern about a lack of
progress that the whole cycle should be repeated?).

Before the meeting the engine compiles the performance pack from the audit log
(`pack_figures`, a pure function of decoded events); at the meeting the chair's
decisions are recorded, and the actions decided are carried into the
service-wide action plan.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from domain import action_plan, case_audit, cpr_cycle, duties, spotlight
from domain.action_plan import SmartAction, check_smart_actions
from domain.duties import Duty
from domain.errors import Refusal
from domain.events import DomainEvent, EventMeta, EventRegistry
from domain.rubric import Grade
from domain.staff_concern import is_concern_stream
from domain.text import MAX_SHORT, check_text
from domain.working_days import LONDON

PACK_BEFORE = 5  # working days before the meeting: the pack is compiled then (or at once, if started later)
PACK_AT = time(7, 0)  # London time, before anyone is at work
DECISIONS_AFTER = 2  # working days after the meeting day: the chair's decisions are recorded by then
LOOKBACK_MONTHS = 3  # the pack's period when no earlier meeting is recorded
Phase = Literal["preparing", "pack-ready", "decided"]
DecisionField = Literal["thematic_focus", "practice_week_theme"]

# How each kind with duties is named in the pack (their event types' prefixes).
DUTY_KINDS = {
    "spotlight": "Team spotlight duties",
    "thematic": "Thematic review duties",
    "dip": "Dip audit duties",
    "qapm": "QAPM decisions",
    "gpc": "Good Practice Conversation duties",
    "practice_week": "Practice Week duties",
}


def meeting_id(meeting_on: date) -> str:
    return f"qapm-{meeting_on.isoformat()}"


def months_before(day: date, months: int) -> date:
    """The same day `months` calendar months earlier (the month's last day when it is shorter)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def start_of(day: date) -> datetime:
    return datetime.combine(day, time(0), LONDON)


# --- the performance pack -----------------------------------------------------------------------


class CycleLine(BaseModel):
    model_config = ConfigDict(frozen=True)

    cycle_id: str
    service: str
    start: date
    phase: str


class AuditLine(BaseModel):
    """A thematic review or a dip audit: the QA activity besides the CPR cycles."""

    model_config = ConfigDict(frozen=True)

    audit_id: str
    kind: str  # "thematic review" or "dip audit"
    focus: str
    start: date
    phase: str


class DeadlineRow(BaseModel):
    """Deadlines of one kind of work that fell in the period: met, met late, and missed (gone overdue)."""

    model_config = ConfigDict(frozen=True)

    what: str
    met: int = 0
    late: int = 0
    missed: int = 0


class PlanLine(BaseModel):
    model_config = ConfigDict(frozen=True)

    plan_id: str
    title: str
    owner: str
    overdue_actions: tuple[str, ...]


class SpotlightLine(BaseModel):
    model_config = ConfigDict(frozen=True)

    spotlight_id: str
    team: str
    day: date
    grade: str | None
    plan_id: str | None


class PackFigures(BaseModel):
    """What the meeting interrogates, from the audit log alone, for the period [since, until]."""

    model_config = ConfigDict(frozen=True)

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
    unread_streams: tuple[str, ...] = ()  # streams the compiler could not decode (named, never hidden)

    @property
    def agreement(self) -> float | None:
        return self.agreed / self.moderated if self.moderated else None

    def deadline(self, what: str) -> DeadlineRow | None:
        return next((d for d in self.deadlines if d.what == what), None)


@dataclass(frozen=True, slots=True)
class LoggedEvent:
    """A decoded event of the audit log and the stream it belongs to: what `pack_figures` reads."""

    stream_id: str
    event: DomainEvent
    meta: EventMeta


REVIEWS = "CPR reviews submitted"
MODERATIONS = "CPR moderations"
PLAN_ACTIONS = "Action plan actions"


class _Tally:
    def __init__(self) -> None:
        self.rows: dict[str, dict[str, int]] = {}
        self.grades: dict[str, dict[str, int]] = {}
        self.opened: list[CycleLine] = []
        self.closed: list[CycleLine] = []
        self.in_progress: list[CycleLine] = []
        self.audits: dict[str, list[AuditLine]] = {"opened": [], "closed": [], "in_progress": []}
        self.moderated = 0
        self.agreed = 0
        self.plans: list[PlanLine] = []
        self.spotlights: list[SpotlightLine] = []

    def count(self, what: str, column: Literal["met", "late", "missed"], n: int = 1) -> None:
        row = self.rows.setdefault(what, {"met": 0, "late": 0, "missed": 0})
        row[column] += n

    def grade(self, service: str, grade: Grade) -> None:
        by_grade = self.grades.setdefault(service, {g.value: 0 for g in Grade})
        by_grade[grade.value] += 1


def pack_figures(
    events: Iterable[LoggedEvent], since: datetime, until: datetime, previous_meeting: str | None = None
) -> PackFigures:
    """The pack's figures from whole streams of decoded events; only what happened in [since, until] counts.

    Streams must be whole (from their opening event): an item's state before an
    event (a review's grade, an action's date) is folded with its own reducer.
    Events after `until` are ignored, so the same log always gives the same pack.
    """
    streams: dict[str, list[LoggedEvent]] = {}
    for logged in events:
        if logged.meta.business_time <= until:
            streams.setdefault(logged.stream_id, []).append(logged)
    tally = _Tally()

    def within(meta: EventMeta) -> bool:
        return since <= meta.business_time <= until

    for stream_id in sorted(streams):
        logged = sorted(streams[stream_id], key=lambda e: e.meta.version)
        first = logged[0].event
        if isinstance(first, cpr_cycle.CycleStarted):
            _cycle(tally, stream_id, logged, within)
        elif isinstance(first, action_plan.PlanStarted):
            _plan(tally, stream_id, logged, within)
        elif isinstance(first, spotlight.SpotlightStarted):
            _spotlight(tally, stream_id, logged, within)
        elif isinstance(first, case_audit.AuditStarted):
            _case_audit(tally, stream_id, logged, within)
        _duties(tally, logged, within)

    order = [REVIEWS, MODERATIONS, *DUTY_KINDS.values(), PLAN_ACTIONS]
    rows = sorted(
        tally.rows.items(), key=lambda item: (order.index(item[0]) if item[0] in order else len(order), item[0])
    )
    return PackFigures(
        since=since,
        until=until,
        previous_meeting=previous_meeting,
        cycles_opened=tuple(tally.opened),
        cycles_closed=tuple(tally.closed),
        cycles_in_progress=tuple(tally.in_progress),
        audits_opened=tuple(tally.audits["opened"]),
        audits_closed=tuple(tally.audits["closed"]),
        audits_in_progress=tuple(tally.audits["in_progress"]),
        deadlines=tuple(DeadlineRow(what=what, **counts) for what, counts in rows),
        grades=dict(sorted(tally.grades.items())),
        moderated=tally.moderated,
        agreed=tally.agreed,
        plans_with_overdue=tuple(tally.plans),
        spotlights_finalised=tuple(tally.spotlights),
    )


def _cycle(tally: _Tally, stream_id: str, logged: list[LoggedEvent], within) -> None:  # type: ignore[no-untyped-def]
    state: cpr_cycle.CycleState | None = None
    for item in logged:
        before, event, meta = state, item.event, item.meta
        state = cpr_cycle.evolve(state, event, meta)
        if not within(meta):
            continue
        match event:
            case cpr_cycle.CycleStarted():
                tally.opened.append(_cycle_line(stream_id, state))
            case cpr_cycle.ReviewSubmitted():
                tally.count(REVIEWS, "late" if event.late else "met")
                tally.grade(state.service, event.grade)
            case cpr_cycle.ReviewsClosed():
                if event.outstanding:
                    tally.count(REVIEWS, "missed", len(event.outstanding))
            case cpr_cycle.ReviewModerated():
                case = before.case(event.case_number) if before else None
                assert case is not None and case.moderation is not None
                tally.moderated += 1
                tally.agreed += int(event.grade == case.grade)
                tally.count(MODERATIONS, "late" if meta.business_time > case.moderation.due_at else "met")
            case cpr_cycle.ModerationOverdue():
                tally.count(MODERATIONS, "missed")
            case cpr_cycle.FindingsReportPublished():
                tally.closed.append(_cycle_line(stream_id, state))
    if state is not None and state.phase != "complete":
        tally.in_progress.append(_cycle_line(stream_id, state))


def _cycle_line(stream_id: str, state: cpr_cycle.CycleState) -> CycleLine:
    return CycleLine(cycle_id=stream_id, service=state.service, start=state.start, phase=state.phase)


def _case_audit(tally: _Tally, stream_id: str, logged: list[LoggedEvent], within) -> None:  # type: ignore[no-untyped-def]
    kind = "thematic review" if logged[0].event.event_type.startswith("thematic.") else "dip audit"
    state: case_audit.CaseAuditState | None = None
    for item in logged:
        state = case_audit.evolve(state, item.event, item.meta)
        if within(item.meta) and isinstance(item.event, case_audit.AuditStarted | case_audit.FindingsPublished):
            tally.audits["opened" if isinstance(item.event, case_audit.AuditStarted) else "closed"].append(
                _audit_line(stream_id, kind, state)
            )
    if state is not None and state.phase != "complete":
        tally.audits["in_progress"].append(_audit_line(stream_id, kind, state))


def _audit_line(stream_id: str, kind: str, state: case_audit.CaseAuditState) -> AuditLine:
    return AuditLine(audit_id=stream_id, kind=kind, focus=state.focus, start=state.start, phase=state.phase)


def _plan(tally: _Tally, stream_id: str, logged: list[LoggedEvent], within) -> None:  # type: ignore[no-untyped-def]
    state: action_plan.PlanState | None = None
    for item in logged:
        before, event, meta = state, item.event, item.meta
        state = action_plan.evolve(state, event, meta)
        if not within(meta):
            continue
        match event:
            case action_plan.ActionOverdue():
                tally.count(PLAN_ACTIONS, "missed")
            case action_plan.ProgressRecorded(status="done"):
                action = before.action(event.action_id) if before else None
                assert action is not None
                tally.count(PLAN_ACTIONS, "late" if meta.business_time > action.due_at else "met")
    if state is not None:
        overdue = tuple(a.action_id for a in state.open_actions if a.overdue)
        if overdue:
            tally.plans.append(
                PlanLine(plan_id=stream_id, title=state.title, owner=state.owner, overdue_actions=overdue)
            )


def _spotlight(tally: _Tally, stream_id: str, logged: list[LoggedEvent], within) -> None:  # type: ignore[no-untyped-def]
    state: spotlight.SpotlightState | None = None
    for item in logged:
        state = spotlight.evolve(state, item.event, item.meta)
        if within(item.meta) and isinstance(item.event, spotlight.ReportFinalised):
            tally.spotlights.append(
                SpotlightLine(
                    spotlight_id=stream_id,
                    team=state.team,
                    day=state.day,
                    grade=state.report.grade.value if state.report else None,
                    plan_id=state.plan_id,
                )
            )


def _duties(tally: _Tally, logged: list[LoggedEvent], within) -> None:  # type: ignore[no-untyped-def]
    """Any item's duties (domain.duties): done by their due moment, done late, or gone overdue."""
    due: dict[str, datetime] = {}
    for item in logged:
        event, meta = item.event, item.meta
        prefix = event.event_type.split(".", 1)[0]
        what = DUTY_KINDS.get(prefix, f"{prefix} duties")
        match event:
            case duties.DutySet():
                due[event.key] = event.due_at
            case duties.DutyDone() if within(meta):
                due_at = due.get(event.key)
                tally.count(what, "late" if due_at is not None and meta.business_time > due_at else "met")
            case duties.DutyChased() if within(meta) and event.step.kind == "overdue":
                tally.count(what, "missed")


def pack_markdown(meeting_on: date, figures: PackFigures) -> str:
    """The pack as the meeting reads it (case numbers only: it names no child)."""
    since = figures.since.astimezone(LONDON)
    until = figures.until.astimezone(LONDON)
    basis = (
        f"since the previous meeting ({figures.previous_meeting})"
        if figures.previous_meeting
        else f"the {LOOKBACK_MONTHS} months before the meeting (no earlier meeting is recorded)"
    )
    lines = [
        f"# QA and Performance Monitoring meeting: {_day(meeting_on)}",
        "",
        f"Performance pack for the period {since:%d %B %Y %H:%M} to {until:%d %B %Y %H:%M} ({until.tzname()}),"
        f" {basis}. Every figure is computed from the audit log.",
        "",
        "## CPR cycles",
        "",
    ]
    for label, cycles in (
        ("Opened", figures.cycles_opened),
        ("Closed (findings report published)", figures.cycles_closed),
        ("In progress", figures.cycles_in_progress),
    ):
        listed = "; ".join(f"{c.cycle_id} ({c.service}, {c.phase})" for c in cycles) or "none"
        lines.append(f"- {label}: {len(cycles)}: {listed}")
    lines += ["", "## Thematic reviews and dip audits", ""]
    for label, audits in (
        ("Opened", figures.audits_opened),
        ("Closed (findings published)", figures.audits_closed),
        ("In progress", figures.audits_in_progress),
    ):
        listed = "; ".join(f"{a.audit_id} ({a.kind} on {a.focus}, {a.phase})" for a in audits) or "none"
        lines.append(f"- {label}: {len(audits)}: {listed}")
    lines += [
        "",
        "## Deadlines met and missed",
        "",
        "| Work | Met | Met late | Missed (gone overdue) |",
        "| --- | --- | --- | --- |",
    ]
    lines += [f"| {d.what} | {d.met} | {d.late} | {d.missed} |" for d in figures.deadlines]
    if not figures.deadlines:
        lines.append("| none fell due | 0 | 0 | 0 |")
    grades = [g.value for g in Grade]
    lines += [
        "",
        "## Grades by service (CPR reviews submitted)",
        "",
        "| Service | " + " | ".join(grades) + " | Total |",
        "| --- |" + " --- |" * (len(grades) + 1),
    ]
    for service, counts in figures.grades.items():
        cells = [str(counts.get(g, 0)) for g in grades]
        lines.append(f"| {service} | " + " | ".join(cells) + f" | {sum(counts.values())} |")
    if not figures.grades:
        lines.append("| none submitted |" + " 0 |" * (len(grades) + 1))
    agreement = f" ({figures.agreement:.0%})" if figures.agreement is not None else ""
    lines += [
        "",
        "## Moderation agreement",
        "",
        f"{figures.agreed} of {figures.moderated} moderated reviews agreed with the reviewer's grade{agreement}.",
        "",
        "## Action plans with overdue actions",
        "",
    ]
    lines += [
        f"- {p.plan_id} ({p.title}, owner {p.owner}): {', '.join(p.overdue_actions)}"
        for p in figures.plans_with_overdue
    ] or ["- none"]
    lines += ["", "## Team spotlights finalised", ""]
    lines += [
        f"- {s.spotlight_id}: {s.team}, {_day(s.day)}, graded {s.grade or '-'}; actions in {s.plan_id or '-'}"
        for s in figures.spotlights_finalised
    ] or ["- none"]
    if figures.unread_streams:
        lines += ["", f"Not read (could not be decoded): {', '.join(figures.unread_streams)}"]
    lines += ["", "Case numbers only: this pack names no child."]
    return "\n".join(lines) + "\n"


def _day(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


# --- decisions ----------------------------------------------------------------------------------


class ActionAdded(BaseModel):
    """An action decided, as the service-wide plan holds it."""

    model_config = ConfigDict(frozen=True)

    action_id: str
    action: str
    support: str
    responsible: str
    by_when: date
    evidence: str


class ProgressReview(BaseModel):
    """The framework's "Measuring Progress" questions, asked of one cycle or review the meeting discussed."""

    model_config = ConfigDict(frozen=True)

    item: str  # the cycle's or review's id
    repeat_cycle: bool  # enough concern about a lack of progress that the whole cycle should be repeated?
    reasons: str
    time_to_impact: str = ""  # how long until changes reach children, young people and families?
    affected: str = ""  # how many children, young people and families the changes would have affected
    new_pressures: str = ""  # new pressures or demands that should take priority, or hampered the change
    circumstances_changed: str = ""  # has what led to the review changed (e.g. performance much improved)?
    revisit_next_cycle: bool = False  # the next cycle's QA includes areas this one looked at


# --- events -------------------------------------------------------------------------------------


class MeetingStarted(DomainEvent):
    event_type = "qapm.started"
    meeting_on: date
    pack_due_at: AwareDatetime
    calendar_digest: str


class DutySet(duties.DutySet):
    event_type = "qapm.duty_set"


class DutyChased(duties.DutyChased):
    event_type = "qapm.duty_chased"


class DutyDone(duties.DutyDone):
    event_type = "qapm.duty_done"


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


QAPM_EVENTS = EventRegistry(MeetingStarted, DutySet, DutyChased, DutyDone, PackCompiled, DecisionsRecorded)


# --- state --------------------------------------------------------------------------------------


class QapmState(BaseModel):
    model_config = ConfigDict(frozen=True)

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

    @property
    def ended(self) -> bool:
        """The decisions are recorded: nothing more is awaited (the workflow stops chasing; `qa overdue` stops listing)."""
        return self.phase == "decided"

    @property
    def title(self) -> str:
        return f"the QAPM meeting of {_day(self.meeting_on)}"

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
            started_by=meta.actor,
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
                }
            case _:
                raise ValueError(f"{event.event_type} does not belong to a QAPM meeting")
    return state.model_copy(update={"version": meta.version, **update})


# --- requests and rules -------------------------------------------------------------------------


class QapmInput(BaseModel):
    """How a meeting's workflow starts (id `qapm-<meeting_on>`): by the calendar's scheduler or the QA team."""

    model_config = ConfigDict(frozen=True)

    meeting_on: date
    started_by: str = Field(min_length=1)


class RecordDecisions(BaseModel):
    """The chair's decisions; leave out what the meeting did not decide."""

    model_config = ConfigDict(frozen=True)

    actor: str
    thematic_focus: str | None = None
    practice_week_theme: str | None = None
    actions: tuple[SmartAction, ...] = ()  # for the service-wide plan
    progress: tuple[ProgressReview, ...] = ()
    notes: str = ""


def _started(state: QapmState | None) -> QapmState:
    if state is None:
        raise Refusal("the meeting is still being set up; try again in a moment")
    return state


def _optional_text(value: str | None, what: str) -> None:
    if value is not None and not value.strip():
        raise Refusal(f"{what} cannot be empty: leave it out if the meeting did not decide one")
    check_text(what, value, MAX_SHORT)


def check_decisions(state: QapmState | None, request: RecordDecisions, now: datetime) -> None:
    state = _started(state)
    if state.phase == "decided":
        raise Refusal(f"the decisions of {state.title} were already recorded (chair {state.chair})")
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


def pack_due(day_before: date) -> datetime:
    """07:00 London time on `day_before` (the Nth working day before the meeting)."""
    return datetime.combine(day_before, PACK_AT, LONDON)


def period_start(meeting_on: date, previous_on: date | None, previous_until: datetime | None) -> datetime:
    """Since the previous meeting (or its pack, if that was compiled earlier), else 3 months before."""
    if previous_on is None:
        return start_of(months_before(meeting_on, LOOKBACK_MONTHS))
    since = start_of(previous_on)
    if previous_until is not None and previous_until < since:
        since = previous_until
    return since
