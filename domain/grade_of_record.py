"""The grade of record of a sampled child's review: what reports, packs and trends count.

Appendix 2: moderation exists to make the reviews' outcomes consistent, so the moderator's grade (agreed after their
conversation with the reviewer where the two differ) replaces the reviewer's; a dispute about the judgement may end
in a final decision that sets it again. The grade of record is the last of these, and its steps say how it changed.
It is read across the cycle's stream and its reviews' disputes (each its own stream), never recorded twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime

from domain.cpr_cycle import CycleState
from domain.dispute import DISPUTE_EVENTS, DisputeState, evolve
from domain.events import NewEvent, fold
from domain.frozen import Frozen
from domain.rubric import Grade

GradeBy = Literal["reviewer", "moderation", "dispute"]


class GradeStep(Frozen):
    by: GradeBy
    grade: Grade
    who: str
    item: str  # where it is recorded: the review, the cycle (moderation) or the dispute


class GradeOfRecord(Frozen):
    case_number: str
    grade: Grade
    steps: tuple[GradeStep, ...]

    @property
    def changed(self) -> bool:
        return self.grade != self.steps[0].grade

    def words(self) -> str:
        """E.g. "Requires Improvement (reviewer) -> Good (moderation, maya.moderator)"."""
        return " -> ".join(f"{s.grade.value} ({s.by}{'' if s.by == 'reviewer' else ', ' + s.who})" for s in self.steps)


class DisputeDecision(Frozen):
    dispute_id: str
    review_id: str
    grade: Grade
    decided_by: str
    decided_at: AwareDatetime


def decisions(disputes: Iterable[tuple[str, DisputeState]]) -> dict[str, DisputeDecision]:
    """By review id, the last final decision that set a grade (a review may be disputed more than once)."""
    decided: dict[str, DisputeDecision] = {}
    for dispute_id, state in disputes:
        current = state.current
        if state.grade is None or state.closed_at is None or current is None or current.decided_by is None:
            continue
        decision = DisputeDecision(
            dispute_id=dispute_id,
            review_id=state.review_id,
            grade=state.grade,
            decided_by=current.decided_by,
            decided_at=state.closed_at,
        )
        earlier = decided.get(state.review_id)
        if earlier is None or (earlier.decided_at, earlier.dispute_id) < (decision.decided_at, dispute_id):
            decided[state.review_id] = decision
    return decided


def decided_in(streams: Mapping[str, Sequence[NewEvent]], until: datetime | None = None) -> dict[str, DisputeDecision]:
    """`decisions` from disputes' recorded streams, as they stood at `until` (all of them, if None)."""
    return decisions(
        (
            dispute_id,
            fold(evolve, DISPUTE_EVENTS, [e for e in events if until is None or e.business_time <= until]),
        )
        for dispute_id, events in streams.items()
        if events
    )


def grades_of_record(
    cycle_id: str, cycle: CycleState, decided: Mapping[str, DisputeDecision]
) -> dict[str, GradeOfRecord]:
    """Each submitted review's grade of record, by case number, in the sample's order."""
    graded: dict[str, GradeOfRecord] = {}
    for case in cycle.cases:
        if case.grade is None:
            continue
        review_id = case.review_id or ""
        steps = [GradeStep(by="reviewer", grade=case.grade, who=case.reviewer or "", item=review_id)]
        moderation = case.moderation
        if moderation is not None and moderation.grade is not None:
            steps.append(GradeStep(by="moderation", grade=moderation.grade, who=moderation.moderator, item=cycle_id))
        decision = decided.get(review_id)
        if decision is not None:
            steps.append(
                GradeStep(by="dispute", grade=decision.grade, who=decision.decided_by, item=decision.dispute_id)
            )
        graded[case.case_number] = GradeOfRecord(
            case_number=case.case_number, grade=steps[-1].grade, steps=tuple(steps)
        )
    return graded
