"""Benchmarks on a Temporal dev server: review throughput (and worker memory), and a CPR cycle's sampling at scale."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path

import asyncpg

from bench.common import Figure, Postgres, median, runs

REPO = Path(__file__).resolve().parents[1]


@asynccontextmanager
async def dev_server() -> AsyncIterator:
    from temporalio.contrib.pydantic import pydantic_data_converter
    from temporalio.testing import WorkflowEnvironment

    from infra.embedded import temporal_cli

    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=temporal_cli(), data_converter=pydantic_data_converter, ui=False
    )
    try:
        yield env
    finally:
        await env.shutdown()


class WorkerProcess:
    """A worker in a subprocess (bench.worker_proc); `stop()` returns its peak RSS in MiB."""

    def __init__(self, side: str, address: str, task_queue: str, database_url: str, home: Path) -> None:
        self.side = side
        self.task_queue = task_queue
        self._log = tempfile.TemporaryFile(mode="w+")
        self._proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bench.worker_proc",
                side,
                "--address",
                address,
                "--task-queue",
                task_queue,
                "--database-url",
                database_url,
                "--home",
                str(home),
            ],
            cwd=REPO,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
            env={**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))},
        )

    def _failed(self, what: str) -> RuntimeError:
        self._log.seek(0)
        return RuntimeError(f"{self.side} worker {what}:\n{self._log.read()[-3000:]}")

    async def ready(self) -> None:
        assert self._proc.stdout is not None
        line = await asyncio.to_thread(self._proc.stdout.readline)
        if line.strip() != "ready":
            raise self._failed("did not start")

    async def stop(self) -> float:
        assert self._proc.stdin is not None and self._proc.stdout is not None
        self._proc.stdin.close()
        out = await asyncio.to_thread(self._proc.stdout.read)
        await asyncio.to_thread(self._proc.wait, 60)
        try:
            return json.loads(out.strip().splitlines()[-1])["peak_rss_kib"] / 1024
        except (IndexError, ValueError, KeyError):
            raise self._failed("did not report its memory") from None
        finally:
            self._log.close()

    def kill(self) -> None:
        if self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait()


async def gather_limited(jobs: list[Callable[[], Awaitable[object]]], limit: int) -> None:
    gate = asyncio.Semaphore(limit)

    async def one(job: Callable[[], Awaitable[object]]) -> None:
        async with gate:
            await job()

    await asyncio.gather(*(one(job) for job in jobs))


# --- review_throughput ---------------------------------------------------------------------------

REVIEWS = 200
IN_FLIGHT = 50


def review_steps(practitioner: str, reviewer: str) -> list[tuple[str, object]]:
    """A review's 7 updates in the framework's order, as a reviewer and practitioner send them."""
    from domain.review import (
        GiveGrade,
        JudgeRubric,
        RecordConclusion,
        RecordConversation,
        RecordReflection,
        RecordVoice,
        SubmitReview,
    )
    from domain.rubric import CRITERION_IDS, Evidence, Grade
    from workflows.review import ReviewWorkflow

    return [
        (ReviewWorkflow.record_voice, RecordVoice(actor=reviewer, whose="child", summary="feels listened to")),
        (ReviewWorkflow.record_voice, RecordVoice(actor=reviewer, whose="family", summary="mum values the visits")),
        (
            ReviewWorkflow.reflect,
            RecordReflection(actor=practitioner, score=7, pleased_with="direct work", could_develop="chronology"),
        ),
        (ReviewWorkflow.record_conversation, RecordConversation(actor=reviewer, summary="agreed the plan")),
        (ReviewWorkflow.judge, JudgeRubric(actor=reviewer, judgements=dict.fromkeys(CRITERION_IDS, Evidence.some))),
        (ReviewWorkflow.grade, GiveGrade(actor=reviewer, grade=Grade.good, rationale="consistently good help")),
        (ReviewWorkflow.conclude, RecordConclusion(actor=reviewer, working_well="direct work", do_differently="plans")),
        (ReviewWorkflow.submit, SubmitReview(actor=reviewer)),
    ]


async def drive_reviews(client, task_queue: str, tag: str, n: int) -> None:
    from workflows.review import ReviewInput, ReviewWorkflow

    steps = review_steps("priya.practitioner", "sam.reviewer")

    async def one(i: int) -> None:
        handle = await client.start_workflow(
            ReviewWorkflow.run,
            ReviewInput(
                cycle_id=f"bench-{tag}",
                case_number=f"LCS-{100000 + i}",
                service="Children in Need",
                team="Children in Need",
                practitioner="priya.practitioner",
                reviewer="sam.reviewer",
                team_manager="nadia.manager",
                head_of_service="hana.hos",
                due_on=date(2027, 11, 29),
                opened_by="qa.officer",
            ),
            id=f"bench-{tag}-review-{i}",
            task_queue=task_queue,
        )
        for update, request in steps:
            await handle.execute_update(update, request)
        state = await handle.result()
        assert state.status == "closed", state.status

    await gather_limited([lambda i=i: one(i) for i in range(n)], IN_FLIGHT)


async def drive_bare(client, task_queue: str, tag: str, n: int) -> None:
    from bench.bare import UPDATE_ACTIVITIES, BareWorkflow, Step

    async def one(i: int) -> None:
        handle = await client.start_workflow(
            BareWorkflow.run, Step(actor="qa.officer"), id=f"bench-{tag}-bare-{i}", task_queue=task_queue
        )
        for count in UPDATE_ACTIVITIES:
            await handle.execute_update(BareWorkflow.step, Step(actor="sam.reviewer", activities=count))
        assert await handle.result() == len(UPDATE_ACTIVITIES)

    await gather_limited([lambda i=i: one(i) for i in range(n)], IN_FLIGHT)


async def shape(client, workflow_id: str) -> tuple[int, int]:
    """(activities scheduled, updates accepted) in a workflow's history."""
    from temporalio.api.enums.v1 import EventType

    history = await client.get_workflow_handle(workflow_id).fetch_history()
    kinds = [event.event_type for event in history.events]
    return (
        kinds.count(EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED),
        kinds.count(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED),
    )


async def review_throughput(pg: Postgres) -> list[Figure]:
    """200 reviews driven through their 7 updates to completion (one real worker) vs 200 bare workflows."""
    real_rates, bare_rates = [], []
    async with pg.database() as db, dev_server() as env:
        address = env.client.service_client.config.target_host
        with tempfile.TemporaryDirectory(prefix="qa-bench-home-") as home:
            real = WorkerProcess("real", address, f"bench-real-{uuid.uuid4().hex[:6]}", db.app_url, Path(home))
            bare = WorkerProcess("bare", address, f"bench-bare-{uuid.uuid4().hex[:6]}", "", Path(home))
            try:
                await asyncio.gather(real.ready(), bare.ready())
                tags = []
                for run in runs():
                    tag = uuid.uuid4().hex[:6]
                    tags.append(tag)
                    order = [
                        (partial(drive_bare, env.client, bare.task_queue, tag, REVIEWS), bare_rates),
                        (partial(drive_reviews, env.client, real.task_queue, tag, REVIEWS), real_rates),
                    ]
                    for action, out in order if run % 2 == 0 else reversed(order):
                        start = time.perf_counter()
                        await action()
                        out.append(REVIEWS / (time.perf_counter() - start))
                real_shape = await shape(env.client, f"bench-{tags[0]}-review-0")
                bare_shape = await shape(env.client, f"bench-{tags[0]}-bare-0")
                if real_shape != bare_shape:
                    raise RuntimeError(f"the baseline's shape {bare_shape} differs from a review's {real_shape}")
                real_mib, bare_mib = await asyncio.gather(real.stop(), bare.stop())
            finally:
                real.kill()
                bare.kill()
    shape_text = f"{real_shape[0]} activities and {real_shape[1]} updates each"
    return [
        Figure(
            "review_throughput",
            median(real_rates),
            median(bare_rates),
            "workflows/s",
            0.5,
            "higher",
            f"{REVIEWS} reviews ({shape_text}, {IN_FLIGHT} in flight) vs {REVIEWS} bare workflows, one worker",
        ),
        Figure(
            "review_throughput.memory",
            real_mib,
            bare_mib,
            "MiB",
            2.0,
            "lower",
            f"peak RSS (VmHWM) of each worker's own process, {len(real_rates)} runs each",
        ),
    ]


# --- scale_cases ---------------------------------------------------------------------------------

SERVICE = "Children in Need"
SAMPLE = 50
SIZES = (10_000, 20_000)
CYCLE_START = date(2027, 11, 1)


def open_cases(n: int, practitioners: list[str]) -> list:
    from domain.directory import OpenCase

    return [
        OpenCase(
            case_number=f"LCS-{1_000_000 + i}",
            system="LCS",
            service=SERVICE,
            team=SERVICE,
            practitioner=practitioners[i % len(practitioners)],
            # one in ten began support under 4 weeks before the cycle: left out of the draw
            support_began=CYCLE_START - timedelta(days=7 if i % 10 == 0 else 60 + i % 700),
        )
        for i in range(n)
    ]


async def scale_cases(pg: Postgres) -> list[Figure]:
    """Starting a CPR cycle (sample of 50) until its draw is recorded, with 10,000 then 20,000 open cases."""
    from domain.directory import Role, parse_staff_csv
    from infra.settings import Settings
    from infra.store.audit_log import AuditLog
    from infra.store.directory import Directory
    from worker.main import build_worker
    from workflows.cpr_cycle import CprCycleWorkflow, CycleInput

    timings: dict[int, list[float]] = {n: [] for n in SIZES}
    staff = parse_staff_csv((REPO / "examples" / "authority" / "staff.csv").read_text(encoding="utf-8"))
    practitioners = sorted(m.staff_id for m in staff if m.has(Role.PRACTITIONER))
    cases = {n: open_cases(n, practitioners) for n in SIZES}
    async with pg.database() as db, dev_server() as env:
        pool = await asyncpg.create_pool(db.app_url, min_size=2, max_size=10)
        importer = await asyncpg.create_pool(db.directory_url, min_size=1, max_size=1)  # the directory's own login
        assert pool is not None and importer is not None
        try:
            directory = Directory(importer, AuditLog(importer))
            await directory.import_staff(staff, "qa.officer", datetime.now(UTC))
            with tempfile.TemporaryDirectory(prefix="qa-bench-home-") as home:
                settings = Settings(home=Path(home), task_queue=f"bench-scale-{uuid.uuid4().hex[:6]}")
                started = []
                async with build_worker(env.client, pool, settings):
                    for run in runs():
                        for n in SIZES:
                            await directory.import_cases(cases[n], "qa.officer", datetime.now(UTC))
                            cycle_id = f"bench-cpr-{n}-{run}-{uuid.uuid4().hex[:6]}"
                            start = time.perf_counter()
                            handle = await env.client.start_workflow(
                                CprCycleWorkflow.run,
                                CycleInput(
                                    service=SERVICE,
                                    start=CYCLE_START,
                                    sample_size=SAMPLE,
                                    seed=f"bench-{run}",
                                    started_by="qa.officer",
                                ),
                                id=cycle_id,
                                task_queue=settings.task_queue,
                            )
                            await sample_recorded(pool, cycle_id)
                            timings[n].append(time.perf_counter() - start)
                            started.append(handle)
                    # Each cycle now waits for its allocations: stop them all, once idle.
                    for handle in started:
                        await handle.terminate()
        finally:
            await pool.close()
            await importer.close()
    small, large = (median(timings[n]) for n in SIZES)
    return [
        Figure(
            "scale_cases",
            large,
            small,
            "s",
            2.2,
            "lower",
            f"start to sample recorded, sample of {SAMPLE}: {SIZES[1]:,} open cases vs {SIZES[0]:,}",
        )
    ]


async def sample_recorded(pool: asyncpg.Pool, cycle_id: str, timeout: float = 120) -> None:
    deadline = time.perf_counter() + timeout
    async with pool.acquire() as conn:
        while not await conn.fetchval(
            "SELECT 1 FROM audit_events WHERE stream_id = $1 AND event_type = 'cycle.sample_drawn'", cycle_id
        ):
            if time.perf_counter() > deadline:
                raise RuntimeError(f"{cycle_id} recorded no sample within {timeout:.0f} s")
            await asyncio.sleep(0.005)
