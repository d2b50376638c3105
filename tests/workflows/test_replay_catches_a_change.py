"""The replay test would catch a deliberately non-deterministic change (tests/workflows/nondeterministic.py).

The same Replayer and the same recorded histories as test_replay.py, with each history's
workflow swapped for a changed version of itself: every recorded history must fail to replay
on it, so such a change to any workflow fails the suite before it is deployed. Each history
also replays cleanly on the genuine workflow, so a failure is the change's and not a broken replay.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer
from temporalio.workflow import NondeterminismError

from tests.codec_keys import CONVERTER
from tests.workflows.conftest import HISTORIES
from tests.workflows.nondeterministic import CHANGED, changed, workflow_type
from workflows.registry import WORKFLOWS, workflow_runner

RECORDED = sorted(HISTORIES.glob("*.json"))
MARKER = "EVENT_TYPE_MARKER_RECORDED"  # workflow.patched's
GENUINE = {workflow_type(w): w for w in WORKFLOWS}


def recorded(path: Path) -> WorkflowHistory:
    # The id matters on replay: a cycle derives its reviews' ids from its own.
    data = json.loads(path.read_text())
    return WorkflowHistory.from_json(data["workflow_id"], data["history"])


def type_of(history: WorkflowHistory) -> str:
    return history.events[0].workflow_execution_started_event_attributes.workflow_type.name


# An update accepted in the first task (a start answered by update-with-start) is the SDK's answer
# to the caller, recorded before the workflow's own first command.
UPDATE_PROTOCOL = {"EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED", "EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ADMITTED"}


def first_command(path: Path) -> tuple[int, str] | None:
    """The id and type of the event of the first command the workflow issued: the event after its first task completed."""
    events = json.loads(path.read_text())["history"]["events"]
    types = [e["eventType"] for e in events]
    after = types.index("EVENT_TYPE_WORKFLOW_TASK_COMPLETED") + 1
    while after < len(events) and types[after] in UPDATE_PROTOCOL:
        after += 1
    return (int(events[after]["eventId"]), types[after]) if after < len(events) else None


async def replay(workflow_class: type, history: WorkflowHistory):
    replayer = Replayer(workflows=[workflow_class], data_converter=CONVERTER, workflow_runner=workflow_runner())
    return await replayer.replay_workflow(history, raise_on_replay_failure=False)


def test_every_recorded_workflow_type_is_one_the_worker_registers_and_has_changed_versions():
    assert RECORDED
    recorded_types = {type_of(recorded(path)) for path in RECORDED}
    assert not recorded_types - GENUINE.keys(), (
        f"recorded but not registered: {sorted(recorded_types - GENUINE.keys())}"
    )
    assert {t for t, _ in CHANGED} == GENUINE.keys()


@pytest.mark.parametrize("path", RECORDED, ids=lambda p: f"{type_of(recorded(p))}-{p.stem}")
async def test_a_non_deterministic_change_fails_the_replay_of_a_recorded_history_of_its_workflow(path):
    history = recorded(path)
    genuine = GENUINE[type_of(history)]
    clean = await replay(genuine, history)
    assert clean.replay_failure is None, f"{path.name} does not replay on the genuine workflow: {clean.replay_failure}"

    first = first_command(path)
    assert first is not None, f"{path.name}: the workflow issued no command, so no added command would show"
    event_id, event_type = first
    result = await replay(changed(type_of(history), event_type), history)
    assert result.replay_failure is not None, f"{path.name} replayed on a changed workflow"
    assert isinstance(result.replay_failure, NondeterminismError), f"{path.name}: {result.replay_failure!r}"
    # Caught where the change is, at the history's first command, and not by something failing later:
    # a workflow.patched marker first is met by the changed code's timer or activity instead.
    where = "patch marker encountered" if event_type == MARKER else f"HistoryEvent(id: {event_id},"
    assert where in str(result.replay_failure), f"{path.name}: {result.replay_failure}"
