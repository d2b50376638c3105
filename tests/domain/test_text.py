"""Free text: one limit for each kind, control characters refused, line breaks and tabs kept."""

from __future__ import annotations

import pytest

from domain.errors import Refusal
from domain.text import MAX_LONG, MAX_SHORT, check_text, required_text


def test_text_up_to_its_limit_with_line_breaks_and_tabs_is_accepted():
    required_text("a" * MAX_LONG, "the summary")
    required_text("line one\r\nline two\n\tindented", "the summary")
    required_text("é" * MAX_SHORT, "the action", MAX_SHORT)
    check_text("the note", None, MAX_SHORT)  # nothing given, nothing to check


@pytest.mark.parametrize(
    ("text", "limit", "message"),
    [
        ("", MAX_LONG, "the summary cannot be empty"),
        (" \n\t ", MAX_LONG, "the summary cannot be empty"),
        ("a" * (MAX_LONG + 1), MAX_LONG, "the summary is 10,001 characters long; at most 10,000 can be recorded"),
        ("a" * (MAX_SHORT + 1), MAX_SHORT, "the summary is 1,001 characters long; at most 1,000 can be recorded"),
        ("visited\x1b[2Kforged", MAX_LONG, "the summary has a control character (0x1b) at 8"),
        ("a\x00b", MAX_LONG, "the summary has a control character (0x00) at 2"),
        ("a\x85b", MAX_LONG, "the summary has a control character (0x85) at 2"),
        ("a\x7f", MAX_LONG, "the summary has a control character (0x7f) at 2"),
    ],
)
def test_empty_overlong_or_control_character_text_is_refused_in_words(text, limit, message):
    with pytest.raises(Refusal) as refusal:
        required_text(text, "the summary", limit)
    assert str(refusal.value) == message
