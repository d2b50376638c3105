"""The year's collated findings (domain.annual_report): the year's cycles and thematic reviews, from their states."""

from __future__ import annotations

from datetime import UTC, date, datetime

from domain.annual_report import annual_findings, render_html, render_markdown
from domain.cpr_cycle import FindingsReportPublished, Narrative
from domain.grade_of_record import decisions
from domain.rubric import Grade
from tests.domain.test_findings import CYCLE, _decided

WORDS = Narrative(
    key_findings="Plans lack timescales.",
    strengths="Voices heard.",
    areas_for_development="Chronologies.",
    recommendations="Workshops.",
)


def report(narrative: Narrative | None) -> FindingsReportPublished:
    return FindingsReportPublished(
        markdown_path="postgresql:c/findings.md",
        markdown_sha256="a" * 64,
        html_path="postgresql:c/findings.html",
        html_sha256="b" * 64,
        grades={},
        moderated=0,
        agreed=0,
        voices_summary="Children said they are listened to." if narrative else None,
        narrative=narrative,
    )


def test_the_years_cycles_with_their_grades_of_record_and_their_reports_words_and_nothing_of_another_year():
    published = CYCLE.model_copy(update={"report": report(WORDS), "phase": "complete"})
    older = CYCLE.model_copy(update={"start": date(2027, 3, 1), "service": "Care Leavers", "report": report(None)})
    next_year = CYCLE.model_copy(update={"start": date(2028, 1, 10)})
    decided = decisions([("r3-dispute-1", _decided("r3", Grade.good))])
    found = annual_findings(
        2027,
        {"cpr-2027-11-01-cin": published, "cpr-2027-03-01-cl": older, "cpr-2028-01-10-cin": next_year},
        {},
        decided,
    )
    assert [c.cycle_id for c in found.cycles] == ["cpr-2027-03-01-cl", "cpr-2027-11-01-cin"]
    # The dispute's final decision applies to the cycle whose review it is (r3 is in both copies of CYCLE).
    assert found.cycles[1].grades == {"Outstanding": 0, "Good": 2, "Requires Improvement": 1, "Inadequate": 0}
    assert found.grades["Good"] == 4
    text = render_markdown(found, datetime(2028, 1, 5, tzinfo=UTC), "qa.officer")
    assert "- CPR cycles: 2 started, 2 with findings published" in text
    assert "### Care Leavers, started 2027-03-01 (cpr-2027-03-01-cl)" in text
    # A report published before its words were recorded points to its file.
    assert "- Findings: in its findings report, postgresql:c/findings.md (SHA-256 " in text
    assert "- Key findings: Plans lack timescales.\n- Areas of strength: Voices heard." in text
    assert "- What children and families said: Children said they are listened to." in text
    assert "No thematic review started in the year." in text
    page = render_html(found, datetime(2028, 1, 5, tzinfo=UTC), "qa.officer")
    assert "<dt>Key findings</dt><dd>Plans lack timescales.</dd>" in page and "names no child" in page
