"""A dip audit: started ad hoc by a QA officer as themes emerge, over a window they set.

A case audit (domain.case_audit) of a random sample (of one service or all) or of
cases listed one by one, answered against the CPR rubric or the theme's own
questions within a window of working days given at the start. Its findings are
due 10 working days after the window, as a thematic review's are.
"""

from __future__ import annotations

from domain import case_audit
from domain.errors import Refusal

MIN_WINDOW, MAX_WINDOW = 1, 60  # working days


def check_window(window: int) -> None:
    if not MIN_WINDOW <= window <= MAX_WINDOW:
        raise Refusal(f"a dip audit's window is {MIN_WINDOW} to {MAX_WINDOW} working days, not {window}")


EVENTS = case_audit.AuditEvents.family("dip")
KIND = case_audit.kind("dip audit", EVENTS, "DipAudit", ("dip", "show"), "Dip audit duties")
