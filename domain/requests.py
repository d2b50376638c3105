"""What every request to change an item carries: who asks, the version of the item they saw, its id.

A request's id is chosen by the person's client and kept across its retries: it is the Temporal
update's id (so a retry is answered with the first answer and records nothing new) and it is
recorded with every event the request caused, so that a command whose outcome was unknown can be
matched to what it recorded.
"""

from __future__ import annotations

import re

from pydantic import Field

from domain.frozen import Frozen

MAX_REQUEST_ID = 100
REQUEST_ID_CHARACTERS = "letters, digits, '.', '_', ':' or '-'"
_REQUEST_ID = re.compile(rf"[A-Za-z0-9._:-]{{1,{MAX_REQUEST_ID}}}")


def is_request_id(text: str) -> bool:
    """Up to MAX_REQUEST_ID of REQUEST_ID_CHARACTERS: safe in a log line, a URL and a column."""
    return _REQUEST_ID.fullmatch(text) is not None


class ChangeRequest(Frozen):
    """A person's request to change an item (a workflow update's input).

    `seen`: the item's version (the last of its audit stream) when they decided; None
    means "as it is now". A change asked on a version that has since moved on is
    refused before anything is recorded (workflows.recording), so nobody is told "done"
    when someone else's change stands.
    """

    actor: str
    seen: int | None = Field(default=None, ge=0)
