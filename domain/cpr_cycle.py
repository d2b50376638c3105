"""A Collaborative Practice Review cycle: the sample, the reviewers, the reviews' window.

A cycle (six a year) reviews a random sample of one service's children within 20
working days. The QA team draws the sample and allocates a reviewer to each
child, never the child's own practitioner; each allocation starts that child's
review. Once the reviews close, each submitted review is moderated within 10
working days of its allocation to a moderator (never its reviewer); where the
moderator's grade differs, their conversation with the reviewer is recorded.
The findings report is due 10 working days after moderation ends; its SMART
actions, if any, go to an action plan, each linked back to the cycle.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any, Literal

from pydantic import AwareDatetime, Field

from domain import duties
from domain.action_plan import SmartAction, check_smart_actions
from domain.duties import Duty
from domain.errors import Refusal
from domain.events import DomainEvent, EventMeta, EventRegistry, owner
from domain.frozen import Frozen
from domain.kinds import Kind
from domain.requests import ChangeRequest
from domain.review import VoiceCount
from domain.rubric import Grade
from domain.sampling import SampleDraw
from domain.text import check_text, required_text
from domain.wording import actions_added, due, reviews_closed, sample_drawn

REVIEW_WINDOW = 20  # working days, from the cycle's start
MODERATION_WINDOW = 10  # working days, from a moderator's allocation
REPORT_WINDOW = 10  # working days, from the end of moderation
ALLOCATION_WINDOW = 2  # working days for the QA team to allocate: reviewers from the start, moderators from the close
# The QA team's duties (domain.duties), and each moderator's: chased and escalated, in `qa overdue`.
ALLOCATE_REVIEWERS = "allocate-reviewers"
ALLOCATE_MODERATORS = "allocate-moderators"
FINDINGS_REPORT = "findings-report"


def moderation_key(case_number: str) -> str:
    return f"moderation-{case_number}"


Phase = Literal["sampling", "reviewing", "moderation", "reporting", "complete"]


class SampledCase(Frozen):
    case_number: str
    team: str
    practitioner: str


class CycleStarted(DomainEvent):
    event_type = "cycle.started"
    service: str
    start: date
    sample_size: int
    review_due_on: date
    review_due_at: AwareDatetime
    calendar_digest: str
    owner: str | None = None  # whose it is, when the QA calendar opened it (domain.events.owner)


class Revisit(Frozen):
    """What a QAPM meeting carried from the service's previous cycle into this one (the framework's "QA for the
    next cycle may include areas which were looked at in the previous cycle")."""

    meeting_id: str
    item: str  # the previous cycle, or one of its reviews, as the meeting named it
    repeat: bool  # the meeting decided to repeat the whole cycle
    reasons: str
    areas: str  # the areas to look at again ("" when only a repeat was decided)


class CycleFollows(DomainEvent):
    """The cycle's place in its service's run: the one before it, and what the QAPM meetings carried forward."""

    event_type = "cycle.follows"
    previous: str
    revisits: tuple[Revisit, ...] = ()


class SampleDrawn(DomainEvent):
    event_type = "cycle.sample_drawn"
    snapshot_id: int
    draw: SampleDraw
    cases: tuple[SampledCase, ...]


class ReviewerAllocated(DomainEvent):
    event_type = "cycle.reviewer_allocated"
    case_number: str
    reviewer: str
    team_manager: str
    head_of_service: str
    review_id: str


class ReviewSubmitted(DomainEvent):
    event_type = "cycle.review_submitted"
    case_number: str
    grade: Grade
    late: bool


class ReviewsClosed(DomainEvent):
    event_type = "cycle.reviews_closed"
    submitted: int
    outstanding: tuple[str, ...]


class ModeratorAllocated(DomainEvent):
    event_type = "cycle.moderator_allocated"
    case_number: str
    moderator: str
    due_at: AwareDatetime


class ModeratorReallocated(DomainEvent):
    """The QA team replaces a moderator who cannot moderate (absence, conflict): the new one's window starts now;
    the report waits for them alone."""

    event_type = "cycle.moderator_reallocated"
    case_number: str
    moderator: str
    previous: str
    reason: str
    due_at: AwareDatetime


class ReviewerReallocated(DomainEvent):
    """The QA team replaces a reviewer who cannot finish the review; the review is told and goes on with the new one."""

    event_type = "cycle.reviewer_reallocated"
    case_number: str
    reviewer: str
    previous: str
    reason: str


class ReviewModerated(DomainEvent):
    event_type = "cycle.review_moderated"
    case_number: str
    grade: Grade
    rationale: str
    # The moderator-reviewer conversation, required when the grades differ.
    conversation: str | None
    # The elements of the review the moderator sampled; moderations recorded before it was asked for have none.
    sampled: str | None = None


class ModerationOverdue(DomainEvent):
    event_type = "cycle.moderation_overdue"
    case_number: str
    due_at: AwareDatetime


class ModerationClosed(DomainEvent):
    event_type = "cycle.moderation_closed"
    report_due_at: AwareDatetime


class Narrative(Frozen):
    """A findings report's words, as the QA team wrote them (the framework's four headings)."""

    key_findings: str
    strengths: str
    areas_for_development: str
    recommendations: str

    def headed(self) -> list[tuple[str, str]]:
        """(heading, words) in the framework's order and words."""
        return [
            ("Key findings", self.key_findings),
            ("Areas of strength", self.strengths),
            ("Areas for development", self.areas_for_development),
            ("Recommendations", self.recommendations),
        ]

    @classmethod
    def of(cls, words: Frozen) -> Narrative:
        """The narrative of a report's request or a published findings event (which hold its fields among others)."""
        return cls.model_validate(words.model_dump(include=set(cls.model_fields)))


class FindingsReportPublished(DomainEvent):
    event_type = "cycle.report_published"
    markdown_path: str
    markdown_sha256: str
    html_path: str
    html_sha256: str
    grades: dict[str, int]
    moderated: int
    agreed: int
    # Defaulted: the reports recorded before a report could add actions to a plan have neither.
    plan_id: str | None = None
    plan_actions: tuple[str, ...] = ()
    # Defaulted: the reports recorded before they counted and summarised voices have neither.
    voices: dict[str, VoiceCount] = {}
    voices_summary: str | None = None
    # Defaulted: the reports recorded before their words were recorded beside their files have none (their files
    # hold them).
    narrative: Narrative | None = None


DUTIES = duties.family("cycle")

CYCLE_EVENTS = EventRegistry(
    CycleStarted,
    CycleFollows,
    SampleDrawn,
    ReviewerAllocated,
    ReviewSubmitted,
    ReviewsClosed,
    ModeratorAllocated,
    ReviewModerated,
    ModerationOverdue,
    ModeratorReallocated,
    ReviewerReallocated,
    ModerationClosed,
    FindingsReportPublished,
    *DUTIES,
)


class ReviewOutcome(Frozen):
    """What a review tells its cycle when it is submitted."""

    case_number: str
    grade: Grade
    late: bool


class Moderation(Frozen):
    moderator: str
    due_at: AwareDatetime
    grade: Grade | None = None
    rationale: str | None = None
    conversation: str | None = None
    sampled: str | None = None
    overdue: bool = False

    @property
    def done(self) -> bool:
        return self.grade is not None


class CycleCase(Frozen):
    case_number: str
    team: str
    practitioner: str
    reviewer: str | None = None
    review_id: str | None = None
    grade: Grade | None = None
    late: bool = False
    moderation: Moderation | None = None

    @property
    def submitted(self) -> bool:
        return self.grade is not None

    @property
    def agreed(self) -> bool | None:
        """Whether the moderator's grade matches the reviewer's (None until moderated)."""
        if self.moderation is None or not self.moderation.done:
            return None
        return self.moderation.grade == self.grade


class CycleState(Frozen):
    version: int
    service: str
    start: date
    sample_size: int
    review_due_at: AwareDatetime
    review_due_on: date
    started_by: str
    phase: Phase = "sampling"
    draw: SampleDraw | None = None
    snapshot_id: int | None = None
    cases: tuple[CycleCase, ...] = ()
    outstanding_at_close: tuple[str, ...] = ()
    report_due_at: AwareDatetime | None = None
    report: FindingsReportPublished | None = None
    duties: tuple[Duty, ...] = ()  # cycles recorded before their work became duties have none
    previous: str | None = None  # the service's cycle before this one (cycles started before record none)
    revisits: tuple[Revisit, ...] = ()

    @property
    def repeat_of(self) -> str | None:
        """The previous cycle, when a QAPM meeting decided to repeat it (this cycle being its repeat)."""
        return self.previous if any(r.repeat for r in self.revisits) else None

    @property
    def ended(self) -> bool:
        """The report is published: the QA team's duties are over (late reviews may still arrive)."""
        return self.phase == "complete"

    @property
    def allocated_moderators(self) -> bool:
        """Every submitted review has a moderator."""
        return all(c.moderation is not None for c in self.cases if c.submitted)

    def case(self, case_number: str) -> CycleCase | None:
        return next((c for c in self.cases if c.case_number == case_number), None)

    @property
    def unallocated(self) -> tuple[str, ...]:
        return tuple(c.case_number for c in self.cases if c.reviewer is None)

    @property
    def outstanding(self) -> tuple[str, ...]:
        return tuple(c.case_number for c in self.cases if not c.submitted)

    @property
    def in_review(self) -> tuple[str, ...]:
        """Allocated reviews not yet submitted."""
        return tuple(c.case_number for c in self.cases if c.review_id and not c.submitted)

    @property
    def awaiting_moderation(self) -> tuple[CycleCase, ...]:
        """Submitted reviews not yet moderated (allocated to a moderator or not)."""
        return tuple(c for c in self.cases if c.submitted and not (c.moderation and c.moderation.done))

    @property
    def next_moderation_due(self) -> CycleCase | None:
        """The allocated, unmoderated review whose window ends first and has not yet been flagged."""
        pending = [
            c for c in self.cases if c.moderation is not None and not c.moderation.done and not c.moderation.overdue
        ]
        return min(pending, key=lambda c: c.moderation.due_at, default=None)  # type: ignore[union-attr]

    @property
    def moderation_complete(self) -> bool:
        """Every review submitted by now is moderated (late reviews join when they arrive)."""
        return self.phase == "moderation" and not self.awaiting_moderation


def _replace_case(state: CycleState, case_number: str, **changes: object) -> tuple[CycleCase, ...]:
    return tuple(c.model_copy(update=changes) if c.case_number == case_number else c for c in state.cases)


def evolve(state: CycleState | None, event: DomainEvent, meta: EventMeta) -> CycleState:
    if state is None:
        if not isinstance(event, CycleStarted):
            raise ValueError(f"a cycle starts with cycle.started, not {event.event_type}")
        return CycleState(
            version=meta.version,
            started_by=owner(event, meta),
            **event.model_dump(exclude={"calendar_digest", "owner"}),
        )
    if (changed := duties.evolve_duties(state.duties, event, meta)) is not None:
        return state.model_copy(update={"version": meta.version, "duties": changed})
    match event:
        case CycleFollows():
            update: dict[str, object] = {"previous": event.previous, "revisits": event.revisits}
        case SampleDrawn():
            update = {
                "draw": event.draw,
                "snapshot_id": event.snapshot_id,
                "cases": tuple(CycleCase(**c.model_dump()) for c in event.cases),
                "phase": "reviewing",
            }
        case ReviewerAllocated():
            update = {
                "cases": _replace_case(state, event.case_number, reviewer=event.reviewer, review_id=event.review_id)
            }
        case ReviewSubmitted():
            update = {"cases": _replace_case(state, event.case_number, grade=event.grade, late=event.late)}
        case ReviewsClosed():
            update = {"phase": "moderation", "outstanding_at_close": event.outstanding}
        case ModeratorAllocated():
            moderation = Moderation(moderator=event.moderator, due_at=event.due_at)
            update = {"cases": _replace_case(state, event.case_number, moderation=moderation)}
        case ModeratorReallocated():
            moderation = Moderation(moderator=event.moderator, due_at=event.due_at)
            update = {"cases": _replace_case(state, event.case_number, moderation=moderation)}
        case ReviewerReallocated():
            update = {"cases": _replace_case(state, event.case_number, reviewer=event.reviewer)}
        case ReviewModerated():
            case = state.case(event.case_number)
            assert case is not None and case.moderation is not None
            moderation = case.moderation.model_copy(
                update={
                    "grade": event.grade,
                    "rationale": event.rationale,
                    "conversation": event.conversation,
                    "sampled": event.sampled,
                }
            )
            update = {"cases": _replace_case(state, event.case_number, moderation=moderation)}
        case ModerationOverdue():
            case = state.case(event.case_number)
            assert case is not None and case.moderation is not None
            moderation = case.moderation.model_copy(update={"overdue": True})
            update = {"cases": _replace_case(state, event.case_number, moderation=moderation)}
        case ModerationClosed():
            update = {"phase": "reporting", "report_due_at": event.report_due_at}
        case FindingsReportPublished():
            update = {"phase": "complete", "report": event}
        case _:
            raise ValueError(f"{event.event_type} does not belong to a cycle")
    return state.model_copy(update={"version": meta.version, **update})


class AllocateReviewer(ChangeRequest):
    case_number: str
    reviewer: str


def check_allocation(state: CycleState | None, request: AllocateReviewer) -> None:
    if state is None or state.phase == "sampling":
        raise Refusal("the sample is still being drawn; allocate once it is recorded")
    if state.phase != "reviewing":
        raise Refusal("the reviews of this cycle have closed; no more allocations")
    case = state.case(request.case_number)
    if case is None:
        sampled = ", ".join(c.case_number for c in state.cases)
        raise Refusal(f"case {request.case_number} is not in this cycle's sample ({sampled})")
    check_reviewer(request, case.reviewer, case.practitioner)


def check_reviewer(request: AllocateReviewer, reviewer: str | None, practitioner: str) -> None:
    """A sampled case takes one reviewer, never its own practitioner (a CPR cycle's and a case audit's rule)."""
    if reviewer is not None:
        raise Refusal(f"case {request.case_number} already has a reviewer ({reviewer})")
    _not_their_own(request.reviewer, request.case_number, practitioner)


def check_new_reviewer(
    request: ReallocateReviewer, reviewer: str | None, practitioner: str, submitted: bool, what: str
) -> None:
    """A case not yet submitted goes to another reviewer, never its own practitioner, for a reason (a CPR cycle's
    and a case audit's rule); `what` names the submitted work in a refusal ("the review of case X")."""
    if reviewer is None:
        raise Refusal(f"case {request.case_number} has no reviewer yet: allocate one")
    if submitted:
        raise Refusal(f"{what} was submitted by {reviewer}; it is done")
    if request.reviewer == reviewer:
        raise Refusal(f"{request.reviewer} already reviews case {request.case_number}")
    _not_their_own(request.reviewer, request.case_number, practitioner)
    required_text(request.reason, "the reason for the change (absence, conflict of interest)")


def _not_their_own(reviewer: str, case_number: str, practitioner: str) -> None:
    if reviewer == practitioner:
        raise Refusal(
            f"{reviewer} is the allocated practitioner for case {case_number} and cannot review their own work"
        )


class AllocateModerator(ChangeRequest):
    case_number: str
    moderator: str


class ReallocateModerator(ChangeRequest):
    case_number: str
    moderator: str
    reason: str


class ReallocateReviewer(ChangeRequest):
    case_number: str
    reviewer: str
    reason: str


class ModerateReview(ChangeRequest):
    case_number: str
    # The agreed grade, and the grade of record: the moderator's, after their conversation with the reviewer where
    # the two differ (Appendix 2: moderation makes the reviews' outcomes consistent).
    grade: Grade = Field(title="The agreed grade")
    rationale: str
    conversation: str | None = None
    # Required (check_moderation); None only in moderations recorded before it was asked for.
    sampled: str | None = Field(
        None, title="The elements of the review you sampled (e.g. the rubric's assessment domain, the plan)"
    )


class PublishReport(ChangeRequest):
    """The QA team's analysis, and the SMART actions it adds to an action plan (if any).

    The figures (grades, moderation, rubric) are computed from the records. A CPR
    cycle's report and a case audit's findings are published with the same words.
    """

    key_findings: str
    strengths: str
    areas_for_development: str
    recommendations: str
    # What children and families said, in the QA team's words: a CPR report needs it (every review seeks both voices);
    # a case audit's findings may give it.
    voices_summary: str | None = Field(None, title="What children and families said (the QA team's summary)")
    plan_id: str | None = None
    actions: tuple[SmartAction, ...] = ()


def _submitted_case(state: CycleState | None, case_number: str) -> CycleCase:
    if state is None or state.phase in ("sampling", "reviewing"):
        raise Refusal("moderation starts once the reviews close")
    if state.phase != "moderation":
        raise Refusal("moderation of this cycle has ended")
    case = state.case(case_number)
    if case is None:
        raise Refusal(f"case {case_number} is not in this cycle's sample")
    if not case.submitted:
        raise Refusal(f"the review of case {case_number} has not been submitted yet; moderate it once it is")
    return case


def check_moderator_allocation(state: CycleState | None, request: AllocateModerator) -> None:
    case = _submitted_case(state, request.case_number)
    if case.moderation is not None:
        raise Refusal(f"the review of case {request.case_number} already has a moderator ({case.moderation.moderator})")
    _independent(case, request.moderator)


def _independent(case: CycleCase, moderator: str) -> None:
    """A moderator is neither the review's reviewer nor its practitioner."""
    if moderator == case.reviewer:
        raise Refusal(f"{moderator} reviewed case {case.case_number} and cannot moderate their own review")
    if moderator == case.practitioner:
        raise Refusal(f"{moderator} is the practitioner for case {case.case_number} and cannot moderate it")


def check_moderator_reallocation(state: CycleState | None, request: ReallocateModerator) -> None:
    case = _submitted_case(state, request.case_number)
    if case.moderation is None:
        raise Refusal(f"the review of case {request.case_number} has no moderator yet: allocate one")
    if case.moderation.done:
        raise Refusal(f"the review of case {request.case_number} was already moderated by {case.moderation.moderator}")
    if request.moderator == case.moderation.moderator:
        raise Refusal(f"{request.moderator} already moderates the review of case {request.case_number}")
    _independent(case, request.moderator)
    required_text(request.reason, "the reason for the change (absence, conflict of interest)")


def check_reviewer_reallocation(state: CycleState | None, request: ReallocateReviewer) -> None:
    if state is None or state.phase == "sampling":
        raise Refusal("the sample is still being drawn")
    case = state.case(request.case_number)
    if case is None:
        raise Refusal(f"case {request.case_number} is not in this cycle's sample")
    what = f"the review of case {request.case_number}"
    check_new_reviewer(request, case.reviewer, case.practitioner, case.submitted, what)


def check_moderation(state: CycleState | None, request: ModerateReview, sampled: bool = True) -> None:
    """`sampled`: whether the note of what was sampled is required (False only for one replayed from before)."""
    case = _submitted_case(state, request.case_number)
    if case.moderation is None:
        raise Refusal(f"the review of case {request.case_number} has no moderator yet: a QA officer allocates one")
    if request.actor != case.moderation.moderator:
        raise Refusal(
            f"only the allocated moderator ({case.moderation.moderator}) can moderate case {request.case_number}"
        )
    if case.moderation.done:
        raise Refusal(f"the review of case {request.case_number} was already moderated")
    if not request.rationale.strip():
        raise Refusal("the moderation needs a rationale")
    if sampled:
        required_text(request.sampled, "the elements of the review you sampled")
    check_text("the moderation's rationale", request.rationale)
    check_text("the conversation with the reviewer", request.conversation)
    if request.grade != case.grade and not (request.conversation and request.conversation.strip()):
        raise Refusal(
            f"your grade ({request.grade.value}) differs from the reviewer's ({case.grade.value if case.grade else '-'}):"
            f" record your conversation with {case.reviewer}"
        )


def empty_parts(request: PublishReport) -> list[str]:
    """The parts of the QA team's analysis left empty, as a person names them (a part over its limit
    is refused)."""
    parts = {name.replace("_", " "): getattr(request, name) for name in REPORT_PARTS}
    for name, text in parts.items():
        check_text(f"the {name}", text)
    check_text("the summary of what children and families said", request.voices_summary)
    return [name for name, text in parts.items() if not text.strip()]


REPORT_PARTS = ("key_findings", "strengths", "areas_for_development", "recommendations")


def check_plan_actions(request: PublishReport, today: date) -> None:
    """Actions name the plan they go to, a plan named gets actions, and every action is SMART."""
    if request.actions and not (request.plan_id and request.plan_id.strip()):
        raise Refusal("say which action plan the actions go to")
    if request.plan_id and not request.actions:
        raise Refusal(f"no actions to add to {request.plan_id}: give the actions, or leave the plan out")
    check_smart_actions(request.actions, today)


def check_publication(state: CycleState | None, request: PublishReport, today: date, voices: bool = True) -> None:
    """`voices`: whether the summary of what children and families said is required (False only for a report
    replayed from before it was)."""
    if state is None or state.phase != "reporting":
        raise Refusal("the findings report follows the end of moderation")
    empty = empty_parts(request)
    if empty:
        raise Refusal(f"the findings report needs {', '.join(empty)}")
    if voices:
        required_text(request.voices_summary, "the QA team's summary of what children and families said")
    check_plan_actions(request, today)


# --- the kind ---------------------------------------------------------------------------------


def _named(state: CycleState) -> set[str]:
    named = {state.started_by}
    for case in state.cases:
        named.update(p for p in (case.practitioner, case.reviewer) if p)
        if case.moderation is not None:
            named.add(case.moderation.moderator)
    return named


def _report(p: Mapping[str, Any]) -> str:
    grades = ", ".join(f"{n} {g}" for g, n in p["grades"].items() if n) or "no grades"
    return (
        f"findings report published: {grades}; {p['agreed']} of {p['moderated']} moderations agreed;"
        f" Markdown SHA-256 {p['markdown_sha256'][:12]}..., HTML SHA-256 {p['html_sha256'][:12]}..." + actions_added(p)
    )


KIND = Kind(
    name="CPR cycle",
    prefix="cycle.",
    events=CYCLE_EVENTS,
    evolve=evolve,
    workflow_type="CprCycle",
    closing=("cycle.report_published",),
    show=("cpr", "show"),
    people=_named,
    duty_title="CPR cycles: allocations, moderations and findings reports",
    case_numbers=lambda s: [case.case_number for case in s.cases],
    words={
        "cycle.started": lambda p: (
            f"CPR cycle of {p['service']} started on {p['start']}: sample of {p['sample_size']},"
            f" reviews due {due(p['review_due_at'])}"
        ),
        "cycle.follows": lambda p: (
            f"follows {p['previous']}"
            + "".join(
                f"; {r['meeting_id']} on {r['item']}: "
                + ("repeat the whole cycle" if r["repeat"] else "revisit")
                + (f": {r['areas']}" if r["areas"] else "")
                for r in p["revisits"]
            )
        ),
        "cycle.sample_drawn": sample_drawn,
        "cycle.reviewer_allocated": lambda p: (
            f"case {p['case_number']} allocated to reviewer {p['reviewer']} (review {p['review_id']})"
        ),
        "cycle.review_submitted": lambda p: (
            f"review of case {p['case_number']} submitted{' late' if p['late'] else ''}, graded {p['grade']}"
        ),
        "cycle.reviews_closed": reviews_closed,
        "cycle.moderator_allocated": lambda p: (
            f"review of case {p['case_number']} allocated to moderator {p['moderator']}, due {due(p['due_at'])}"
        ),
        "cycle.review_moderated": lambda p: (
            f"review of case {p['case_number']} moderated: {p['grade']}: {p['rationale']}"
            + (f"; sampled: {p['sampled']}" if p.get("sampled") else "")
            + (f"; conversation with the reviewer: {p['conversation']}" if p.get("conversation") else "")
        ),
        "cycle.moderator_reallocated": lambda p: (
            f"review of case {p['case_number']} reallocated from moderator {p['previous']} to {p['moderator']},"
            f" due {due(p['due_at'])}: {p['reason']}"
        ),
        "cycle.reviewer_reallocated": lambda p: (
            f"case {p['case_number']} reallocated from reviewer {p['previous']} to {p['reviewer']}: {p['reason']}"
        ),
        "cycle.moderation_overdue": lambda p: (
            f"moderation of case {p['case_number']} overdue (was due {due(p['due_at'])})"
        ),
        "cycle.moderation_closed": lambda p: f"moderation closed; findings report due {due(p['report_due_at'])}",
        "cycle.report_published": _report,
    }
    | DUTIES.words,
)
