"""A deliberately non-deterministic change to a workflow, for the tests that must catch it.

`ChangedDeadlineWorkflow` is the deadline workflow with one line added at the top of
its run: a timer before the calendar look-up. A deadline already running has no such
timer in its history, so replaying that history on this code must fail.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow

from domain.deadline import DeadlineState
from workflows.deadline import DeadlineInput, DeadlineWorkflow


@workflow.defn(name="Deadline")
class ChangedDeadlineWorkflow(DeadlineWorkflow):
    @workflow.run
    async def run(self, request: DeadlineInput) -> DeadlineState:
        await workflow.sleep(timedelta(seconds=1))  # the change: a new command where the history has another
        return await super().run(request)
