"""Putting an activity in the engine's QA calendar outside the installed year's schedules: a repeat a QAPM meeting
decided. The entry (workflows.calendar_entry) waits for its day and starts the activity, as a scheduled one does."""

from __future__ import annotations

from temporalio import activity
from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from domain import calendar_entry
from domain.calendar_entry import EntryInput, entry_id


class EntryActivities:
    def __init__(self, client: Client, task_queue: str) -> None:
        self._client = client
        self._task_queue = task_queue

    @activity.defn(name="calendar.enter")
    async def enter(self, request: EntryInput) -> str:
        """Start the entry's workflow (not as a child: it outlives whoever entered it); the entry's id. One already
        there, running or done, is the one: a retry, or another meeting's same decision, enters nothing twice."""
        item_id = entry_id(request.planned)
        try:
            await self._client.start_workflow(
                calendar_entry.KIND.workflow_type,
                request,
                id=item_id,
                task_queue=self._task_queue,
                id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            )
        except WorkflowAlreadyStartedError:
            pass
        return item_id
