"""A working-day deadline: set one for someone (the workflow checks both people against the directory)."""

from __future__ import annotations

import uuid
from typing import Any

from infra.application.items import start_item


async def start_deadline(request: Any) -> str:
    """Start a deadline (workflows.deadline.DeadlineInput); returns its new id."""
    from workflows.deadline import DeadlineWorkflow

    deadline_id = f"deadline-{uuid.uuid4().hex[:10]}"
    await start_item(DeadlineWorkflow.run, request, deadline_id, taken=f"{deadline_id} is already taken: try again")
    return deadline_id
