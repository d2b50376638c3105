"""The dispute ladder's rules, as a person meets them: who records what, at which stage."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from domain import dispute
from domain.dispute import (
    AllocateModerator,
    Moment,
    RecordConversation,
    RecordDecision,
    RecordModeration,
    RecordThreeWay,
)
from domain.errors import Refusal
from domain.events import SYSTEM_ACTOR, EventMeta
from domain.rubric import Grade
from domain.working_days import LONDON

T0 = datetime(2027, 11, 1, 9, tzinfo=LONDON)
DUE1 = datetime(2027, 11, 15, 23, 59, 59, tzinfo=LONDON)
REMIND1 = datetime(2027, 11, 11, 9, tzinfo=LONDON)
DUE2 = datetime(2027, 11, 29, 23, 59, 59, tzinfo=LONDON)
DUE3 = datetime(2027, 12, 13, 23, 59, 59, tzinfo=LONDON)


class Dispute:
    """A dispute folded event by event, as the workflow does it."""

    def __init__(self, reviewer: str = "sam.reviewer", practitioner: str = "priya.practitioner") -> None:
        self.version = 0
        self.state = None
        self.apply(
            practitioner,
            dispute.DisputeRaised(
                review_id="cpr-2027-11-review-LCS-100234",
                case_number="LCS-100234",
                reviewer=reviewer,
                practitioner=practitioner,
                raised_by=practitioner,
                about="judgement",
                issues="the grade does not reflect the direct work",
                window_working_days=10,
            ),
            dispute.StageOpened(
                stage="reviewer_practitioner",
                owners=(reviewer,),
                due_at=DUE1,
                calendar_digest="d" * 64,
                remind_at=REMIND1,
            ),
        )

    def apply(self, actor, *events, at=T0):
        for event in events:
            self.version += 1
            self.state = dispute.evolve(
                self.state, event, EventMeta(version=self.version, actor=actor, business_time=at)
            )
        return self.state

    def not_resolved_at_stage_1(self, at=T0):
        self.apply(
            "sam.reviewer",
            dispute.ConversationRecorded(issues="the grade", decision="not_resolved", outcome="still disagree"),
            at=at,
        )
        return self.apply(
            SYSTEM_ACTOR,
            dispute.DisputeEscalated(from_stage="reviewer_practitioner", to_stage="moderator", reason="not resolved"),
            dispute.StageOpened(stage="moderator", owners=("qa.officer",), due_at=DUE2, calendar_digest="d" * 64),
            at=at,
        )

    def moderated(self, moderator="maya.moderator"):
        self.not_resolved_at_stage_1()
        self.apply(
            "qa.officer",
            dispute.ModeratorAllocated(moderator=moderator, due_at=DUE2, calendar_digest="d" * 64),
        )
        return self.apply(moderator, dispute.ModerationRecorded(moderation="the grade is supported by the evidence"))

    def at_head_of_qa(self):
        self.moderated()
        self.apply(
            "maya.moderator",
            dispute.ThreeWayRecorded(issues="the grade", decision="not_resolved", outcome="still disagree"),
        )
        return self.apply(
            SYSTEM_ACTOR,
            dispute.DisputeEscalated(from_stage="moderator", to_stage="head_of_qa", reason="not resolved"),
            dispute.StageOpened(stage="head_of_qa", owners=("quinn.hoqa",), due_at=DUE3, calendar_digest="d" * 64),
        )


def refusal(rule, state, request) -> str:
    with pytest.raises(Refusal) as refused:
        rule(state, request)
    return str(refused.value)


def conversation(actor="priya.practitioner", decision="resolved", issues="the grade", outcome="agreed"):
    return RecordConversation(actor=actor, issues=issues, decision=decision, outcome=outcome)


# --- raising ----------------------------------------------------------------------------------


def test_a_dispute_is_raised_by_the_reviewer_or_the_practitioner_with_its_issues():
    assert dispute.raise_problem("sam.reviewer", "priya.practitioner", "priya.practitioner", "the grade") is None
    assert dispute.raise_problem("sam.reviewer", "priya.practitioner", "sam.reviewer", "the actions") is None
    assert (
        dispute.raise_problem("sam.reviewer", "priya.practitioner", "nadia.manager", "the grade")
        == "a dispute is raised by the reviewer (sam.reviewer) or the practitioner (priya.practitioner),"
        " not nadia.manager"
    )
    assert dispute.raise_problem("sam.reviewer", "sam.reviewer", "sam.reviewer", "x") == (
        "sam.reviewer cannot be both the reviewer and the practitioner"
    )
    assert dispute.raise_problem("sam.reviewer", "priya.practitioner", "sam.reviewer", "  ") == (
        "the issues in dispute cannot be empty"
    )
    assert dispute.dispute_id("cpr-2027-11-review-LCS-100234", 1) == "cpr-2027-11-review-LCS-100234-dispute-1"


def test_a_raised_dispute_is_at_stage_one_owned_by_the_reviewer():
    state = Dispute().state
    assert (state.status, state.stage, state.current.owners, state.current.due_at) == (
        "open",
        "reviewer_practitioner",
        ("sam.reviewer",),
        DUE1,
    )
    assert (state.raised_by, state.raised_at, state.parties) == (
        "priya.practitioner",
        T0,
        ("sam.reviewer", "priya.practitioner"),
    )
    assert state.next_moment == Moment(stage="reviewer_practitioner", kind="reminder", at=REMIND1)


def test_the_reducer_refuses_a_dispute_that_was_never_raised():
    with pytest.raises(ValueError, match="a dispute starts with dispute.raised"):
        dispute.evolve(
            None,
            dispute.ModerationRecorded(moderation="x"),
            EventMeta(version=1, actor="maya.moderator", business_time=T0),
        )


# --- stage 1 ----------------------------------------------------------------------------------


def test_either_party_records_the_conversation_and_a_resolution_closes_the_dispute():
    for actor in ("sam.reviewer", "priya.practitioner"):
        d = Dispute()
        dispute.check_conversation(d.state, conversation(actor))
        state = d.apply(
            actor,
            dispute.ConversationRecorded(issues="the grade", decision="resolved", outcome="grade explained"),
            at=T0 + timedelta(days=1),
        )
        assert (state.status, state.closed_at, state.current.decided_by, state.current.decision) == (
            "resolved",
            T0 + timedelta(days=1),
            actor,
            "resolved",
        )
        assert state.next_moment is None
        assert refusal(dispute.check_conversation, state, conversation(actor)) == (
            "the dispute about the review of case LCS-100234 was resolved at stage 1"
            " (conversation between the reviewer and the practitioner); it is closed"
        )


def test_only_the_parties_record_the_conversation_and_it_needs_its_text():
    state = Dispute().state
    assert refusal(dispute.check_conversation, state, conversation("nadia.manager")) == (
        "only the reviewer (sam.reviewer) or the practitioner (priya.practitioner) can record their conversation"
    )
    assert (
        refusal(dispute.check_conversation, state, conversation(issues=" ")) == "the issues discussed cannot be empty"
    )
    assert refusal(dispute.check_conversation, state, conversation(outcome="")) == (
        "what was agreed (or where you still disagree) cannot be empty"
    )
    assert refusal(dispute.check_conversation, None, conversation()) == (
        "the dispute is still being set up; try again in a moment"
    )


def test_a_stage_decided_not_resolved_waits_to_be_passed_on_and_takes_nothing_more():
    d = Dispute()
    state = d.apply(
        "sam.reviewer",
        dispute.ConversationRecorded(issues="the grade", decision="not_resolved", outcome="still disagree"),
    )
    assert (state.status, state.current.decision, state.next_moment) == ("open", "not_resolved", None)
    dispute.check_not_resolved(state, "reviewer_practitioner")
    assert refusal(dispute.check_conversation, state, conversation()) == (
        "stage 1 (conversation between the reviewer and the practitioner) already has its decision (not resolved);"
        " the dispute is being passed to the next stage"
    )
    with pytest.raises(Refusal):
        dispute.check_not_resolved(state, "moderator")


# --- stage 2 ----------------------------------------------------------------------------------


def test_escalation_opens_stage_two_and_keeps_stage_one_on_record():
    state = Dispute().not_resolved_at_stage_1()
    first, second = state.stages
    assert (first.escalation_reason, first.escalated_at, first.outcome) == ("not resolved", T0, "still disagree")
    assert (second.stage, second.owners, second.due_at, second.moderator) == (
        "moderator",
        ("qa.officer",),
        DUE2,
        None,
    )
    with pytest.raises(Refusal):
        dispute.check_not_resolved(state, "reviewer_practitioner")


def test_the_moderator_is_independent_of_both_parties_and_allocated_once():
    d = Dispute()
    assert refusal(
        dispute.check_allocation, d.state, AllocateModerator(actor="qa.officer", moderator="maya.moderator")
    ) == (
        "allocating a moderator belongs to stage 2 (independent moderation and a three-way conversation);"
        " the dispute is at stage 1 (conversation between the reviewer and the practitioner)"
    )
    state = d.not_resolved_at_stage_1()
    assert refusal(
        dispute.check_allocation, state, AllocateModerator(actor="qa.officer", moderator="sam.reviewer")
    ) == (
        "sam.reviewer is the reviewer in this dispute; the moderator must be independent of both"
        " sam.reviewer and priya.practitioner"
    )
    assert refusal(
        dispute.check_allocation, state, AllocateModerator(actor="qa.officer", moderator="priya.practitioner")
    ).startswith("priya.practitioner is the practitioner in this dispute")
    assert refusal(
        dispute.check_allocation, state, AllocateModerator(actor="sam.reviewer", moderator="maya.moderator")
    ) == ("sam.reviewer is a party to the dispute and cannot choose its moderator")
    dispute.check_allocation(state, AllocateModerator(actor="qa.officer", moderator="maya.moderator"))

    later = T0 + timedelta(days=3)
    state = d.apply(
        "qa.officer",
        dispute.ModeratorAllocated(
            moderator="maya.moderator", due_at=DUE3, calendar_digest="d" * 64, remind_at=DUE3 - timedelta(days=3)
        ),
        at=later,
    )
    current = state.current
    assert (current.moderator, current.owners, current.allocated_by, current.allocated_at, current.due_at) == (
        "maya.moderator",
        ("maya.moderator",),
        "qa.officer",
        later,
        DUE3,
    )
    assert state.parties == ("sam.reviewer", "priya.practitioner", "maya.moderator")
    assert state.next_moment == Moment(stage="moderator", kind="reminder", at=DUE3 - timedelta(days=3))
    assert refusal(
        dispute.check_allocation, state, AllocateModerator(actor="qa.officer", moderator="omar.moderator")
    ) == ("maya.moderator is already the moderator of this dispute")


def test_the_moderator_moderates_independently_then_holds_the_three_way_conversation():
    d = Dispute()
    state = d.not_resolved_at_stage_1()
    three_way = RecordThreeWay(actor="maya.moderator", issues="the grade", decision="resolved", outcome="agreed")
    moderation = RecordModeration(actor="maya.moderator", moderation="the evidence supports Good")
    assert refusal(dispute.check_moderation, state, moderation) == (
        "no moderator is allocated yet: a QA officer allocates an independent moderator first"
    )
    state = d.apply(
        "qa.officer", dispute.ModeratorAllocated(moderator="maya.moderator", due_at=DUE2, calendar_digest="d" * 64)
    )
    assert refusal(dispute.check_three_way, state, three_way) == (
        "the moderator moderates independently before the three-way conversation: record that first"
    )
    assert refusal(dispute.check_moderation, state, moderation.model_copy(update={"actor": "omar.moderator"})) == (
        "only the moderator (maya.moderator) can record the independent moderation"
    )
    assert refusal(dispute.check_moderation, state, moderation.model_copy(update={"moderation": ""})) == (
        "the independent moderation cannot be empty"
    )
    dispute.check_moderation(state, moderation)
    state = d.apply("maya.moderator", dispute.ModerationRecorded(moderation=moderation.moderation))
    assert state.current.moderation == "the evidence supports Good"
    assert refusal(dispute.check_moderation, state, moderation).startswith("the independent moderation is already")
    assert refusal(dispute.check_three_way, state, three_way.model_copy(update={"actor": "sam.reviewer"})) == (
        "only the moderator (maya.moderator) can record the three-way conversation"
    )
    assert refusal(dispute.check_three_way, state, three_way.model_copy(update={"issues": ""})) == (
        "the issues of disagreement cannot be empty"
    )
    dispute.check_three_way(state, three_way)
    state = d.apply("maya.moderator", dispute.ThreeWayRecorded(issues="the grade", decision="resolved", outcome="ok"))
    assert (state.status, state.current.decided_by) == ("resolved", "maya.moderator")


# --- stage 3 ----------------------------------------------------------------------------------


def test_the_head_of_qa_decides_and_the_decision_is_final():
    d = Dispute()
    state = d.at_head_of_qa()
    decision = RecordDecision(actor="quinn.hoqa", issues="the grade", decision="the grade stands")
    assert refusal(dispute.check_decision, state, decision.model_copy(update={"actor": "paula.psw"})) == (
        "only the Head of QA (quinn.hoqa) can decide at stage 3 (decision of the Head of QA)"
    )
    assert refusal(dispute.check_decision, state, decision.model_copy(update={"decision": " "})) == (
        "the decision cannot be empty"
    )
    assert refusal(
        dispute.check_three_way,
        state,
        RecordThreeWay(actor="maya.moderator", issues="x", decision="resolved", outcome="y"),
    ) == (
        "the three-way conversation belongs to stage 2 (independent moderation and a three-way conversation);"
        " the dispute is at stage 3 (decision of the Head of QA)"
    )
    dispute.check_decision(state, decision)
    state = d.apply("quinn.hoqa", dispute.FinalDecisionRecorded(issues="the grade", decision="the grade stands"))
    assert (state.status, state.current.decision, state.current.outcome, state.current.decided_by) == (
        "decided",
        "final",
        "the grade stands",
        "quinn.hoqa",
    )
    assert [s.stage for s in state.stages] == ["reviewer_practitioner", "moderator", "head_of_qa"]
    assert refusal(dispute.check_decision, state, decision).endswith("it is closed")
    assert state.grade is None  # the grade stands as moderated


def test_a_final_decision_about_the_judgement_may_set_the_grade_of_record_and_no_other_may():
    d = Dispute()
    state = d.at_head_of_qa()
    assert state.about == "judgement"
    changed = RecordDecision(
        actor="quinn.hoqa", issues="the grade", decision="Requires Improvement", grade="Requires Improvement"
    )
    dispute.check_decision(state, changed)
    decided = d.apply("quinn.hoqa", dispute.FinalDecisionRecorded(issues="i", decision="d", grade=changed.grade))
    assert decided.grade == Grade.requires_improvement
    about_actions = state.model_copy(update={"about": "actions"})
    assert refusal(dispute.check_decision, about_actions, changed) == (
        "this dispute is about the reviewer's actions, not the judgement: its decision leaves the grade be"
    )
    dispute.check_decision(about_actions, changed.model_copy(update={"grade": None}))


def test_the_final_decision_belongs_to_stage_three_only():
    state = Dispute().state
    assert refusal(dispute.check_decision, state, RecordDecision(actor="quinn.hoqa", issues="x", decision="y")) == (
        "the final decision belongs to stage 3;"
        " the dispute is at stage 1 (conversation between the reviewer and the practitioner)"
    )


def test_the_head_of_qa_decides_unless_directly_involved():
    state = Dispute().moderated()
    assert dispute.final_stage(state, ["quinn.hoqa"], ["paula.psw"]) == dispute.FinalStage(
        stage="head_of_qa", owners=("quinn.hoqa",)
    )
    as_moderator = Dispute().moderated(moderator="quinn.hoqa")
    assert dispute.final_stage(as_moderator, ["quinn.hoqa"], ["paula.psw"]) == dispute.FinalStage(
        stage="principal_social_worker",
        owners=("paula.psw",),
        note="the Head of QA (quinn.hoqa) is directly involved as the stage-2 moderator:"
        " passed to the principal social worker for independent overview",
    )
    as_reviewer = Dispute(reviewer="quinn.hoqa").state
    final = dispute.final_stage(as_reviewer, ["quinn.hoqa"], ["paula.psw"])
    assert (final.stage, final.note.split(":")[0]) == (
        "principal_social_worker",
        "the Head of QA (quinn.hoqa) is directly involved as the reviewer",
    )
    nobody = dispute.final_stage(state, [], ["paula.psw"])
    assert (nobody.stage, nobody.note.split(":")[0]) == ("principal_social_worker", "the directory lists no Head of QA")
    # Nobody independent is left to decide: the workflow waits for the directory.
    assert (
        dispute.final_stage(
            Dispute(reviewer="quinn.hoqa", practitioner="paula.psw").state, ["quinn.hoqa"], ["paula.psw"]
        )
        is None
    )


# --- the engine's own moments -----------------------------------------------------------------


def test_a_stage_is_reminded_once_then_its_window_passes_once():
    d = Dispute()
    reminder = Moment(stage="reviewer_practitioner", kind="reminder", at=REMIND1)
    window = Moment(stage="reviewer_practitioner", kind="window", at=DUE1)
    dispute.check_moment(d.state, reminder)
    with pytest.raises(Refusal):
        dispute.check_moment(d.state, window)
    state = d.apply(
        SYSTEM_ACTOR, dispute.DisputeReminded(stage="reviewer_practitioner", recipients=("sam.reviewer",)), at=REMIND1
    )
    assert state.next_moment == window
    with pytest.raises(Refusal):
        dispute.check_moment(state, reminder)
    dispute.check_moment(state, window)


def test_a_decision_or_a_new_window_cancels_the_pending_moment():
    d = Dispute()
    d.not_resolved_at_stage_1()
    passing = Moment(stage="moderator", kind="window", at=DUE2)
    dispute.check_moment(d.state, passing)
    state = d.apply(
        "qa.officer", dispute.ModeratorAllocated(moderator="maya.moderator", due_at=DUE3, calendar_digest="d" * 64)
    )
    assert refusal(dispute.check_moment, state, passing).startswith("the dispute no longer waits for window")
    assert state.next_moment == Moment(stage="moderator", kind="window", at=DUE3)


def test_the_last_stage_past_its_window_is_overdue_and_still_awaits_its_decision():
    d = Dispute()
    d.at_head_of_qa()
    state = d.apply(
        SYSTEM_ACTOR, dispute.StageOverdue(stage="head_of_qa", recipients=("quinn.hoqa", "alex.assistant")), at=DUE3
    )
    assert (state.status, state.current.overdue, state.next_moment) == ("open", True, None)
    dispute.check_decision(state, RecordDecision(actor="quinn.hoqa", issues="x", decision="y"))


def test_a_window_passing_is_recorded_with_its_reason():
    d = Dispute()
    state = d.apply(
        SYSTEM_ACTOR,
        dispute.DisputeEscalated(from_stage="reviewer_practitioner", to_stage="moderator", reason="window passed"),
        dispute.StageOpened(stage="moderator", owners=("qa.officer",), due_at=DUE2, calendar_digest="d" * 64),
        at=DUE1,
    )
    assert (state.stages[0].escalation_reason, state.stages[0].decision, state.stage) == (
        "window passed",
        None,
        "moderator",
    )
    assert dispute.next_stage("reviewer_practitioner") == "moderator"
    assert dispute.next_stage("moderator") == "final"
    with pytest.raises(ValueError):
        dispute.next_stage("head_of_qa")
