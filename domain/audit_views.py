"""What auditors see: events in words, an item as it stood at a moment, the engine cross-check, evidence.

Pure functions, no I/O and no clock reads: the CLI reads the audit log, the
directory and Temporal's history, and hands them here.

- `describe` says what an event changed, in one line, from its type and payload.
- `parse_moment` reads an `--as-of` time; `as_of` keeps the events that had
  happened by then (by business time: when it happened, not when it was stored),
  and `rebuild` folds them with the item's own reducer: the workflow's fold.
- `engine_differences` compares the events the workflow asked the audit log to
  append (from Temporal's history) with what the log holds.
- `summary_html`, `sha256_hex` and `check_manifest` make and check an evidence bundle.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any, Literal

from domain.audit_chain import StoredEvent, StreamHead, StreamReport, canonical_json, check_stream, stored_time
from domain.dispute import STAGE_TITLE
from domain.events import NewEvent, RecordedEvent, fold
from domain.items import ItemKind
from domain.working_days import LONDON

NO_CHILD_NAMED = "Case numbers only: this evidence names no child."
TIME_BASIS = "business_time"
"""`--as-of` compares with each event's business time: when it happened in the workflow, so 'as it stood'."""

# --- times ------------------------------------------------------------------------------------


def local(moment: datetime) -> str:
    """A moment in Europe/London time to the second, e.g. '2027-11-01 09:00:05 GMT'."""
    at = moment.astimezone(LONDON)
    return f"{at:%Y-%m-%d %H:%M:%S} {at.tzname()}"


@dataclass(frozen=True, slots=True)
class Moment:
    """An `--as-of` time: the period it names (a day, a minute, a second or an instant)."""

    text: str
    start: datetime
    end: datetime  # the last instant of the period: 'as it stood at 09:00' includes all of 09:00

    @property
    def exact(self) -> bool:
        return self.start == self.end


_MOMENT = re.compile(
    r"(?P<date>\d{4}-\d{2}-\d{2})"
    r"(?:[T ](?P<hour>\d{2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:\.(?P<fraction>\d{1,6}))?)?)?"
    r"\s*(?P<zone>Z|UTC|GMT|BST|[+-]\d{2}:?\d{2})?"
)
_ZONES = {"Z": UTC, "UTC": UTC, "GMT": UTC, "BST": timezone(timedelta(hours=1))}


def parse_moment(text: str) -> Moment:
    """Read YYYY-MM-DD[ HH:MM[:SS[.ffffff]]][ zone]; ValueError with a one-line reason.

    Without a zone the time is Europe/London local time. A date means the whole day,
    a time to the minute or second the whole minute or second: the moment used is
    the end of that period, so 'as it stood at 09:00' includes what happened at 09:00.
    """
    match = _MOMENT.fullmatch(text.strip())
    if match is None:
        raise ValueError(
            f"{text!r} is not a time: use YYYY-MM-DD, 'YYYY-MM-DD HH:MM[:SS]' (London time)"
            " or an ISO 8601 time with an offset"
        )
    try:
        day = date.fromisoformat(match["date"])
        hour = int(match["hour"] or 0)
        minute = int(match["minute"] or 0)
        second = int(match["second"] or 0)
        micro = int((match["fraction"] or "0").ljust(6, "0"))
        clock = time(hour, minute, second, micro)
    except ValueError as exc:
        raise ValueError(f"{text!r} is not a real time: {exc}") from None
    zone_text = match["zone"]
    if zone_text is None:
        zone: Any = LONDON
    elif zone_text in _ZONES:
        zone = _ZONES[zone_text]
    else:
        digits = zone_text.replace(":", "")
        offset = timedelta(hours=int(digits[1:3]), minutes=int(digits[3:5]))
        zone = timezone(offset if digits[0] == "+" else -offset)
    start = datetime.combine(day, clock, zone)
    if match["hour"] is None:
        # A London day is 23 or 25 hours long at a clock change: take its real end.
        end = datetime.combine(day + timedelta(days=1), time(0), zone).astimezone(UTC) - timedelta(microseconds=1)
        return Moment(text, start.astimezone(UTC), end)
    if match["second"] is None:
        length = timedelta(minutes=1)
    elif match["fraction"] is None:
        length = timedelta(seconds=1)
    else:
        length = timedelta(microseconds=1)
    start_utc = start.astimezone(UTC)
    return Moment(text, start_utc, start_utc + length - timedelta(microseconds=1))


def moment_problem(moment: Moment, now: datetime, opened_at: datetime | None, item_id: str) -> str | None:
    """Why `moment` cannot be replayed (in the future, or before the item existed), or None."""
    if moment.start > now:
        return f"{moment.text} is in the future (it is now {local(now)}): nothing is known about it yet"
    if opened_at is not None and moment.end < opened_at:
        return f"{item_id} did not exist yet at {moment.text}: its first event is at {local(opened_at)}"
    return None


# --- replay -----------------------------------------------------------------------------------


def as_of(events: Sequence[RecordedEvent], moment: datetime | None) -> list[RecordedEvent]:
    """The events that had happened by `moment` (business time), in version order; all if None."""
    if moment is None:
        return list(events)
    return [e for e in events if e.business_time <= moment]


def rebuild(kind: ItemKind, events: Sequence[NewEvent]) -> Any:
    """The item's state from its events, through its workflow's own reducer."""
    if kind.reducer is None:
        raise ValueError(f"a {kind.name} has no state to rebuild: its history is all there is")
    return fold(kind.reducer, kind.registry, events)


def state_lines(value: Any, indent: str = "  ") -> list[str]:
    """A state (as JSON data) as indented 'key: value' lines a person can read."""
    lines: list[str] = []

    def walk(node: Any, prefix: str, depth: int) -> None:
        pad = indent * depth
        if isinstance(node, Mapping):
            if not node:
                lines.append(f"{pad}{prefix}-")
                return
            if prefix:
                lines.append(f"{pad}{prefix.rstrip()}")
                depth += 1
            for key, item in node.items():
                walk(item, f"{key}: ", depth)
        elif isinstance(node, list | tuple):
            if not node:
                lines.append(f"{pad}{prefix}-")
            elif all(not isinstance(i, Mapping | list | tuple) for i in node):
                lines.append(f"{pad}{prefix}{', '.join(_scalar(i) for i in node)}")
            else:
                lines.append(f"{pad}{prefix.rstrip()}")
                for i, item in enumerate(node, start=1):
                    walk(item, f"[{i}] ", depth + 1)
        else:
            lines.append(f"{pad}{prefix}{_scalar(node)}")

    walk(value, "", 0)
    return lines


def _scalar(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


# --- events in words --------------------------------------------------------------------------


def describe(event_type: str, payload: Mapping[str, Any], limit: int | None = None) -> str:
    """What the event changed, in one line; a payload this code does not recognise is shown as it is."""
    words = _DESCRIBE.get(event_type)
    try:
        text = words(payload) if words is not None else _raw(event_type, payload)
    except (KeyError, TypeError, ValueError, AttributeError):
        text = _raw(event_type, payload)
    text = " ".join(text.split())
    if limit is not None and len(text) > limit:
        text = text[: limit - 3].rstrip() + "..."
    return text


def _raw(event_type: str, payload: Mapping[str, Any]) -> str:
    return f"{event_type}: {canonical_json(dict(payload))}"


def _due(value: str) -> str:
    return local(datetime.fromisoformat(value))


def _people(names: Iterable[str]) -> str:
    names = list(names)
    return ", ".join(names) if names else "nobody"


def _stage(stage: str) -> str:
    number = {"reviewer_practitioner": 1, "moderator": 2}.get(stage, 3)
    return f"stage {number} ({STAGE_TITLE.get(stage, stage)})"


def _chased(p: Mapping[str, Any]) -> str:
    step = p["step"]
    told = _people(p["recipients"])
    if step["kind"] == "reminder":
        return f"reminder sent to {told}: the review is due soon"
    if step["kind"] == "overdue":
        return f"deadline passed without submission: {told} told"
    return f"escalated to level {step['level']}: {told} told the review is overdue"


def _judged(p: Mapping[str, Any]) -> str:
    levels = list(p["judgements"].values())
    counts = ", ".join(f"{levels.count(level)} {level}" for level in ("clear", "some", "limited") if level in levels)
    return f"rubric evidence recorded for {len(levels)} criteria ({counts})"


def _sample(p: Mapping[str, Any]) -> str:
    draw = p["draw"]
    cases = ", ".join(c["case_number"] for c in p["cases"])
    return (
        f"sample of {len(p['cases'])} drawn from open-cases snapshot {p['snapshot_id']}"
        f" ({draw['eligible_count']} eligible, seed {draw['seed']}): {cases}"
    )


def _added(p: Mapping[str, Any]) -> str:
    """The actions a report added to a plan; nothing for a report without (or recorded before they could be)."""
    return f"; actions {', '.join(p['plan_actions'])} added to {p['plan_id']}" if p.get("plan_id") else ""


def _report(p: Mapping[str, Any]) -> str:
    grades = ", ".join(f"{n} {g}" for g, n in p["grades"].items() if n) or "no grades"
    return (
        f"findings report published: {grades}; {p['agreed']} of {p['moderated']} moderations agreed;"
        f" Markdown SHA-256 {p['markdown_sha256'][:12]}..., HTML SHA-256 {p['html_sha256'][:12]}..." + _added(p)
    )


_DESCRIBE: dict[str, Callable[[Mapping[str, Any]], str]] = {
    # a child's review
    "review.opened": lambda p: (
        f"review of case {p['case_number']} opened ({p['service']}, team {p['team']}): reviewer {p['reviewer']},"
        f" practitioner {p['practitioner']}, team manager {p['team_manager']}, head of service"
        f" {p['head_of_service']}; due {_due(p['due_at'])}"
    ),
    "review.voice_recorded": lambda p: (
        f"the {p['whose']}'s voice recorded{'' if p['obtained'] else ' as not obtained'}: {p['summary']}"
    ),
    "review.reflection_recorded": lambda p: (
        f"the practitioner's reflection recorded: {p['score']}/10; pleased with: {p['pleased_with']};"
        f" could develop: {p['could_develop']}"
    ),
    "review.conversation_recorded": lambda p: f"the collaborative conversation recorded: {p['summary']}",
    "review.rubric_judged": _judged,
    "review.graded": lambda p: f"graded {p['grade']}: {p['rationale']}",
    "review.action_recommended": lambda p: f"action {p['action_id']} recommended, due by {p['due_by']}: {p['action']}",
    "review.action_completed": lambda p: f"action {p['action_id']} recorded complete: {p['oversight_note']}",
    "review.safeguarding_alert_raised": lambda p: (
        f"SAFEGUARDING alert {p['alert_id']} raised, {_people(p['notified'])} told at once: {p['concern']}"
    ),
    "review.submitted": lambda p: "review submitted",
    "review.extended": lambda p: (
        f"deadline extended by {p['extra_working_days']} working days to {_due(p['due_at'])}: {p['reason']}"
    ),
    "review.chased": _chased,
    "review.action_overdue": lambda p: f"action {p['action_id']} not done by its date: {_people(p['notified'])} told",
    "review.closed": lambda p: "review closed: submitted and every action done",
    # a CPR cycle
    "cycle.started": lambda p: (
        f"CPR cycle of {p['service']} started on {p['start']}: sample of {p['sample_size']},"
        f" reviews due {_due(p['review_due_at'])}"
    ),
    "cycle.sample_drawn": _sample,
    "cycle.reviewer_allocated": lambda p: (
        f"case {p['case_number']} allocated to reviewer {p['reviewer']} (review {p['review_id']})"
    ),
    "cycle.review_submitted": lambda p: (
        f"review of case {p['case_number']} submitted{' late' if p['late'] else ''}, graded {p['grade']}"
    ),
    "cycle.reviews_closed": lambda p: (
        f"reviews closed: {p['submitted']} submitted"
        + (f", outstanding {', '.join(p['outstanding'])}" if p["outstanding"] else ", none outstanding")
    ),
    "cycle.moderator_allocated": lambda p: (
        f"review of case {p['case_number']} allocated to moderator {p['moderator']}, due {_due(p['due_at'])}"
    ),
    "cycle.review_moderated": lambda p: (
        f"review of case {p['case_number']} moderated: {p['grade']}: {p['rationale']}"
        + (f"; conversation with the reviewer: {p['conversation']}" if p.get("conversation") else "")
    ),
    "cycle.moderation_overdue": lambda p: (
        f"moderation of case {p['case_number']} overdue (was due {_due(p['due_at'])})"
    ),
    "cycle.moderation_closed": lambda p: f"moderation closed; findings report due {_due(p['report_due_at'])}",
    "cycle.report_published": _report,
    # a dispute
    "dispute.raised": lambda p: (
        f"dispute about the reviewer's {p['about']} raised by {p['raised_by']} on review {p['review_id']}"
        f" (case {p['case_number']}): {p['issues']}"
    ),
    "dispute.stage_opened": lambda p: (
        f"{_stage(p['stage'])} opened for {_people(p['owners'])}, due {_due(p['due_at'])}"
        + (f"; {p['note']}" if p.get("note") else "")
    ),
    "dispute.conversation_recorded": lambda p: (
        f"reviewer and practitioner's conversation recorded, {p['decision'].replace('_', ' ')}: {p['outcome']}"
    ),
    "dispute.moderator_allocated": lambda p: f"moderator {p['moderator']} allocated, due {_due(p['due_at'])}",
    "dispute.moderation_recorded": lambda p: f"independent moderation recorded: {p['moderation']}",
    "dispute.three_way_recorded": lambda p: (
        f"three-way conversation recorded, {p['decision'].replace('_', ' ')}: {p['outcome']}"
    ),
    "dispute.decided": lambda p: f"final decision recorded: {p['decision']}",
    "dispute.reminded": lambda p: f"{_stage(p['stage'])}: reminder sent to {_people(p['recipients'])}",
    "dispute.escalated": lambda p: f"passed from {_stage(p['from_stage'])} to {_stage(p['to_stage'])}: {p['reason']}",
    "dispute.overdue": lambda p: f"{_stage(p['stage'])} overdue: {_people(p['recipients'])} told",
    # a deadline
    "deadline.set": lambda p: (
        f"deadline '{p['title']}' set for {p['owner']}: {p['working_days']} working days from {p['start']},"
        f" due {_due(p['due_at'])}"
    ),
    "deadline.extended": lambda p: (
        f"extended by {p['extra_working_days']} working days to {_due(p['due_at'])}: {p['reason']}"
    ),
    "deadline.passed": lambda p: f"deadline passed (was due {_due(p['due_at'])})",
    "deadline.met": lambda p: "marked done" + (f": {p['note']}" if p.get("note") else ""),
    # a practice concern about staff (restricted)
    "concern.raised": lambda p: (
        f"practice concern about {p['about']} raised with {p['manager']}, response due {_due(p['respond_by'])}:"
        f" {p['concern']}"
    ),
    "concern.responded": lambda p: f"responded to: {p['response']}",
    # an action plan
    "plan.started": lambda p: (
        f"{p['kind']} action plan started{' for ' + p['team'] if p.get('team') else ''}, owned by {p['owner']};"
        f" first review meeting {p['next_meeting_on']}"
    ),
    "plan.action_added": lambda p: (
        f"action {p['action_id']} added for {p['responsible']}, by {p['by_when']}: {p['action']}"
        f" (support: {p['support']}; shown by: {p['evidence']})" + (f"; from {p['source']}" if p.get("source") else "")
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
    # the directory's imports
    "directory.staff_imported": lambda p: (
        f"staff directory imported ({p['rows']} staff): {len(p['added'])} added, {len(p['changed'])} changed,"
        f" {len(p['deactivated'])} made inactive"
    ),
    "directory.cases_imported": lambda p: (
        f"open cases imported as snapshot {p['snapshot_id']} ({p['rows']} cases, digest {p['digest'][:12]}...)"
    ),
}


def _case_audit_sample(p: Mapping[str, Any]) -> str:
    if p.get("draw") is None:
        cases = ", ".join(c["case_number"] for c in p["cases"])
        return f"{len(p['cases'])} listed cases taken from open-cases snapshot {p['snapshot_id']}: {cases}"
    return _sample(p)


def _duty_chased(p: Mapping[str, Any]) -> str:
    step, told = p["step"], _people(p["recipients"])
    if step["kind"] == "reminder":
        return f"{p['key']}: reminder sent to {told}"
    if step["kind"] == "overdue":
        return f"{p['key']} overdue: {told} told"
    return f"{p['key']} escalated to level {step['level']}: {told} told"


# A thematic review and a dip audit record the same events, each under its own prefix.
_CASE_AUDIT_WORDS: dict[str, Callable[[Mapping[str, Any]], str]] = {
    "started": lambda p: (
        f"started on {p['focus']} from {p['start']}: {len(p['questions']['questions'])} questions from"
        f" {p['questions']['source']}; window of {p['window']} working days, closing {_due(p['closes_at'])}"
    ),
    "sample_taken": _case_audit_sample,
    "reviewer_allocated": lambda p: f"case {p['case_number']} allocated to reviewer {p['reviewer']}",
    "answers_recorded": lambda p: (
        f"answers for case {p['case_number']} recorded: "
        + ", ".join(f"{a['question_id']} {a['evidence']}" for a in p["answers"])
    ),
    "case_submitted": lambda p: f"answers for case {p['case_number']} submitted",
    "reviews_closed": lambda p: (
        f"reviews closed: {p['submitted']} submitted"
        + (f", outstanding {', '.join(p['outstanding'])}" if p["outstanding"] else ", none outstanding")
    ),
    "findings_published": lambda p: (
        f"findings published: {p['figures']['submitted']} of {p['figures']['sampled']} cases answered" + _added(p)
    ),
    "duty_set": lambda p: f"{p['owner']} is to {p['what']} by {_due(p['due_at'])}",
    "duty_chased": _duty_chased,
    "duty_done": lambda p: f"{p['key']} done",
}
_DESCRIBE |= {f"{kind}.{name}": words for kind in ("thematic", "dip") for name, words in _CASE_AUDIT_WORDS.items()}

# Every other item with duties records them the same way, under its own prefix.
_DUTY_WORDS = {name: _CASE_AUDIT_WORDS[name] for name in ("duty_set", "duty_chased", "duty_done")}
_DESCRIBE |= {
    f"{kind}.{name}": words
    for kind in ("spotlight", "entry", "qapm", "gpc", "practice_week")
    for name, words in _DUTY_WORDS.items()
}


def _allocations(p: Mapping[str, Any]) -> str:
    each = "; ".join(f"{a['member']}: {a['random']}, {a['proud']}, {a['challenging']}" for a in p["allocations"])
    return f"children allocated (random, proud, challenging; seed {p['seed']}): {each}"


_DESCRIBE |= {
    "spotlight.started": lambda p: (
        f"spotlight of the {p['team']} team on {p['day']}, led by {p['lead']}, members {_people(p['members'])};"
        f" team manager {p['team_manager']}" + (f"; previous {p['previous']}" if p.get("previous") else "")
    ),
    "spotlight.documents_sent": lambda p: (
        "key documents sent: " + "; ".join(f"{d['kind']} ({d['reference']})" for d in p["documents"])
    ),
    "spotlight.cases_nominated": lambda p: (
        f"{p['nomination']['practitioner']} nominated {p['nomination']['proud']} (proud)"
        f" and {p['nomination']['challenging']} (challenging)"
    ),
    "spotlight.case_list_sent": lambda p: f"the list of {len(p['nominations'])} practitioners' children sent",
    "spotlight.cases_allocated": _allocations,
    "spotlight.record_given": lambda p: f"{p['member']}'s information record given: {p['record']['grade']}",
    "spotlight.draft_sent": lambda p: (
        f"draft report sent to {p['finaliser']}: {p['report']['grade']}, {len(p['report']['actions'])} actions;"
        f" records viewed {', '.join(p['records_viewed'])}"
    ),
    "spotlight.report_finalised": lambda p: (
        f"report finalised; actions {', '.join(p['plan_actions'])} in {p['plan_id']};"
        f" circulated to {_people(p['circulated_to'])}"
    ),
    "entry.opened": lambda p: f"calendar entry for {p['planned']['title']} on {p['planned']['start']}",
    "entry.focus_set": lambda p: f"focus {p['focus']!r} (from {p['source']})",
    "entry.spotlight_arranged": lambda p: (
        f"spotlight arranged by {p['arranged_by']} for {p['day']}: lead {p['lead']}, members {_people(p['members'])}"
    ),
    "entry.item_started": lambda p: f"{p['workflow_type']} {p['item_id']} started",
    "entry.item_refused": lambda p: f"{p['item_id']} could not start: {p['reason']}",
    "entry.noted": lambda p: p["note"],
    "qapm.started": lambda p: f"QAPM meeting of {p['meeting_on']}; pack due {_due(p['pack_due_at'])}",
    "qapm.pack_compiled": lambda p: (
        f"performance pack compiled: {p['markdown_path']} (sha256 {p['markdown_sha256'][:12]})"
    ),
    "qapm.decisions_recorded": lambda p: (
        f"decisions recorded by the chair {p['chair']}"
        + (f"; thematic focus {p['thematic_focus']!r}" if p.get("thematic_focus") else "")
        + (f"; Practice Week theme {p['practice_week_theme']!r}" if p.get("practice_week_theme") else "")
        + (f"; actions {', '.join(a['action_id'] for a in p['actions'])} in {p['plan_id']}" if p["actions"] else "")
        + "".join(f"; {r['item']}: {'repeat' if r['repeat_cycle'] else 'no repeat'}" for r in p["progress"])
    ),
    "gpc.started": lambda p: f"Good Practice Conversation of the month from {p['month_start']}",
    "gpc.team_nominated": lambda p: f"the {p['team']} team nominated: {p['good_practice']}",
    "gpc.inquiry_recorded": lambda p: (
        f"appreciative inquiry of {p['record']['held_on']} recorded; interviewed {_people(p['record']['interviewed'])}"
    ),
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
}

DESCRIBED = frozenset(_DESCRIBE)
"""The event types `describe` puts in words (any other is shown as it is)."""


def history_entry(event: RecordedEvent) -> dict[str, Any]:
    """One event as `qa audit history --json` shows it."""
    return {
        "version": event.version,
        "business_time": event.business_time.isoformat(),
        "recorded_at": event.recorded_at.isoformat(),
        "actor": event.actor,
        "event_type": event.event_type,
        "what": describe(event.event_type, event.payload),
        "event_id": str(event.event_id),
        "payload": event.payload,
    }


# --- the cross-check with the engine ----------------------------------------------------------

DifferenceKind = Literal[
    "missing_from_log",  # the workflow recorded it (Temporal's history) but the log does not hold it
    "differs_from_engine",  # the log holds another event at that version than the workflow recorded
    "not_in_engine",  # the log holds an event that no append the workflow scheduled carried
    "no_engine_history",  # the engine holds no history for an item the log says is a workflow's
]


@dataclass(frozen=True, slots=True)
class Difference:
    stream_id: str
    version: int
    kind: DifferenceKind
    detail: str

    def describe(self) -> str:
        return f"{self.stream_id} v{self.version}: {self.kind}: {self.detail}"

    def as_json(self) -> dict[str, Any]:
        return {"stream_id": self.stream_id, "version": self.version, "kind": self.kind, "detail": self.detail}


def _fields_differing(engine: NewEvent, logged: NewEvent) -> list[str]:
    fields = []
    if engine.event_id != logged.event_id:
        fields.append("event id")
    if engine.event_type != logged.event_type:
        fields.append("type")
    if canonical_json(engine.payload) != canonical_json(logged.payload):
        fields.append("payload")
    if engine.actor != logged.actor:
        fields.append("actor")
    if engine.business_time != logged.business_time:
        fields.append("business time")
    return fields


def engine_differences(
    stream_id: str,
    logged: Sequence[NewEvent],
    recorded: Sequence[NewEvent],
    carried: Sequence[NewEvent],
    checked_from: int = 1,
) -> list[Difference]:
    """Every difference between the log's events of `stream_id` and what its workflow recorded.

    `recorded`: the events of appends the workflow completed (in Temporal's history);
    `carried`: those of every append it scheduled, completed or not (an append in
    flight may already be in the log). Compared: version, event id, type, payload,
    actor and business time. Events before version `checked_from` were recorded by
    runs the engine no longer holds, so only later ones must be in its history.
    """
    recorded = [e for e in recorded if e.stream_id == stream_id]
    carried_ids = {e.event_id for e in carried if e.stream_id == stream_id} | {e.event_id for e in recorded}
    by_version = {e.version: e for e in logged}
    differences: list[Difference] = []
    differing: set[int] = set()
    for engine in sorted(recorded, key=lambda e: e.version):
        held = by_version.get(engine.version)
        if held is None:
            differences.append(
                Difference(
                    stream_id,
                    engine.version,
                    "missing_from_log",
                    f"the workflow recorded {engine.event_type} ({engine.event_id}) at"
                    f" {local(engine.business_time)}; the audit log does not hold it",
                )
            )
            continue
        fields = _fields_differing(engine, held)
        if fields:
            differing.add(engine.version)
            differences.append(
                Difference(
                    stream_id,
                    engine.version,
                    "differs_from_engine",
                    f"the log's {held.event_type} differs from what the workflow recorded in: {', '.join(fields)}",
                )
            )
    for held in logged:
        if held.version in differing or held.event_id in carried_ids or held.version < checked_from:
            continue
        differences.append(
            Difference(
                stream_id,
                held.version,
                "not_in_engine",
                f"the log holds {held.event_type} ({held.event_id}) by {held.actor} at {local(held.business_time)},"
                " which no append of the workflow carried",
            )
        )
    return sorted(differences, key=lambda d: (d.version, d.kind))


# --- evidence bundles -------------------------------------------------------------------------

BUNDLE_FILES = ("events.json", "temporal-history.json", "verification.json", "state.json", "summary.html")
MANIFEST = "manifest.json"


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def stored(event: RecordedEvent) -> StoredEvent:
    """An event as read back from a bundle, ready for the chain check."""
    return StoredEvent(
        stream_id=event.stream_id,
        version=event.version,
        event_id=event.event_id,
        event_type=event.event_type,
        actor=event.actor,
        business_time=stored_time(event.business_time),
        recorded_at=stored_time(event.recorded_at),
        payload_text=canonical_json(event.payload),
        prev_hash=bytes.fromhex(event.prev_hash),
        hash=bytes.fromhex(event.hash),
    )


def chain_of(stream_id: str, events: Sequence[RecordedEvent], head: Mapping[str, Any] | None) -> StreamReport:
    """The hash chain of a bundle's events, against the head the log had when it was exported."""
    stream_head = None if head is None else StreamHead(stream_id, int(head["version"]), bytes.fromhex(head["hash"]))
    return check_stream(stream_id, [stored(e) for e in events], stream_head)


def check_manifest(manifest: Any, digests: Mapping[str, str | None], present: Iterable[str]) -> str | None:
    """Why a bundle's files do not match its manifest, or None.

    `digests`: each expected file's SHA-256 as found on disk (None: missing or unreadable);
    `present`: every file name in the bundle's folder.
    """
    if not isinstance(manifest, Mapping) or not isinstance(manifest.get("files"), Mapping):
        return "its manifest.json lists no files"
    listed = manifest["files"]
    if set(listed) != set(BUNDLE_FILES):
        return f"its manifest lists {', '.join(sorted(listed)) or 'nothing'}, not {', '.join(BUNDLE_FILES)}"
    extra = sorted(set(present) - {*BUNDLE_FILES, MANIFEST})
    if extra:
        return f"it holds {', '.join(extra)}, which its manifest does not list"
    for name in BUNDLE_FILES:
        found = digests.get(name)
        if found is None:
            return f"{name} is missing or unreadable"
        if found != listed[name]:
            return f"{name} was altered: its SHA-256 is {found}, the manifest says {listed[name]}"
    return None


def summary_html(
    *,
    item_id: str,
    kind: str,
    cases: Sequence[str],
    exported_at: datetime,
    exported_by: str,
    events: Sequence[RecordedEvent],
    status: str | None,
    verdict: str,
    differences: Sequence[str],
) -> str:
    """A short, human-readable page for the bundle (every text escaped)."""
    e = html.escape
    rows = "\n".join(
        f"<tr><td>{event.version}</td><td>{e(local(event.business_time))}</td>"
        f"<td>{e(local(event.recorded_at))}</td><td>{e(event.actor)}</td>"
        f"<td>{e(describe(event.event_type, event.payload))}</td></tr>"
        for event in events
    )
    problems = "".join(f"<li>{e(d)}</li>" for d in differences)
    facts = [
        ("Item", item_id),
        ("Kind", kind),
        ("Case numbers", ", ".join(cases) or "none"),
        ("Status", status or "-"),
        ("Events", str(len(events))),
        ("Verification", verdict),
        ("Exported", f"{local(exported_at)} by {exported_by}"),
    ]
    fact_rows = "\n".join(f"<tr><th>{e(k)}</th><td>{e(v)}</td></tr>" for k, v in facts)
    return f"""<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Evidence: {e(item_id)}</title>
<style>body{{font-family:sans-serif;max-width:60rem;margin:2rem auto}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:.3rem .5rem;text-align:left;vertical-align:top}}</style></head>
<body>
<h1>Evidence bundle: {e(item_id)}</h1>
<p><strong>{e(NO_CHILD_NAMED)}</strong></p>
<table>
{fact_rows}
</table>
{f"<h2>Problems found</h2><ul>{problems}</ul>" if problems else ""}
<h2>History</h2>
<p>Business time is when it happened in the workflow; recorded is the audit log's own clock. Times are Europe/London.</p>
<table>
<tr><th>v</th><th>business time</th><th>recorded</th><th>by</th><th>what changed</th></tr>
{rows}
</table>
<p>Files: {", ".join(e(n) for n in BUNDLE_FILES)}; their SHA-256 digests are in {MANIFEST}.
Check with <code>qa audit check-bundle DIR</code>.</p>
</body>
</html>
"""


def dump(value: Any) -> bytes:
    """The JSON text of a bundle file."""
    return (json.dumps(value, indent=2, ensure_ascii=False, default=str) + "\n").encode("utf-8")
