"""A working-day deadline: set one for someone (the workflow checks both people against the directory)."""

from __future__ import annotations

import uuid
from typing import Any

from infra.application.items import start_opened


async def start_deadline(request: Any) -> str:
    """Start a deadline (workflows.deadline.DeadlineInput); its new id once set, or the workflow's refusal."""
    from domain import deadline
    from workflows.deadline import DeadlineWorkflow

    deadline_id = f"deadline-{uuid.uuid4().hex[:10]}"
    await start_opened(
        deadline.KIND, DeadlineWorkflow, request, deadline_id, taken=f"{deadline_id} is already taken: try again"
    )
    return deadline_id
