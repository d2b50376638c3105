"""How a service's practice moves across its CPR cycles: "How did we make a difference?".

Per service, every cycle in start order with its grades of record (after moderation and any dispute's final
decision), the rubric criteria most often found "limited or no evidence", the voices of children and families
sought and obtained, and its reviews' and moderations' deadlines met, met late and missed. A pure fold of what the
records hold: the same log always gives the same trend.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import date

from domain.cpr_cycle import CycleState
from domain.frozen import Frozen
from domain.grade_of_record import DisputeDecision, grades_of_record
from domain.review import ReviewState, VoiceCount, count_voices
from domain.rubric import Evidence, Grade

MOST_LIMITED = 3  # criteria named per cycle


class CriterionLimited(Frozen):
    criterion_id: str
    reviews: int  # reviews that found it "limited or no evidence"


class CycleTrend(Frozen):
    cycle_id: str
    start: date
    phase: str
    sampled: int
    grades: dict[str, int]  # grade of record -> reviews
    limited: tuple[CriterionLimited, ...]
    voices: dict[str, VoiceCount]
    reviews_on_time: int
    reviews_late: int
    reviews_missed: int  # not in when the reviews closed
    moderated: int
    agreed: int

    @property
    def graded(self) -> int:
        return sum(self.grades.values())

    def share(self, *grades: Grade) -> float | None:
        """The share of the cycle's graded reviews with one of `grades` (None before any is graded)."""
        return sum(self.grades.get(g.value, 0) for g in grades) / self.graded if self.graded else None


class ServiceTrend(Frozen):
    service: str
    cycles: tuple[CycleTrend, ...]  # oldest first


def cycle_trend(
    cycle_id: str, cycle: CycleState, reviews: Mapping[str, ReviewState], decided: Mapping[str, DisputeDecision]
) -> CycleTrend:
    """One cycle's line: `reviews` its submitted reviews' states by case number, `decided` its disputes' decisions."""
    of_record = grades_of_record(cycle_id, cycle, decided)
    limited = Counter(
        criterion for state in reviews.values() for criterion, e in state.judgements.items() if e == Evidence.limited
    )
    submitted = [c for c in cycle.cases if c.submitted]
    moderated = [c for c in cycle.cases if c.agreed is not None]
    return CycleTrend(
        cycle_id=cycle_id,
        start=cycle.start,
        phase=cycle.phase,
        sampled=len(cycle.cases),
        grades={g.value: sum(r.grade == g for r in of_record.values()) for g in Grade},
        limited=tuple(
            CriterionLimited(criterion_id=c, reviews=n)
            for c, n in sorted(limited.items(), key=lambda item: (-item[1], item[0]))[:MOST_LIMITED]
        ),
        voices=count_voices(
            (whose, voice.obtained)
            for _, state in sorted(reviews.items())
            for whose, voice in sorted(state.voices.items())
        ),
        reviews_on_time=sum(not c.late for c in submitted),
        reviews_late=sum(c.late for c in submitted),
        reviews_missed=len(cycle.outstanding_at_close),
        moderated=len(moderated),
        agreed=sum(bool(c.agreed) for c in moderated),
    )


def by_service(lines: Iterable[tuple[str, CycleTrend]]) -> tuple[ServiceTrend, ...]:
    """(service, cycle line) pairs as each service's trend, services in name order, cycles oldest first."""
    grouped: dict[str, list[CycleTrend]] = {}
    for service, line in lines:
        grouped.setdefault(service, []).append(line)
    return tuple(
        ServiceTrend(service=service, cycles=tuple(sorted(found, key=lambda c: (c.start, c.cycle_id))))
        for service, found in sorted(grouped.items())
    )


def trend_in_words(trend: ServiceTrend) -> list[str]:
    """A line per cycle: its grades of record, what was most often limited, the voices obtained, the deadlines."""
    lines = []
    for c in trend.cycles:
        grades = ", ".join(f"{n} {g}" for g, n in c.grades.items() if n) or "none graded yet"
        good = c.share(Grade.outstanding, Grade.good)
        limited = ", ".join(f"{x.criterion_id} ({x.reviews})" for x in c.limited) or "none"
        voices = "; ".join(f"{w} {v.obtained} of {v.sought}" for w, v in c.voices.items())
        lines.append(
            f"{c.start.isoformat()} {c.cycle_id}: {grades}"
            + (f" ({good:.0%} good or better)" if good is not None else "")
            + f"; most often limited: {limited}; voices obtained: {voices}; reviews on time {c.reviews_on_time},"
            f" late {c.reviews_late}, missed {c.reviews_missed}"
        )
    return lines
