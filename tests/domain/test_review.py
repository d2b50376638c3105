"""The review's rules, as a person meets them: who may do what, in which order."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from domain import review
from domain.chasing import ChaseStep
from domain.errors import Refusal
from domain.events import EventMeta
from domain.review import (
    CompleteAction,
    ExtendReview,
    GiveGrade,
    JudgeRubric,
    RaiseSafeguarding,
    RecommendAction,
    RecordConversation,
    RecordReflection,
    RecordVoice,
    SubmitReview,
)
from domain.rubric import CRITERION_IDS, Evidence, Grade
from domain.working_days import LONDON

T0 = datetime(2027, 11, 1, 9, tzinfo=LONDON)
DUE = datetime(2027, 11, 29, 23, 59, 59, tzinfo=LONDON)
STEPS = (
    ChaseStep(kind="reminder", level=0, at=datetime(2027, 11, 25, 9, tzinfo=LONDON)),
    ChaseStep(kind="overdue", level=0, at=DUE),
)


class Review:
    """A review folded event by event, as the workflow does it."""

    def __init__(self) -> None:
        self.version = 0
        self.state = None
        self.apply(
            "qa.officer",
            review.ReviewOpened(
                cycle_id="cpr-2027-11",
                case_number="LCS-100234",
                service="Children in Need",
                team="CIN East",
                practitioner="pat.practitioner",
                reviewer="sam.reviewer",
                team_manager="tom.manager",
                head_of_service="hana.hos",
                due_at=DUE,
                calendar_digest="d" * 64,
                chase=STEPS,
            ),
        )

    def apply(self, actor, event, at=T0):
        self.version += 1
        self.state = review.evolve(self.state, event, EventMeta(version=self.version, actor=actor, business_time=at))
        return self.state

    def ready_to_grade(self):
        self.apply("sam.reviewer", review.VoiceRecorded(whose="child", obtained=True, summary="likes school"))
        self.apply("sam.reviewer", review.VoiceRecorded(whose="family", obtained=False, summary="declined"))
        self.apply("pat.practitioner", review.ReflectionRecorded(score=7, pleased_with="visits", could_develop="plan"))
        self.apply("sam.reviewer", review.ConversationRecorded(summary="agreed next steps"))
        return self

    def ready_to_submit(self):
        self.ready_to_grade()
        self.apply("sam.reviewer", review.RubricJudged(judgements=dict.fromkeys(CRITERION_IDS, Evidence.some)))
        self.apply("sam.reviewer", review.ReviewGraded(grade=Grade.good, rationale="consistent"))
        self.apply("sam.reviewer", review.ReviewConcluded(working_well="direct work", do_differently="timely plans"))
        return self


def refusal(rule, state, request) -> str:
    with pytest.raises(Refusal) as refused:
        rule(state, request)
    return str(refused.value)


def test_only_the_practitioner_reflects_and_the_score_is_0_to_10():
    state = Review().state
    assert (
        refusal(
            review.check_reflection,
            state,
            RecordReflection(actor="sam.reviewer", score=5, pleased_with="a", could_develop="b"),
        )
        == "only the allocated practitioner (pat.practitioner) can give the reflection"
    )
    assert (
        refusal(
            review.check_reflection,
            state,
            RecordReflection(actor="pat.practitioner", score=11, pleased_with="a", could_develop="b"),
        )
        == "the scaling score is 0 to 10, not 11"
    )
    assert (
        refusal(
            review.check_reflection,
            state,
            RecordReflection(actor="pat.practitioner", score=4, pleased_with=" ", could_develop="b"),
        )
        == "what you are pleased with cannot be empty"
    )
    review.check_reflection(
        state, RecordReflection(actor="pat.practitioner", score=0, pleased_with="a", could_develop="b")
    )


def test_grading_waits_for_the_reflection_and_the_conversation():
    r = Review()
    grade = GiveGrade(actor="sam.reviewer", grade=Grade.good, rationale="why")
    assert "has not given it yet" in refusal(review.check_grade, r.state, grade)
    assert refusal(review.check_conversation, r.state, RecordConversation(actor="sam.reviewer", summary="x")) == (
        "the conversation follows the practitioner's reflection; pat.practitioner has not given it"
    )
    r.ready_to_grade()
    review.check_grade(r.state, grade)
    assert refusal(
        review.check_grade, r.state, GiveGrade(actor="pat.practitioner", grade=Grade.good, rationale="x")
    ) == ("only the reviewer (sam.reviewer) can grade the review for case LCS-100234")


def test_rubric_criteria_must_be_the_documents():
    state = Review().state
    message = refusal(
        review.check_rubric, state, JudgeRubric(actor="sam.reviewer", judgements={"assessment.10": Evidence.clear})
    )
    assert message.startswith("unknown rubric criteria assessment.10")
    review.check_rubric(state, JudgeRubric(actor="sam.reviewer", judgements={"assessment.9": Evidence.clear}))


def test_submission_lists_what_is_still_missing():
    r = Review().ready_to_grade()
    message = refusal(review.check_submit, r.state, SubmitReview(actor="sam.reviewer"))
    assert message == (
        "the review of case LCS-100234 still needs rubric evidence for 26 criteria (basic-information.1, ...);"
        " the grade and rationale; the conclusion (what is working well, what could be done differently)"
    )
    r.ready_to_submit()
    review.check_submit(r.state, SubmitReview(actor="sam.reviewer"))


def test_actions_are_completed_by_the_team_manager_after_submission():
    r = Review().ready_to_submit()
    r.apply(
        "sam.reviewer", review.ActionRecommended(action_id="A1", action="update chronology", due_by=date(2027, 12, 10))
    )
    done = CompleteAction(actor="tom.manager", action_id="A1", oversight_note="seen in supervision")
    assert refusal(review.check_complete_action, r.state, done) == (
        "actions are completed through supervision after the review is submitted"
    )
    r.apply("sam.reviewer", review.ReviewSubmitted())
    assert refusal(review.check_complete_action, r.state, done.model_copy(update={"actor": "sam.reviewer"})) == (
        "only the team manager (tom.manager) records actions complete"
    )
    assert "no action A2 (its actions: A1)" in refusal(
        review.check_complete_action, r.state, done.model_copy(update={"action_id": "A2"})
    )
    review.check_complete_action(r.state, done)
    state = r.apply("tom.manager", review.ActionCompleted(action_id="A1", oversight_note="seen in supervision"))
    assert state.open_actions == () and state.actions[0].completed_by == "tom.manager"
    assert "already recorded complete by tom.manager" in refusal(review.check_complete_action, state, done)
    # a submitted review no longer changes, but a safeguarding alert can always be raised
    assert "was submitted" in refusal(
        review.check_voice, state, RecordVoice(actor="sam.reviewer", whose="child", summary="x")
    )
    review.check_safeguarding(state, RaiseSafeguarding(actor="sam.reviewer", concern="new disclosure"))


def test_an_action_cannot_be_due_before_the_review_opened():
    state = Review().state
    late = RecommendAction(actor="sam.reviewer", action="x", due_by=T0.date() - timedelta(days=1))
    assert (
        refusal(review.check_recommend, state, late) == "an action cannot be due before the review opened (2027-11-01)"
    )


def test_chasing_follows_the_recorded_schedule_and_an_extension_restarts_it():
    r = Review()
    assert r.state.next_chase == STEPS[0]
    r.apply("qa-engine", review.ReviewChased(step=STEPS[0], recipients=("sam.reviewer",)))
    state = r.apply("qa-engine", review.ReviewChased(step=STEPS[1], recipients=("sam.reviewer",)), at=DUE)
    assert (state.status, state.next_chase) == ("overdue", None)
    with pytest.raises(Refusal):
        review.check_chase(state, STEPS[1])

    new_due = DUE + timedelta(days=7)
    later = (ChaseStep(kind="overdue", level=0, at=new_due),)
    state = r.apply(
        "qa.officer",
        review.ReviewExtended(
            extra_working_days=5, due_at=new_due, calendar_digest="d" * 64, chase=later, reason="family unavailable"
        ),
        at=DUE + timedelta(hours=1),
    )
    assert (state.status, state.next_chase, state.extensions) == ("open", later[0], ("family unavailable",))
    assert refusal(review.check_extend, state, ExtendReview(actor="qa.officer", extra_working_days=0, reason="x")) == (
        "an extension is 1 to 20 working days, not 0"
    )


def test_submission_after_the_deadline_is_marked_late():
    r = Review().ready_to_submit()
    r.apply("qa-engine", review.ReviewChased(step=STEPS[1], recipients=("sam.reviewer",)), at=DUE)
    state = r.apply("sam.reviewer", review.ReviewSubmitted(), at=DUE + timedelta(days=1))
    assert (state.status, state.late, state.next_chase) == ("submitted", True, None)


def test_the_conclusion_is_the_reviewers_and_says_both_things():
    r = Review().ready_to_grade()
    conclusion = review.RecordConclusion(actor="sam.reviewer", working_well="direct work", do_differently="plans")
    assert refusal(review.check_conclusion, r.state, conclusion.model_copy(update={"actor": "pat.practitioner"})) == (
        "only the reviewer (sam.reviewer) can record the conclusion for case LCS-100234"
    )
    assert refusal(review.check_conclusion, r.state, conclusion.model_copy(update={"do_differently": " "})) == (
        "what could be done differently cannot be empty"
    )
    review.check_conclusion(r.state, conclusion)


def test_a_reflection_not_obtained_lets_the_review_go_on_and_is_recorded_once():
    r = Review()
    r.apply("sam.reviewer", review.VoiceRecorded(whose="child", obtained=True, summary="likes school"))
    r.apply("sam.reviewer", review.VoiceRecorded(whose="family", obtained=True, summary="helped"))
    talk = review.RecordConversation(actor="sam.reviewer", summary="agreed")
    assert refusal(review.check_conversation, r.state, talk).startswith("the conversation follows the practitioner's")
    absent = review.RecordReflectionNotObtained(actor="tom.manager", reason="long-term sick leave")
    assert refusal(
        review.check_reflection_not_obtained, r.state, absent.model_copy(update={"actor": "sam.reviewer"})
    ) == ("the review's team manager or the QA team records that the reflection cannot be obtained")
    review.check_reflection_not_obtained(r.state, absent)
    r.apply("tom.manager", review.ReflectionNotObtained(reason="long-term sick leave"))
    review.check_conversation(r.state, talk)
    assert "reflection" not in "; ".join(r.state.still_needed)
    assert refusal(review.check_reflection_not_obtained, r.state, absent) == (
        "the reflection is already recorded as not obtained: long-term sick leave"
    )
