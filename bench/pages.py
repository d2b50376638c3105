"""The web pages under load: 50 people signed in at once, each opening My work and their review's page and
recording a step there, against a static page of the same server under the same load.

The whole stack, as `qa up` runs it but on the benchmark's PostgreSQL: a Temporal dev server, `qa worker`
and `qa serve` in processes of their own (so the figure is the server's, not this process's). The example
authority plus 50 reviewers, a cycle of 50 reviews, one for each; each person's session a token of theirs.
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import httpx

from bench.common import Figure, Postgres, median, runs
from bench.workflows import CYCLE_START, SERVICE, dev_server, open_cases

USERS = 50
ROUNDS = 2  # each person's rounds of My work, their review's page and a step
QA = str(Path(sys.executable).with_name("qa"))
CSRF = re.compile(r'name="csrf" value="([0-9a-f]+)"')


def _p95(latencies: list[float]) -> float:
    ordered = sorted(latencies)
    return ordered[max(0, int(len(ordered) * 0.95) - 1)]


def _staff() -> list:
    from domain.directory import Role, StaffMember, parse_staff_csv

    staff = parse_staff_csv((Path(__file__).resolve().parents[1] / "examples" / "authority" / "staff.csv").read_text())
    reviewers = [
        StaffMember(
            staff_id=f"bench.reviewer{i:02d}",
            display_name=f"Bench Reviewer {i}",
            roles=frozenset({Role.REVIEWER}),
            team="Quality and Assurance",
            line_manager="quinn.hoqa",
        )
        for i in range(USERS)
    ]
    return [*staff, *reviewers]


async def _answering(url: str, processes: list[subprocess.Popen], log: Path) -> None:
    async with httpx.AsyncClient() as http:
        for _ in range(300):
            if any(p.poll() is not None for p in processes):
                raise RuntimeError(f"the worker or the server stopped while starting:\n{log.read_text()[-3000:]}")
            try:
                if (await http.get(f"{url}/readyz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.2)
    raise RuntimeError(f"{url} did not become ready")


async def _a_cycle_of_reviews(settings, directory_url: str) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """The directory imported, a cycle of USERS reviews started and each allocated: (reviewer, review id)."""
    from domain.cpr_cycle import AllocateReviewer
    from domain.directory import Role
    from infra.store.audit_log import AuditLog
    from infra.store.directory import Directory
    from infra.temporal import connect
    from workflows.cpr_cycle import CprCycleWorkflow, CycleInput

    staff = _staff()
    importer = await asyncpg.create_pool(directory_url, min_size=1, max_size=1)
    try:
        directory = Directory(importer, AuditLog(importer))
        await directory.import_staff(staff, "qa.officer", datetime.now(UTC))
        practitioners = sorted(m.staff_id for m in staff if m.has(Role.PRACTITIONER))
        await directory.import_cases(open_cases(400, practitioners), "qa.officer", datetime.now(UTC))
    finally:
        await importer.close()
    client = await connect(settings)
    cycle = await client.start_workflow(
        CprCycleWorkflow.run,
        CycleInput(service=SERVICE, start=CYCLE_START, sample_size=USERS, seed="bench-pages", started_by="qa.officer"),
        id=f"bench-pages-{uuid.uuid4().hex[:6]}",
        task_queue=settings.task_queue,
    )
    for _ in range(600):
        state = await cycle.query(CprCycleWorkflow.state)
        if state is not None and state.phase == "reviewing":
            break
        await asyncio.sleep(0.1)
    else:
        raise RuntimeError("the cycle's sample was never drawn")
    reviewers = [m.staff_id for m in staff if m.staff_id.startswith("bench.reviewer")]
    allocated = []
    for reviewer, case in zip(reviewers, state.cases, strict=True):
        after = await cycle.execute_update(
            CprCycleWorkflow.allocate,
            AllocateReviewer(actor="qa.officer", case_number=case.case_number, reviewer=reviewer),
        )
        allocated.append((reviewer, after.case(case.case_number).review_id))
    return allocated


async def _person(http: httpx.AsyncClient, review_id: str, latencies: list[float]) -> None:
    """One person's rounds: My work, their review's page, a step recorded from its form."""

    async def timed(method: str, path: str, **kwargs: object) -> httpx.Response:
        start = time.perf_counter()
        answer = await http.request(method, path, **kwargs)  # type: ignore[arg-type]
        latencies.append(time.perf_counter() - start)
        if answer.status_code >= 400:
            raise RuntimeError(f"{method} {path} answered {answer.status_code}: {answer.text[:300]}")
        return answer

    for round_ in range(ROUNDS):
        await timed("GET", "/my-work")
        page = await timed("GET", f"/items/{review_id}")
        csrf = CSRF.search(page.text)
        assert csrf is not None, "the review's page has no form"
        form = {"csrf": csrf[1], "whose": "child", "obtained": "true", "summary": f"heard in round {round_}"}
        await timed("POST", f"/items/{review_id}/record_voice", data=form)


async def _static(http: httpx.AsyncClient, latencies: list[float]) -> None:
    """The same number of requests, for the server's own stylesheet: the bare page the figure is against."""
    for _ in range(ROUNDS * 3):
        start = time.perf_counter()
        answer = await http.get("/static/qa.css")
        latencies.append(time.perf_counter() - start)
        answer.raise_for_status()


async def pages(pg: Postgres) -> list[Figure]:
    """p95 latency of 50 signed-in people's pages and steps vs a static page of the same server."""
    from infra.settings import Settings
    from infra.store.sign_in import SignInStore

    real: list[float] = []
    bare: list[float] = []
    async with pg.database() as db, dev_server() as env:
        address = env.client.service_client.config.target_host
        with tempfile.TemporaryDirectory(prefix="qa-bench-pages-") as home:
            port = _free_port()
            settings = Settings(home=Path(home), temporal_address=address, task_queue=f"bench-pages-{port}")
            environment = {
                **os.environ,
                "QA_HOME": home,
                "QA_DATABASE_URL": db.app_url,
                "QA_ADMIN_DATABASE_URL": db.admin_url,
                "QA_SERVER_DATABASE_URL": db.server_url,
                "QA_TEMPORAL_ADDRESS": address,
                "QA_TASK_QUEUE": settings.task_queue,
                "QA_LOG_LEVEL": "WARNING",
            }
            from infra.codec import payload_keys

            payload_keys(settings)  # made here, once, for the worker, the server and this process alike
            log_path = Path(home) / "stack.log"
            log = log_path.open("wb")
            processes = [
                subprocess.Popen([QA, "worker"], env=environment, stdout=log, stderr=log),
                subprocess.Popen([QA, "serve", "--port", str(port)], env=environment, stdout=log, stderr=log),
            ]
            base = f"http://127.0.0.1:{port}"
            try:
                await _answering(base, processes, log_path)
                allocated = await _a_cycle_of_reviews(settings, db.directory_url)
                admin = await asyncpg.create_pool(db.admin_url, min_size=1, max_size=2)
                try:
                    store = SignInStore(admin)
                    tokens = [
                        (await store.issue_token(r, "minted", "bench", timedelta(hours=2))).secret for r, _ in allocated
                    ]
                finally:
                    await admin.close()
                # Idle connections let go before the server's keep-alive (uvicorn's 5 s) closes them under a request.
                limits = httpx.Limits(max_connections=USERS * 2, keepalive_expiry=2)
                async with httpx.AsyncClient(base_url=base, limits=limits, timeout=120) as anonymous:
                    sessions = [
                        httpx.AsyncClient(base_url=base, cookies={"qa_session": t}, timeout=120, limits=limits)
                        for t in tokens
                    ]
                    try:

                        async def static(out: list[float]) -> None:
                            await asyncio.gather(*(_static(anonymous, out) for _ in range(USERS)))

                        async def people(out: list[float]) -> None:
                            await asyncio.gather(
                                *(_person(s, review, out) for s, (_, review) in zip(sessions, allocated, strict=True))
                            )

                        for run in runs():
                            order = [(static, bare), (people, real)]
                            for load, side in order if run % 2 == 0 else reversed(order):
                                latencies: list[float] = []
                                await load(latencies)
                                side.append(_p95(latencies))
                    finally:
                        for s in sessions:
                            await s.aclose()
            finally:
                for p in processes:
                    p.terminate()
                for p in processes:
                    p.wait(timeout=30)
                log.close()
    return [
        Figure(
            "pages",
            median(real),
            median(bare),
            "s (p95)",
            5.0,
            "lower",
            f"{USERS} people signed in at once, each {ROUNDS} rounds of My work, their review's page and a step"
            " recorded, vs as many requests for the server's static stylesheet",
        )
    ]


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
