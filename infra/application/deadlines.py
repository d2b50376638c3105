"""A working-day deadline: set one for someone (the workflow checks both people against the directory)."""

from __future__ import annotations

import uuid
from datetime import date

from pydantic import BaseModel

from infra.application.commands import command
from infra.application.directory import require
from infra.application.errors import typed
from infra.application.items import start_opened


class NewDeadline(BaseModel):
    title: str
    owner: str  # who must do it
    start: date  # day 0
    working_days: int  # due at the end of the Nth working day after `start`


@command("deadline.start", changes=True)
async def start_deadline(ask: NewDeadline, actor: str) -> str:
    """Set a deadline for `ask.owner`, as `actor`; its new id once set, or the workflow's refusal."""
    from domain import deadline
    from workflows.deadline import DeadlineInput, DeadlineWorkflow

    await require("deadline.start", actor)
    request = typed(
        DeadlineInput, title=ask.title, owner=ask.owner, start=ask.start, working_days=ask.working_days, set_by=actor
    )
    deadline_id = f"deadline-{uuid.uuid4().hex[:10]}"
    await start_opened(
        deadline.KIND, DeadlineWorkflow, request, deadline_id, taken=f"{deadline_id} is already taken: try again"
    )
    return deadline_id
