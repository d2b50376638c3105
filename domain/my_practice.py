"""My practice: the results of the CPR reviews of a practitioner's own cases, for them and their line managers.

The framework closes the loop at the individual level: what a review found is for the practitioner's supervision
and appraisal. A person sees the submitted reviews of their own cases and, as a line manager (at any level above),
those of the people who report to them; nobody else (the QA team and auditors read the items themselves, by the
audit rule). Each line gives the grade of record and how it changed (moderation, a dispute's final decision), the
review's conclusion and its actions, with their progress.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from domain.cpr_cycle import CycleState
from domain.directory import StaffMember, management_chain
from domain.frozen import Frozen
from domain.grade_of_record import DisputeDecision, GradeOfRecord, grades_of_record
from domain.review import ReviewState


class ActionLine(Frozen):
    action_id: str
    action: str
    due_by: str
    done: bool


class PracticeReview(Frozen):
    review_id: str
    cycle_id: str
    case_number: str
    practitioner: str
    reviewer: str
    submitted_on: str
    grade_of_record: GradeOfRecord | None  # None while its cycle has not recorded the submission
    working_well: str | None
    do_differently: str | None
    actions: tuple[ActionLine, ...]


def whose_practice(reader: str, staff: Iterable[StaffMember]) -> set[str]:
    """`reader` and everyone who reports to them, directly or through others (line managers from the directory)."""
    by_id = {m.staff_id: m for m in staff}
    return {reader} | {s for s in by_id if any(m.staff_id == reader for m in management_chain(by_id, s))}


def practice_reviews(
    reviews: Mapping[str, ReviewState], cycles: Mapping[str, CycleState], decided: Mapping[str, DisputeDecision]
) -> list[PracticeReview]:
    """The submitted reviews among `reviews` (by id), newest first, with their cycles' grades of record."""
    of_record = {cycle_id: grades_of_record(cycle_id, cycle, decided) for cycle_id, cycle in cycles.items()}
    lines = []
    for review_id, state in reviews.items():
        if state.submitted_at is None:
            continue
        conclusion = state.conclusion
        lines.append(
            PracticeReview(
                review_id=review_id,
                cycle_id=state.cycle_id,
                case_number=state.case_number,
                practitioner=state.practitioner,
                reviewer=state.reviewer,
                submitted_on=state.submitted_at.date().isoformat(),
                grade_of_record=of_record.get(state.cycle_id, {}).get(state.case_number),
                working_well=conclusion.working_well if conclusion else None,
                do_differently=conclusion.do_differently if conclusion else None,
                actions=tuple(
                    ActionLine(
                        action_id=a.action_id,
                        action=a.action,
                        due_by=a.due_by.isoformat(),
                        done=a.completed_at is not None,
                    )
                    for a in state.actions
                ),
            )
        )
    return sorted(lines, key=lambda line: (line.submitted_on, line.review_id), reverse=True)
