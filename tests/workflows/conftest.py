from __future__ import annotations

import json
import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from infra.settings import Settings
from tests.clock import current, time_skipping
from tests.codec_keys import CONVERTER
from tests.conftest import binary
from worker.main import build_worker


@pytest.fixture
async def time_skipping_env(tmp_path: Path) -> AsyncIterator[WorkflowEnvironment]:
    """A test server per test, its clock at tests.clock.EPOCH: one test's leftovers (an activity
    cut off by its worker's shutdown) would otherwise hold the next test's skipped clock."""
    async with time_skipping(tmp_path) as env:
        yield env


@pytest.fixture
async def dev_env() -> AsyncIterator[WorkflowEnvironment]:
    """The real Temporal dev server, for behaviour the time-skipping server does not model
    (a query reaching a new worker after the old one stopped)."""
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=binary("temporal"), data_converter=CONVERTER, ui=False
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
    what tells us a change would break workflows already running. So one is never
    overwritten: a history recorded on older code must keep replaying, and a new
    recording under its name would hide the old code's history.
    """

    async def keep(handle, name: str) -> None:
        if os.environ.get("QA_RECORD_HISTORIES") != "1":
            return
        history = await handle.fetch_history()
        HISTORIES.mkdir(exist_ok=True)
        # The id matters on replay: a cycle derives its reviews' ids from its own.
        recorded = {"workflow_id": handle.id, "history": json.loads(history.to_json())}
        path, text = HISTORIES / f"{name}.json", json.dumps(recorded, indent=1)
        if path.exists():
            if path.read_text() != text:
                pytest.fail(
                    f"{path} is already recorded: choose a new name for this history (old histories must keep replaying)",
                    pytrace=False,
                )
            return
        path.write_text(text)

    return keep


EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "authority"


@pytest.fixture
async def example_authority(directory_pool):
    """The example authority's staff and open cases, imported as a QA officer would (the directory's login)."""
    return await import_authority(directory_pool, EXAMPLES / "cases.csv")


async def import_authority(directory_pool, cases: Path):
    """The example authority's staff and the open cases of `cases`, imported as a QA officer would."""
    from domain.directory import parse_cases_csv, parse_staff_csv
    from infra.store.audit_log import AuditLog
    from infra.store.directory import Directory

    directory = Directory(directory_pool, AuditLog(directory_pool))
    now = await current()
    await directory.import_staff(parse_staff_csv((EXAMPLES / "staff.csv").read_text()), "qa.officer", now)
    await directory.import_cases(parse_cases_csv(cases.read_text()), "qa.officer", now)
    return directory


async def eventually(probe, *, attempts: int = 200):
    """Poll `probe` (an async callable) until it returns something truthy; the workflow moves on its own."""
    import asyncio

    for _ in range(attempts):
        if result := await probe():
            return result
        await asyncio.sleep(0.05)
    raise AssertionError("the workflow never got there")


async def refused(handle, update, request) -> str:
    """The one line a person sees when `update` is refused (and so recorded nothing)."""
    from temporalio.client import WorkflowUpdateFailedError

    with pytest.raises(WorkflowUpdateFailedError) as failure:
        await handle.execute_update(update, request)
    return failure.value.cause.message


async def inbox(app_pool, person: str):
    """What `person` has to do and was told, as `qa inbox` shows it: as of the wall clock, which is the
    database's, whose `now()` stamps each notification."""
    from datetime import UTC, datetime

    from infra.store.outbox import Outbox

    return await Outbox(app_pool).inbox(person, datetime.now(UTC))


async def told(app_pool, person: str, kind: str = "info") -> list[str]:
    """The subjects of what `person` was told, of one notification kind."""
    return [n.subject for n in (await inbox(app_pool, person)).told if n.kind == kind]


async def refused_start(env, settings, app_pool, run_method, request, workflow_id: str) -> str:
    """Start a workflow its own checks must refuse: its one-line refusal, once it is clear it recorded nothing."""
    from temporalio.client import WorkflowFailureError

    from infra.store.audit_log import AuditLog

    handle = await env.client.start_workflow(run_method, request, id=workflow_id, task_queue=settings.task_queue)
    with pytest.raises(WorkflowFailureError) as failure:
        await handle.result()
    assert await AuditLog(app_pool).read_stream(workflow_id) == []
    return failure.value.cause.message


async def audited(app_pool, stream_id: str, state) -> list:
    """An item's audit stream folds, through its kind's own reducer, to the workflow's state; every
    event reads in words (`qa audit history`); every chain in the log is intact. Returns the events."""
    from domain.audit_views import describe
    from domain.events import fold
    from domain.items import kind_of_stream
    from infra.store.audit_log import AuditLog

    log = AuditLog(app_pool)
    events = await log.read_stream(stream_id)
    kind = kind_of_stream(stream_id, (e.event_type for e in events))
    assert kind is not None and fold(kind.evolve, kind.events, events) == state
    assert not [e.event_type for e in events if describe(e.event_type, e.payload).startswith(e.event_type)]
    assert all(report.ok for report in await log.verify())
    return events
