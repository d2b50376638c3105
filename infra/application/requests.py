"""The request a person is making: its id, so that asking twice is recorded once; the version they saw.

An adapter sets `REQUEST_ID` for the duration of one request (the CLI from
`qa --request-id ID ...`, the HTTP server from the request's idempotency key). Every
change made for it carries that id to Temporal as the update's id: Temporal answers a
second update with an id it has already completed with the first answer and runs
nothing again. Without one, each change gets a fresh id.
"""

from __future__ import annotations

import re
import uuid
from contextvars import ContextVar

from infra.application.errors import AppError

REQUEST_ID: ContextVar[str | None] = ContextVar("request_id", default=None)
SEEN: ContextVar[int | None] = ContextVar("seen", default=None)
"""The version of the item the person saw when they decided (None: as it is now); see domain.requests."""


def check_request_id(text: str) -> str:
    """A request id as given (domain.requests.is_request_id)."""
    from domain.requests import MAX_REQUEST_ID, REQUEST_ID_CHARACTERS, is_request_id

    if not is_request_id(text):
        raise AppError(f"request id {text!r} is not one: use up to {MAX_REQUEST_ID} {REQUEST_ID_CHARACTERS}", 2)
    return text


def request_id() -> str:
    """The id of the request being made, or a new one."""
    return REQUEST_ID.get() or str(uuid.uuid4())


def check_seen(text: str) -> int:
    """A version as given: a whole number, 0 or more (an item's versions count its recorded events)."""
    if not re.fullmatch(r"[0-9]{1,9}", text.strip()):
        raise AppError(f"version {text!r} is not one: give the item's version as `qa ... show ID --json` says it", 2)
    return int(text)
