"""A case audit: a sample of children's records, each answered against a question set by a reviewer.

Thematic reviews and dip audits have the same shape. A QA officer starts one with
a focus, a question set and a sample (drawn at random as a CPR's is, or, for a dip
audit, listed case by case); allocates each case to a reviewer, never the case's
own practitioner; each reviewer answers every question for their case, judged
"clear", "some" or "limited" evidence as the rubric's columns are, within the
window. When every case is in, or the window ends, the reviews close and the QA
team publishes the findings: key findings, strengths, areas for development and
recommendations, with figures from the answers, and SMART actions for a plan.

The events here are bases: each kind (domain.thematic, domain.dip_audit) extends
them only to give them its own event_type prefix, and this one reducer folds both.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import date
from typing import Any, Literal

from pydantic import AwareDatetime, Field

from domain import duties
from domain.chasing import ChaseStep
from domain.cpr_cycle import (
    AllocateReviewer,
    Narrative,
    PublishReport,
    ReallocateReviewer,
    SampledCase,
    check_new_reviewer,
    check_plan_actions,
    check_reviewer,
    empty_parts,
)
from domain.directory import OpenCase
from domain.duties import Duty, DutyEvents
from domain.errors import Refusal
from domain.events import DomainEvent, EventMeta, EventRegistry, member, owner
from domain.files import FileError, csv_rows
from domain.frozen import Frozen
from domain.kinds import Kind
from domain.requests import ChangeRequest
from domain.review import VoiceCount, Whose, count_voices
from domain.rubric import RUBRIC, Evidence
from domain.sampling import SampleDraw
from domain.text import check_text, required_text
from domain.wording import actions_added, due, reviews_closed, sample_drawn
from domain.working_days import LONDON

REPORT_WINDOW = 10  # working days from the end of the window to the findings
REPORT_KEY = "findings"  # the QA team's duty: publishing the findings
MAX_QUESTIONS = 100
QUESTION_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
Phase = Literal["sampling", "reviewing", "reporting", "complete"]


def case_key(case_number: str) -> str:
    """The key of a reviewer's duty to answer for one case (and of their task)."""
    return f"case-{case_number}"


# --- question sets ----------------------------------------------------------------------------


class Question(Frozen):
    id: str
    text: str


class QuestionSet(Frozen):
    """The questions every case is answered against, recorded in full with the start."""

    source: str  # "the CPR rubric", or the file the theme's questions came from
    questions: tuple[Question, ...] = Field(min_length=1)

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(q.id for q in self.questions)


RUBRIC_QUESTIONS = QuestionSet(
    source="the CPR rubric",
    questions=tuple(Question(id=c.id, text=f"{domain.title}: {c.clear}") for domain in RUBRIC for c in domain.criteria),
)
"""The default: the rubric's 26 criteria, each asked as its "clear evidence throughout" descriptor."""


def _json_items(text: str, source: str) -> list[tuple[int, object]]:
    """The items of a JSON list, each with the line it starts on."""
    text = text.removeprefix("\ufeff")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FileError(f"{source} line {exc.lineno}: malformed JSON ({exc.msg})") from None
    if not isinstance(data, list):
        raise FileError(f'{source} line 1: expected a list of questions, [{{"id": ..., "text": ...}}, ...]')
    decoder, position, items = json.JSONDecoder(), text.index("[") + 1, []
    for _ in data:
        while text[position] in " \t\r\n,":
            position += 1
        line = text.count("\n", 0, position) + 1
        item, position = decoder.raw_decode(text, position)
        items.append((line, item))
    return items


def parse_questions(text: str, source: str) -> QuestionSet:
    """A theme's own questions: CSV with the header `id,text`, or a JSON list of {"id", "text"} objects."""
    rows: list[tuple[int, dict[str, str]]] = []
    if text.removeprefix("\ufeff").lstrip().startswith("["):
        for line, item in _json_items(text, source):
            if not isinstance(item, dict) or set(item) != {"id", "text"}:
                raise FileError(f'{source} line {line}: each question is {{"id": ..., "text": ...}} and no more')
            if not all(isinstance(value, str) for value in item.values()):
                raise FileError(f"{source} line {line}: a question's id and text are strings")
            rows.append((line, {"id": item["id"].strip(), "text": item["text"].strip()}))
    else:
        rows = list(csv_rows(text, source, ("id", "text")))
    seen: set[str] = set()
    for line, row in rows:
        if not QUESTION_ID.fullmatch(row["id"]):
            raise FileError(
                f"{source} line {line}: question id {row['id']!r} must be letters, digits, '.', '-' or '_'"
                " (at most 64, starting with a letter or digit)"
            )
        if row["id"] in seen:
            raise FileError(f"{source} line {line}: question {row['id']} is listed twice")
        if not row["text"]:
            raise FileError(f"{source} line {line}: question {row['id']} has no text")
        seen.add(row["id"])
    if not rows:
        raise FileError(f"{source}: no questions")
    if len(rows) > MAX_QUESTIONS:
        raise FileError(f"{source}: {len(rows)} questions; a question set has at most {MAX_QUESTIONS}")
    return QuestionSet(source=source, questions=tuple(Question(**row) for _, row in rows))


# --- the sample -------------------------------------------------------------------------------


def check_sampling(size: int | None, listed: Sequence[str], service: str | None) -> None:
    """A sample is drawn at random (a size, from one service or all) or listed case by case, never both."""
    if (size is None) == (not listed):
        raise Refusal("give either a sample size (drawn at random) or the cases to audit, one of them")
    if listed and service is not None:
        raise Refusal("listed cases are audited whatever their service: leave out the service")
    repeated = sorted({n for n in listed if list(listed).count(n) > 1})
    if repeated:
        raise Refusal(f"case {repeated[0]} is listed twice")


def listed_sample(listed: Sequence[str], open_cases: Iterable[OpenCase], snapshot_id: int) -> tuple[SampledCase, ...]:
    """The listed cases as the open-cases snapshot holds them; refuses any it does not hold, naming them."""
    by_number = {c.case_number: c for c in open_cases}
    unknown = [n for n in listed if n not in by_number]
    if unknown:
        raise Refusal(f"not open in cases snapshot {snapshot_id}: {', '.join(unknown)}")
    return tuple(
        SampledCase(case_number=n, team=by_number[n].team, practitioner=by_number[n].practitioner) for n in listed
    )


# --- events (bases: each kind gives them its event_type) ---------------------------------------


class AuditStarted(DomainEvent):
    focus: str
    service: str | None  # None: the sample is from every service (or listed)
    start: date
    window: int  # working days from the start
    closes_at: AwareDatetime
    # The window's chase, worked out once: every reviewer's duty for their case follows it.
    window_chase: tuple[ChaseStep, ...]
    calendar_digest: str
    questions: QuestionSet
    owner: str | None = None  # whose it is, when the QA calendar opened it (domain.events.owner)
    # The reviewers seek the child's and the family's voice for each case, as a CPR review does (audits started
    # before could not ask).
    asks_voices: bool = False


class SampleTaken(DomainEvent):
    snapshot_id: int
    draw: SampleDraw | None  # None: the cases were listed, not drawn
    cases: tuple[SampledCase, ...]


class ReviewerAllocated(DomainEvent):
    case_number: str
    reviewer: str


class ReviewerReallocated(DomainEvent):
    """The QA team gives a case another reviewer (absence, conflict); its answers so far stay with the case."""

    case_number: str
    reviewer: str
    previous: str
    reason: str


class Answer(Frozen):
    question_id: str
    evidence: Evidence = Field(title="What the child's record shows")
    comment: str | None = Field(None, title="Comment")


class VoiceHeard(Frozen):
    """A child's or family's voice sought for a case: what they said, or why it could not be obtained."""

    whose: Whose = Field(title="Whose voice")
    obtained: bool = Field(title="Obtained")
    summary: str = Field(title="What they said, or why it could not be obtained")


class AnswersRecorded(DomainEvent):
    """Some or all of a case's answers (and voices); a question (or voice) given again takes the newer."""

    case_number: str
    answers: tuple[Answer, ...]
    voices: tuple[VoiceHeard, ...] = ()


class CaseSubmitted(DomainEvent):
    case_number: str


class ReviewsClosed(DomainEvent):
    submitted: int
    outstanding: tuple[str, ...]


class QuestionFigures(Frozen):
    question_id: str
    clear: int
    some: int
    limited: int


class Figures(Frozen):
    """What the submitted answers say, computed from the record, never typed in."""

    sampled: int
    submitted: int
    late: int
    outstanding: tuple[str, ...]
    questions: tuple[QuestionFigures, ...]
    voices: dict[Whose, VoiceCount] = {}  # the submitted cases' voices, when the audit asked for them


class FindingsPublished(DomainEvent):
    key_findings: str
    strengths: str
    areas_for_development: str
    recommendations: str
    figures: Figures
    plan_id: str | None
    plan_actions: tuple[str, ...]  # the ids the plan gave the actions

    @property
    def narrative(self) -> Narrative:
        return Narrative.of(self)


@dataclass(frozen=True, slots=True)
class AuditEvents:
    """One kind's event classes: the bases above (and the duty events) under its own prefix."""

    started: type[AuditStarted]
    sample_taken: type[SampleTaken]
    reviewer_allocated: type[ReviewerAllocated]
    answers_recorded: type[AnswersRecorded]
    case_submitted: type[CaseSubmitted]
    reviews_closed: type[ReviewsClosed]
    findings_published: type[FindingsPublished]
    reviewer_reallocated: type[ReviewerReallocated]
    duties: DutyEvents

    @classmethod
    def family(cls, name: str) -> AuditEvents:
        """The events of the case audit whose event types start with `name` and a dot."""
        return cls(
            started=member(AuditStarted, f"{name}.started"),
            sample_taken=member(SampleTaken, f"{name}.sample_taken"),
            reviewer_allocated=member(ReviewerAllocated, f"{name}.reviewer_allocated"),
            answers_recorded=member(AnswersRecorded, f"{name}.answers_recorded"),
            case_submitted=member(CaseSubmitted, f"{name}.case_submitted"),
            reviews_closed=member(ReviewsClosed, f"{name}.reviews_closed"),
            findings_published=member(FindingsPublished, f"{name}.findings_published"),
            reviewer_reallocated=member(ReviewerReallocated, f"{name}.reviewer_reallocated"),
            duties=duties.family(name),
        )

    @property
    def registry(self) -> EventRegistry:
        return EventRegistry(*(getattr(self, f.name) for f in fields(self) if f.name != "duties"), *self.duties)


# --- state ------------------------------------------------------------------------------------


class AuditCase(Frozen):
    case_number: str
    team: str
    practitioner: str
    reviewer: str | None = None
    answers: tuple[Answer, ...] = ()
    voices: dict[Whose, VoiceHeard] = {}
    submitted: bool = False
    late: bool = False

    def answer(self, question_id: str) -> Answer | None:
        return next((a for a in self.answers if a.question_id == question_id), None)


class CaseAuditState(Frozen):
    version: int
    focus: str
    service: str | None
    start: date
    window: int
    closes_at: AwareDatetime
    window_chase: tuple[ChaseStep, ...]
    calendar_digest: str
    questions: QuestionSet
    started_by: str
    started_at: AwareDatetime
    asks_voices: bool = False
    phase: Phase = "sampling"
    snapshot_id: int | None = None
    draw: SampleDraw | None = None
    cases: tuple[AuditCase, ...] = ()
    outstanding_at_close: tuple[str, ...] = ()
    duties: tuple[Duty, ...] = ()
    findings: FindingsPublished | None = None

    @property
    def ended(self) -> bool:
        """The findings are published: nothing more is chased (the workflow stops chasing; `qa overdue` stops listing)."""
        return self.phase == "complete"

    def case(self, case_number: str) -> AuditCase | None:
        return next((c for c in self.cases if c.case_number == case_number), None)

    @property
    def outstanding(self) -> tuple[str, ...]:
        return tuple(c.case_number for c in self.cases if not c.submitted)

    def unanswered(self, case: AuditCase) -> tuple[str, ...]:
        answered = {a.question_id for a in case.answers}
        return tuple(q for q in self.questions.ids if q not in answered)

    @property
    def findings_due(self) -> Duty | None:
        return duties.duty(self, REPORT_KEY)


def _replace_case(state: CaseAuditState, case_number: str, **changes: object) -> tuple[AuditCase, ...]:
    return tuple(c.model_copy(update=changes) if c.case_number == case_number else c for c in state.cases)


def evolve(state: CaseAuditState | None, event: DomainEvent, meta: EventMeta) -> CaseAuditState:
    """The one reducer of every case audit kind: it matches the base classes, whatever their prefix."""
    if state is None:
        if not isinstance(event, AuditStarted):
            raise ValueError(f"a case audit starts with its started event, not {event.event_type}")
        opened = {k: v for k, v in dict(event).items() if k != "owner"}
        return CaseAuditState(
            version=meta.version, started_by=owner(event, meta), started_at=meta.business_time, **opened
        )
    update: dict[str, object]
    if (changed := duties.evolve_duties(state.duties, event, meta)) is not None:
        update = {"duties": changed}
    else:
        match event:
            case SampleTaken():
                update = {
                    "snapshot_id": event.snapshot_id,
                    "draw": event.draw,
                    "cases": tuple(AuditCase(**dict(c)) for c in event.cases),
                    "phase": "reviewing",
                }
            case ReviewerAllocated() | ReviewerReallocated():
                update = {"cases": _replace_case(state, event.case_number, reviewer=event.reviewer)}
            case AnswersRecorded():
                case = state.case(event.case_number)
                assert case is not None
                newer = {a.question_id for a in event.answers}
                kept = tuple(a for a in case.answers if a.question_id not in newer)
                voices = {**case.voices, **{v.whose: v for v in event.voices}}
                update = {
                    "cases": _replace_case(state, event.case_number, answers=(*kept, *event.answers), voices=voices)
                }
            case CaseSubmitted():
                late = meta.business_time > state.closes_at
                update = {"cases": _replace_case(state, event.case_number, submitted=True, late=late)}
            case ReviewsClosed():
                update = {"phase": "reporting", "outstanding_at_close": event.outstanding}
            case FindingsPublished():
                # Kept as the base class: the state reads the same whichever kind recorded it.
                update = {"phase": "complete", "findings": FindingsPublished(**dict(event))}
            case _:
                raise ValueError(f"{event.event_type} does not belong to a case audit")
    return state.model_copy(update={"version": meta.version, **update})


def figures(state: CaseAuditState) -> Figures:
    submitted = [c for c in state.cases if c.submitted]
    counts = []
    for question_id in state.questions.ids:
        given = [a.evidence for c in submitted if (a := c.answer(question_id)) is not None]
        counts.append(
            QuestionFigures(
                question_id=question_id,
                clear=given.count(Evidence.clear),
                some=given.count(Evidence.some),
                limited=given.count(Evidence.limited),
            )
        )
    return Figures(
        sampled=len(state.cases),
        submitted=len(submitted),
        late=sum(1 for c in submitted if c.late),
        outstanding=state.outstanding,
        questions=tuple(counts),
        voices=count_voices((w, v.obtained) for c in submitted for w, v in sorted(c.voices.items()))
        if state.asks_voices
        else {},
    )


# --- requests (one per update) ----------------------------------------------------------------

# A reviewer is allocated with the very request a CPR cycle takes (domain.cpr_cycle.AllocateReviewer).


class RecordAnswers(ChangeRequest):
    case_number: str
    answers: tuple[Answer, ...] = Field((), title="The answers, question by question")
    voices: tuple[VoiceHeard, ...] = Field((), title="The child's and the family's voices (when the audit asks)")


class SubmitCase(ChangeRequest):
    case_number: str


# --- rules ------------------------------------------------------------------------------------


def _sampled(state: CaseAuditState | None) -> CaseAuditState:
    if state is None or state.phase == "sampling":
        raise Refusal("the sample is still being drawn; try again in a moment")
    return state


def _case(state: CaseAuditState, case_number: str) -> AuditCase:
    case = state.case(case_number)
    if case is None:
        sampled = ", ".join(c.case_number for c in state.cases)
        raise Refusal(f"case {case_number} is not in this sample ({sampled})")
    return case


def _question_ids(state: CaseAuditState) -> str:
    ids = state.questions.ids
    if len(ids) <= 10:
        return ", ".join(ids)
    return f"{ids[0]} to {ids[-1]} ({len(ids)} of them)"


def _closing_day(state: CaseAuditState) -> str:
    day = state.closes_at.astimezone(LONDON)
    return f"{day.day} {day:%B %Y}"


def check_allocation(state: CaseAuditState | None, request: AllocateReviewer) -> None:
    state = _sampled(state)
    if state.phase != "reviewing":
        raise Refusal(f"the window closed on {_closing_day(state)}; no more allocations")
    case = _case(state, request.case_number)
    check_reviewer(request, case.reviewer, case.practitioner)


def check_reallocation(state: CaseAuditState | None, request: ReallocateReviewer) -> None:
    state = _sampled(state)
    if state.phase == "complete":
        raise Refusal("the findings were published; nothing is left to review")
    case = _case(state, request.case_number)
    check_new_reviewer(request, case.reviewer, case.practitioner, case.submitted, f"case {request.case_number}")


def _reviewers_case(state: CaseAuditState, actor: str, case_number: str, what: str) -> AuditCase:
    """A case its reviewer may still work on: until it is submitted, even after the window (then late)."""
    if state.phase == "complete":
        raise Refusal("the findings were published; the answers can no longer change")
    case = _case(state, case_number)
    if case.reviewer is None:
        raise Refusal(f"case {case_number} has no reviewer yet: a QA officer allocates one")
    if actor != case.reviewer:
        raise Refusal(f"only the allocated reviewer ({case.reviewer}) can {what} case {case_number}")
    if case.submitted:
        raise Refusal(f"the answers for case {case_number} were already submitted")
    return case


def check_answers(state: CaseAuditState | None, request: RecordAnswers) -> None:
    state = _sampled(state)
    _reviewers_case(state, request.actor, request.case_number, "answer for")
    if not request.answers and not request.voices:
        raise Refusal("give at least one answer" + (" or voice" if state.asks_voices else ""))
    if request.voices and not state.asks_voices:
        raise Refusal(f"the {state.focus} audit does not ask for voices")
    whose = [v.whose for v in request.voices]
    if len(set(whose)) != len(whose):
        raise Refusal("each voice is given once: the child's, the family's")
    for voice in request.voices:
        required_text(voice.summary, f"the {voice.whose}'s voice")
    given = [a.question_id for a in request.answers]
    unknown = [q for q in given if q not in state.questions.ids]
    if unknown:
        raise Refusal(f"unknown question {', '.join(unknown)}: the questions are {_question_ids(state)}")
    repeated = sorted({q for q in given if given.count(q) > 1})
    if repeated:
        raise Refusal(f"question {repeated[0]} is answered twice")
    for answer in request.answers:
        check_text(f"the comment on question {answer.question_id}", answer.comment)


def check_submission(state: CaseAuditState | None, request: SubmitCase) -> None:
    state = _sampled(state)
    case = _reviewers_case(state, request.actor, request.case_number, "submit")
    missing = state.unanswered(case)
    if missing:
        shown = ", ".join(missing[:5]) + (", ..." if len(missing) > 5 else "")
        raise Refusal(f"case {request.case_number} still needs an answer to {len(missing)} questions: {shown}")
    unheard = [w for w in ("child", "family") if state.asks_voices and w not in case.voices]
    if unheard:
        raise Refusal(
            f"case {request.case_number} still needs the {' and the '.join(unheard)}'s voice"
            " (what they said, or why it could not be obtained)"
        )


def check_publication(state: CaseAuditState | None, request: PublishReport, today: date) -> None:
    state = _sampled(state)
    # With every case in, the reviews are closing: the workflow waits for that to be recorded.
    if state.phase == "reviewing" and state.outstanding:
        raise Refusal(
            f"the findings follow the reviews: every case submitted, or the window closing on {_closing_day(state)}"
        )
    if state.phase == "complete":
        raise Refusal("the findings were already published")
    empty = empty_parts(request)
    if empty:
        raise Refusal(f"the findings need {', '.join(empty)}")
    check_plan_actions(request, today)


# --- the kinds --------------------------------------------------------------------------------


def _sample(p: Mapping[str, Any]) -> str:
    if p.get("draw") is None:
        cases = ", ".join(c["case_number"] for c in p["cases"])
        return f"{len(p['cases'])} listed cases taken from open-cases snapshot {p['snapshot_id']}: {cases}"
    return sample_drawn(p)


def kind(name: str, events: AuditEvents, workflow_type: str, show: tuple[str, ...], duty_title: str) -> Kind:
    """A kind of case audit: its events (`AuditEvents.family`) in the words every case audit shares."""
    said = {
        events.started: lambda p: (
            f"started on {p['focus']} from {p['start']}: {len(p['questions']['questions'])} questions from"
            f" {p['questions']['source']}; window of {p['window']} working days, closing {due(p['closes_at'])}"
        ),
        events.sample_taken: _sample,
        events.reviewer_allocated: lambda p: f"case {p['case_number']} allocated to reviewer {p['reviewer']}",
        events.answers_recorded: lambda p: (
            f"answers for case {p['case_number']} recorded: "
            + ", ".join(f"{a['question_id']} {a['evidence']}" for a in p["answers"])
        ),
        events.case_submitted: lambda p: f"answers for case {p['case_number']} submitted",
        events.reviewer_reallocated: lambda p: (
            f"case {p['case_number']} reallocated from reviewer {p['previous']} to {p['reviewer']}: {p['reason']}"
        ),
        events.reviews_closed: reviews_closed,
        events.findings_published: lambda p: (
            f"findings published: {p['figures']['submitted']} of {p['figures']['sampled']} cases answered"
            + actions_added(p)
        ),
    }
    return Kind(
        name=name,
        prefix=events.started.event_type.removesuffix("started"),
        events=events.registry,
        evolve=evolve,
        workflow_type=workflow_type,
        closing=(events.findings_published.event_type,),
        show=show,
        people=lambda s: {s.started_by, *(p for c in s.cases for p in (c.practitioner, c.reviewer) if p)},
        case_numbers=lambda s: [c.case_number for c in s.cases],
        duty_title=duty_title,
        words={cls.event_type: words for cls, words in said.items()} | events.duties.words,
    )
