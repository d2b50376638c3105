"""The authority's closure days file: what a hand-edited file may contain and
how each mistake is reported."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from domain.closures import (
    ClosureDay,
    ClosureFileError,
    parse_closure_days,
    render_closure_days,
)

SOURCE = "closures.csv"


def parse(text: str) -> tuple[ClosureDay, ...]:
    return parse_closure_days(text, SOURCE)


def error_for(text: str) -> str:
    with pytest.raises(ClosureFileError) as info:
        parse(text)
    message = str(info.value)
    assert "\n" not in message
    return message


# --- valid files ------------------------------------------------------------------


def test_parses_a_typical_file() -> None:
    text = (
        "date,reason\n"
        "# agreed by the council in 2026\n"
        "2027-12-29,Council closure day\n"
        "\n"
        "2026-12-30,Council closure day\n"
    )
    assert parse(text) == (
        ClosureDay(day=date(2026, 12, 30), reason="Council closure day"),
        ClosureDay(day=date(2027, 12, 29), reason="Council closure day"),
    )


def test_header_only_means_no_closures() -> None:
    assert parse("date,reason\n") == ()


def test_tolerates_spreadsheet_quirks() -> None:
    # Byte order mark, CRLF endings, capitalised header, spaces around cells,
    # indented comments and a quoted reason containing a comma.
    text = '\ufeffDate , Reason\r\n  # comment\r\n 2027-12-29 , "Closure, staff development" \r\n2027-12-30,Closure\r\n'
    assert parse(text) == (
        ClosureDay(day=date(2027, 12, 29), reason="Closure, staff development"),
        ClosureDay(day=date(2027, 12, 30), reason="Closure"),
    )


def test_a_weekend_date_is_allowed() -> None:
    # Sat 25 Dec 2027: harmless, it is not a working day anyway.
    assert parse("date,reason\n2027-12-25,Closure\n")[0].day == date(2027, 12, 25)


def test_default_source_name() -> None:
    with pytest.raises(ClosureFileError, match=r"^closure days line 2: "):
        parse_closure_days("date,reason\nnope,x\n")


# --- mistakes --------------------------------------------------------------------


def test_impossible_date() -> None:
    text = "date,reason\n2027-12-29,Closure\n2027-02-30,Closure\n"
    assert error_for(text) == ("closures.csv line 3: '2027-02-30' is not a real date (expected YYYY-MM-DD)")


@pytest.mark.parametrize("written", ["29/12/2027", "2027-12-9", "20271229", "2027-W52-3", "tomorrow"])
def test_date_not_in_iso_form(written: str) -> None:
    assert error_for(f"date,reason\n{written},Closure\n") == (
        f"closures.csv line 2: '{written}' is not a date (expected YYYY-MM-DD)"
    )


@pytest.mark.parametrize("row", ["2027-12-29", "2027-12-29,", "2027-12-29,   ", '2027-12-29,""'])
def test_missing_reason(row: str) -> None:
    assert error_for(f"date,reason\n{row}\n") == (
        "closures.csv line 2: closure on 2027-12-29 has no reason (expected 'date,reason')"
    )


def test_duplicate_date_names_both_lines() -> None:
    text = "date,reason\n2027-12-29,Closure\n# again:\n2027-12-29,Closure again\n"
    assert error_for(text) == "closures.csv line 4: 2027-12-29 is listed twice (lines 2 and 4)"


@pytest.mark.parametrize("header", ["day,reason", "date", "date,reason,notes", "2027-12-29,Closure"])
def test_wrong_header(header: str) -> None:
    assert error_for(f"{header}\n2027-12-29,Closure\n") == (
        f"closures.csv line 1: expected the header 'date,reason', got '{header}'"
    )


def test_header_is_checked_after_leading_comments() -> None:
    assert "line 3: expected the header" in error_for("# closures\n\nday,why\n")


@pytest.mark.parametrize("text", ["", "\n\n", "# nothing yet\n"])
def test_missing_header(text: str) -> None:
    assert error_for(text) == "closures.csv: missing the header line 'date,reason'"


def test_unquoted_comma_in_reason() -> None:
    message = error_for("date,reason\n2027-12-29,Closure, staff day\n")
    assert message.startswith("closures.csv line 2: expected 2 columns (date,reason), got 3")
    assert "double quotes" in message


def test_unterminated_quote() -> None:
    assert error_for('date,reason\n2027-12-29,"Closure\n').startswith("closures.csv line 2: malformed CSV")


def test_control_character_in_reason() -> None:
    assert error_for("date,reason\n2027-12-29,Clo\x07sure\n").startswith(
        "closures.csv line 2: closure on 2027-12-29: reason must be a single line"
    )


def test_the_first_problem_is_reported() -> None:
    text = "date,reason\n2027-12-29,Closure\n2027-13-01,Closure\n2027-12-29,Closure\n"
    assert error_for(text).startswith("closures.csv line 3: '2027-13-01'")


def test_closure_file_error_is_a_value_error() -> None:
    assert issubclass(ClosureFileError, ValueError)


# --- the model -----------------------------------------------------------------------


def test_closure_day_is_frozen() -> None:
    closure = ClosureDay(day=date(2027, 12, 29), reason="Closure")
    with pytest.raises(ValidationError):
        closure.reason = "Other"  # type: ignore[misc]


@pytest.mark.parametrize("reason", ["", "   ", "two\nlines", "tab\there"])
def test_closure_day_needs_a_one_line_reason(reason: str) -> None:
    with pytest.raises(ValidationError):
        ClosureDay(day=date(2027, 12, 29), reason=reason)


def test_closure_day_reason_is_trimmed() -> None:
    assert ClosureDay(day=date(2027, 12, 29), reason="  Closure ").reason == "Closure"


# --- rendering -----------------------------------------------------------------------


def test_render_sorts_by_date_and_quotes_when_needed() -> None:
    days = [
        ClosureDay(day=date(2027, 12, 30), reason='Staff "away" day, all teams'),
        ClosureDay(day=date(2027, 12, 29), reason="Council closure day"),
    ]
    assert render_closure_days(days) == (
        'date,reason\n2027-12-29,Council closure day\n2027-12-30,"Staff ""away"" day, all teams"\n'
    )


def test_render_nothing_is_just_the_header() -> None:
    assert render_closure_days([]) == "date,reason\n"


def test_appending_a_day_via_render() -> None:
    # What the CLI does: parse, add, render, and the result parses again.
    existing = parse("date,reason\n2027-12-30,Closure\n")
    added = ClosureDay(day=date(2027, 12, 29), reason="Extra closure")
    assert parse(render_closure_days([*existing, added])) == (added, *existing)


def test_render_refuses_duplicate_dates() -> None:
    twice = [
        ClosureDay(day=date(2027, 12, 29), reason="A"),
        ClosureDay(day=date(2027, 12, 29), reason="B"),
    ]
    with pytest.raises(ValueError, match="2027-12-29"):
        render_closure_days(twice)


reasons = (
    st.text(
        # Letters, digits, punctuation and spaces, including CSV's own
        # delimiter and quote characters.
        alphabet=st.characters(categories=("L", "N", "P", "S", "Zs")),
        min_size=1,
        max_size=40,
    )
    .map(str.strip)
    .filter(bool)
)
closure_days = st.builds(
    ClosureDay,
    day=st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)),
    reason=reasons,
)


@given(days=st.lists(closure_days, max_size=15, unique_by=lambda closure: closure.day))
def test_render_then_parse_round_trips(days: list[ClosureDay]) -> None:
    assert parse(render_closure_days(days)) == tuple(sorted(days, key=lambda c: c.day))


@given(days=st.lists(closure_days, max_size=15, unique_by=lambda closure: closure.day))
def test_parse_then_render_is_stable(days: list[ClosureDay]) -> None:
    text = render_closure_days(days)
    assert render_closure_days(parse(text)) == text


@pytest.mark.parametrize(
    ("day", "message"),
    [
        (
            "9999-12-31",
            "the closure day 9999-12-31 is outside the dates the engine works with (2000-01-01 to 2200-12-31)",
        ),
        ("\u0662\u0660\u0662\u0667-12-29", "'\u0662\u0660\u0662\u0667-12-29' is not a date (expected YYYY-MM-DD)"),
    ],
)
def test_a_closure_day_is_written_in_ascii_digits_within_the_engines_dates(day, message) -> None:
    with pytest.raises(ClosureFileError) as refused:
        parse(f"date,reason\n{day},Closure\n")
    assert str(refused.value) == f"closures.csv line 2: {message}"
