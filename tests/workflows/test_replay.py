"""Recorded histories replayed against today's workflow code.

A change that would make a running workflow non-deterministic fails here,
before it is deployed. Record a history (QA_RECORD_HISTORIES=1 pytest <its test>)
under a new name, for a new workflow or a change guarded by workflow.patched:
keep_history refuses to overwrite one, as the old files must keep replaying.
"""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from temporalio.client import WorkflowHistory

from tests.codec_keys import CONVERTER
from tests.workflows import conftest
from tests.workflows.conftest import HISTORIES
from workflows.registry import WORKFLOWS, replayer

RECORDED = sorted(HISTORIES.glob("*.json"))


def test_every_workflow_type_the_worker_registers_has_a_recorded_history():
    # A type with no history has nothing to replay, so a change that breaks its running workflows goes unnoticed.
    recorded_types = {
        json.loads(path.read_text())["history"]["events"][0]["workflowExecutionStartedEventAttributes"]["workflowType"][
            "name"
        ]
        for path in RECORDED
    }
    missing = sorted({w.__temporal_workflow_definition.name for w in WORKFLOWS} - recorded_types)
    assert not missing, f"no recorded history (record one with QA_RECORD_HISTORIES=1) for: {', '.join(missing)}"


@pytest.mark.parametrize("path", RECORDED, ids=lambda p: p.stem)
async def test_recorded_history_replays_on_current_code(path):
    recorded = json.loads(path.read_text())
    history = WorkflowHistory.from_json(recorded["workflow_id"], recorded["history"])
    result = await replayer(CONVERTER).replay_workflow(history, raise_on_replay_failure=False)
    assert result.replay_failure is None, f"{path.name}: {result.replay_failure}"


class FinishedHandle:
    """What keep_history reads of a workflow handle: its id and its history."""

    def __init__(self, workflow_id: str, events: list[dict]) -> None:
        self.id = workflow_id
        self._events = events

    async def fetch_history(self):
        return SimpleNamespace(to_json=lambda: json.dumps({"events": self._events}))


@pytest.fixture
def recording(monkeypatch, tmp_path):
    """keep_history recording into an empty folder in place of the committed histories."""
    monkeypatch.setenv("QA_RECORD_HISTORIES", "1")
    monkeypatch.setattr(conftest, "HISTORIES", tmp_path)
    return tmp_path


async def test_a_history_is_recorded_under_a_new_name(recording, keep_history):
    await keep_history(FinishedHandle("deadline-1", [{"eventId": "1"}]), "deadline_new")
    assert json.loads((recording / "deadline_new.json").read_text()) == {
        "workflow_id": "deadline-1",
        "history": {"events": [{"eventId": "1"}]},
    }


async def test_a_recorded_history_is_never_overwritten_by_a_different_one(recording, keep_history):
    await keep_history(FinishedHandle("deadline-1", [{"eventId": "1"}]), "deadline_old")
    old = (recording / "deadline_old.json").read_text()
    with pytest.raises(pytest.fail.Exception) as failure:
        await keep_history(FinishedHandle("deadline-2", [{"eventId": "1"}]), "deadline_old")
    message = str(failure.value)
    assert "\n" not in message and str(recording / "deadline_old.json") in message and "choose a new name" in message
    assert (recording / "deadline_old.json").read_text() == old


async def test_recording_the_same_history_again_changes_nothing(recording, keep_history):
    handle = FinishedHandle("deadline-1", [{"eventId": "1"}])
    await keep_history(handle, "deadline_same")
    await keep_history(handle, "deadline_same")
    assert [p.name for p in recording.iterdir()] == ["deadline_same.json"]


async def test_nothing_is_recorded_unless_asked(recording, keep_history, monkeypatch):
    monkeypatch.delenv("QA_RECORD_HISTORIES")
    await keep_history(FinishedHandle("deadline-1", [{"eventId": "1"}]), "deadline_new")
    assert not list(recording.iterdir())
