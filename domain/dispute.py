"""A dispute about a review: the ladder from conversation to final decision.

The framework's dispute process, about the actions, final judgement or opinion
of the reviewer: the reviewer and practitioner talk first (stage 1); if they
cannot agree (or it is deemed helpful) an independent third-party moderator,
allocated by a QA officer, moderates and then holds a three-way conversation
(stage 2); if disagreement continues the Head of QA decides, or the principal
social worker for an independent overview when the Head of QA is directly
involved (stage 3). Each stage records the issues and its decision; the final
stage's decision is final.

Every stage has a window of working days. A stage whose window passes without
a decision is passed on to the next one by the engine ("window passed"); the
last stage is then marked overdue and chased instead. The due moments are
computed outside (by the working-day clock) and arrive in the events.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from pydantic import AwareDatetime, Field

from domain import duties
from domain.duties import Duty
from domain.errors import Refusal
from domain.events import DomainEvent, EventMeta, EventRegistry
from domain.frozen import Frozen
from domain.kinds import Kind
from domain.requests import ChangeRequest
from domain.review import ReviewState
from domain.rubric import Grade
from domain.text import required_text
from domain.wording import due, people

About = Literal["actions", "judgement", "opinion"]
Stage = Literal["reviewer_practitioner", "moderator", "head_of_qa", "principal_social_worker"]
Decision = Literal["resolved", "not_resolved"]
StageDecision = Literal["resolved", "not_resolved", "final"]
Status = Literal["open", "resolved", "decided"]
EscalationReason = Literal["not resolved", "window passed"]
MomentKind = Literal["reminder", "window"]

DEFAULT_WINDOW = 10  # working days for each stage
MAX_WINDOW = 60

FINAL_STAGES: tuple[Stage, ...] = ("head_of_qa", "principal_social_worker")
STAGE_NUMBER: dict[Stage, int] = {
    "reviewer_practitioner": 1,
    "moderator": 2,
    "head_of_qa": 3,
    "principal_social_worker": 3,
}
STAGE_TITLE: dict[Stage, str] = {
    "reviewer_practitioner": "conversation between the reviewer and the practitioner",
    "moderator": "independent moderation and a three-way conversation",
    "head_of_qa": "decision of the Head of QA",
    "principal_social_worker": "independent overview by the principal social worker",
}


def dispute_id(review_id: str, number: int) -> str:
    """The workflow id (and audit stream) of a review's Nth dispute."""
    return f"{review_id}-dispute-{number}"


def stage_label(stage: Stage) -> str:
    return f"stage {STAGE_NUMBER[stage]} ({STAGE_TITLE[stage]})"


# --- events -----------------------------------------------------------------------------------


class DisputeRaised(DomainEvent):
    event_type = "dispute.raised"
    review_id: str
    case_number: str
    reviewer: str
    practitioner: str
    raised_by: str
    about: About
    issues: str
    window_working_days: int
    # Each stage's owners hold a duty (domain.duties), reminded, and at the last stage chased and escalated, as every
    # duty is. Disputes raised before were reminded and chased on their own (dispute.reminded, dispute.overdue).
    chased_as_duties: bool = False


class StageOpened(DomainEvent):
    """A stage of the ladder begins: who owns it, and when its window closes."""

    event_type = "dispute.stage_opened"
    stage: Stage
    owners: tuple[str, ...]
    due_at: AwareDatetime
    calendar_digest: str
    remind_at: AwareDatetime | None = None
    note: str = ""


class ConversationRecorded(DomainEvent):
    """Stage 1: the reviewer and practitioner's conversation, its issues and decision."""

    event_type = "dispute.conversation_recorded"
    issues: str
    decision: Decision
    outcome: str


class ModeratorAllocated(DomainEvent):
    """Stage 2: the independent moderator; their window runs from the allocation."""

    event_type = "dispute.moderator_allocated"
    moderator: str
    due_at: AwareDatetime
    calendar_digest: str
    remind_at: AwareDatetime | None = None


class ModeratorReallocated(DomainEvent):
    """Stage 2: the QA team gives the dispute another moderator (absence, conflict); their window starts now, and
    they moderate afresh."""

    event_type = "dispute.moderator_reallocated"
    moderator: str
    previous: str
    reason: str
    due_at: AwareDatetime
    calendar_digest: str
    remind_at: AwareDatetime | None = None


class ModerationRecorded(DomainEvent):
    """Stage 2: the moderator's independent view, before the three-way conversation."""

    event_type = "dispute.moderation_recorded"
    moderation: str


class ThreeWayRecorded(DomainEvent):
    """Stage 2: the three-way conversation (the moderation template): issues of disagreement and decision."""

    event_type = "dispute.three_way_recorded"
    issues: str
    decision: Decision
    outcome: str


class FinalDecisionRecorded(DomainEvent):
    """Stage 3: the Head of QA's (or principal social worker's) decision, which is final."""

    event_type = "dispute.decided"
    issues: str
    decision: str
    # The grade of record the decision sets (a dispute about the judgement); None: the decision leaves it be. Recorded
    # decisions before a decision could set it have none.
    grade: Grade | None = None


class DisputeReminded(DomainEvent):
    event_type = "dispute.reminded"
    stage: Stage
    recipients: tuple[str, ...]


class DisputeEscalated(DomainEvent):
    """The dispute passes to the next stage: not resolved, or the stage's window passed."""

    event_type = "dispute.escalated"
    from_stage: Stage
    to_stage: Stage
    reason: EscalationReason


class StageOverdue(DomainEvent):
    """The last stage's window passed without a decision: there is no stage after it, so it is chased."""

    event_type = "dispute.overdue"
    stage: Stage
    recipients: tuple[str, ...]


DUTIES = duties.family("dispute")


def stage_duty(stage: Stage, owner: str) -> str:
    """The key of one owner's duty at a stage."""
    return f"stage-{STAGE_NUMBER[stage]}-{owner}"


def stage_work(case_number: str, practitioner: str, stage: Stage, moderator: str | None) -> str:
    """What the owners of `stage` are to do, in words completing "<owner> is to ..."."""
    case = f"the review of case {case_number}"
    match stage:
        case "reviewer_practitioner":
            return f"hold the dispute conversation with {practitioner} about {case}"
        case "moderator" if moderator is None:
            return f"allocate an independent moderator to the dispute about {case}"
        case "moderator":
            return f"moderate the dispute about {case} and hold the three-way conversation"
        case "head_of_qa":
            return f"decide the dispute about {case} (Head of QA)"
        case _:
            return f"give an independent overview and decide the dispute about {case}"


DISPUTE_EVENTS = EventRegistry(
    DisputeRaised,
    StageOpened,
    ConversationRecorded,
    ModeratorAllocated,
    ModerationRecorded,
    ThreeWayRecorded,
    FinalDecisionRecorded,
    DisputeReminded,
    DisputeEscalated,
    StageOverdue,
    ModeratorReallocated,
    *DUTIES,
)


# --- state ------------------------------------------------------------------------------------


class Moment(Frozen):
    """The next moment the engine acts on a stage by itself: a reminder, or the end of the window."""

    stage: Stage
    kind: MomentKind
    at: AwareDatetime


class StageRecord(Frozen):
    stage: Stage
    owners: tuple[str, ...]
    opened_at: AwareDatetime
    due_at: AwareDatetime
    remind_at: AwareDatetime | None = None
    note: str = ""
    moderator: str | None = None
    allocated_by: str | None = None
    allocated_at: AwareDatetime | None = None
    moderation: str | None = None
    moderated_at: AwareDatetime | None = None
    issues: str | None = None
    decision: StageDecision | None = None
    outcome: str | None = None
    decided_by: str | None = None
    decided_at: AwareDatetime | None = None
    reminded: bool = False
    overdue: bool = False
    escalated_at: AwareDatetime | None = None
    escalation_reason: EscalationReason | None = None

    @property
    def number(self) -> int:
        return STAGE_NUMBER[self.stage]

    @property
    def final(self) -> bool:
        return self.stage in FINAL_STAGES


class DisputeState(Frozen):
    version: int
    review_id: str
    case_number: str
    reviewer: str
    practitioner: str
    raised_by: str
    raised_at: AwareDatetime
    about: About
    issues: str
    window_working_days: int
    status: Status = "open"
    stages: tuple[StageRecord, ...] = ()
    closed_at: AwareDatetime | None = None
    grade: Grade | None = None  # the grade of record its final decision set, if it set one
    chased_as_duties: bool = False
    duties: tuple[Duty, ...] = ()

    @property
    def ended(self) -> bool:
        return self.status != "open"

    def stage_duties(self, stage: Stage) -> tuple[str, ...]:
        """The keys of the stage's duties still open."""
        prefix = f"stage-{STAGE_NUMBER[stage]}-"
        return tuple(d.key for d in self.duties if d.open and d.key.startswith(prefix))

    @property
    def current(self) -> StageRecord | None:
        return self.stages[-1] if self.stages else None

    @property
    def stage(self) -> Stage | None:
        return self.stages[-1].stage if self.stages else None

    @property
    def moderator(self) -> str | None:
        return next((s.moderator for s in self.stages if s.stage == "moderator"), None)

    @property
    def parties(self) -> tuple[str, ...]:
        """Everyone the dispute is between or was moderated by, to be told how it goes."""
        return tuple(p for p in (self.reviewer, self.practitioner, self.moderator) if p is not None)

    @property
    def next_moment(self) -> Moment | None:
        """While a stage awaits its decision: its reminder (once), then the end of its window (once)."""
        stage = self.current
        if self.status != "open" or stage is None or stage.decision is not None:
            return None
        if stage.remind_at is not None and not stage.reminded and stage.remind_at < stage.due_at:
            return Moment(stage=stage.stage, kind="reminder", at=stage.remind_at)
        if self.chased_as_duties and stage.final:
            return None  # its owners' duties are chased past the window: there is no stage to pass it on to
        if not stage.overdue:
            return Moment(stage=stage.stage, kind="window", at=stage.due_at)
        return None


def _with_current(state: DisputeState, **changes: object) -> tuple[StageRecord, ...]:
    current = state.current
    if current is None:
        raise ValueError("the dispute has no stage open")
    return (*state.stages[:-1], current.model_copy(update=changes))


def evolve(state: DisputeState | None, event: DomainEvent, meta: EventMeta) -> DisputeState:
    if state is None:
        if not isinstance(event, DisputeRaised):
            raise ValueError(f"a dispute starts with dispute.raised, not {event.event_type}")
        return DisputeState(version=meta.version, raised_at=meta.business_time, **event.model_dump())

    at = meta.business_time
    update: dict[str, object]
    if (changed := duties.evolve_duties(state.duties, event, meta)) is not None:
        return state.model_copy(update={"version": meta.version, "duties": changed})
    match event:
        case StageOpened():
            opened = StageRecord(
                stage=event.stage,
                owners=event.owners,
                opened_at=at,
                due_at=event.due_at,
                remind_at=event.remind_at,
                note=event.note,
            )
            update = {"stages": (*state.stages, opened)}
        case ConversationRecorded() | ThreeWayRecorded():
            decided = {
                "issues": event.issues,
                "decision": event.decision,
                "outcome": event.outcome,
                "decided_by": meta.actor,
                "decided_at": at,
            }
            update = {"stages": _with_current(state, **decided)}
            if event.decision == "resolved":
                update |= {"status": "resolved", "closed_at": at}
        case ModeratorAllocated() | ModeratorReallocated():
            allocated: dict[str, object] = {
                "moderator": event.moderator,
                "owners": (event.moderator,),
                "allocated_by": meta.actor,
                "allocated_at": at,
                "due_at": event.due_at,
                "remind_at": event.remind_at,
                "reminded": False,
                "overdue": False,
            }
            if isinstance(event, ModeratorReallocated):  # the new moderator moderates afresh
                allocated |= {"moderation": None, "moderated_at": None}
            update = {"stages": _with_current(state, **allocated)}
        case ModerationRecorded():
            update = {"stages": _with_current(state, moderation=event.moderation, moderated_at=at)}
        case FinalDecisionRecorded():
            decided = {
                "issues": event.issues,
                "decision": "final",
                "outcome": event.decision,
                "decided_by": meta.actor,
                "decided_at": at,
            }
            update = {
                "stages": _with_current(state, **decided),
                "status": "decided",
                "closed_at": at,
                "grade": event.grade,
            }
        case DisputeReminded():
            update = {"stages": _with_current(state, reminded=True)}
        case DisputeEscalated():
            update = {"stages": _with_current(state, escalated_at=at, escalation_reason=event.reason)}
        case StageOverdue():
            update = {"stages": _with_current(state, overdue=True)}
        case _:
            raise ValueError(f"{event.event_type} does not belong to a dispute")
    return state.model_copy(update={"version": meta.version, **update})


# --- who decides at the last stage ------------------------------------------------------------


class FinalStage(Frozen):
    stage: Stage
    owners: tuple[str, ...] = Field(min_length=1)
    note: str = ""


def involvement(state: DisputeState) -> dict[str, str]:
    """Who is directly involved in the dispute, and how."""
    involved = {state.practitioner: "the practitioner", state.reviewer: "the reviewer"}
    if state.moderator is not None:
        involved.setdefault(state.moderator, "the stage-2 moderator")
    return involved


def final_stage(
    state: DisputeState, heads_of_qa: Sequence[str], principal_social_workers: Sequence[str]
) -> FinalStage | None:
    """The Head of QA, unless they are directly involved: then the principal social worker.

    None when the directory holds nobody independent who could decide.
    """
    involved = involvement(state)
    if heads_of_qa and not any(head in involved for head in heads_of_qa):
        return FinalStage(stage="head_of_qa", owners=tuple(heads_of_qa))
    head = next((h for h in heads_of_qa if h in involved), None)
    why = (
        f"the Head of QA ({head}) is directly involved as {involved[head]}"
        if head is not None
        else "the directory lists no Head of QA"
    )
    independent = tuple(p for p in principal_social_workers if p not in involved)
    if not independent:
        return None
    return FinalStage(
        stage="principal_social_worker",
        owners=independent,
        note=f"{why}: passed to the principal social worker for independent overview",
    )


# --- requests (one per update) ----------------------------------------------------------------


class RecordConversation(ChangeRequest):
    issues: str
    decision: Decision
    outcome: str


class AllocateModerator(ChangeRequest):
    moderator: str


class ReallocateModerator(ChangeRequest):
    moderator: str
    reason: str


class RecordModeration(ChangeRequest):
    moderation: str


class RecordThreeWay(ChangeRequest):
    issues: str
    decision: Decision
    outcome: str


class RecordDecision(ChangeRequest):
    issues: str
    decision: str
    grade: Grade | None = Field(None, title="The grade of record, where the decision changes it")


# --- rules ------------------------------------------------------------------------------------


def raise_problem(reviewer: str, practitioner: str, raised_by: str, issues: str) -> str | None:
    """Why a dispute cannot be raised as asked, or None."""
    if reviewer == practitioner:
        return f"{reviewer} cannot be both the reviewer and the practitioner"
    if raised_by not in (reviewer, practitioner):
        return f"a dispute is raised by the reviewer ({reviewer}) or the practitioner ({practitioner}), not {raised_by}"
    if not issues.strip():
        return "the issues in dispute cannot be empty"
    return None


def review_problem(review: ReviewState | None, review_id: str, raised_by: str, issues: str) -> str | None:
    """Why a dispute about `review_id` (its state as recorded, None if none is) cannot be raised by
    `raised_by`, or None: a graded review, raised by its reviewer or its practitioner."""
    if review is None:
        return f"no review with id {review_id!r} is recorded"
    problem = raise_problem(review.reviewer, review.practitioner, raised_by, issues)
    if problem is not None:
        return problem
    if review.grade is None:
        return (
            f"the review of case {review.case_number} has no grade yet: a dispute is about the reviewer's"
            " actions, judgement or opinion once they have judged"
        )
    return None


def _raised(state: DisputeState | None) -> DisputeState:
    if state is None or state.current is None:
        raise Refusal("the dispute is still being set up; try again in a moment")
    return state


def _open_at(state: DisputeState | None, stages: Sequence[Stage], what: str) -> StageRecord:
    """The current stage, if the dispute is open, at one of `stages`, and still awaiting its decision."""
    state = _raised(state)
    current = state.current
    assert current is not None
    if state.status != "open":
        how = "resolved" if state.status == "resolved" else "decided"
        raise Refusal(
            f"the dispute about the review of case {state.case_number} was {how} at {stage_label(current.stage)};"
            " it is closed"
        )
    if current.stage not in stages:
        wanted = stage_label(stages[0]) if len(stages) == 1 else f"stage {STAGE_NUMBER[stages[0]]}"
        raise Refusal(f"{what} belongs to {wanted}; the dispute is at {stage_label(current.stage)}")
    if current.decision is not None:
        raise Refusal(
            f"{stage_label(current.stage)} already has its decision ({current.decision.replace('_', ' ')});"
            " the dispute is being passed to the next stage"
        )
    return current


def check_conversation(state: DisputeState | None, request: RecordConversation) -> None:
    _open_at(state, ("reviewer_practitioner",), "the reviewer and practitioner's conversation")
    assert state is not None
    if request.actor not in (state.reviewer, state.practitioner):
        raise Refusal(
            f"only the reviewer ({state.reviewer}) or the practitioner ({state.practitioner})"
            " can record their conversation"
        )
    required_text(request.issues, "the issues discussed")
    required_text(request.outcome, "what was agreed (or where you still disagree)")


def check_allocation(state: DisputeState | None, request: AllocateModerator) -> None:
    current = _open_at(state, ("moderator",), "allocating a moderator")
    assert state is not None
    if current.moderator is not None:
        raise Refusal(f"{current.moderator} is already the moderator of this dispute")
    _independent(state, request)


def check_reallocation(state: DisputeState | None, request: ReallocateModerator) -> None:
    current = _open_at(state, ("moderator",), "reallocating the moderator")
    assert state is not None
    if current.moderator is None:
        raise Refusal("no moderator is allocated yet: allocate one")
    if request.moderator == current.moderator:
        raise Refusal(f"{request.moderator} already moderates this dispute")
    _independent(state, request)
    required_text(request.reason, "the reason for the change (absence, conflict of interest)")


def _independent(state: DisputeState, request: AllocateModerator | ReallocateModerator) -> None:
    """Nobody in the dispute chooses its moderator, and the moderator is neither of them."""
    if request.actor in (state.reviewer, state.practitioner):
        raise Refusal(f"{request.actor} is a party to the dispute and cannot choose its moderator")
    for who, staff_id in (("reviewer", state.reviewer), ("practitioner", state.practitioner)):
        if request.moderator == staff_id:
            raise Refusal(
                f"{staff_id} is the {who} in this dispute; the moderator must be independent of both"
                f" {state.reviewer} and {state.practitioner}"
            )


def _moderator(state: DisputeState | None, request: ChangeRequest, what: str) -> StageRecord:
    current = _open_at(state, ("moderator",), what)
    if current.moderator is None:
        raise Refusal("no moderator is allocated yet: a QA officer allocates an independent moderator first")
    if request.actor != current.moderator:
        raise Refusal(f"only the moderator ({current.moderator}) can record {what}")
    return current


def check_moderation(state: DisputeState | None, request: RecordModeration) -> None:
    current = _moderator(state, request, "the independent moderation")
    if current.moderation is not None:
        raise Refusal("the independent moderation is already recorded; record the three-way conversation next")
    required_text(request.moderation, "the independent moderation")


def check_three_way(state: DisputeState | None, request: RecordThreeWay) -> None:
    current = _moderator(state, request, "the three-way conversation")
    if current.moderation is None:
        raise Refusal("the moderator moderates independently before the three-way conversation: record that first")
    required_text(request.issues, "the issues of disagreement")
    required_text(request.outcome, "what was agreed (or where disagreement continues)")


def check_decision(state: DisputeState | None, request: RecordDecision) -> None:
    current = _open_at(state, FINAL_STAGES, "the final decision")
    if request.actor not in current.owners:
        who = "the Head of QA" if current.stage == "head_of_qa" else "the principal social worker"
        raise Refusal(f"only {who} ({', '.join(current.owners)}) can decide at {stage_label(current.stage)}")
    required_text(request.issues, "the issues")
    required_text(request.decision, "the decision")
    if request.grade is not None and state is not None and state.about != "judgement":
        raise Refusal(
            f"this dispute is about the reviewer's {state.about}, not the judgement: its decision leaves the grade be"
        )


def check_moment(state: DisputeState | None, moment: Moment) -> None:
    """A reminder or a window's end is acted on only if it is still the next one (no decision, no new window)."""
    state = _raised(state)
    if state.next_moment != moment:
        raise Refusal(f"the dispute no longer waits for {moment.kind} at {moment.at.isoformat()}")


def check_not_resolved(state: DisputeState | None, stage: Stage) -> None:
    """A stage decided 'not resolved' is passed on once, and only from the stage it was decided at."""
    state = _raised(state)
    current = state.current
    assert current is not None
    if state.status != "open" or current.stage != stage or current.decision != "not_resolved":
        raise Refusal(f"the dispute is not waiting to leave {stage_label(stage)}")


def next_stage(stage: Stage) -> Literal["moderator", "final"]:
    if stage == "reviewer_practitioner":
        return "moderator"
    if stage == "moderator":
        return "final"
    raise ValueError(f"{stage_label(stage)} is the last stage")


# --- the kind ---------------------------------------------------------------------------------


def _named(state: DisputeState) -> set[str]:
    named = {state.reviewer, state.practitioner, state.raised_by}
    for stage in state.stages:
        named.update(stage.owners)
        named.update(p for p in (stage.moderator, stage.decided_by) if p)
    return named


def _stage(stage: str) -> str:
    number = {"reviewer_practitioner": 1, "moderator": 2}.get(stage, 3)
    return f"stage {number} ({STAGE_TITLE.get(stage, stage)})"  # type: ignore[call-overload]


KIND = Kind(
    name="dispute",
    prefix="dispute.",
    events=DISPUTE_EVENTS,
    evolve=evolve,
    workflow_type="Dispute",
    show=("dispute", "show"),
    people=_named,
    case_numbers=lambda s: [s.case_number],
    duty_title="Disputes: each stage's decision",
    words=DUTIES.words
    | {
        "dispute.raised": lambda p: (
            f"dispute about the reviewer's {p['about']} raised by {p['raised_by']} on review {p['review_id']}"
            f" (case {p['case_number']}): {p['issues']}"
        ),
        "dispute.stage_opened": lambda p: (
            f"{_stage(p['stage'])} opened for {people(p['owners'])}, due {due(p['due_at'])}"
            + (f"; {p['note']}" if p.get("note") else "")
        ),
        "dispute.conversation_recorded": lambda p: (
            f"reviewer and practitioner's conversation recorded, {p['decision'].replace('_', ' ')}: {p['outcome']}"
        ),
        "dispute.moderator_allocated": lambda p: f"moderator {p['moderator']} allocated, due {due(p['due_at'])}",
        "dispute.moderation_recorded": lambda p: f"independent moderation recorded: {p['moderation']}",
        "dispute.moderator_reallocated": lambda p: (
            f"moderator {p['previous']} replaced by {p['moderator']}, due {due(p['due_at'])}: {p['reason']}"
        ),
        "dispute.three_way_recorded": lambda p: (
            f"three-way conversation recorded, {p['decision'].replace('_', ' ')}: {p['outcome']}"
        ),
        "dispute.decided": lambda p: (
            f"final decision recorded: {p['decision']}"
            + (f"; the grade of record is now {p['grade']}" if p.get("grade") else "")
        ),
        "dispute.reminded": lambda p: f"{_stage(p['stage'])}: reminder sent to {people(p['recipients'])}",
        "dispute.escalated": lambda p: (
            f"passed from {_stage(p['from_stage'])} to {_stage(p['to_stage'])}: {p['reason']}"
        ),
        "dispute.overdue": lambda p: f"{_stage(p['stage'])} overdue: {people(p['recipients'])} told",
    },
)
