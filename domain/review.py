"""One child's Collaborative Practice Review: events, state, reducer and the rules for each step.

The steps follow the framework's CPR guidance: the reviewer seeks the voice of
the child and of the family or carer; the practitioner reflects with a scaling
question; the two hold a collaborative conversation; the reviewer records the
rubric evidence and a final grade with a rationale; recommended actions go to
supervision and the team manager records each one complete (the management
oversight record). A safeguarding alert can be raised at any moment.

Staff performance issues are deliberately absent: they never touch a child's
review record (see domain.staff_concern).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, time
from typing import Any, Literal

from pydantic import AwareDatetime, Field

from domain import duties
from domain.chasing import ChaseStep
from domain.duties import Duty
from domain.errors import Refusal
from domain.events import DomainEvent, EventMeta, EventRegistry
from domain.frozen import Frozen
from domain.kinds import Kind
from domain.requests import ChangeRequest
from domain.rubric import CRITERION_IDS, DOMAIN_IDS, Evidence, Grade
from domain.text import MAX_SHORT, required_text
from domain.wording import due, people
from domain.working_days import LONDON

END_OF_DAY = time(23, 59, 59)
Whose = Literal["child", "family"]
Status = Literal["open", "overdue", "submitted", "closed"]


# --- events -----------------------------------------------------------------------------------


class ReviewOpened(DomainEvent):
    event_type = "review.opened"
    cycle_id: str
    case_number: str
    service: str
    team: str
    practitioner: str
    reviewer: str
    team_manager: str
    head_of_service: str
    due_at: AwareDatetime
    calendar_digest: str
    chase: tuple[ChaseStep, ...]


class VoiceRecorded(DomainEvent):
    event_type = "review.voice_recorded"
    whose: Whose
    obtained: bool
    summary: str


class ReflectionRecorded(DomainEvent):
    event_type = "review.reflection_recorded"
    score: int
    pleased_with: str
    could_develop: str


class ReflectionNotObtained(DomainEvent):
    """The practitioner's reflection could not be obtained (long leave, left the authority): the review goes on."""

    event_type = "review.reflection_not_obtained"
    reason: str


class ReviewerReallocated(DomainEvent):
    """The QA team gave the review to another reviewer (told by the cycle); the new one carries on from here."""

    event_type = "review.reviewer_reallocated"
    reviewer: str
    previous: str
    reason: str


class ConversationRecorded(DomainEvent):
    event_type = "review.conversation_recorded"
    summary: str


class RubricJudged(DomainEvent):
    event_type = "review.rubric_judged"
    judgements: dict[str, Evidence]


class ReviewGraded(DomainEvent):
    event_type = "review.graded"
    grade: Grade
    rationale: str


class ReviewConcluded(DomainEvent):
    """The review's conclusion (Appendix 2): what is working well, and what could be done differently."""

    event_type = "review.concluded"
    working_well: str
    do_differently: str


class ActionRecommended(DomainEvent):
    event_type = "review.action_recommended"
    action_id: str
    action: str
    due_by: date


class ActionCompleted(DomainEvent):
    event_type = "review.action_completed"
    action_id: str
    oversight_note: str


class SafeguardingAlertRaised(DomainEvent):
    event_type = "review.safeguarding_alert_raised"
    alert_id: str
    concern: str
    notified: tuple[str, ...]


class AlertAcknowledged(DomainEvent):
    """One of the people an alert went to says they have it (the event's actor)."""

    event_type = "review.alert_acknowledged"
    alert_id: str


class ReviewSubmitted(DomainEvent):
    event_type = "review.submitted"


class ReviewExtended(DomainEvent):
    event_type = "review.extended"
    extra_working_days: int
    due_at: AwareDatetime
    calendar_digest: str
    chase: tuple[ChaseStep, ...]
    reason: str


class ReviewChased(DomainEvent):
    """A step of the chase schedule taken: a reminder, the breach, or an escalation."""

    event_type = "review.chased"
    step: ChaseStep
    recipients: tuple[str, ...]


class ActionOverdue(DomainEvent):
    """A recommended action not recorded complete by the end of its due date."""

    event_type = "review.action_overdue"
    action_id: str
    notified: tuple[str, ...]


class ReviewClosed(DomainEvent):
    event_type = "review.closed"


# The reviewer's review and the practitioner's reflection, each a duty (domain.duties) chased on its own. Reviews
# opened before record their one chase in review.opened and review.chased instead (their histories replay so).
DUTIES = duties.family("review")
REVIEW_DUTY, REFLECTION_DUTY = "review", "reflection"

REVIEW_EVENTS = EventRegistry(
    ReviewOpened,
    VoiceRecorded,
    ReflectionRecorded,
    ConversationRecorded,
    RubricJudged,
    ReviewGraded,
    ActionRecommended,
    ActionCompleted,
    SafeguardingAlertRaised,
    AlertAcknowledged,
    ReviewSubmitted,
    ReviewExtended,
    ReviewChased,
    ActionOverdue,
    ReviewClosed,
    ReflectionNotObtained,
    ReviewerReallocated,
    ReviewConcluded,
    *DUTIES,
)


# --- state ------------------------------------------------------------------------------------


class VoiceCount(Frozen):
    """How often a child's or family's voice was sought, and how often obtained (reports and the QAPM pack)."""

    sought: int = 0
    obtained: int = 0

    @property
    def not_obtained(self) -> int:
        return self.sought - self.obtained


def count_voices(voices: Iterable[tuple[Whose, bool]]) -> dict[Whose, VoiceCount]:
    """(whose, obtained) of each voice recorded, counted by whose: the child's first, then the family's."""
    counts: dict[Whose, VoiceCount] = {"child": VoiceCount(), "family": VoiceCount()}
    for whose, obtained in voices:
        counts[whose] = VoiceCount(sought=counts[whose].sought + 1, obtained=counts[whose].obtained + int(obtained))
    return counts


def voices_in_words(counts: Mapping[str, VoiceCount]) -> list[str]:
    """E.g. "Children: sought 6, obtained 5, not obtained 1." (one line each for children and families)."""
    names = {"child": "Children", "family": "Families"}
    return [
        f"{names[whose]}: sought {c.sought}, obtained {c.obtained}, not obtained {c.not_obtained}."
        for whose, c in counts.items()
    ]


class Voice(Frozen):
    obtained: bool
    summary: str
    recorded_at: AwareDatetime


class Conclusion(Frozen):
    working_well: str
    do_differently: str


class Reflection(Frozen):
    score: int
    pleased_with: str
    could_develop: str
    recorded_at: AwareDatetime


class RecommendedAction(Frozen):
    action_id: str
    action: str
    due_by: date
    completed_at: AwareDatetime | None = None
    completed_by: str | None = None
    oversight_note: str | None = None
    overdue: bool = False

    @property
    def due_at(self) -> datetime:
        """The end of its due date, local time: 'by' a date means by the end of it."""
        return datetime.combine(self.due_by, END_OF_DAY, LONDON)


class SafeguardingAlert(Frozen):
    alert_id: str
    concern: str
    raised_by: str
    raised_at: AwareDatetime
    notified: tuple[str, ...]
    acknowledged: dict[str, AwareDatetime] = {}  # by whom of `notified`, when

    @property
    def awaited(self) -> tuple[str, ...]:
        """Who of those it went to has not yet acknowledged it."""
        return tuple(p for p in self.notified if p not in self.acknowledged)


class ReviewState(Frozen):
    version: int
    cycle_id: str
    case_number: str
    service: str
    team: str
    practitioner: str
    reviewer: str
    team_manager: str
    head_of_service: str
    opened_at: AwareDatetime
    due_at: AwareDatetime
    status: Status = "open"
    voices: dict[Whose, Voice] = {}
    reflection: Reflection | None = None
    reflection_not_obtained: str | None = None  # why, when it could not be obtained
    conversation: str | None = None
    judgements: dict[str, Evidence] = {}
    grade: Grade | None = None
    rationale: str | None = None
    conclusion: Conclusion | None = None
    actions: tuple[RecommendedAction, ...] = ()
    alerts: tuple[SafeguardingAlert, ...] = ()
    extensions: tuple[str, ...] = ()
    chase: tuple[ChaseStep, ...] = ()
    chased: int = 0
    escalation_level: int = 0
    submitted_at: AwareDatetime | None = None
    late: bool = False
    duties: tuple[Duty, ...] = ()

    @property
    def ended(self) -> bool:
        return self.status in ("submitted", "closed")

    @property
    def open_actions(self) -> tuple[RecommendedAction, ...]:
        return tuple(a for a in self.actions if a.completed_at is None)

    @property
    def reflection_awaited(self) -> bool:
        """The practitioner's reflection is neither given nor recorded as not obtained."""
        return self.reflection is None and self.reflection_not_obtained is None

    def findings(self) -> tuple[str, str]:
        """The subject and body that tell the practitioner and the head of service a submitted review's grade
        and actions ("closing the loop"): the case number, never the child's name."""
        assert self.grade is not None  # check_submit: a review is graded before it is submitted
        actions = "".join(f"\n{a.action_id}. {a.action} (by {a.due_by.isoformat()})" for a in self.actions)
        return (
            f"The review of case {self.case_number} is submitted: {self.grade.value}",
            f"Graded {self.grade.value} by {self.reviewer}."
            + (f" Its recommended actions, for supervision with {self.team_manager}:{actions}" if actions else ""),
        )

    @property
    def next_chase(self) -> ChaseStep | None:
        """The next reminder or escalation due, while the review is still awaited."""
        if self.status in ("open", "overdue") and self.chased < len(self.chase):
            return self.chase[self.chased]
        return None

    @property
    def next_action_due(self) -> RecommendedAction | None:
        """The open action due first that has not yet been flagged overdue."""
        waiting = [a for a in self.open_actions if not a.overdue]
        return min(waiting, key=lambda a: (a.due_by, a.action_id), default=None)

    @property
    def still_needed(self) -> list[str]:
        """What the review lacks before it can be submitted, in the framework's order."""
        return self.needed()

    def needed(self, conclusion: bool = True) -> list[str]:
        """`still_needed`; without the conclusion for a review recorded before one was asked for (replayed, its
        submission must be judged by the rule it was made under)."""
        needed = [f"the {w}'s voice" for w in ("child", "family") if w not in self.voices]
        if self.reflection_awaited:
            needed.append(f"the reflection of {self.practitioner}")
        if self.conversation is None:
            needed.append("the collaborative conversation")
        if missing := self.missing_criteria:
            needed.append(f"rubric evidence for {len(missing)} criteria ({missing[0]}, ...)")
        if self.grade is None:
            needed.append("the grade and rationale")
        if conclusion and self.conclusion is None:
            needed.append("the conclusion (what is working well, what could be done differently)")
        return needed

    @property
    def missing_criteria(self) -> list[str]:
        return sorted(CRITERION_IDS - self.judgements.keys(), key=_criterion_order)


def _criterion_order(criterion_id: str) -> tuple[int, int]:
    """The document's order: Basic Information first, then Assessment, ..."""
    domain, _, number = criterion_id.partition(".")
    return DOMAIN_IDS.index(domain), int(number)


def evolve(state: ReviewState | None, event: DomainEvent, meta: EventMeta) -> ReviewState:
    if state is None:
        if not isinstance(event, ReviewOpened):
            raise ValueError(f"a review starts with review.opened, not {event.event_type}")
        fields = event.model_dump(exclude={"calendar_digest"})
        return ReviewState(version=meta.version, opened_at=meta.business_time, **fields)

    at = meta.business_time
    update: dict[str, object]
    if (changed := duties.evolve_duties(state.duties, event, meta)) is not None:
        update = {"duties": changed}
        if isinstance(event, duties.DutyChased) and event.key == REVIEW_DUTY:
            # The review's own deadline: its breach and escalation are the review's status, as a chase was.
            if event.step.kind == "overdue":
                update["status"] = "overdue"
            elif event.step.kind == "escalation":
                update["escalation_level"] = event.step.level
        return state.model_copy(update={"version": meta.version, **update})
    match event:
        case VoiceRecorded():
            voice = Voice(obtained=event.obtained, summary=event.summary, recorded_at=at)
            update = {"voices": {**state.voices, event.whose: voice}}
        case ReflectionRecorded():
            reflection = Reflection(
                score=event.score, pleased_with=event.pleased_with, could_develop=event.could_develop, recorded_at=at
            )
            update = {"reflection": reflection}
        case ReflectionNotObtained():
            update = {"reflection_not_obtained": event.reason}
        case ReviewerReallocated():
            update = {"reviewer": event.reviewer}
        case ConversationRecorded():
            update = {"conversation": event.summary}
        case RubricJudged():
            update = {"judgements": {**state.judgements, **event.judgements}}
        case ReviewGraded():
            update = {"grade": event.grade, "rationale": event.rationale}
        case ReviewConcluded():
            update = {"conclusion": Conclusion(working_well=event.working_well, do_differently=event.do_differently)}
        case ActionRecommended():
            action = RecommendedAction(action_id=event.action_id, action=event.action, due_by=event.due_by)
            update = {"actions": (*state.actions, action)}
        case ActionCompleted():
            done = {"completed_at": at, "completed_by": meta.actor, "oversight_note": event.oversight_note}
            update = {
                "actions": tuple(
                    a.model_copy(update=done) if a.action_id == event.action_id else a for a in state.actions
                )
            }
        case SafeguardingAlertRaised():
            alert = SafeguardingAlert(
                alert_id=event.alert_id,
                concern=event.concern,
                raised_by=meta.actor,
                raised_at=at,
                notified=event.notified,
            )
            update = {"alerts": (*state.alerts, alert)}
        case AlertAcknowledged():
            update = {
                "alerts": tuple(
                    a.model_copy(update={"acknowledged": {**a.acknowledged, meta.actor: at}})
                    if a.alert_id == event.alert_id
                    else a
                    for a in state.alerts
                )
            }
        case ReviewSubmitted():
            # Late by the clock, even if the breach was not yet recorded (a worker outage, say).
            update = {"status": "submitted", "submitted_at": at, "late": at > state.due_at}
        case ReviewExtended():
            # A new deadline starts a new chase: only its steps still ahead of us remain.
            ahead = tuple(step for step in event.chase if step.at > at)
            update = {
                "due_at": event.due_at,
                "extensions": (*state.extensions, event.reason),
                "chase": ahead,
                "chased": 0,
                **({"status": "open", "escalation_level": 0} if event.due_at > at else {}),
            }
        case ReviewChased():
            update = {"chased": state.chased + 1}
            if event.step.kind == "overdue":
                update["status"] = "overdue"
            elif event.step.kind == "escalation":
                update["escalation_level"] = event.step.level
        case ActionOverdue():
            update = {
                "actions": tuple(
                    a.model_copy(update={"overdue": True}) if a.action_id == event.action_id else a
                    for a in state.actions
                )
            }
        case ReviewClosed():
            update = {"status": "closed"}
        case _:
            raise ValueError(f"{event.event_type} does not belong to a review")
    return state.model_copy(update={"version": meta.version, **update})


# --- requests (one per update) ----------------------------------------------------------------


class RecordVoice(ChangeRequest):
    whose: Whose
    summary: str
    obtained: bool = True


class RecordReflection(ChangeRequest):
    score: int
    pleased_with: str
    could_develop: str


class RecordConversation(ChangeRequest):
    summary: str


class RecordReflectionNotObtained(ChangeRequest):
    reason: str


class JudgeRubric(ChangeRequest):
    judgements: dict[str, Evidence]


class GiveGrade(ChangeRequest):
    grade: Grade
    rationale: str


class RecordConclusion(ChangeRequest):
    working_well: str = Field(title="What is working well")
    do_differently: str = Field(title="What could be done differently")


class RecommendAction(ChangeRequest):
    action: str
    due_by: date


class CompleteAction(ChangeRequest):
    action_id: str
    oversight_note: str


class RaiseSafeguarding(ChangeRequest):
    concern: str


class AcknowledgeAlert(ChangeRequest):
    alert_id: str


class SubmitReview(ChangeRequest):
    pass


class ExtendReview(ChangeRequest):
    extra_working_days: int
    reason: str


# --- rules ------------------------------------------------------------------------------------


def _opened(state: ReviewState | None) -> ReviewState:
    if state is None:
        raise Refusal("the review is still being set up; try again in a moment")
    return state


def _reviewer_while_open(state: ReviewState | None, request: ChangeRequest, what: str) -> ReviewState:
    state = _opened(state)
    if request.actor != state.reviewer:
        raise Refusal(f"only the reviewer ({state.reviewer}) can {what} for case {state.case_number}")
    if state.status in ("submitted", "closed"):
        raise Refusal(f"the review of case {state.case_number} was submitted; it can no longer change")
    return state


def check_voice(state: ReviewState | None, request: RecordVoice) -> None:
    _reviewer_while_open(state, request, f"record the {request.whose}'s voice")
    required_text(request.summary, "what was heard (or why it could not be)")


def check_reflection(state: ReviewState | None, request: RecordReflection) -> None:
    state = _opened(state)
    if request.actor != state.practitioner:
        raise Refusal(f"only the allocated practitioner ({state.practitioner}) can give the reflection")
    if state.status in ("submitted", "closed"):
        raise Refusal(f"the review of case {state.case_number} was submitted; it can no longer change")
    if not 0 <= request.score <= 10:
        raise Refusal(f"the scaling score is 0 to 10, not {request.score}")
    required_text(request.pleased_with, "what you are pleased with")
    required_text(request.could_develop, "what you could develop")


def check_reflection_not_obtained(state: ReviewState | None, request: RecordReflectionNotObtained) -> None:
    """By the review's team manager or the QA team (the handler checks the QA team's role; this, the rest)."""
    state = _opened(state)
    if state.status in ("submitted", "closed"):
        raise Refusal(f"the review of case {state.case_number} was submitted; it can no longer change")
    if state.reflection is not None:
        raise Refusal(f"{state.practitioner} has given their reflection")
    if state.reflection_not_obtained is not None:
        raise Refusal(f"the reflection is already recorded as not obtained: {state.reflection_not_obtained}")
    if request.actor in (state.practitioner, state.reviewer):
        raise Refusal("the review's team manager or the QA team records that the reflection cannot be obtained")
    required_text(request.reason, "the reason it cannot be obtained", MAX_SHORT)


def check_conversation(state: ReviewState | None, request: RecordConversation) -> None:
    state = _reviewer_while_open(state, request, "record the collaborative conversation")
    if state.reflection_awaited:
        raise Refusal(f"the conversation follows the practitioner's reflection; {state.practitioner} has not given it")
    missing = [w for w in ("child", "family") if w not in state.voices]
    if missing:
        raise Refusal(f"the voice of the {' and '.join(missing)} informs the conversation: record it first")
    required_text(request.summary, "the conversation summary")


def check_rubric(state: ReviewState | None, request: JudgeRubric) -> None:
    _reviewer_while_open(state, request, "record rubric evidence")
    if not request.judgements:
        raise Refusal("give at least one criterion's evidence")
    unknown = sorted(set(request.judgements) - CRITERION_IDS)
    if unknown:
        raise Refusal(
            f"unknown rubric criteria {', '.join(unknown)}: ids are basic-information.1-6, assessment.1-9,"
            " planning-and-review.1-6, management-oversight.1-5"
        )


def check_grade(state: ReviewState | None, request: GiveGrade) -> None:
    state = _reviewer_while_open(state, request, "grade the review")
    if state.reflection_awaited:
        raise Refusal(f"grade after the practitioner's reflection; {state.practitioner} has not given it yet")
    if state.conversation is None:
        raise Refusal("grade after the collaborative conversation; it is not recorded yet")
    required_text(request.rationale, "the rationale for the grade")


def check_conclusion(state: ReviewState | None, request: RecordConclusion) -> None:
    _reviewer_while_open(state, request, "record the conclusion")
    required_text(request.working_well, "what is working well")
    required_text(request.do_differently, "what could be done differently")


def check_recommend(state: ReviewState | None, request: RecommendAction) -> None:
    state = _reviewer_while_open(state, request, "recommend actions")
    required_text(request.action, "the action", MAX_SHORT)
    if request.due_by < state.opened_at.date():
        raise Refusal(f"an action cannot be due before the review opened ({state.opened_at.date().isoformat()})")


def check_complete_action(state: ReviewState | None, request: CompleteAction) -> None:
    state = _opened(state)
    if request.actor != state.team_manager:
        raise Refusal(f"only the team manager ({state.team_manager}) records actions complete")
    if state.status not in ("submitted", "closed"):
        raise Refusal("actions are completed through supervision after the review is submitted")
    action = next((a for a in state.actions if a.action_id == request.action_id), None)
    if action is None:
        known = ", ".join(a.action_id for a in state.actions) or "none"
        raise Refusal(f"the review has no action {request.action_id} (its actions: {known})")
    if action.completed_at is not None:
        raise Refusal(f"action {request.action_id} was already recorded complete by {action.completed_by}")
    required_text(request.oversight_note, "the management oversight note")


RAISED_AS_ITEM = (
    "a safeguarding alert is its own item, raised from the review: `qa review alert REVIEW_ID --concern TEXT`"
    " (or `qa alert raise --from REVIEW_ID --case CASE --concern TEXT`)"
)


def check_raised_as_item(state: ReviewState | None, request: RaiseSafeguarding) -> None:
    """Alerts are raised as their own items now (domain.safeguarding), from the review; the review's own
    alerts (`check_safeguarding`) are those recorded before, which still replay and are acknowledged here."""
    raise Refusal(RAISED_AS_ITEM)


def check_safeguarding(state: ReviewState | None, request: RaiseSafeguarding) -> None:
    state = _opened(state)
    if request.actor != state.reviewer:
        raise Refusal(f"the reviewer ({state.reviewer}) raises safeguarding alerts on this review")
    required_text(request.concern, "the safeguarding concern")


def check_acknowledge(state: ReviewState | None, request: AcknowledgeAlert) -> None:
    state = _opened(state)
    alert = next((a for a in state.alerts if a.alert_id == request.alert_id), None)
    if alert is None:
        raised = ", ".join(a.alert_id for a in state.alerts) or "none"
        raise Refusal(f"the review of case {state.case_number} has no alert {request.alert_id} (its alerts: {raised})")
    if request.actor not in alert.notified:
        raise Refusal(f"alert {alert.alert_id} went to {' and '.join(alert.notified)}: only they acknowledge it")
    if request.actor in alert.acknowledged:
        raise Refusal(f"{request.actor} already acknowledged alert {alert.alert_id}")


def check_submit(state: ReviewState | None, request: SubmitReview, conclusion: bool = True) -> None:
    """`conclusion`: whether the conclusion is required (False only for a submission replayed from before it was)."""
    state = _reviewer_while_open(state, request, "submit the review")
    if needed := state.needed(conclusion):
        raise Refusal(f"the review of case {state.case_number} still needs " + "; ".join(needed))


def check_extend(state: ReviewState | None, request: ExtendReview) -> None:
    state = _opened(state)
    if state.status in ("submitted", "closed"):
        raise Refusal(f"the review of case {state.case_number} was submitted; there is nothing to extend")
    if not 1 <= request.extra_working_days <= 20:
        raise Refusal(f"an extension is 1 to 20 working days, not {request.extra_working_days}")
    required_text(request.reason, "the reason for the extension", MAX_SHORT)


def check_chase(state: ReviewState | None, step: ChaseStep) -> None:
    """A chase step is taken only if it is still the next one (not moved by an extension, nor submitted)."""
    state = _opened(state)
    if state.next_chase != step:
        raise Refusal(f"the review of case {state.case_number} no longer needs chasing at {step.at.isoformat()}")


def check_action_overdue(state: ReviewState | None, action: RecommendedAction) -> None:
    """The timer for an action flags it only if it is still the open action due first."""
    state = _opened(state)
    if state.next_action_due != action:
        raise Refusal(f"action {action.action_id} of case {state.case_number} is no longer awaited")


# --- the kind ---------------------------------------------------------------------------------


def _chased(p: Mapping[str, Any]) -> str:
    step = p["step"]
    told = people(p["recipients"])
    if step["kind"] == "reminder":
        return f"reminder sent to {told}: the review is due soon"
    if step["kind"] == "overdue":
        return f"deadline passed without submission: {told} told"
    return f"escalated to level {step['level']}: {told} told the review is overdue"


def _judged(p: Mapping[str, Any]) -> str:
    levels = list(p["judgements"].values())
    counts = ", ".join(f"{levels.count(level)} {level}" for level in ("clear", "some", "limited") if level in levels)
    return f"rubric evidence recorded for {len(levels)} criteria ({counts})"


KIND = Kind(
    name="review",
    prefix="review.",
    events=REVIEW_EVENTS,
    evolve=evolve,
    workflow_type="Review",
    closing=("review.closed",),
    show=("review", "show"),
    duty_title="Reviews: the reviewer's review and the practitioner's reflection",
    people=lambda s: {s.practitioner, s.reviewer, s.team_manager, s.head_of_service},
    case_numbers=lambda s: [s.case_number],
    words=DUTIES.words
    | {
        "review.opened": lambda p: (
            f"review of case {p['case_number']} opened ({p['service']}, team {p['team']}): reviewer {p['reviewer']},"
            f" practitioner {p['practitioner']}, team manager {p['team_manager']}, head of service"
            f" {p['head_of_service']}; due {due(p['due_at'])}"
        ),
        "review.voice_recorded": lambda p: (
            f"the {p['whose']}'s voice recorded{'' if p['obtained'] else ' as not obtained'}: {p['summary']}"
        ),
        "review.reflection_recorded": lambda p: (
            f"the practitioner's reflection recorded: {p['score']}/10; pleased with: {p['pleased_with']};"
            f" could develop: {p['could_develop']}"
        ),
        "review.conversation_recorded": lambda p: f"the collaborative conversation recorded: {p['summary']}",
        "review.reflection_not_obtained": lambda p: (
            f"the practitioner's reflection recorded as not obtained: {p['reason']}"
        ),
        "review.reviewer_reallocated": lambda p: (
            f"reallocated from reviewer {p['previous']} to {p['reviewer']}: {p['reason']}"
        ),
        "review.rubric_judged": _judged,
        "review.graded": lambda p: f"graded {p['grade']}: {p['rationale']}",
        "review.concluded": lambda p: (
            f"concluded: working well: {p['working_well']}; could be done differently: {p['do_differently']}"
        ),
        "review.action_recommended": lambda p: (
            f"action {p['action_id']} recommended, due by {p['due_by']}: {p['action']}"
        ),
        "review.action_completed": lambda p: f"action {p['action_id']} recorded complete: {p['oversight_note']}",
        "review.safeguarding_alert_raised": lambda p: (
            f"SAFEGUARDING alert {p['alert_id']} raised, {people(p['notified'])} told at once: {p['concern']}"
        ),
        "review.alert_acknowledged": lambda p: f"safeguarding alert {p['alert_id']} acknowledged",
        "review.submitted": lambda p: "review submitted",
        "review.extended": lambda p: (
            f"deadline extended by {p['extra_working_days']} working days to {due(p['due_at'])}: {p['reason']}"
        ),
        "review.chased": _chased,
        "review.action_overdue": lambda p: (
            f"action {p['action_id']} not done by its date: {people(p['notified'])} told"
        ),
        "review.closed": lambda p: "review closed: submitted and every action done",
    },
)
