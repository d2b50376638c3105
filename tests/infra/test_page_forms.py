"""How a page's form becomes a step's values (infra.http.pages): pure, no server."""

from __future__ import annotations

from datetime import date

from domain.cpr_cycle import PublishReport
from domain.review import GiveGrade, RecordVoice
from infra.http.pages import step_form, values_of


def test_fields_rows_and_mappings_become_values_and_what_is_left_empty_is_not_given():
    form = [
        ("csrf", "abc"),
        ("key_findings", "Plans lack timescales."),
        ("strengths", "   "),
        ("judgements[assessment.3]", "clear"),
        ("actions[1][action]", "Chronology workshop"),
        ("actions[0][action]", "Supervision audit"),
        ("actions[0][by_when]", "2028-01-31"),
        ("actions[2][action]", ""),
    ]
    assert values_of(form) == {
        "key_findings": "Plans lack timescales.",
        "judgements": {"assessment.3": "clear"},
        "actions": [{"action": "Supervision audit", "by_when": "2028-01-31"}, {"action": "Chronology workshop"}],
    }
    values = values_of(form)
    report = PublishReport(
        actor="qa.officer",
        key_findings=values["key_findings"],
        strengths="s",
        areas_for_development="a",
        recommendations="r",
        actions=values["actions"],
    )
    assert report.actions[0].by_when == date(2028, 1, 31) and report.actions[1].action == "Chronology workshop"


def test_a_steps_form_offers_no_choice_beforehand_and_names_what_it_cannot_show():
    fields = {f.name: f for f in step_form(RecordVoice)}
    assert (fields["whose"].widget, fields["whose"].choices) == ("radios", [("child", "Child"), ("family", "Family")])
    assert (fields["obtained"].widget, fields["summary"].widget) == ("radios", "textarea")
    assert "actor" not in fields and "seen" not in fields
    grade = {f.name: f for f in step_form(GiveGrade)}["grade"]
    assert grade.choices[0] == ("Outstanding", "Outstanding") and grade.required
    assert {f.name: f.widget for f in step_form(PublishReport)}["actions"] == "unsupported"


def test_a_page_that_cannot_be_made_says_why_in_a_page_of_its_own():
    from infra.http.pages import problem_page

    page = problem_page("Temporal is not answering <now>", 503)
    body = page.body.decode()
    assert page.status_code == 503 and '<html lang="en">' in body and "<title>Sorry, there is a problem" in body
    assert "Temporal is not answering &lt;now&gt;" in body and "<now>" not in body


def test_after_signing_in_a_person_goes_only_somewhere_on_this_server():
    from infra.http.pages import local_path

    assert local_path("/items/cpr-2027-11-01-children-in-need?done=allocate") == (
        "/items/cpr-2027-11-01-children-in-need?done=allocate"
    )
    for elsewhere in (
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example",
        "/a\\b",
        "/my-work\r\nSet-Cookie: x",
    ):
        assert local_path(elsewhere) == "/my-work"
