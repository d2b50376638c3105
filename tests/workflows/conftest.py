from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from infra.settings import Settings
from tests.conftest import binary
from worker.main import build_worker


@pytest.fixture(scope="session")
async def time_skipping_env() -> AsyncIterator[WorkflowEnvironment]:
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=binary("temporal-test-server"),
        data_converter=pydantic_data_converter,
    )
    yield env
    await env.shutdown()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path, task_queue=f"test-{uuid.uuid4().hex[:8]}")


@pytest.fixture
async def worker(time_skipping_env, app_pool, settings) -> AsyncIterator[Worker]:
    """The production wiring, on the time-skipping server and a fresh database."""
    worker = build_worker(time_skipping_env.client, app_pool, settings)
    async with worker:
        yield worker


HISTORIES = Path(__file__).parent / "histories"


@pytest.fixture
def keep_history():
    """Save a finished workflow's history for the replay test, when QA_RECORD_HISTORIES=1.

    Recorded histories are committed: replaying them against today's code is
    what tells us a change would break workflows already running.
    """

    async def keep(handle, name: str) -> None:
        if os.environ.get("QA_RECORD_HISTORIES") != "1":
            return
        history = await handle.fetch_history()
        HISTORIES.mkdir(exist_ok=True)
        (HISTORIES / f"{name}.json").write_text(history.to_json())

    return keep
