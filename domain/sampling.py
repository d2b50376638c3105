"""Choosing the children whose records a cycle reviews: at random, and provably so.

The framework asks for records "selected randomly" among children "supported for
at least 4 weeks". The draw must be checkable afterwards by someone who trusts
neither us nor Python's random module, so it is defined here in plain terms:

    rank(case) = SHA-256(seed + ":" + case_number), as hex
    sample     = the `size` eligible cases with the smallest ranks, in rank order

Anyone holding the eligible list (its digest is recorded), the seed and the size
can redo the draw with any SHA-256 tool and get the same sample.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from datetime import date, timedelta

from domain.audit_chain import canonical_json
from domain.frozen import Frozen

METHOD = "sha256-rank/v1"
MAX_SAMPLE = 200  # children one cycle, review or audit samples at most
MIN_SUPPORT = timedelta(weeks=4)


class Candidate(Frozen):
    """What the draw needs to know of an open case: no more."""

    case_number: str
    support_began: date


class SampleDraw(Frozen):
    method: str
    seed: str
    size: int
    on: date
    eligible_digest: str
    eligible_count: int
    too_recent_count: int
    sample: tuple[str, ...]


def eligible(candidates: Iterable[Candidate], on: date) -> list[Candidate]:
    """Cases supported for at least 4 weeks on `on`, in case-number order."""
    return sorted((c for c in candidates if on - c.support_began >= MIN_SUPPORT), key=lambda c: c.case_number)


def eligible_digest(cases: Sequence[Candidate]) -> str:
    text = canonical_json([[c.case_number, c.support_began.isoformat()] for c in cases])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def rank(seed: str, case_number: str) -> str:
    return hashlib.sha256(f"{seed}:{case_number}".encode()).hexdigest()


def _lowest_ranks(pool: Sequence[Candidate], seed: str, size: int) -> tuple[str, ...]:
    return tuple(c.case_number for c in sorted(pool, key=lambda c: rank(seed, c.case_number))[:size])


def draw(candidates: Sequence[Candidate], *, on: date, size: int, seed: str) -> SampleDraw:
    """The sample for a cycle starting `on`; refuses a size the eligible cases cannot fill."""
    if size < 1:
        raise ValueError(f"a sample needs at least one case, not {size}")
    pool = eligible(candidates, on)
    if len(pool) < size:
        raise ValueError(
            f"only {len(pool)} cases were supported for at least 4 weeks on {on.isoformat()}; cannot sample {size}"
        )
    return SampleDraw(
        method=METHOD,
        seed=seed,
        size=size,
        on=on,
        eligible_digest=eligible_digest(pool),
        eligible_count=len(pool),
        too_recent_count=len(candidates) - len(pool),
        sample=_lowest_ranks(pool, seed, size),
    )


def method_in_words(recorded: SampleDraw, snapshot_id: int, where: str) -> str:
    """How the draw was made, for a reader who will redo it with any SHA-256 tool."""
    return (
        f"From open-cases snapshot {snapshot_id} ({where}), the {recorded.eligible_count} cases supported for at least"
        f" 4 weeks on {recorded.on.isoformat()} (their list's SHA-256 {recorded.eligible_digest}) were each ranked by"
        f' SHA-256("{recorded.seed}:" + the case number) as hex; the sample is the {recorded.size} with the smallest'
        " ranks, in rank order."
    )


def redo(recorded: SampleDraw, candidates: Sequence[Candidate]) -> list[str]:
    """An auditor's check of a recorded draw against the snapshot it came from; returns the problems."""
    if recorded.method != METHOD:
        return [f"unknown draw method {recorded.method!r}"]
    pool = eligible(candidates, recorded.on)
    problems = []
    if eligible_digest(pool) != recorded.eligible_digest:
        problems.append("the eligible cases differ from those the draw recorded")
    if _lowest_ranks(pool, recorded.seed, recorded.size) != recorded.sample:
        problems.append("the same seed draws a different sample")
    return problems
