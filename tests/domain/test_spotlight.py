"""A spotlight's pure rules: who manages the team, and the three children each member sees."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.directory import parse_staff_csv
from domain.errors import Refusal
from domain.spotlight import Nomination, allocate, most_reported_to, team_managers

STAFF = parse_staff_csv((Path(__file__).resolve().parents[2] / "examples" / "authority" / "staff.csv").read_text())


def of_team(team: str):
    return [m for m in STAFF if m.team == team]


def test_a_team_is_managed_by_its_team_manager_or_else_by_whom_most_of_it_reports_to():
    assert team_managers(of_team("Children in Need")) == ("nadia.manager",)
    # The QA team has no team manager: its ISROs and QA officer report to the Head of QA.
    assert team_managers(of_team("Quality and Assurance")) == ()
    assert most_reported_to(of_team("Quality and Assurance")) == ("quinn.hoqa",)
    assert most_reported_to([]) == ()


NOMINATIONS = tuple(Nomination(practitioner=f"p{i}", proud=f"LCS-{i}01", challenging=f"LCS-{i}02") for i in range(1, 5))


@given(
    members=st.integers(min_value=3, max_value=4),
    others=st.lists(st.from_regex(r"LCS-9\d{4}", fullmatch=True), min_size=4, max_size=12, unique=True),
    seed=st.text(min_size=1, max_size=12),
)
def test_each_member_sees_three_different_children_one_of_each_kind(members, others, seed):
    names = tuple(f"m{i}" for i in range(members))
    nominated = NOMINATIONS[:members]
    team_cases = tuple(others) + tuple(c for n in nominated for c in (n.proud, n.challenging))
    allocations = allocate(names, nominated, team_cases, seed)
    assert [a.member for a in allocations] == list(names)
    for a in allocations:
        assert len(set(a.cases)) == 3 and a.random in others
    assert len({a.random for a in allocations}) == members
    assert {a.proud for a in allocations} == {n.proud for n in nominated}
    assert {a.challenging for a in allocations} == {n.challenging for n in nominated}
    # No member's proud and challenging children come from the same practitioner.
    assert all(a.proud[:5] != a.challenging[:5] for a in allocations)
    assert allocate(names, nominated, team_cases, seed) == allocations  # redone from what was recorded


def test_too_few_nominations_or_team_cases_are_refused():
    names = ("a", "b", "c", "d")
    with pytest.raises(Refusal, match="4 members need 4 practitioners' proud and challenging children; the list has 3"):
        allocate(names, NOMINATIONS[:3], ("LCS-1", "LCS-2", "LCS-3", "LCS-4"), "s")
    with pytest.raises(Refusal, match="the team has 3 open cases besides the nominated ones"):
        allocate(names, NOMINATIONS, ("LCS-1", "LCS-2", "LCS-3"), "s")
