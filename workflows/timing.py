"""Waiting inside workflows for moments that may move while we wait."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import TypeVar

from temporalio import workflow

from domain.working_days import LONDON

T = TypeVar("T")


async def wait_for_moment(pending: Callable[[], T | None], moment: Callable[[T], datetime]) -> T | None:
    """Sleep until the pending thing's moment arrives and return it; None once nothing is pending.

    `pending` is re-read whenever the workflow's state changes, so an extension
    (a later moment) or completion (nothing pending) moves or ends the wait: the
    durable timer always follows the recorded deadline, never a stale one.
    """
    while (current := pending()) is not None:
        remaining = (moment(current) - workflow.now()).total_seconds()
        if remaining <= 0:
            return current
        try:
            await workflow.wait_condition(lambda current=current: pending() != current, timeout=remaining)
        except TimeoutError:
            pass
    return None


def london_today() -> date:
    """The workflow's day in London: from `workflow.now()`, so a replay finds the same day."""
    return workflow.now().astimezone(LONDON).date()
