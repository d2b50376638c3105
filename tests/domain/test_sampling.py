from __future__ import annotations

import hashlib
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.sampling import METHOD, Candidate, draw, eligible, redo

ON = date(2027, 11, 1)


def case(n: int, weeks: float) -> Candidate:
    return Candidate(case_number=f"LCS-{100000 + n}", support_began=ON - timedelta(weeks=weeks))


CASES = [case(i, weeks=4 + i) for i in range(10)] + [case(50, weeks=3.9), case(51, weeks=0)]


def test_only_children_supported_for_four_weeks_are_eligible():
    assert [c.case_number for c in eligible(CASES, ON)] == [f"LCS-{100000 + i}" for i in range(10)]
    # exactly 28 days counts as four weeks
    assert eligible([case(1, weeks=4)], ON) == [case(1, weeks=4)]


def test_the_draw_is_the_lowest_sha256_ranks_and_records_how_it_was_made():
    sample = draw(CASES, on=ON, size=3, seed="cycle-2027-11")
    by_hand = sorted(
        (c.case_number for c in eligible(CASES, ON)),
        key=lambda n: hashlib.sha256(f"cycle-2027-11:{n}".encode()).hexdigest(),
    )[:3]
    assert list(sample.sample) == by_hand
    assert (sample.method, sample.eligible_count, sample.too_recent_count) == (METHOD, 10, 2)
    assert redo(sample, CASES) == []


def test_an_altered_snapshot_or_sample_is_caught_on_redo():
    sample = draw(CASES, on=ON, size=3, seed="s")
    assert redo(sample, CASES[1:]) == [
        "the eligible cases differ from those the draw recorded",
        *(["the same seed draws a different sample"] if CASES[0].case_number in sample.sample else []),
    ]
    forged = sample.model_copy(update={"sample": tuple(reversed(sample.sample))})
    assert redo(forged, CASES) == ["the same seed draws a different sample"]


def test_a_sample_bigger_than_the_eligible_cases_is_refused():
    with pytest.raises(
        ValueError, match="only 10 cases were supported for at least 4 weeks on 2027-11-01; cannot sample 11"
    ):
        draw(CASES, on=ON, size=11, seed="s")
    with pytest.raises(ValueError, match="at least one case"):
        draw(CASES, on=ON, size=0, seed="s")


@given(st.permutations(CASES), st.text(min_size=1, max_size=20), st.integers(min_value=1, max_value=10))
def test_the_draw_depends_on_the_seed_and_cases_never_their_order(shuffled, seed, size):
    a = draw(CASES, on=ON, size=size, seed=seed)
    b = draw(list(shuffled), on=ON, size=size, seed=seed)
    assert a == b
    assert len(set(a.sample)) == size
    assert set(a.sample) <= {c.case_number for c in eligible(CASES, ON)}
