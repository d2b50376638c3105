"""The free text people record, and its limits: checked by the rules before anything is recorded.

Two sizes, one for each kind of text the framework asks for:

- `MAX_SHORT` (1,000 characters): an action, a theme, a focus, a reason, a note: a sentence or two.
- `MAX_LONG` (10,000 characters): a voice, a reflection, a conversation, a rationale, a concern, a
  dispute's issues: a page or two of the document's templates.

Texts keep their line breaks and tabs; other control characters (a terminal's escape sequences, a
forged line ending) are refused. The limits are checked by the rules (`check_text`), not by the
recorded events' models, so an event recorded before a limit existed still reads back.
"""

from __future__ import annotations

import re

from domain.errors import Refusal

MAX_SHORT = 1_000
MAX_LONG = 10_000

# C0 and C1 controls and DEL, but tab, line feed and carriage return.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def required_text(value: str | None, what: str, limit: int = MAX_LONG) -> None:
    """Refuse an empty text, or one `check_text` refuses."""
    if value is None or not value.strip():
        raise Refusal(f"{what} cannot be empty")
    check_text(what, value, limit)


def check_text(label: str, text: str | None, limit: int = MAX_LONG) -> None:
    """Refuse `text` (called `label` in the refusal) over `limit` characters or with control characters."""
    if text is None:
        return
    if len(text) > limit:
        raise Refusal(f"{label} is {len(text):,} characters long; at most {limit:,} can be recorded")
    if control := _CONTROL.search(text):
        raise Refusal(f"{label} has a control character ({ord(control.group()):#04x}) at {control.start() + 1}")
