"""The Collaborative Practice Review rubric: shape, stable ids, faithful text, grades."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from domain.rubric import (
    CRITERION_IDS,
    DOMAIN_IDS,
    OFSTED_COLUMNS,
    OFSTED_DESCRIPTORS,
    RUBRIC,
    Criterion,
    Domain,
    Evidence,
    Grade,
    criterion,
)

# The source document's rubric and Ofsted grade descriptors, word for word, kept with the tests (from
# "Guidance for overall grading" up to "Guidance on completing a Team Spotlight"); the whole
# document, where a checkout has it beside it (../shared/seed/), holds that very text.
RUBRIC_SECTION = Path(__file__).parent / "source" / "rubric_and_ofsted_grades.txt"
SOURCE_DOCUMENT = Path(__file__).resolve().parents[3] / "shared" / "seed" / "000_5364d55fbe219076.txt"


def source_section(text: str) -> str:
    return text[text.index("Guidance for overall grading") : text.index("Guidance on completing a Team Spotlight")]


# Recorded events refer to these forever: this list may only ever grow at the end of a domain.
EXPECTED_IDS = [
    *(f"basic-information.{n}" for n in range(1, 7)),
    *(f"assessment.{n}" for n in range(1, 10)),
    *(f"planning-and-review.{n}" for n in range(1, 7)),
    *(f"management-oversight.{n}" for n in range(1, 6)),
]


def all_criteria() -> list[Criterion]:
    return [c for d in RUBRIC for c in d.criteria]


def all_descriptors() -> list[str]:
    return [c.descriptor(e) for c in all_criteria() for e in Evidence]


# --- shape and ids -----------------------------------------------------------


def test_domains_in_document_order_with_titles():
    assert [(d.id, d.title) for d in RUBRIC] == [
        ("basic-information", "Basic Information"),
        ("assessment", "Assessment"),
        ("planning-and-review", "Planning and Review"),
        ("management-oversight", "Management Oversight"),
    ]
    assert DOMAIN_IDS == tuple(d.id for d in RUBRIC)


def test_counts_per_domain():
    assert {d.id: len(d.criteria) for d in RUBRIC} == {
        "basic-information": 6,
        "assessment": 9,
        "planning-and-review": 6,
        "management-oversight": 5,
    }
    assert len(all_criteria()) == 26


def test_ids_are_the_stable_list_in_order():
    assert [c.id for c in all_criteria()] == EXPECTED_IDS
    assert len(set(EXPECTED_IDS)) == 26
    assert CRITERION_IDS == frozenset(EXPECTED_IDS)


def test_each_criterion_knows_its_domain_and_number():
    for domain in RUBRIC:
        for position, c in enumerate(domain.criteria, start=1):
            assert c.domain_id == domain.id
            assert c.number == position
            assert c.id == f"{domain.id}.{position}"


def test_criterion_looks_up_by_id():
    c = criterion("assessment.3")
    assert (c.domain_id, c.number) == ("assessment", 3)
    assert c.clear == "Assessment clearly identifies strengths and areas of concern, provides a detailed analysis."
    for cid in EXPECTED_IDS:
        assert criterion(cid).id == cid


@pytest.mark.parametrize("bad", ["assessment.10", "assessment.0", "Assessment.3", "basic-information", "", "x.1"])
def test_criterion_unknown_id_is_a_one_line_value_error(bad):
    with pytest.raises(ValueError) as caught:
        criterion(bad)
    message = str(caught.value)
    assert "\n" not in message
    assert repr(bad) in message
    for domain_id in DOMAIN_IDS:
        assert domain_id in message


def test_criterion_non_string_id_is_a_value_error():
    with pytest.raises(ValueError, match="unknown rubric criterion"):
        criterion(["assessment.3"])  # type: ignore[arg-type]


def test_models_are_frozen():
    c = criterion("assessment.1")
    with pytest.raises(ValidationError):
        c.clear = "changed"  # type: ignore[misc]
    with pytest.raises(ValidationError):
        RUBRIC[0].title = "changed"  # type: ignore[misc]


def test_criterion_id_must_match_domain_and_number():
    with pytest.raises(ValidationError, match="must be 'assessment.2'"):
        Criterion(id="assessment.3", domain_id="assessment", number=2, clear="a", some="b", limited="c")


def test_domain_refuses_out_of_order_or_foreign_criteria():
    one = Criterion(id="d.1", domain_id="d", number=1, clear="a", some="b", limited="c")
    two = Criterion(id="d.2", domain_id="d", number=2, clear="a", some="b", limited="c")
    other = Criterion(id="e.3", domain_id="e", number=3, clear="a", some="b", limited="c")
    assert Domain(id="d", title="D", criteria=(one, two)).criteria == (one, two)
    with pytest.raises(ValidationError, match="unique and ascending"):
        Domain(id="d", title="D", criteria=(two, one))
    with pytest.raises(ValidationError, match="unique and ascending"):
        Domain(id="d", title="D", criteria=(one, one))
    with pytest.raises(ValidationError, match="another domain"):
        Domain(id="d", title="D", criteria=(one, other))


# --- evidence columns ----------------------------------------------------------


def test_evidence_values_and_labels():
    assert [(e.value, e.label) for e in Evidence] == [
        ("clear", "Clear evidence throughout"),
        ("some", "Some evidence of good practice"),
        ("limited", "Limited or no evidence"),
    ]
    assert Evidence("some") is Evidence.some


def test_descriptor_picks_the_column():
    c = criterion("planning-and-review.6")
    assert c.descriptor(Evidence.clear) == c.clear
    assert c.descriptor(Evidence.some) == c.some
    assert c.descriptor(Evidence.limited) == c.limited
    assert c.descriptor("limited") == c.limited  # type: ignore[arg-type]


# --- descriptor text ---------------------------------------------------------


def test_first_basic_information_clear_descriptor():
    assert criterion("basic-information.1").clear.startswith(
        "The demographic information, such as address, religion, ethnicity, phone numbers"
    )
    assert criterion("basic-information.1").clear == (
        "The demographic information, such as address, religion, ethnicity, phone numbers, disability,"
        " professional involvements have all been completed and appear up to date"
    )


@pytest.mark.parametrize(
    ("cid", "column", "text"),
    [
        (
            "basic-information.2",
            "some",
            "The case summary has come of the information needed but hasn't been updated in last two months",
        ),
        (
            "assessment.4",
            "limited",
            "There are no Danger/Worry statements and Safety/Success/Wellbeing goals, with correlating scaling questions.",
        ),
        (
            "assessment.9",
            "clear",
            "Assessments reviewed and signed by manager within timescales. Evidence of some QA by Manager.",
        ),
        ("planning-and-review.2", "limited", "There is no child friendly version of the plan"),
        (
            "planning-and-review.4",
            "limited",
            "The plan is not improving the child’s life, there is drift, and the plan is not evolving",
        ),
        (
            "management-oversight.4",
            "clear",
            "Supervision has been taking place in accordance super the supervision policy and is responsive to the"
            " changing situation for the child and their needs.",
        ),
        (
            "management-oversight.5",
            "limited",
            "Management Oversight is sparse throughout the child’s record and there is no QA oversight.",
        ),
    ],
)
def test_descriptor_spot_checks_are_verbatim(cid, column, text):
    assert criterion(cid).descriptor(Evidence(column)) == text


def test_no_descriptor_carries_markup_or_stray_whitespace():
    for text in all_descriptors():
        assert "<p" not in text
        assert "</" not in text
        assert text == text.strip()
        assert "\t" not in text and "\n" not in text
        assert "  " not in text


def test_descriptors_within_a_criterion_differ():
    for c in all_criteria():
        assert len({c.clear, c.some, c.limited}) == 3, c.id


def test_every_row_matches_the_source_document():
    body = RUBRIC_SECTION.read_text(encoding="utf-8")
    rows = [
        [re.sub(r"^<p>|</p>$", "", cell.strip()).strip() for cell in line.split("\t")]
        for line in body.splitlines()
        if line.count("\t") == 2 and not line.startswith(("CLEAR EVIDENCE", "Ofsted Guidance"))
    ]
    rows = [r for r in rows if r[0] not in ("Outstanding", "Requires Improvement to be good", "Inadequate")]
    assert rows == [[c.clear, c.some, c.limited] for c in all_criteria()]
    for grade, columns in OFSTED_DESCRIPTORS.items():
        for descriptor in columns.values():
            assert descriptor is None or descriptor in body, grade


@pytest.mark.skipif(not SOURCE_DOCUMENT.exists(), reason="the source document is not beside this checkout")
def test_the_kept_section_is_the_source_documents_own():
    assert RUBRIC_SECTION.read_text(encoding="utf-8") == source_section(SOURCE_DOCUMENT.read_text(encoding="utf-8"))


# --- grades ------------------------------------------------------------------


def test_grade_values_and_order():
    assert [(g.value, g.order) for g in Grade] == [
        ("Outstanding", 1),
        ("Good", 2),
        ("Requires Improvement", 3),
        ("Inadequate", 4),
    ]
    assert sorted(Grade, key=lambda g: g.order, reverse=True)[0] is Grade.inadequate


@pytest.mark.parametrize(
    ("text", "grade"),
    [
        ("Outstanding", Grade.outstanding),
        ("outstanding", Grade.outstanding),
        ("  GOOD ", Grade.good),
        ("Good", Grade.good),
        ("Requires Improvement", Grade.requires_improvement),
        ("requires improvement", Grade.requires_improvement),
        ("Requires improvement to be good", Grade.requires_improvement),
        ("requires improvement to be good", Grade.requires_improvement),
        ("REQUIRES  IMPROVEMENT", Grade.requires_improvement),
        ("requires-improvement", Grade.requires_improvement),
        ("requires_improvement", Grade.requires_improvement),
        ("RI", Grade.requires_improvement),
        ("ri", Grade.requires_improvement),
        ("inadequate", Grade.inadequate),
        ("INADEQUATE", Grade.inadequate),
    ],
)
def test_grade_parse_accepts_variants(text, grade):
    assert Grade.parse(text) is grade


@pytest.mark.parametrize("bad", ["", "Excellent", "requires", "good enough", "R I", "1", "inadequate\nGood"])
def test_grade_parse_error_is_one_line_and_lists_the_grades(bad):
    with pytest.raises(ValueError) as caught:
        Grade.parse(bad)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("unknown grade ")
    assert message.endswith("expected one of Outstanding, Good, Requires Improvement, Inadequate")


def test_grade_parse_error_shortens_long_input_and_handles_non_strings():
    with pytest.raises(ValueError) as caught:
        Grade.parse("x" * 500)
    assert len(str(caught.value)) < 200
    with pytest.raises(ValueError, match="unknown grade None"):
        Grade.parse(None)  # type: ignore[arg-type]


# --- Ofsted descriptors --------------------------------------------------------


def test_ofsted_descriptors_cover_every_grade_and_column():
    assert list(OFSTED_DESCRIPTORS) == list(Grade)
    for columns in OFSTED_DESCRIPTORS.values():
        assert set(columns) == {"help_and_protection", "care_and_care_leavers"} == set(OFSTED_COLUMNS)


def test_good_has_no_descriptor_in_the_document():
    assert OFSTED_DESCRIPTORS[Grade.good] == {"help_and_protection": None, "care_and_care_leavers": None}
    for grade in (Grade.outstanding, Grade.requires_improvement, Grade.inadequate):
        for descriptor in OFSTED_DESCRIPTORS[grade].values():
            assert descriptor


def test_ofsted_descriptor_text():
    assert OFSTED_DESCRIPTORS[Grade.inadequate]["help_and_protection"] == (
        "‘The experiences and progress of children who need help and protection’ is likely to be judged inadequate"
        " if there are widespread or serious failures, which leave children being harmed or at risk of harm."
    )
    assert OFSTED_DESCRIPTORS[Grade.requires_improvement]["care_and_care_leavers"].startswith(
        "‘The experiences and progress of children in care and care leavers’ is likely to be judged requires"
        " improvement"
    )
    assert " judged outstanding " in OFSTED_DESCRIPTORS[Grade.outstanding]["care_and_care_leavers"]


def test_ofsted_descriptors_are_read_only():
    with pytest.raises(TypeError):
        OFSTED_DESCRIPTORS[Grade.good] = {}  # type: ignore[index]
    with pytest.raises(TypeError):
        OFSTED_DESCRIPTORS[Grade.good]["help_and_protection"] = "invented"  # type: ignore[index]
