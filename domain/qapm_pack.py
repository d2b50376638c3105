"""The QAPM meeting's performance pack: what the meeting interrogates, from the audit log alone.

`pack_figures` is a pure function of decoded events: the CPR cycles, thematic
reviews and dip audits opened, closed and in progress; every kind's deadlines
met, met late and missed (each kind with duties under its declared title,
domain.kinds); grades by service; moderation agreement; plans with overdue
actions; spotlights finalised. `pack_markdown` is the pack as the meeting reads it.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from domain import action_plan, case_audit, cpr_cycle, dispute, duties, items, performance, review, spotlight, trends
from domain.events import DomainEvent, EventMeta
from domain.grade_of_record import DisputeDecision, decisions, grades_of_record
from domain.qapm import (
    AuditLine,
    CycleLine,
    DeadlineRow,
    ItemFindings,
    PackFigures,
    PlanLine,
    SpotlightLine,
    VoicesSaid,
    long_day,
    start_of,
)
from domain.rubric import Grade
from domain.working_days import LONDON

LOOKBACK_MONTHS = 3  # the pack's period when no earlier meeting is recorded


def months_before(day: date, months: int) -> date:
    """The same day `months` calendar months earlier (the month's last day when it is shorter)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def period_start(meeting_on: date, previous_on: date | None, previous_until: datetime | None) -> datetime:
    """Since the previous meeting (or its pack, if that was compiled earlier), else 3 months before."""
    if previous_on is None:
        return start_of(months_before(meeting_on, LOOKBACK_MONTHS))
    since = start_of(previous_on)
    if previous_until is not None and previous_until < since:
        since = previous_until
    return since


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
        self.voices: list[tuple[review.Whose, bool]] = []
        self.said: list[VoicesSaid] = []
        self.findings: list[ItemFindings] = []

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

    ordered = {stream_id: sorted(streams[stream_id], key=lambda e: e.meta.version) for stream_id in sorted(streams)}
    decided = decisions(
        (stream_id, _folded(dispute.evolve, logged))
        for stream_id, logged in ordered.items()
        if isinstance(logged[0].event, dispute.DisputeRaised)
    )
    reviews = {
        stream_id: _folded(review.evolve, logged)
        for stream_id, logged in ordered.items()
        if isinstance(logged[0].event, review.ReviewOpened)
    }
    lines = []
    for stream_id, logged in ordered.items():
        first = logged[0].event
        if isinstance(first, cpr_cycle.CycleStarted):
            _cycle(tally, stream_id, logged, within, decided)
            cycle = _folded(cpr_cycle.evolve, logged)
            submitted = {c.case_number: reviews[c.review_id] for c in cycle.cases if c.review_id in reviews}
            lines.append((cycle.service, trends.cycle_trend(stream_id, cycle, submitted, decided)))
        elif isinstance(first, action_plan.PlanStarted):
            _plan(tally, stream_id, logged, within)
        elif isinstance(first, spotlight.SpotlightStarted):
            _spotlight(tally, stream_id, logged, within)
        elif isinstance(first, case_audit.AuditStarted):
            _case_audit(tally, stream_id, logged, within)
        elif isinstance(first, review.ReviewOpened):
            tally.voices += [
                (item.event.whose, item.event.obtained)
                for item in logged
                if isinstance(item.event, review.VoiceRecorded) and within(item.meta)
            ]
        _duties(tally, logged, within)

    order = [REVIEWS, MODERATIONS, *(k.duty_title for k in items.KINDS if k.duty_title), PLAN_ACTIONS]
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
        voices=review.count_voices(tally.voices),
        voices_said=tuple(tally.said),
        trends=trends.by_service(lines),
        findings=tuple(tally.findings),
    )


def _folded(reducer, logged: list[LoggedEvent]):  # type: ignore[no-untyped-def]
    state = None
    for item in logged:
        state = reducer(state, item.event, item.meta)
    return state


def _cycle(
    tally: _Tally, stream_id: str, logged: list[LoggedEvent], within, decided: dict[str, DisputeDecision]
) -> None:  # type: ignore[no-untyped-def]
    """A cycle's deadlines, moderations and the grades of record (as they stand at the pack's end) of the reviews
    submitted in the period."""
    state: cpr_cycle.CycleState | None = None
    graded: list[str] = []
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
                graded.append(event.case_number)
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
                if event.voices_summary:
                    tally.said.append(VoicesSaid(item_id=stream_id, summary=event.voices_summary))
                if event.narrative is not None:
                    title = f"CPR cycle {state.service}, {state.start.isoformat()}"
                    tally.findings.append(ItemFindings(item_id=stream_id, title=title, words=event.narrative))
    if state is None:
        return
    of_record = grades_of_record(stream_id, state, decided)
    for case_number in graded:
        tally.grade(state.service, of_record[case_number].grade)
    if state.phase != "complete":
        tally.in_progress.append(_cycle_line(stream_id, state))


def _cycle_line(stream_id: str, state: cpr_cycle.CycleState) -> CycleLine:
    return CycleLine(cycle_id=stream_id, service=state.service, start=state.start, phase=state.phase)


def _case_audit(tally: _Tally, stream_id: str, logged: list[LoggedEvent], within) -> None:  # type: ignore[no-untyped-def]
    kind = items.kind_of_event(logged[0].event.event_type)
    assert kind is not None  # a case audit's events are a declared kind's
    state: case_audit.CaseAuditState | None = None
    for item in logged:
        state = case_audit.evolve(state, item.event, item.meta)
        if within(item.meta) and isinstance(item.event, case_audit.AuditStarted | case_audit.FindingsPublished):
            tally.audits["opened" if isinstance(item.event, case_audit.AuditStarted) else "closed"].append(
                _audit_line(stream_id, kind.name, state)
            )
            if isinstance(item.event, case_audit.FindingsPublished):
                title = f"{kind.name.capitalize()}: {state.focus}"
                tally.findings.append(ItemFindings(item_id=stream_id, title=title, words=item.event.narrative))
    if state is not None and state.phase != "complete":
        tally.audits["in_progress"].append(_audit_line(stream_id, kind.name, state))


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
                    team=" and ".join(state.teams),
                    day=state.day,
                    grade=state.report.grade.value if state.report else None,
                    plan_id=", ".join(p.plan_id for p in state.plans) or None,
                )
            )


def _duties(tally: _Tally, logged: list[LoggedEvent], within) -> None:  # type: ignore[no-untyped-def]
    """Any item's duties (domain.duties): done by their due moment, done late, or gone overdue."""
    # One stream, one kind: a kind with duties names them for the pack (domain.kinds refuses one that does not).
    kind = items.kind_of_event(logged[0].event.event_type)
    what = kind.duty_title if kind is not None else None
    due: dict[str, datetime] = {}
    for item in logged:
        event, meta = item.event, item.meta
        match event:
            case duties.DutySet():
                due[event.key] = event.due_at
            case duties.DutyDone() if within(meta):
                assert what is not None
                due_at = due.get(event.key)
                tally.count(what, "late" if due_at is not None and meta.business_time > due_at else "met")
            case duties.DutyChased() if within(meta) and event.step.kind == "overdue":
                assert what is not None
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
        f"# QA and Performance Monitoring meeting: {long_day(meeting_on)}",
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
        "## Grades by service (the grades of record of the CPR reviews submitted: after moderation and any"
        " dispute's final decision)",
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
        "## Trends across cycles",
        "",
        *(
            line
            for t in figures.trends
            for line in (f"### {t.service}", "", *(f"- {text}" for text in trends.trend_in_words(t)), "")
        ),
        *(("No CPR cycle yet.", "") if not figures.trends else ()),
        "## Service performance data (each indicator's newest month in the period, against its newest before it)",
        "",
        *(f"- {performance.in_words(line)}" for line in figures.performance),
        *(("None imported for the period (`qa performance import`).",) if not figures.performance else ()),
        "",
        "## What the findings published in the period said",
        "",
        *(
            line
            for f in figures.findings
            for line in (
                f"### {f.title} ({f.item_id})",
                "",
                *(f"- {heading}: {words}" for heading, words in f.words.headed()),
                "",
            )
        ),
        *(("None recorded.", "") if not figures.findings else ()),
        "## The voices of children and families",
        "",
        *(f"- {line}" for line in review.voices_in_words(figures.voices or review.count_voices(()))),
        *(f"- What they said ({s.item_id}): {s.summary}" for s in figures.voices_said),
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
        f"- {s.spotlight_id}: {s.team}, {long_day(s.day)}, graded {s.grade or '-'}; actions in {s.plan_id or '-'}"
        for s in figures.spotlights_finalised
    ] or ["- none"]
    if figures.unread_streams:
        lines += ["", f"Not read (could not be decoded): {', '.join(figures.unread_streams)}"]
    lines += ["", "Case numbers only: this pack names no child."]
    return "\n".join(lines) + "\n"
