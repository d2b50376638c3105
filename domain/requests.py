"""What every request to change an item carries: who asks, and the version of the item they saw."""

from __future__ import annotations

from pydantic import Field

from domain.frozen import Frozen


class ChangeRequest(Frozen):
    """A person's request to change an item (a workflow update's input).

    `seen`: the item's version (the last of its audit stream) when they decided; None
    means "as it is now". A change asked on a version that has since moved on is
    refused before anything is recorded (workflows.recording), so nobody is told "done"
    when someone else's change stands.
    """

    actor: str
    seen: int | None = Field(default=None, ge=0)
