"""A thematic review: four a year, its focus set by the QAPM meeting.

A case audit (domain.case_audit) whose sample is drawn at random as a CPR's is,
from one service or across all, answered against the CPR rubric or the theme's
own questions. The cycle is complete in 20 working days from its start; the
findings are due 10 working days after that.
"""

from __future__ import annotations

from domain import case_audit, duties

REVIEW_WINDOW = 20  # working days, from the start: "the cycle must be complete in 20 working days"


class ThematicStarted(case_audit.AuditStarted):
    event_type = "thematic.started"


class SampleTaken(case_audit.SampleTaken):
    event_type = "thematic.sample_taken"


class ReviewerAllocated(case_audit.ReviewerAllocated):
    event_type = "thematic.reviewer_allocated"


class AnswersRecorded(case_audit.AnswersRecorded):
    event_type = "thematic.answers_recorded"


class CaseSubmitted(case_audit.CaseSubmitted):
    event_type = "thematic.case_submitted"


class ReviewsClosed(case_audit.ReviewsClosed):
    event_type = "thematic.reviews_closed"


class FindingsPublished(case_audit.FindingsPublished):
    event_type = "thematic.findings_published"


class DutySet(duties.DutySet):
    event_type = "thematic.duty_set"


class DutyChased(duties.DutyChased):
    event_type = "thematic.duty_chased"


class DutyDone(duties.DutyDone):
    event_type = "thematic.duty_done"


EVENTS = case_audit.AuditEvents(
    started=ThematicStarted,
    sample_taken=SampleTaken,
    reviewer_allocated=ReviewerAllocated,
    answers_recorded=AnswersRecorded,
    case_submitted=CaseSubmitted,
    reviews_closed=ReviewsClosed,
    findings_published=FindingsPublished,
    duty_set=DutySet,
    duty_chased=DutyChased,
    duty_done=DutyDone,
)
THEMATIC_EVENTS = EVENTS.registry
