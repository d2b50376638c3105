"""The base of every value the engine passes around: immutable once made."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Frozen(BaseModel):
    """A pydantic model that cannot change once made: states, requests, inputs and results.

    A workflow's state is replaced by its reducer, never edited in place, so a query or
    a rule can never see half a change.
    """

    model_config = ConfigDict(frozen=True)
