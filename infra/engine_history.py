"""The engine's side of an audit: an item's Temporal history, the events it recorded, and a replay of it.

Every domain event a workflow records goes through the `audit.append_events`
activity, whose input carries the NewEvents; so the ActivityTaskScheduled events
of that activity type in a workflow's history are exactly what it asked the log
to hold, and their ActivityTaskCompleted events say the log accepted them.

A workflow that continues as new (an action plan, at each meeting) has one history
per run and one audit stream for all of them: its runs are followed back from the
latest, each run's start naming the run it continued.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter
from temporalio.service import RPCError, RPCStatusCode

from activities.recording import AppendEvents
from domain.events import NewEvent
from infra.codec import PayloadKeys

APPEND_ACTIVITY = "audit.append_events"


class NoHistory(Exception):
    """The engine holds no history for this id (never a workflow, or past the namespace's retention)."""


@dataclass(frozen=True, slots=True)
class EngineEvents:
    """What a workflow's history says it recorded."""

    carried: tuple[NewEvent, ...]  # every scheduled append's events, in order
    recorded: tuple[NewEvent, ...]  # those of appends that completed


def appended_events(history: WorkflowHistory, keys: PayloadKeys) -> EngineEvents:
    """The NewEvents of every `audit.append_events` the workflow scheduled, and of those that completed
    (their inputs decrypted with `keys`: infra.codec)."""
    scheduled: dict[int, tuple[NewEvent, ...]] = {}
    completed: set[int] = set()
    for event in history.events:
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            attributes = event.activity_task_scheduled_event_attributes
            if attributes.activity_type.name != APPEND_ACTIVITY:
                continue
            [request] = pydantic_data_converter.payload_converter.from_payloads(
                keys.decrypt_all(attributes.input.payloads), [AppendEvents]
            )
            scheduled[event.event_id] = tuple(request.events)
        elif event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
            completed.add(event.activity_task_completed_event_attributes.scheduled_event_id)
    carried = tuple(e for events in scheduled.values() for e in events)
    recorded = tuple(e for event_id, events in scheduled.items() if event_id in completed for e in events)
    return EngineEvents(carried=carried, recorded=recorded)


def runs_events(runs: Sequence[WorkflowHistory], keys: PayloadKeys) -> EngineEvents:
    """What every run of a workflow recorded, in order."""
    each = [appended_events(history, keys) for history in runs]
    return EngineEvents(
        carried=tuple(e for events in each for e in events.carried),
        recorded=tuple(e for events in each for e in events.recorded),
    )


@dataclass(frozen=True, slots=True)
class Runs:
    histories: tuple[WorkflowHistory, ...]  # oldest run first
    complete: bool  # False: the engine no longer holds the earliest runs (retention)


async def _fetch(client: Client, workflow_id: str, run_id: str | None) -> WorkflowHistory:
    try:
        return await client.get_workflow_handle(workflow_id, run_id=run_id).fetch_history()
    except RPCError as exc:
        if exc.status in (RPCStatusCode.NOT_FOUND, RPCStatusCode.INVALID_ARGUMENT):
            raise NoHistory(workflow_id) from None
        raise


async def fetch_runs(client: Client, workflow_id: str) -> Runs:
    """Every run's history of the workflow, oldest first; NoHistory if the engine has none at all."""
    history = await _fetch(client, workflow_id, None)
    found = [history]
    while True:
        previous = _continued_from(found[-1])
        if not previous:
            return Runs(tuple(reversed(found)), complete=True)
        try:
            found.append(await _fetch(client, workflow_id, previous))
        except NoHistory:
            return Runs(tuple(reversed(found)), complete=False)


def _continued_from(history: WorkflowHistory) -> str:
    if not history.events:
        return ""
    return history.events[0].workflow_execution_started_event_attributes.continued_execution_run_id


def runs_json(runs: Runs) -> dict:
    """The histories as a bundle keeps them: the latest run in the shape of tests/workflows/histories/*.json,
    the runs it continued (oldest first) beside it."""
    *earlier, latest = runs.histories
    return {
        "workflow_id": latest.workflow_id,
        "history": latest.to_json_dict(),
        "earlier_runs": [h.to_json_dict() for h in earlier],
        "complete": runs.complete,
    }


def runs_from_json(data: dict) -> Runs:
    workflow_id = data["workflow_id"]
    histories = [WorkflowHistory.from_json(workflow_id, h) for h in [*data.get("earlier_runs", []), data["history"]]]
    return Runs(tuple(histories), complete=bool(data.get("complete", True)))


async def replay_failure(runs: Runs, converter: DataConverter) -> tuple[int, Exception] | None:
    """Replay every run on today's workflow code (workflows.registry) with the worker's data converter
    (`converter`: infra.codec); the first failing run (1 = oldest)."""
    from workflows.registry import replayer

    replaying = replayer(converter)
    for number, history in enumerate(runs.histories, start=1):
        result = await replaying.replay_workflow(history, raise_on_replay_failure=False)
        if result.replay_failure is not None:
            return number, result.replay_failure
    return None
