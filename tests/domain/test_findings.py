"""The findings report's figures and rendering, from cycle and review states."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from domain.action_plan import SmartAction
from domain.cpr_cycle import CycleCase, CycleState, Moderation, PublishReport, check_publication
from domain.dispute import DisputeState, StageRecord
from domain.errors import Refusal
from domain.findings import findings, render_html, render_markdown
from domain.grade_of_record import decisions, grades_of_record
from domain.review import ReviewState, SafeguardingAlert, Voice
from domain.rubric import CRITERION_IDS, Evidence, Grade
from domain.working_days import LONDON

AT = datetime(2027, 12, 1, 9, tzinfo=LONDON)


def review_state(case_number: str, limited: set[str], alerts: int = 0) -> ReviewState:
    return ReviewState(
        version=9,
        cycle_id="c",
        case_number=case_number,
        service="Children in Need",
        team="CIN",
        practitioner="p",
        reviewer="r",
        team_manager="t",
        head_of_service="h",
        opened_at=AT,
        due_at=AT,
        judgements={cid: Evidence.limited if cid in limited else Evidence.some for cid in CRITERION_IDS},
        alerts=tuple(
            SafeguardingAlert(alert_id=f"S{i}", concern="x", raised_by="r", raised_at=AT, notified=("t",))
            for i in range(alerts)
        ),
    )


def moderated(grade: Grade) -> Moderation:
    return Moderation(moderator="m", due_at=AT, grade=grade, rationale="why")


CYCLE = CycleState(
    version=20,
    service="Children in Need",
    start=date(2027, 11, 1),
    sample_size=4,
    review_due_at=AT,
    review_due_on=date(2027, 11, 29),
    started_by="qa.officer",
    phase="reporting",
    cases=(
        CycleCase(
            case_number="LCS-1",
            team="CIN",
            practitioner="p",
            reviewer="r",
            review_id="r1",
            grade=Grade.good,
            moderation=moderated(Grade.good),
        ),
        CycleCase(
            case_number="LCS-2",
            team="CIN",
            practitioner="p",
            reviewer="r",
            review_id="r2",
            grade=Grade.good,
            late=True,
            moderation=moderated(Grade.requires_improvement),
        ),
        CycleCase(
            case_number="LCS-3", team="CIN", practitioner="p", reviewer="r", review_id="r3", grade=Grade.inadequate
        ),
        CycleCase(case_number="LCS-4", team="CIN", practitioner="p", review_id="r4"),
    ),
)
REVIEWS = {
    "LCS-1": review_state("LCS-1", {"assessment.2", "planning-and-review.1"}, alerts=1),
    "LCS-2": review_state("LCS-2", {"assessment.2"}),
    "LCS-3": review_state("LCS-3", {"assessment.2", "planning-and-review.1", "basic-information.1"}),
}
NARRATIVE = PublishReport(
    actor="qa.officer",
    key_findings="k <b>",
    strengths="s",
    areas_for_development="a",
    recommendations="r",
    voices_summary="Children said they feel heard.",
)


def test_figures_come_from_the_records():
    f = findings("cpr-x", CYCLE, REVIEWS)
    assert (f.sampled, f.submitted, f.late, f.outstanding) == (4, 3, 1, ("LCS-4",))
    # The grades of record: LCS-2's moderation changed it from the reviewer's.
    assert f.grades == {"Outstanding": 0, "Good": 1, "Requires Improvement": 1, "Inadequate": 1}
    assert f.changed == ("LCS-2: Good (reviewer) -> Requires Improvement (moderation, m)",)
    assert (f.moderated, f.agreed, f.agreement_rate) == (2, 1, 0.5)
    assert f.disagreements == ("LCS-2: reviewer Good, moderator Requires Improvement",)
    assert [(c.criterion_id, c.limited) for c in f.most_limited] == [
        ("assessment.2", 3),
        ("planning-and-review.1", 2),
        ("basic-information.1", 1),
    ]
    assert f.most_limited[0].title.startswith(
        "Assessment 2: Strong evidence of working with the child's natural network"
    )
    assert f.safeguarding_alerts == 1


def test_markdown_and_html_carry_the_same_content_and_html_is_escaped():
    f = findings("cpr-x", CYCLE, REVIEWS)
    markdown = render_markdown(f, NARRATIVE, AT)
    html = render_html(f, NARRATIVE, AT)
    assert "## Moderation outcomes" in markdown and "<h2>Moderation outcomes</h2>" in html
    assert "reviewer and moderator agreed on 1 (50%)" in markdown
    assert "k <b>" in markdown and "k &lt;b&gt;" in html and "k <b>" not in html
    assert "names no child" in markdown and "names no child" in html
    assert render_markdown(f, NARRATIVE, AT) == markdown  # the same records give the same bytes


def test_a_report_lists_the_actions_it_added_and_its_plan_checks_are_the_case_audits():
    f = findings("cpr-x", CYCLE, REVIEWS)
    action = SmartAction(
        action="chronologies kept", support="a workshop", responsible="t", by_when=date(2028, 3, 31), evidence="audit"
    )
    with_actions = NARRATIVE.model_copy(update={"plan_id": "plan-team-cin", "actions": (action,)})
    markdown = render_markdown(f, with_actions, AT, ("A3",))
    assert "## Actions added to plan-team-cin\n\nA3: chronologies kept (t, by 2028-03-31)\n" in markdown
    assert "<h2>Actions added to plan-team-cin</h2>" in render_html(f, with_actions, AT, ("A3",))
    assert "Actions added" not in render_markdown(f, NARRATIVE, AT)  # a report without actions keeps its bytes
    check_publication(CYCLE, with_actions, date(2027, 12, 1))
    with pytest.raises(Refusal, match="^say which action plan the actions go to$"):
        check_publication(CYCLE, with_actions.model_copy(update={"plan_id": " "}), date(2027, 12, 1))
    with pytest.raises(Refusal, match="^action 1: by when must be a date in the future"):
        check_publication(CYCLE, with_actions, date(2028, 3, 31))


def test_a_disputes_final_decision_sets_the_grade_of_record_and_the_report_says_how_it_changed():
    decided = decisions([("r3-dispute-1", _decided("r3", Grade.requires_improvement))])
    f = findings("cpr-x", CYCLE, REVIEWS, decided)
    assert f.grades == {"Outstanding": 0, "Good": 1, "Requires Improvement": 2, "Inadequate": 0}
    assert f.changed[1] == "LCS-3: Inadequate (reviewer) -> Requires Improvement (dispute, quinn.hoqa)"
    markdown = render_markdown(f, NARRATIVE, AT)
    assert "Grades of record (after moderation and any dispute's final decision): Outstanding 0; Good 1;" in markdown
    assert "- Grade changed: LCS-3: Inadequate (reviewer) -> Requires Improvement (dispute, quinn.hoqa)" in markdown
    # A later dispute's decision is the one that stands; a decision that set no grade changes nothing.
    later = _decided("r3", Grade.good, at=AT.replace(day=3))
    unchanged = _decided("r1", None)
    decided = decisions(
        [("r3-dispute-2", later), ("r3-dispute-1", _decided("r3", Grade.inadequate)), ("r1-dispute-1", unchanged)]
    )
    assert {review: d.grade for review, d in decided.items()} == {"r3": Grade.good}
    of_record = grades_of_record("cpr-x", CYCLE, decided)
    assert [(g.case_number, g.grade.value, g.changed) for g in of_record.values()] == [
        ("LCS-1", "Good", False),
        ("LCS-2", "Requires Improvement", True),
        ("LCS-3", "Good", True),
    ]


def _decided(review_id: str, grade: Grade | None, at: datetime = AT) -> DisputeState:
    decided = StageRecord(
        stage="head_of_qa", owners=("quinn.hoqa",), opened_at=at, due_at=at, decision="final", decided_by="quinn.hoqa"
    )
    return DisputeState(
        version=5,
        review_id=review_id,
        case_number="LCS-3",
        reviewer="r",
        practitioner="p",
        raised_by="p",
        raised_at=at,
        about="judgement",
        issues="i",
        window_working_days=10,
        status="decided",
        stages=(decided,),
        closed_at=at,
        grade=grade,
    )


def test_the_report_counts_the_voices_sought_and_obtained_and_quotes_what_was_said():
    heard = {
        "child": Voice(obtained=True, summary="likes school", recorded_at=AT),
        "family": Voice(obtained=False, summary="declined", recorded_at=AT),
    }
    reviews = {**REVIEWS, "LCS-1": REVIEWS["LCS-1"].model_copy(update={"voices": heard})}
    reviews["LCS-2"] = REVIEWS["LCS-2"].model_copy(update={"voices": {"child": heard["child"]}})
    f = findings("cpr-x", CYCLE, reviews)
    assert {whose: (c.sought, c.obtained, c.not_obtained) for whose, c in f.voices.items()} == {
        "child": (2, 2, 0),
        "family": (1, 0, 1),
    }
    markdown = render_markdown(f, NARRATIVE, AT)
    assert (
        "## The voices of children and families\n\n- Children: sought 2, obtained 2, not obtained 0.\n"
        "- Families: sought 1, obtained 0, not obtained 1.\n- What they said: Children said they feel heard.\n"
    ) in markdown
