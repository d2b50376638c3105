"""How a step's form is made from its request and a posted form becomes its values (infra.http.forms): pure, no
server."""

from __future__ import annotations

from datetime import date

from domain.case_audit import RecordAnswers
from domain.cpr_cycle import PublishReport
from domain.review import GiveGrade, RecordVoice
from domain.spotlight import GiveRecord, SendDocuments
from infra.http.forms import kept_value, shape, step_form, values_of


def test_fields_rows_and_mappings_become_values_and_what_is_left_empty_is_not_given():
    form = [
        ("csrf", "abc"),
        ("key_findings", "Plans lack timescales."),
        ("strengths", "   "),
        ("judgements[assessment.3]", "clear"),
        ("actions[1][action]", "Chronology workshop"),
        ("actions[0][action]", "Supervision audit"),
        ("actions[0][by_when]", "2028-01-31"),
        ("actions[10][action]", "Tenth"),
        ("actions[2][action]", ""),
    ]
    values = values_of(form)
    assert values == {
        "key_findings": "Plans lack timescales.",
        "judgements": {"assessment.3": "clear"},
        "actions": {
            "1": {"action": "Chronology workshop"},
            "0": {"action": "Supervision audit", "by_when": "2028-01-31"},
            "10": {"action": "Tenth"},
        },
    }
    shaped = shape(PublishReport, values)
    assert [a["action"] for a in shaped["actions"]] == ["Supervision audit", "Chronology workshop", "Tenth"]
    report = PublishReport(actor="qa.officer", strengths="s", areas_for_development="a", recommendations="r", **shaped)
    assert report.actions[0].by_when == date(2028, 1, 31) and report.actions[1].action == "Chronology workshop"


def test_a_member_record_nests_its_themes_and_lines_and_keyed_rows_carry_their_key():
    form = [
        ("record[sections][culture][positives]", "Calm, orderly office."),
        ("record[sections][practice][development]", "Visit records are late."),
        ("record[grade]", "Good"),
        ("record[focus]", "Timely recording."),
        ("record[records_viewed][]", "LCS-1\r\n\r\n LCS-2 \n"),
        ("documents[team-action-plan][reference]", "plans/team-a.docx"),
        ("documents[qapm-reports][reference]", ""),
        ("answers[Q1][evidence]", "some"),
        ("answers[2][evidence]", "clear"),
        ("answers[2][comment]", "Well evidenced."),
    ]
    values = values_of(form)
    record = GiveRecord(actor="tom.manager", **shape(GiveRecord, values)).record
    assert record.records_viewed == ("LCS-1", "LCS-2") and record.grade.value == "Good"
    assert record.sections["culture"].positives == "Calm, orderly office." and set(record.sections) == {
        "culture",
        "practice",
    }
    documents = SendDocuments(actor="tom.manager", **shape(SendDocuments, values)).documents
    assert [(d.kind, d.reference) for d in documents] == [("team-action-plan", "plans/team-a.docx")]
    # A question whose id is a number stays a keyed row, never taken for a row's number.
    answers = RecordAnswers(actor="sam", case_number="C1", **shape(RecordAnswers, values)).answers
    assert [(a.question_id, a.evidence.value, a.comment) for a in answers] == [
        ("Q1", "some", None),
        ("2", "clear", "Well evidenced."),
    ]


def test_a_steps_form_offers_no_choice_beforehand_and_the_documents_words():
    fields = {f.name: f for f in step_form(RecordVoice)}
    assert (fields["whose"].widget, fields["whose"].choices) == ("radios", [("child", "Child"), ("family", "Family")])
    assert (fields["obtained"].widget, fields["summary"].widget) == ("radios", "textarea")
    assert "actor" not in fields and "seen" not in fields
    grade = {f.name: f for f in step_form(GiveGrade)}["grade"]
    assert grade.choices[0] == ("Outstanding", "Outstanding") and grade.required
    (record,) = step_form(GiveRecord)
    inner = {f.name: f for f in record.fields}
    themes = inner["record[sections]"]
    assert [key.label for key, _ in themes.rows][0] == "Section 1: Culture of the team"
    assert "Staff turnover" in themes.rows[0][0].prompts and len(themes.rows) == 5
    assert inner["record[grade]"].label == "Overall grading (please select one)"
    assert inner["record[records_viewed][]"].widget == "lines"
    # Rows of SMART actions: three to begin with, one more when asked, and those a refused form kept.
    actions = {f.name: f for f in step_form(PublishReport)}["actions"]
    assert (actions.widget, len(actions.rows), actions.more) == ("rows", 3, True)
    assert len({f.name: f for f in step_form(PublishReport, more="actions")}["actions"].rows) == 4
    kept = {"actions": {"4": {"action": "Fifth"}}}
    assert len({f.name: f for f in step_form(PublishReport, kept=kept)}["actions"].rows) == 5
    assert kept_value(kept, ("actions", "4", "action")) == "Fifth" and kept_value(kept, ("actions", "9")) is None
    # A case audit's rows are its questions, from the item's state; none before it has them.
    assert {f.name: f for f in step_form(RecordAnswers)}["answers"].rows == []


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


def test_a_case_audits_voices_are_on_its_answer_form_only_when_it_asks_for_them():
    from types import SimpleNamespace

    from domain.case_audit import QuestionSet

    questions = QuestionSet(source="test", questions=({"id": "N1", "text": "Impact analysed"},))
    asking = SimpleNamespace(questions=questions, asks_voices=True)
    fields = {f.path[-1]: f for f in step_form(RecordAnswers, asking)}
    assert [key.key for key, _ in fields["voices"].rows] == ["child", "family"] and not fields["voices"].more
    assert "voices" not in {f.path[-1] for f in step_form(RecordAnswers, SimpleNamespace(questions=questions))}
    values = values_of(
        [
            ("case_number", "LCS-1"),
            ("voices[child][obtained]", "true"),
            ("voices[child][summary]", "Says home is calmer."),
            ("voices[family][summary]", ""),
        ]
    )
    given = RecordAnswers(actor="sam.reviewer", **shape(RecordAnswers, values))
    assert [(v.whose, v.obtained, v.summary) for v in given.voices] == [("child", True, "Says home is calmer.")]
