"""A dip audit: started ad hoc by a QA officer as themes emerge, over a window they set.

A case audit (domain.case_audit) of a random sample (of one service or all) or of
cases listed one by one, answered against the CPR rubric or the theme's own
questions within a window of working days given at the start. Its findings are
due 10 working days after the window, as a thematic review's are.
"""

from __future__ import annotations

from domain import case_audit, duties
from domain.errors import Refusal

MIN_WINDOW, MAX_WINDOW = 1, 60  # working days


def check_window(window: int) -> None:
    if not MIN_WINDOW <= window <= MAX_WINDOW:
        raise Refusal(f"a dip audit's window is {MIN_WINDOW} to {MAX_WINDOW} working days, not {window}")


class DipAuditStarted(case_audit.AuditStarted):
    event_type = "dip.started"


class SampleTaken(case_audit.SampleTaken):
    event_type = "dip.sample_taken"


class ReviewerAllocated(case_audit.ReviewerAllocated):
    event_type = "dip.reviewer_allocated"


class AnswersRecorded(case_audit.AnswersRecorded):
    event_type = "dip.answers_recorded"


class CaseSubmitted(case_audit.CaseSubmitted):
    event_type = "dip.case_submitted"


class ReviewsClosed(case_audit.ReviewsClosed):
    event_type = "dip.reviews_closed"


class FindingsPublished(case_audit.FindingsPublished):
    event_type = "dip.findings_published"


class DutySet(duties.DutySet):
    event_type = "dip.duty_set"


class DutyChased(duties.DutyChased):
    event_type = "dip.duty_chased"


class DutyDone(duties.DutyDone):
    event_type = "dip.duty_done"


EVENTS = case_audit.AuditEvents(
    started=DipAuditStarted,
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
DIP_EVENTS = EVENTS.registry
