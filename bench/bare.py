"""The review_throughput baseline: a workflow with a review's shape (activities, updates) that does nothing.

A review runs 3 activities as it opens (the due date, the opening event, the
tasks), takes 7 updates that run 1, 1, 2, 1, 1, 1 and 2 activities (each part
recorded; the reflection and the submission also close a task), and 1 more
activity as it closes: 13 activities and 7 updates. This workflow does the same
with activities that return their argument. bench.workflows checks the counts
against a real review's history.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import activity, workflow

from domain.frozen import Frozen

OPENING_ACTIVITIES = 3
UPDATE_ACTIVITIES = (1, 1, 2, 1, 1, 1, 2)
CLOSING_ACTIVITIES = 1


class Step(Frozen):
    actor: str
    activities: int = 1


@activity.defn(name="bench.noop")
async def noop(step: Step) -> Step:
    return step


@workflow.defn(name="BenchBare")
class BareWorkflow:
    def __init__(self) -> None:
        self._updates = 0

    @workflow.run
    async def run(self, step: Step) -> int:
        await self._activities(OPENING_ACTIVITIES, step)
        await workflow.wait_condition(lambda: self._updates == len(UPDATE_ACTIVITIES))
        await self._activities(CLOSING_ACTIVITIES, step)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._updates

    @workflow.update
    async def step(self, step: Step) -> int:
        await self._activities(step.activities, step)
        self._updates += 1
        return self._updates

    async def _activities(self, n: int, step: Step) -> None:
        for _ in range(n):
            await workflow.execute_activity(noop, step, start_to_close_timeout=timedelta(seconds=60))
