"""Signing in's pure rules: how long a token lives, what a password must be."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import Refusal
from domain.sign_in import LONGEST_PASSWORD, LONGEST_TOKEN, SHORTEST_PASSWORD, parse_lifetime, password_problem


@pytest.mark.parametrize(
    ("text", "lifetime"),
    [
        ("1m", timedelta(minutes=1)),
        ("30m", timedelta(minutes=30)),
        ("8h", timedelta(hours=8)),
        (" 90d ", LONGEST_TOKEN),
    ],
)
def test_a_lifetime_in_minutes_hours_or_days(text, lifetime):
    assert parse_lifetime(text) == lifetime


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("0m", "at least a minute"),
        ("91d", "at most 90 days"),
        ("2161h", "at most 90 days"),
        ("8", "a whole number of minutes, hours or days"),
        ("1y", "a whole number of minutes, hours or days"),
        ("-5m", "a whole number of minutes, hours or days"),
        ("1.5h", "a whole number of minutes, hours or days"),
        ("٨h", "a whole number of minutes, hours or days"),  # another script's digit is not one typed here
    ],
)
def test_a_lifetime_out_of_bounds_or_not_one_is_refused(text, why):
    with pytest.raises(Refusal, match=why):
        parse_lifetime(text)


@given(st.integers(min_value=1, max_value=LONGEST_TOKEN // timedelta(minutes=1)))
def test_every_whole_number_of_minutes_up_to_the_longest_is_a_lifetime(minutes):
    assert parse_lifetime(f"{minutes}m") == timedelta(minutes=minutes)


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("a" * (SHORTEST_PASSWORD - 1), f"at least {SHORTEST_PASSWORD} characters"),
        ("x" * (LONGEST_PASSWORD + 1), f"at most {LONGEST_PASSWORD} characters"),
        (" correct horse battery", "does not start or end with a space"),
        ("my name is sam.reviewer!", "does not contain the user name"),
        ("My Name Is SAM.REVIEWER", "does not contain the user name"),
        ("abababababababab", "not one or two characters repeated"),
    ],
)
def test_a_password_that_will_not_do_says_why(password, problem):
    assert problem in password_problem(password, "sam.reviewer")


def test_a_long_passphrase_will_do():
    assert password_problem("correct horse battery staple", "sam.reviewer") is None
