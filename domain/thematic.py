"""A thematic review: four a year, its focus set by the QAPM meeting.

A case audit (domain.case_audit) whose sample is drawn at random as a CPR's is,
from one service or across all, answered against the CPR rubric or the theme's
own questions. The cycle is complete in 20 working days from its start; the
findings are due 10 working days after that.
"""

from __future__ import annotations

from domain import case_audit

REVIEW_WINDOW = 20  # working days, from the start: "the cycle must be complete in 20 working days"


EVENTS = case_audit.AuditEvents.family("thematic")
KIND = case_audit.kind("thematic review", EVENTS, "ThematicReview", ("thematic", "show"), "Thematic review duties")
