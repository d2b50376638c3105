"""The Collaborative Practice Review rubric and the grades a review ends in; pure data, no I/O.

Transcribed from the Quality Assurance Framework's Appendix 2, "Collaborative Review
Guidance" (the part from "Guidance for overall grading" up to the Team Spotlight
guidance): four domains, each criterion a row of three descriptors under the columns
CLEAR EVIDENCE THROUGHOUT / SOME EVIDENCE OF GOOD PRACTICE / LIMITED OR NO EVIDENCE,
and the Ofsted descriptors quoted for the overall grades. The descriptor texts keep
the document's wording, spelling and apostrophes (including its slips, such as
"has come of the information" and "in accordance super the supervision policy");
only the HTML ``<p>`` tags left by extraction were removed.

Domain and criterion ids (``assessment.3``) are stable: recorded events refer to them
forever, so never renumber, reuse or reorder them. Add a new criterion at the end of
its domain with the next number, and a new domain at the end of ``RUBRIC``.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import NamedTuple

from pydantic import BaseModel, ConfigDict, Field, model_validator


class Evidence(StrEnum):
    """A rubric column: how much evidence of the criterion the child's record shows."""

    clear = "clear"
    some = "some"
    limited = "limited"

    @property
    def label(self) -> str:
        """The column heading as the document words it."""
        return _EVIDENCE_LABELS[self]


_EVIDENCE_LABELS = {
    Evidence.clear: "Clear evidence throughout",
    Evidence.some: "Some evidence of good practice",
    Evidence.limited: "Limited or no evidence",
}


class Grade(StrEnum):
    """The overall judgement a reviewer gives, in Ofsted's terms."""

    outstanding = "Outstanding"
    good = "Good"
    requires_improvement = "Requires Improvement"
    inadequate = "Inadequate"

    @property
    def order(self) -> int:
        """1 for Outstanding down to 4 for Inadequate; lower is better."""
        return _GRADE_ORDER[self]

    @classmethod
    def parse(cls, text: str) -> Grade:
        """The grade `text` names, ignoring case, spacing, hyphens and underscores.

        Also accepts "Requires Improvement to be good" (the document's own row label)
        and "RI". Anything else raises ValueError with a one-line message.
        """
        if isinstance(text, str):
            key = " ".join(text.replace("-", " ").replace("_", " ").casefold().split())
            if key in _GRADE_ALIASES:
                return _GRADE_ALIASES[key]
        shown = repr(text) if not isinstance(text, str) or len(text) <= 60 else repr(text[:60] + "...")
        raise ValueError(f"unknown grade {shown}: expected one of {', '.join(g.value for g in cls)}")


_GRADE_ORDER = {
    Grade.outstanding: 1,
    Grade.good: 2,
    Grade.requires_improvement: 3,
    Grade.inadequate: 4,
}

_GRADE_ALIASES: dict[str, Grade] = {
    **{grade.value.casefold(): grade for grade in Grade},
    "requires improvement to be good": Grade.requires_improvement,
    "ri": Grade.requires_improvement,
}


class Criterion(BaseModel):
    """One row of the rubric: what each level of evidence looks like for one aspect of practice."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(min_length=1)
    domain_id: str = Field(min_length=1)
    number: int = Field(ge=1)
    clear: str = Field(min_length=1)
    some: str = Field(min_length=1)
    limited: str = Field(min_length=1)

    @model_validator(mode="after")
    def _id_is_domain_and_number(self) -> Criterion:
        if self.id != f"{self.domain_id}.{self.number}":
            raise ValueError(f"criterion id {self.id!r} must be '{self.domain_id}.{self.number}'")
        return self

    def descriptor(self, evidence: Evidence) -> str:
        """The descriptor in the column for `evidence`."""
        return getattr(self, Evidence(evidence).value)


class Domain(BaseModel):
    """A section of the rubric, with its criteria in document order."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(min_length=1)
    title: str = Field(min_length=1)
    criteria: tuple[Criterion, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _criteria_belong_and_ascend(self) -> Domain:
        numbers = [c.number for c in self.criteria]
        if any(c.domain_id != self.id for c in self.criteria):
            raise ValueError(f"domain {self.id!r} holds a criterion of another domain")
        if numbers != sorted(set(numbers)):
            raise ValueError(f"domain {self.id!r} criterion numbers must be unique and ascending, got {numbers}")
        return self


class _Row(NamedTuple):
    number: int
    clear: str
    some: str
    limited: str


# Verbatim from the document; `number` is written out so that a row inserted by
# mistake in the middle of a domain cannot silently shift the ids after it.
_SOURCE: tuple[tuple[str, str, tuple[_Row, ...]], ...] = (
    (
        "basic-information",
        "Basic Information",
        (
            _Row(
                1,
                clear="The demographic information, such as address, religion, ethnicity, phone numbers, disability, professional involvements have all been completed and appear up to date",
                some="Some of the demographic information, such as address, religion, ethnicity, phone numbers, disability, professional involvement have been completed",
                limited="Most of the demographic information, such as address, religion, ethnicity, phone numbers, disability, professional involvements are missing or out of date",
            ),
            _Row(
                2,
                clear="The case summary is up to date (within 2 months) giving a clear picture of the journey for the child",
                some="The case summary has come of the information needed but hasn't been updated in last two months",
                limited="The case summary has lots of old information within it and is very out of date",
            ),
            _Row(
                3,
                clear="The chronology is up to date (within 2 months) and details significant events that were good for the child as well as those that weren't and their impact upon the child",
                some="The chronology has some events listed with impact upon the child recorded but it is out of date",
                limited="The chronology has some events listed with no impact upon the child recorded and is out of date",
            ),
            _Row(
                4,
                clear="The written records for the child are up to date. ie., case notes, visits, plans, reports etc and always provides sufficient detail to ensure effective intervention and focussed planning",
                some="Majority of the written records for the child are up to date. ie., case notes, visits, plans, reports etc. They are concise and sets out clear plans, which are measurable and understandable",
                limited="Majority of the written records for the child are not up to date. ie., case notes, visits, plans, reports etc and does not provide sufficiently clear information to support decision making",
            ),
            _Row(
                5,
                clear="All the visits to the children are being done in a timely way in accordance with the visiting expectations for the service, they show if the child was seen alone",
                some="The majority of the visits to the children are being done in a timely way in accordance with the visiting expectations for the service, they show if the child was seen alone",
                limited="None of the visits to the children are being done in a timely way in accordance with the visiting expectations for the service, they don't show if the child was seen alone",
            ),
            _Row(
                6,
                clear="The recording on the child's file is well written, clear straightforward language they will understand has been used throughout",
                some="The recording on the child's file largely is well written, clear straightforward language they will understand has been used throughout",
                limited="Recording on the child's file is not child friendly, it isn't clear or straightforward and they will struggle to understand it",
            ),
        ),
    ),
    (
        "assessment",
        "Assessment",
        (
            _Row(
                1,
                clear="The impact of the worry on the child and therefore the reason for our assessment and involvement clear.",
                some="There is some evidence that details why we are involved and offering an assessment and how it impacts the child.",
                limited="It is unclear why an assessment was offered to the family, and the impact of the worry on the child is not mentioned.",
            ),
            _Row(
                2,
                clear="Strong evidence of working with the child's natural network (family and friends) and their role is clear.",
                some="There is some good consideration of the child's natural support, but this has not been fully explored.",
                limited="Appears very little effort was made to contact child's network and engage with them.",
            ),
            _Row(
                3,
                clear="Assessment clearly identifies strengths and areas of concern, provides a detailed analysis.",
                some="Assessment identifies some strengths and safety and areas of concern; analysis limited",
                limited="Assessment fails to identify strengths and areas of concern and provides little or no analysis.",
            ),
            _Row(
                4,
                clear="There are strong Danger/Worry statements and Safety/Success/Wellbeing goals, with correlating scaling questions, that relate to reason we are involved and our future considerations.",
                some="There are Danger/Worry statements and Safety/Success/Wellbeing goals, with correlating scaling questions. They could be stronger and more connected to the information within the assessment.",
                limited="There are no Danger/Worry statements and Safety/Success/Wellbeing goals, with correlating scaling questions.",
            ),
            _Row(
                5,
                clear="Assessment demonstrates a strong sense of the child and their lived experience. There is evidence of direct work undertaken with the child (developmentally appropriate) to ascertain what life is like for them.",
                some="The assessment gives some sense of what life is like for the child. Some evidence of direct work with the child (using developmentally appropriate tools).",
                limited="No evidence that bring the child to life in the assessment, nothing to suggest child seen, or any direct work.",
            ),
            _Row(
                6,
                clear="Assessment includes strong evidence of multi-agency context, and this information is used to inform decision making.",
                some="Assessment includes some information from other agencies, and it contributed towards decision making.",
                limited="No evidence multi-agency contribution was sought within the assessment.",
            ),
            _Row(
                7,
                clear="Clear evidence detailing the practitioners' recommendations for the next steps that strongly connect to the analysis of needs for the child evidenced in the assessment.",
                some="Some good recommendations that make sense as they connect to the analysis within the assessment.",
                limited="The recommendations are unclear and do not connect to the analysis and what the child needs.",
            ),
            _Row(
                8,
                clear="Outcome of the assessment is shared with parent/carers and children in a way that helps them to understand, and their feedback was sought and recorded.",
                some="Assessment and outcome of assessment shared with parent/carers and child/young person.",
                limited="Assessment and outcome not shared with family.",
            ),
            _Row(
                9,
                clear="Assessments reviewed and signed by manager within timescales. Evidence of some QA by Manager.",
                some="Assessments reviewed and signed by manager within timescales and some evidence of QA oversight provided.",
                limited="Assessments not signed off by manager in time, no obvious QA by manager.",
            ),
        ),
    ),
    (
        "planning-and-review",
        "Planning and Review",
        (
            _Row(
                1,
                clear="The plan has been family led and supported by the worker. The plan clearly outlines the day-to-day actions that parents and carers will undertake to ensure the child’s safety and wellbeing and is not a list of services to attend. The plan has clear timescales and has evolved over time",
                some="The plan is more focused on tasks and services rather than who, within the family and friends’ network, will do what in the children’s day to day life to keep them safe and well. The plan has some timescales",
                limited="There is no evidence of the child, their family, or network being involved in planning and/or decision-making. The plan just tells them what to do. The plan has no timescales",
            ),
            _Row(
                2,
                clear="A child friendly version of the plan has been developed to ensure everyone understands who has agreed to do what. The child has their own copy",
                some="There has been an attempt to explain the plan to the child in a way that helped them to understand",
                limited="There is no child friendly version of the plan",
            ),
            _Row(
                3,
                clear="Reviews are organised to allow maximum attendance of family and professionals. For those who cannot attend their views are sought and feedback is given regularly",
                some="There is some consideration of family/friends’ network support, but has not been fully explored. Their views are partially reflected",
                limited="Key family and friends or professionals are sometimes not invited to review meetings, there has been no opportunity for them to provide their views",
            ),
            _Row(
                4,
                clear="There is strong evidence to show that the plan is making a positive difference to the child’s life, there is no drift. Where there is evidence, the plan is not meeting the child’s needs, the reasons for this are explored and changes made",
                some="Recording indicates that the plan is having some positive impact on the child and family; consideration is given to amending the plan to better meet the child’s needs",
                limited="The plan is not improving the child’s life, there is drift, and the plan is not evolving",
            ),
            _Row(
                5,
                clear="Records of reviews are comprehensive and provide details analysis of the issues and actions that are required to meet outcomes, including timescales",
                some="Records of reviews are in place, setting out key information, including recommendations and some actions",
                limited="Review records are insufficiently detailed to enable clear planning and action",
            ),
            _Row(
                6,
                clear="The plan has been reviewed in accordance with statutory/procedural requirements and is responsive to the child’s changing needs",
                some="The plan has been reviewed in accordance with statutory/procedural requirements",
                limited="The plan has not been reviewed in accordance with statutory/procedural requirements",
            ),
        ),
    ),
    (
        "management-oversight",
        "Management Oversight",
        (
            _Row(
                1,
                clear="Supervision is reflective, analytical and evidences issues which have been raised. It sets clear parameters regarding required actions, contingencies, and outstanding work, addressing timescales effectively.",
                some="Supervision decisions are recorded on the child’s electronic file, but limited evidence of reflection and evaluation of work carried out.",
                limited="Supervision records do not provide an outline of decision making, have no evidence of reflection or analysis and/or fail to address concerns.",
            ),
            _Row(
                2,
                clear="Supervision reviews all actions from previous supervision and there are records to update how these are progressing.",
                some="Supervision reviews actions of previous supervision but there is limited detail as to how these are progressing.",
                limited="There is no evidence that previously agreed actions were revisited, there is no information available.",
            ),
            _Row(
                3,
                clear="The supervision record reflects what is going on for the child and connects to the relevant plan that is in place addressing their needs, the actions connect to this overarching plan.",
                some="There is a connection between supervision and the overall plan but would benefit from being stronger and clearer as to how decisions were made and what they are hoping to achieve.",
                limited="There is no obvious connection in the supervision records to the overall plan for the child.",
            ),
            _Row(
                4,
                clear="Supervision has been taking place in accordance super the supervision policy and is responsive to the changing situation for the child and their needs.",
                some="Supervision has been taking place in accordance with the supervision policy and in part reflects the emerging picture for the child.",
                limited="Supervision has not been taking place in accordance with the supervision policy.",
            ),
            _Row(
                5,
                clear="Management Oversight is strongly evidenced throughout the child’s record including any QA oversight.",
                some="Management Oversight is evident throughout the child’s record. There is some QA oversight.",
                limited="Management Oversight is sparse throughout the child’s record and there is no QA oversight.",
            ),
        ),
    ),
)

RUBRIC: tuple[Domain, ...] = tuple(
    Domain(
        id=domain_id,
        title=title,
        criteria=tuple(Criterion(id=f"{domain_id}.{row.number}", domain_id=domain_id, **row._asdict()) for row in rows),
    )
    for domain_id, title, rows in _SOURCE
)
"""The rubric's domains in document order."""

_BY_ID: Mapping[str, Criterion] = MappingProxyType({c.id: c for d in RUBRIC for c in d.criteria})
if len(_BY_ID) != sum(len(d.criteria) for d in RUBRIC) or len({d.id for d in RUBRIC}) != len(RUBRIC):
    raise RuntimeError("rubric ids are not unique")

CRITERION_IDS: frozenset[str] = frozenset(_BY_ID)
"""Every criterion id, e.g. ``assessment.3``."""

DOMAIN_IDS: tuple[str, ...] = tuple(d.id for d in RUBRIC)
"""Every domain id, in document order."""


def criterion(id: str) -> Criterion:
    """The criterion with this id; ValueError with a one-line message if there is none."""
    try:
        return _BY_ID[id]
    except (KeyError, TypeError):
        raise ValueError(
            f"unknown rubric criterion {id!r}: ids are '<domain>.<n>' with <domain> one of {', '.join(DOMAIN_IDS)}"
        ) from None


OFSTED_COLUMNS: Mapping[str, str] = MappingProxyType(
    {
        "help_and_protection": "Children in need of help and protection",
        "care_and_care_leavers": "Children in care and care leavers",
    }
)
"""The keys of each `OFSTED_DESCRIPTORS` entry and the column headings they stand for."""

OFSTED_DESCRIPTORS: Mapping[Grade, Mapping[str, str | None]] = MappingProxyType(
    {
        Grade.outstanding: MappingProxyType(
            {
                "help_and_protection": (
                    "‘The experiences and progress of children who need help and protection’ is likely to be judged"
                    " outstanding if the response to children and families is consistently good or better and"
                    " results in sustained improvement to the lives of children, young people and their families."
                ),
                "care_and_care_leavers": (
                    "‘The experiences and progress of children in care and care leavers’ is likely to be judged"
                    " outstanding if the response to children in care and care leavers is consistently good or"
                    " better and results in sustained improvement to the lives of children in care and care leavers."
                ),
            }
        ),
        # The document quotes no descriptor for Good; none is invented here.
        Grade.good: MappingProxyType({"help_and_protection": None, "care_and_care_leavers": None}),
        # The document's row is labelled "Requires Improvement to be good".
        Grade.requires_improvement: MappingProxyType(
            {
                "help_and_protection": (
                    "‘The experiences and progress of children who need help and protection’ is likely to be judged"
                    " requires improvement if there are no widespread or serious failures that create or leave"
                    " children being harmed or at risk of harm. However, the local authority is not yet consistently"
                    " delivering good help and protection for children, young people and families."
                ),
                "care_and_care_leavers": (
                    "‘The experiences and progress of children in care and care leavers’ is likely to be judged"
                    " requires improvement if there are no widespread or serious failures or unnecessary delays that"
                    " result in the welfare of children in care or care leavers not being safeguarded and promoted."
                    " However, the local authority is not yet consistently delivering good help and care for children"
                    " in care and care leavers."
                ),
            }
        ),
        Grade.inadequate: MappingProxyType(
            {
                "help_and_protection": (
                    "‘The experiences and progress of children who need help and protection’ is likely to be judged"
                    " inadequate if there are widespread or serious failures, which leave children being harmed or at"
                    " risk of harm."
                ),
                "care_and_care_leavers": (
                    "‘The experiences and progress of children in care and care leavers’ is likely to be judged"
                    " inadequate if there are widespread or serious failures, including unnecessary delay in achieving"
                    " permanence, which result in their welfare not being safeguarded and promoted."
                ),
            }
        ),
    }
)
"""Ofsted's descriptors for each grade as the document quotes them; None where it gives none (Good)."""
