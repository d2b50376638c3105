"""`qa up`: the stack in the foreground (PostgreSQL, Temporal, a worker process), stopped cleanly by Ctrl-C."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import date, datetime, timedelta

from domain.working_days import LONDON
from infra.db import migrate
from infra.embedded import (
    DatabaseUrls,
    EmbeddedError,
    die_with_parent,
    ensure_port_free,
    port_in_use,
    prepare_database,
    process_alive,
    processes_naming,
    start_postgres,
    temporal_cli,
)
from infra.logging import configure_logging, get_logger
from infra.settings import Settings, SettingsError, StackFile
from infra.temporal import connect

log = get_logger("qa.stack")

TEMPORAL_START_TIMEOUT = 60.0
TEMPORAL_STOP_TIMEOUT = 15.0
WORKER_STOP_TIMEOUT = 15.0
WORKER_RESTART_DELAY = 1.0
WATCH_INTERVAL = 1.0

Watch = Callable[[], str | None]
"""A service `qa up` started: None while it runs, or a sentence saying it stopped."""


async def run_stack(settings: Settings) -> None:
    configure_logging(settings.log_format, settings.log_level)
    running = settings.running_stack()
    if running is not None:
        raise SettingsError(f"`qa up` is already running (pid {running.pid}) for {settings.home}")
    settings.home.mkdir(parents=True, exist_ok=True)
    if settings.stack_file.exists():
        await _after_a_crash(settings)

    watches: list[Watch] = []
    async with AsyncExitStack() as stack:
        urls = await _database(settings, stack, watches)
        admin_url, app_url = urls.admin_url, urls.app_url
        address, ui_url = await _temporal(settings, stack, watches)
        server_url = await _server(
            settings.model_copy(
                update={"database_url": app_url, "server_database_url": urls.server_url, "temporal_address": address}
            ),
            stack,
            watches,
        )
        settings.stack_file.parent.mkdir(parents=True, exist_ok=True)
        settings.stack_file.write_text(
            StackFile(
                pid=os.getpid(),
                database_url=app_url,
                admin_database_url=admin_url,
                directory_database_url=urls.directory_url,
                server_database_url=urls.server_url,
                temporal_address=address,
                temporal_ui_url=ui_url,
                server_url=server_url,
            ).model_dump_json(indent=2)
        )
        stack.callback(settings.stack_file.unlink, missing_ok=True)
        if not settings.temporal_address:
            await _codec_endpoint(settings, stack)

        codec = (
            ""
            if settings.temporal_address
            else f"  its payloads are encrypted; the Web UI decrypts them at http://127.0.0.1:{settings.codec_port}\n"
        )
        from infra.delivery import run_delivery, sender_for

        sender = sender_for(settings)
        if sender is not None:  # `qa deliver`'s loop, in this process: it stops with the rest
            stopping = asyncio.Event()
            delivering = asyncio.create_task(
                run_delivery(settings.model_copy(update={"database_url": app_url}), stopping)
            )
            stack.push_async_callback(_stop_delivery, stopping, delivering)
            watches.append(lambda: _stopped(delivering))
            messages = f"by e-mail through {sender.through}, and in the app (`qa inbox`)"
        else:
            messages = "in the app only (`qa inbox`): no mail server (QA_SMTP_HOST) or GOV.UK Notify is set"
        print(
            f"qa-engine is up (data in {settings.home})\n"
            f"  Temporal Web UI:  {ui_url}\n"
            f"  Temporal address: {address}  namespace: {settings.temporal_namespace}\n"
            f"{codec}"
            f"  server:           {server_url}  (sign in: `qa login`; people set passwords with `qa auth accept`)\n"
            f"  web pages:        {server_url}/my-work  (each person signs in with their password, or the council's"
            " account when QA_OIDC_ISSUER is set)\n"
            f"  messages:         {messages}\n"
            f"  start a first cycle, in another terminal, signed in as the QA officer the staff file names\n"
            f"  (a token the host's administrator mints, as the directory is still empty):\n"
            f"    export QA_TOKEN=$(qa auth token qa.officer)\n"
            f"    qa staff import examples/authority/staff.csv\n"
            f"    qa cases import examples/authority/cases.csv\n"
            f"    qa cpr start --service 'Children in Need' --start {example_cycle_start(datetime.now(LONDON).date())}"
            " --sample 3\n"
            f"    qa status\n"
            f"  Ctrl-C stops everything.",
            flush=True,
        )
        died = await _supervise_worker(
            {
                **os.environ,
                "QA_HOME": str(settings.home),
                "QA_DATABASE_URL": app_url,
                "QA_ADMIN_DATABASE_URL": admin_url,
                "QA_TEMPORAL_ADDRESS": address,
            },
            watches,
        )
        log.info("stopping")
    if died is not None:
        # Everything else was stopped in order; nothing recorded is lost (it is all in PostgreSQL and Temporal's file).
        raise EmbeddedError(f"{died}: stopped the rest of the stack; start it again with `qa up`")
    print("qa-engine stopped", flush=True)


# The example authority's open cases (examples/authority/cases.csv) are written for a Children in Need
# cycle on Monday 1 November 2027; on any later day at least as many of them have been supported for
# the 4 weeks a sample needs.
EXAMPLE_CYCLE_START = date(2027, 11, 1)


def example_cycle_start(today: date) -> date:
    """The start of the first cycle the banner suggests: the example's, or once that is past, the next Monday."""
    start = max(today, EXAMPLE_CYCLE_START)
    return start + timedelta(days=-start.weekday() % 7)


async def _after_a_crash(settings: Settings) -> None:
    """A `qa up` of this QA_HOME ended without stopping (killed): let its leftovers go before starting again.

    Its worker and Temporal server die with it (die_with_parent): wait for them to let go of the
    ports, and for its Temporal server to be gone (it lets go of the ports before it lets go of its
    database file; one that outlives the wait is an orphan of this QA_HOME, and is killed). Its
    PostgreSQL is adopted by this run, and stopped by it (infra.embedded).
    """
    log.warning("the previous `qa up` ended without stopping: taking over from it", home=str(settings.home))
    settings.stack_file.unlink(missing_ok=True)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + TEMPORAL_STOP_TIMEOUT
    database_file = str(settings.home / "temporal.db")
    while (held := any(port_in_use(p) for p in (settings.temporal_port, settings.temporal_ui_port))) or (
        orphans := processes_naming(database_file)
    ):
        if loop.time() > deadline:
            if not held:
                for pid in orphans:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
            return  # ensure_port_free then says which port is held
        await asyncio.sleep(0.2)


async def _supervise_worker(env: dict[str, str], watches: list[Watch]) -> str | None:
    """Run the worker as its own process (`python -m worker`) until Ctrl-C; one that dies is said and restarted.

    The worker is the product's own process, not this one's code: `qa up` wires nothing of it.
    The services in `watches` are looked at every WATCH_INTERVAL seconds: if one has stopped, the
    worker is stopped too and what stopped is returned (None: stopped by Ctrl-C or SIGTERM).
    """
    stop = asyncio.Event()
    died: list[str] = []
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    watching = asyncio.ensure_future(_watch(watches, stop, died))
    try:
        while not stop.is_set():
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "worker", env=env, preexec_fn=die_with_parent
            )
            log.info("worker running", pid=process.pid)
            exited = asyncio.ensure_future(process.wait())
            stopping = asyncio.ensure_future(stop.wait())
            await asyncio.wait({exited, stopping}, return_when=asyncio.FIRST_COMPLETED)
            stopping.cancel()
            if not exited.done():
                await _stop_worker(process, exited)
                break
            # A worker gone while we run: say so, and start another unless we are stopping too.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), WORKER_RESTART_DELAY)
            if not stop.is_set():
                log.warning("worker exited; starting another", code=process.returncode)
    finally:
        watching.cancel()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
    return died[0] if died else None


async def _watch(watches: list[Watch], stop: asyncio.Event, died: list[str]) -> None:
    """Stop the stack when a service it started has stopped, saying which."""
    while not stop.is_set():
        for watch in watches:
            if (why := watch()) is not None:
                log.error("a service of the stack stopped", why=why)
                died.append(why)
                stop.set()
                return
        await asyncio.sleep(WATCH_INTERVAL)


def _stopped(delivering: asyncio.Task[None]) -> str | None:
    """None while the delivery loop runs; why it stopped, once it has (the queue keeps what it had not sent)."""
    if not delivering.done():
        return None
    failure = None if delivering.cancelled() else delivering.exception()
    return f"the e-mail delivery stopped: {failure!r}" if failure else "the e-mail delivery stopped"


async def _stop_delivery(stopping: asyncio.Event, delivering: asyncio.Task[None]) -> None:
    """Let the delivery loop finish the message it holds, then stop it."""
    stopping.set()
    with contextlib.suppress(Exception):  # its failure was reported when it stopped
        await delivering


async def _stop_worker(process: asyncio.subprocess.Process, exited: asyncio.Future[int]) -> None:
    """SIGTERM, so it finishes what it holds; killed if it has not after WORKER_STOP_TIMEOUT seconds."""
    if process.returncode is None:
        process.terminate()
    try:
        await asyncio.wait_for(asyncio.shield(exited), WORKER_STOP_TIMEOUT)
    except TimeoutError:
        process.kill()
        await exited


async def _database(settings: Settings, stack: AsyncExitStack, watches: list[Watch]) -> DatabaseUrls:
    if settings.database_url:
        admin_url = settings.admin_database_url or settings.database_url
        await migrate(admin_url)
        return DatabaseUrls(
            admin_url,
            settings.database_url,
            settings.directory_database_url or admin_url,
            settings.server_database_url or settings.database_url,
        )
    pg = await asyncio.to_thread(start_postgres, settings.home / "postgres")
    stack.callback(pg.stop)
    log.info("postgres running", socket=str(pg.socket_dir), pid=pg.pid)
    pid = pg.pid
    if pid is not None:
        watches.append(lambda: None if process_alive(pid) else f"PostgreSQL (pid {pid}) stopped")
    return await prepare_database(pg)


async def _temporal(settings: Settings, stack: AsyncExitStack, watches: list[Watch]) -> tuple[str, str]:
    if settings.temporal_address:
        return settings.temporal_address, "(external Temporal: see your cluster's UI)"
    ensure_port_free(settings.temporal_port, "Temporal")
    ensure_port_free(settings.temporal_ui_port, "Temporal Web UI")
    ensure_port_free(settings.codec_port, "the codec endpoint")
    process = await stack.enter_async_context(_dev_server(settings))
    address = f"127.0.0.1:{settings.temporal_port}"
    await _wait_for_temporal(address, settings, process)
    await _keep_histories(address, settings)
    log.info("temporal running", address=address, pid=process.pid, retention_days=settings.temporal_retention_days)
    log_path = settings.home / "temporal.log"
    watches.append(
        lambda: (
            None
            if process.poll() is None
            else f"the Temporal dev server (pid {process.pid}) exited with code {process.returncode}; see {log_path}"
        )
    )
    return address, f"http://127.0.0.1:{settings.temporal_ui_port}"


@asynccontextmanager
async def _dev_server(settings: Settings) -> AsyncIterator[subprocess.Popen[bytes]]:
    log_path = settings.home / "temporal.log"
    with open(log_path, "ab") as log_file:
        process = subprocess.Popen(
            [
                temporal_cli(),
                "server",
                "start-dev",
                "--db-filename",
                str(settings.home / "temporal.db"),
                "--ip",
                "127.0.0.1",
                "--port",
                str(settings.temporal_port),
                "--ui-port",
                str(settings.temporal_ui_port),
                # The Web UI shows payloads decrypted through qa up's codec endpoint (infra.http.codec).
                "--ui-codec-endpoint",
                f"http://127.0.0.1:{settings.codec_port}",
                "--namespace",
                settings.temporal_namespace,
                "--log-level",
                "warn",
            ],
            stdout=log_file,
            stderr=subprocess.STDOUT,
            # Its own session: Ctrl-C reaches us, and we stop it in order, after the worker. It dies with us.
            start_new_session=True,
            preexec_fn=die_with_parent,
        )
    try:
        yield process
    finally:
        await asyncio.to_thread(_stop_process, process)


async def _keep_histories(address: str, settings: Settings) -> None:
    """The namespace's retention, from settings (the dev server starts it at a day)."""
    from google.protobuf.duration_pb2 import Duration
    from temporalio.api.namespace.v1 import NamespaceConfig
    from temporalio.api.workflowservice.v1 import UpdateNamespaceRequest

    client = await connect(settings.model_copy(update={"temporal_address": address}))
    await client.workflow_service.update_namespace(
        UpdateNamespaceRequest(
            namespace=settings.temporal_namespace,
            config=NamespaceConfig(
                workflow_execution_retention_ttl=Duration(seconds=settings.temporal_retention_days * 86_400)
            ),
        )
    )


async def _server(settings: Settings, stack: AsyncExitStack, watches: list[Watch]) -> str:
    """The HTTP server (infra.http.server), in this process, stopped with the stack; its address."""
    from infra.http.server import server

    ensure_port_free(settings.server_port, "the server")
    running = server(settings, "127.0.0.1", settings.server_port, own_signals=False)
    task = asyncio.create_task(running.serve())
    url = f"http://127.0.0.1:{settings.server_port}"

    async def stop() -> None:
        # Told to stop, not cancelled: it finishes the requests under way and closes its pool and client.
        running.should_exit = True
        await task

    stack.push_async_callback(stop)
    watches.append(lambda: f"the server at {url} stopped" if task.done() else None)
    log.info("server running", url=url)
    return url


async def _codec_endpoint(settings: Settings, stack: AsyncExitStack) -> None:
    """The embedded Web UI's codec endpoint (infra.http.codec), in this process, stopped with the stack."""
    from infra.http.codec import serve

    ui = settings.temporal_ui_port
    origins = [f"http://127.0.0.1:{ui}", f"http://localhost:{ui}"]
    task = asyncio.create_task(
        serve("127.0.0.1", settings.codec_port, origins, settings.codec_token, own_signals=False)
    )

    async def stop() -> None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    stack.push_async_callback(stop)
    log.info("codec endpoint running", url=f"http://127.0.0.1:{settings.codec_port}")


def _stop_process(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(TEMPORAL_STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


async def _wait_for_temporal(address: str, settings: Settings, process: subprocess.Popen[bytes]) -> None:
    probe = settings.model_copy(update={"temporal_address": address})
    deadline = asyncio.get_running_loop().time() + TEMPORAL_START_TIMEOUT
    while True:
        if process.poll() is not None:
            raise EmbeddedError(
                f"the Temporal dev server exited with code {process.returncode}: see {settings.home / 'temporal.log'}"
            )
        try:
            client = await connect(probe)
            await client.service_client.check_health()
            return
        except RuntimeError:
            if asyncio.get_running_loop().time() > deadline:
                raise EmbeddedError(
                    f"the Temporal dev server did not start within {TEMPORAL_START_TIMEOUT:.0f}s"
                ) from None
            await asyncio.sleep(0.2)
