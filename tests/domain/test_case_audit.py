"""The case audit model shared by thematic reviews and dip audits: question sets, one reducer, the rules."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from domain import case_audit, dip_audit, dispute, items, thematic
from domain.action_plan import SmartAction
from domain.case_audit import (
    RUBRIC_QUESTIONS,
    AllocateReviewer,
    Answer,
    RecordAnswers,
    SubmitCase,
    check_allocation,
    check_answers,
    check_publication,
    check_sampling,
    check_submission,
    evolve,
    figures,
    listed_sample,
    parse_questions,
)
from domain.chasing import ChaseStep
from domain.cpr_cycle import PublishReport, SampledCase
from domain.directory import OpenCase
from domain.duties import duty
from domain.errors import Refusal
from domain.events import EventMeta, fold
from domain.files import FileError
from domain.rubric import CRITERION_IDS, Evidence
from domain.working_days import LONDON

START = datetime(2027, 5, 24, 9, tzinfo=LONDON)
CLOSES = datetime(2027, 6, 1, 23, 59, 59, tzinfo=LONDON)
QUESTIONS = parse_questions("id,text\nN1,Impact of neglect analysed\nN2,Plan says who does what\n", "neglect.csv")
NARRATIVE = {
    "actor": "qa.officer",
    "key_findings": "k",
    "strengths": "s",
    "areas_for_development": "d",
    "recommendations": "r",
}


def meta(version: int, actor: str = "qa.officer", at: datetime = START) -> EventMeta:
    return EventMeta(version=version, actor=actor, business_time=at)


def started(events=dip_audit.EVENTS):
    """A dip audit of two listed cases, as its workflow records it."""
    return [
        events.started(
            focus="Neglect plans",
            service=None,
            start=START.date(),
            window=5,
            closes_at=CLOSES,
            window_chase=(
                ChaseStep(kind="reminder", level=0, at=datetime(2027, 5, 28, 9, tzinfo=LONDON)),
                ChaseStep(kind="overdue", level=0, at=CLOSES),
            ),
            calendar_digest="d" * 64,
            questions=QUESTIONS,
        ),
        events.sample_taken(
            snapshot_id=1,
            draw=None,
            cases=(
                SampledCase(
                    case_number="LCS-100318", team="Family Support and Safeguarding", practitioner="jo.reviewer"
                ),
                SampledCase(case_number="LCS-100701", team="Children in Need", practitioner="priya.practitioner"),
            ),
        ),
    ]


def apply(events, state=None, first_version: int = 1, actor: str = "qa.officer", at: datetime = START):
    for version, event in enumerate(events, start=first_version):
        state = evolve(state, event, meta(version, actor, at))
    return state


def allocated():
    e = dip_audit.EVENTS
    state = apply(started())
    state = apply(
        [
            e.reviewer_allocated(case_number="LCS-100318", reviewer="sam.reviewer"),
            e.duties.given(
                key="case-LCS-100318", owner="sam.reviewer", what="answer", due_at=CLOSES, chase=state.window_chase
            ),
        ],
        state,
        first_version=3,
    )
    return state


# --- question sets ------------------------------------------------------------------------------


def test_the_default_questions_are_the_rubrics_26_criteria():
    assert (RUBRIC_QUESTIONS.ids[0], RUBRIC_QUESTIONS.ids[-1]) == ("basic-information.1", "management-oversight.5")
    assert set(RUBRIC_QUESTIONS.ids) == CRITERION_IDS and len(RUBRIC_QUESTIONS.ids) == 26
    assert RUBRIC_QUESTIONS.questions[0].text.startswith("Basic Information: The demographic information")


def test_a_themes_own_questions_from_csv_or_json():
    assert QUESTIONS.ids == ("N1", "N2") and QUESTIONS.source == "neglect.csv"
    as_json = parse_questions(
        '[\n  {"id": "N1", "text": "Impact of neglect analysed"},\n  {"id": "N2", "text": "Plan says who does what"}\n]',
        "neglect.csv",
    )
    assert as_json == QUESTIONS
    quoted = parse_questions('# comment\nid,text\nQ.1,"Who does what, by when"\n', "q.csv")
    assert quoted.questions[0].text == "Who does what, by when"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("id,text\nN1,first\nN1,again\n", "q line 3: question N1 is listed twice"),
        (
            "id,text\nN1,first\nN2\n",
            "q line 3: expected 2 values (id,text), got 1; put a value containing commas in double quotes",
        ),
        (
            "id,text\nN 1,first\n",
            "q line 2: question id 'N 1' must be letters, digits, '.', '-' or '_' (at most 64, starting with a letter or digit)",
        ),
        ("id,text\nN1,\n", "q line 2: question N1 has no text"),
        ("question,text\nN1,first\n", "q line 1: the header must be id,text"),
        ("# nothing\n", "q: missing the header line 'id,text'"),
        ("id,text\n", "q: no questions"),
        (
            '[\n {"id": "N1", "text": "a"},\n {"id": "N2"}\n]',
            'q line 3: each question is {"id": ..., "text": ...} and no more',
        ),
        ('[\n {"id": "N1", "text": "a"},\n {"id": "N1", "text": "b"}\n]', "q line 3: question N1 is listed twice"),
        ('[\n {"id": "N1", "text": "a"}\n {"id": "N2"}\n]', "q line 3: malformed JSON (Expecting ',' delimiter)"),
    ],
)
def test_a_malformed_questions_file_is_one_line_naming_the_line(text, message):
    with pytest.raises(FileError) as refused:
        parse_questions(text, "q")
    assert str(refused.value) == message


# --- the sample ---------------------------------------------------------------------------------


def test_a_sample_is_random_or_listed_never_both():
    check_sampling(3, (), "Children in Need")
    check_sampling(None, ("LCS-100701",), None)
    for size, listed, service, message in [
        (None, (), None, "give either a sample size (drawn at random) or the cases to audit, one of them"),
        (3, ("LCS-100701",), None, "give either a sample size (drawn at random) or the cases to audit, one of them"),
        (
            None,
            ("LCS-100701",),
            "Children in Need",
            "listed cases are audited whatever their service: leave out the service",
        ),
        (None, ("LCS-100701", "LCS-100701"), None, "case LCS-100701 is listed twice"),
    ]:
        with pytest.raises(Refusal) as refused:
            check_sampling(size, listed, service)
        assert str(refused.value) == message


def test_listed_cases_must_all_be_open_in_the_snapshot():
    open_cases = [
        OpenCase(
            case_number="LCS-100701",
            system="LCS",
            service="Children in Need",
            team="Children in Need",
            practitioner="priya.practitioner",
            support_began=date(2027, 1, 25),
        )
    ]
    assert listed_sample(["LCS-100701"], open_cases, 4) == (
        SampledCase(case_number="LCS-100701", team="Children in Need", practitioner="priya.practitioner"),
    )
    with pytest.raises(Refusal, match=r"^not open in cases snapshot 4: LCS-1, EHM-2$"):
        listed_sample(["LCS-1", "LCS-100701", "EHM-2"], open_cases, 4)


# --- one reducer, two kinds ---------------------------------------------------------------------


def test_each_kind_records_under_its_own_prefix_and_the_same_reducer_folds_both():
    assert {t.split(".")[0] for t in thematic.KIND.events} == {"thematic"}
    assert {t.split(".")[0] for t in dip_audit.KIND.events} == {"dip"}
    assert len(list(thematic.KIND.events)) == len(list(dip_audit.KIND.events)) == 11
    assert apply(started(thematic.EVENTS)) == apply(started(dip_audit.EVENTS))
    assert items.kind_of_event("thematic.duty_set") is thematic.KIND
    assert items.kind_of_event("dip.started") is dip_audit.KIND
    assert items.kind_of_event("dispute.raised") is dispute.KIND


def test_answers_submission_and_the_figures():
    e = dip_audit.EVENTS
    state = allocated()
    assert state.phase == "reviewing" and duty(state, "case-LCS-100318").owner == "sam.reviewer"
    # The reminder still ahead of the allocation is kept; one already past would not be.
    assert [s.kind for s in duty(state, "case-LCS-100318").chase] == ["reminder", "overdue"]
    state = apply(
        [e.answers_recorded(case_number="LCS-100318", answers=(Answer(question_id="N1", evidence=Evidence.some),))],
        state,
        first_version=5,
        actor="sam.reviewer",
    )
    state = apply(
        [
            e.answers_recorded(
                case_number="LCS-100318",
                answers=(
                    Answer(question_id="N1", evidence=Evidence.limited, comment="not analysed"),
                    Answer(question_id="N2", evidence=Evidence.clear),
                ),
            )
        ],
        state,
        first_version=6,
        actor="sam.reviewer",
    )
    case = state.case("LCS-100318")
    assert [(a.question_id, a.evidence) for a in case.answers] == [("N1", Evidence.limited), ("N2", Evidence.clear)]
    late = CLOSES + timedelta(days=1)
    state = apply(
        [e.case_submitted(case_number="LCS-100318"), e.duties.done(key="case-LCS-100318")],
        state,
        first_version=7,
        actor="sam.reviewer",
        at=late,
    )
    assert state.case("LCS-100318").late and duty(state, "case-LCS-100318").late
    assert state.outstanding == ("LCS-100701",)
    f = figures(state)
    assert (f.sampled, f.submitted, f.late, f.outstanding) == (2, 1, 1, ("LCS-100701",))
    assert [(q.question_id, q.clear, q.some, q.limited) for q in f.questions] == [("N1", 0, 0, 1), ("N2", 1, 0, 0)]


def test_a_stream_rebuilds_with_fold():
    from domain.events import NewEvent

    events = started(thematic.EVENTS)
    recorded = [
        NewEvent(
            stream_id="thematic-x",
            version=v,
            event_id="00000000-0000-0000-0000-00000000000" + str(v),
            event_type=event.event_type,
            actor="qa.officer",
            business_time=START,
            payload=event.payload(),
        )
        for v, event in enumerate(events, start=1)
    ]
    assert fold(evolve, thematic.KIND.events, recorded) == apply(events)


# --- the rules ----------------------------------------------------------------------------------


def refusal(rule, *args) -> str:
    with pytest.raises(Refusal) as refused:
        rule(*args)
    return str(refused.value)


def test_a_reviewer_is_never_the_cases_practitioner():
    state = apply(started())
    assert refusal(
        check_allocation, state, AllocateReviewer(actor="qa.officer", case_number="LCS-100318", reviewer="jo.reviewer")
    ) == ("jo.reviewer is the allocated practitioner for case LCS-100318 and cannot review their own work")
    assert refusal(
        check_allocation, state, AllocateReviewer(actor="qa.officer", case_number="LCS-1", reviewer="sam.reviewer")
    ) == ("case LCS-1 is not in this sample (LCS-100318, LCS-100701)")
    assert refusal(
        check_allocation,
        allocated(),
        AllocateReviewer(actor="qa.officer", case_number="LCS-100318", reviewer="rosa.reviewer"),
    ) == ("case LCS-100318 already has a reviewer (sam.reviewer)")


def test_answers_are_the_allocated_reviewers_to_known_questions():
    state = allocated()
    answer = RecordAnswers(
        actor="sam.reviewer", case_number="LCS-100318", answers=(Answer(question_id="N9", evidence=Evidence.clear),)
    )
    assert refusal(check_answers, state, answer) == "unknown question N9: the questions are N1, N2"
    assert refusal(check_answers, state, answer.model_copy(update={"actor": "rosa.reviewer"})) == (
        "only the allocated reviewer (sam.reviewer) can answer for case LCS-100318"
    )
    assert refusal(check_answers, state, answer.model_copy(update={"case_number": "LCS-100701"})) == (
        "case LCS-100701 has no reviewer yet: a QA officer allocates one"
    )
    twice = (Answer(question_id="N1", evidence=Evidence.clear), Answer(question_id="N1", evidence=Evidence.some))
    assert (
        refusal(check_answers, state, answer.model_copy(update={"answers": twice})) == "question N1 is answered twice"
    )
    assert refusal(check_submission, state, SubmitCase(actor="sam.reviewer", case_number="LCS-100318")) == (
        "case LCS-100318 still needs an answer to 2 questions: N1, N2"
    )


def test_the_findings_follow_the_reviews_and_their_actions_are_smart():
    state = allocated()
    today = date(2027, 6, 2)
    assert refusal(check_publication, state, PublishReport(**NARRATIVE), today) == (
        "the findings follow the reviews: every case submitted, or the window closing on 1 June 2027"
    )
    state = apply([dip_audit.EVENTS.reviews_closed(submitted=0, outstanding=state.outstanding)], state, first_version=5)
    assert state.phase == "reporting"
    check_publication(state, PublishReport(**NARRATIVE), today)
    assert refusal(check_publication, state, PublishReport(**NARRATIVE | {"strengths": " "}), today) == (
        "the findings need strengths"
    )
    smart = SmartAction(
        action="a", support="s", responsible="priya.practitioner", by_when=date(2027, 9, 30), evidence="e"
    )
    assert refusal(check_publication, state, PublishReport(**NARRATIVE, actions=(smart,)), today) == (
        "say which action plan the actions go to"
    )
    assert refusal(check_publication, state, PublishReport(**NARRATIVE, plan_id="plan-x"), today) == (
        "no actions to add to plan-x: give the actions, or leave the plan out"
    )
    vague = SmartAction(action="do better")
    assert refusal(
        check_publication, state, PublishReport(**NARRATIVE, plan_id="plan-x", actions=(smart, vague)), today
    ) == (
        "action 2: the action is not SMART: it needs the support needed, the person responsible, by when,"
        " how completion will be shown"
    )
    check_publication(state, PublishReport(**NARRATIVE, plan_id="plan-x", actions=(smart,)), today)


def test_the_people_and_cases_an_audit_names():
    state = allocated()
    assert items.people(dip_audit.KIND, state) == {"qa.officer", "jo.reviewer", "priya.practitioner", "sam.reviewer"}
    assert items.case_numbers(dip_audit.KIND, state) == ["LCS-100318", "LCS-100701"]
    assert case_audit.REPORT_WINDOW == 10 and thematic.REVIEW_WINDOW == 20
    assert refusal(dip_audit.check_window, 61) == "a dip audit's window is 1 to 60 working days, not 61"


def test_every_event_is_put_in_words_for_the_auditors():
    from domain.audit_views import describe

    e = thematic.EVENTS
    events = [
        *started(e),
        e.reviewer_allocated(case_number="LCS-100318", reviewer="sam.reviewer"),
        e.duties.given(
            key="case-LCS-100318", owner="sam.reviewer", what="answer the questions", due_at=CLOSES, chase=()
        ),
        e.answers_recorded(case_number="LCS-100318", answers=(Answer(question_id="N1", evidence=Evidence.some),)),
        e.duties.chased(
            key="case-LCS-100318", step=ChaseStep(kind="escalation", level=1, at=CLOSES), recipients=("quinn.hoqa",)
        ),
        e.case_submitted(case_number="LCS-100318"),
        e.duties.done(key="case-LCS-100318"),
        e.reviews_closed(submitted=1, outstanding=("LCS-100701",)),
        e.findings_published(
            key_findings="k",
            strengths="s",
            areas_for_development="d",
            recommendations="r",
            figures=figures(apply(started(e))),
            plan_id="plan-team-children-in-need",
            plan_actions=("A1",),
        ),
    ]
    words = [describe(event.event_type, event.payload()) for event in events]
    assert not [w for w in words if w.startswith("thematic.")]
    assert words[0].startswith("started on Neglect plans from 2027-05-24: 2 questions from neglect.csv;")
    assert words[1] == "2 listed cases taken from open-cases snapshot 1: LCS-100318, LCS-100701"
    assert words[5] == "case-LCS-100318 escalated to level 1: quinn.hoqa told"
    assert words[-1] == "findings published: 0 of 2 cases answered; actions A1 added to plan-team-children-in-need"
