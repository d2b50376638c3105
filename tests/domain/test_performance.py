"""Service performance data (domain.performance): the CSV read strictly, and each indicator compared across periods."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from domain.files import FileError
from domain.performance import compared, in_words, parse_performance
from tests.clock import EXAMPLES

HEADER = "service,month,indicator,value\n"


def test_the_example_is_read_and_each_indicator_compared_with_its_newest_month_before_the_period():
    imported = parse_performance((EXAMPLES / "performance.csv").read_text(), "performance.csv")
    assert len(imported.rows) == 7 and len(imported.digest) == 64
    correction = parse_performance(HEADER + "Children in Need,2027-02,Assessments within 45 working days (%),80\n", "x")
    lines = compared([imported, correction], date(2026, 12, 4), date(2027, 2, 26))
    assert [(line.service, line.indicator) for line in lines] == [
        ("Children in Need", "Assessments within 45 working days (%)"),
        ("Children in Need", "Children seen within timescale (%)"),
        ("Family Wellbeing", "Early help assessments completed"),
    ]
    # The later import corrects February; November is the newest month before the period.
    assert (lines[0].value, lines[0].previous, lines[0].change) == (Decimal("80"), Decimal("76.0"), Decimal("4.0"))
    assert in_words(lines[0]) == (
        "Children in Need: Assessments within 45 working days (%): 80 (Feb 2027), +4.0 on 76.0 (Nov 2026)"
    )
    assert in_words(lines[1]).endswith("86 (Feb 2027); no earlier month")
    assert compared([imported], date(2027, 6, 1), date(2027, 8, 1)) == ()  # nothing in that period


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("service,month,value\n", "x line 1: the header must be service,month,indicator,value"),
        (HEADER, "x: no indicators (one a line: service,month,indicator,value)"),
        (HEADER + "CIN,2027-1x,A,1\n", "x line 2: month '2027-1x' is not a month such as 2027-01"),
        (HEADER + "CIN,2027-01,A,lots\n", "x line 2: value 'lots' is not a number"),
        (HEADER + "CIN,2027-01,A,NaN\n", "x line 2: value 'NaN' is not a number"),
        (HEADER + ",2027-01,A,1\n", "x line 2: the service is empty"),
        (HEADER + "CIN,2027-01,A,1\nCIN,2027-01,A,2\n", "x line 3: repeats line 2 (CIN, 2027-01, A)"),
    ],
)
def test_a_malformed_file_is_refused_naming_its_line(text, message):
    with pytest.raises(FileError) as refused:
        parse_performance(text, "x")
    assert str(refused.value) == message
