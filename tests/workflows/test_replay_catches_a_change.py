"""The replay test would catch a deliberately non-deterministic change (tests/workflows/nondeterministic.py).

The same Replayer and the same recorded histories as test_replay.py, with one workflow
swapped for a changed version of itself: every recorded history of that workflow must
fail to replay, so such a change fails the suite before it is deployed.
"""

from __future__ import annotations

import json

import pytest
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from tests.workflows.conftest import HISTORIES
from tests.workflows.nondeterministic import ChangedDeadlineWorkflow
from worker.main import WORKFLOWS, workflow_runner
from workflows.deadline import DeadlineWorkflow

DEADLINE_HISTORIES = sorted(HISTORIES.glob("deadline_*.json"))


def test_there_are_recorded_deadline_histories_to_catch_it_with():
    assert DEADLINE_HISTORIES


@pytest.mark.parametrize("path", DEADLINE_HISTORIES, ids=lambda p: p.stem)
async def test_a_non_deterministic_change_fails_the_replay_of_recorded_histories(path):
    changed = [ChangedDeadlineWorkflow if w is DeadlineWorkflow else w for w in WORKFLOWS]
    replayer = Replayer(workflows=changed, data_converter=pydantic_data_converter, workflow_runner=workflow_runner())
    recorded = json.loads(path.read_text())
    history = WorkflowHistory.from_json(recorded["workflow_id"], recorded["history"])
    result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
    assert result.replay_failure is not None, f"{path.name} replayed on a changed workflow"
    assert "Nondeterminism" in str(result.replay_failure)
