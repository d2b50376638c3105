"""Recorded histories replayed against today's workflow code.

A change that would make a running workflow non-deterministic fails here,
before it is deployed. Re-record (QA_RECORD_HISTORIES=1 pytest tests/workflows)
only for a change guarded by workflow.patched, and keep the old files too.
"""

from __future__ import annotations

import json

import pytest
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from tests.workflows.conftest import HISTORIES
from worker.main import WORKFLOWS, workflow_runner

RECORDED = sorted(HISTORIES.glob("*.json"))


def test_every_workflow_type_has_a_recorded_history():
    recorded_types = {
        json.loads(path.read_text())["history"]["events"][0]["workflowExecutionStartedEventAttributes"]["workflowType"][
            "name"
        ]
        for path in RECORDED
    }
    assert {w.__temporal_workflow_definition.name for w in WORKFLOWS} <= recorded_types


@pytest.mark.parametrize("path", RECORDED, ids=lambda p: p.stem)
async def test_recorded_history_replays_on_current_code(path):
    replayer = Replayer(workflows=WORKFLOWS, data_converter=pydantic_data_converter, workflow_runner=workflow_runner())
    recorded = json.loads(path.read_text())
    history = WorkflowHistory.from_json(recorded["workflow_id"], recorded["history"])
    result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
    assert result.replay_failure is None, f"{path.name}: {result.replay_failure}"
