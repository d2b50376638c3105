"""`qa up` as a user runs it: embedded PostgreSQL + Temporal dev server + worker, driven by the CLI."""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import date, datetime
from pathlib import Path

import pytest

from domain.working_days import LONDON
from infra.embedded import port_in_use, process_alive, temporal_cli
from tests.clock import laid_out_as

QA = str(Path(sys.executable).parent / "qa")
YEAR = laid_out_as(2027)  # the deadline's hand-checked window, in a year still ahead of the wall clock


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_open(port: int) -> bool:
    return port_in_use(port)


@pytest.fixture
def stack_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QA_")}
    env.update(
        QA_HOME=str(tmp_path / "qa-home"),
        QA_TEMPORAL_PORT=str(free_port()),
        QA_TEMPORAL_UI_PORT=str(free_port()),
        QA_CODEC_PORT=str(free_port()),
        QA_SERVER_PORT=str(free_port()),
        QA_CONFIG_DIR=str(tmp_path / "config"),
        QA_LOG_FORMAT="json",
    )
    return env


running = process_alive  # alive and not a zombie (a daemon's parent here may never reap it)


def worker_pids(parent: int) -> list[int]:
    """The `python -m worker` processes whose parent is `parent` (qa up)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmdline = (stat.parent / "cmdline").read_bytes().split(b"\0")
        except (OSError, IndexError):
            continue  # gone meanwhile
        if int(fields[1]) == parent and b"worker" in cmdline and b"-m" in cmdline:
            found.append(int(stat.parent.name))
    return sorted(found)


class Stack:
    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.process = subprocess.Popen([QA, "up"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        banner = []
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if not line:
                raise AssertionError(f"qa up exited early: {self.process.wait()} {self.process.stderr.read()}")
            banner.append(line)
            if "Ctrl-C stops everything" in line:
                self.banner = "".join(banner)
                return
        raise AssertionError("qa up did not come up in 90 s")

    def qa(self, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run([QA, *args], env=self.env, capture_output=True, text=True, timeout=60)
        if ok and done.returncode != 0:
            # A stack stopping under the command: let it finish, and what it said is the cause to read.
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=10)
            if self.process.poll() is not None:
                raise AssertionError(
                    f"{done.stderr}qa up exited {self.process.returncode}: {self.process.stderr.read()}"
                )
        if ok:
            assert done.returncode == 0, done.stderr
        return done

    def stop(self) -> str:
        self.process.send_signal(signal.SIGINT)
        out, self.log = self.process.communicate(timeout=60)
        assert self.process.returncode == 0
        return out


def test_qa_up_runs_a_deadline_through_the_cli_and_survives_a_restart(stack_env):
    home = Path(stack_env["QA_HOME"])
    temporal_port = int(stack_env["QA_TEMPORAL_PORT"])

    stack = Stack(stack_env)
    try:
        assert f"http://127.0.0.1:{stack_env['QA_TEMPORAL_UI_PORT']}" in stack.banner
        assert (
            "messages:         in the app only (`qa inbox`): no mail server (QA_SMTP_HOST) or GOV.UK Notify is set"
            in stack.banner
        )
        # The web pages are on the stack's server: My work sends a browser to sign in first.
        [pages] = [line.split()[2] for line in stack.banner.splitlines() if line.strip().startswith("web pages:")]
        for _ in range(100):  # the server may still be binding its port as the banner prints
            try:
                page = urllib.request.urlopen(
                    urllib.request.Request(pages, headers={"Accept": "text/html"}), timeout=30
                )
                break
            except urllib.error.URLError:
                time.sleep(0.1)
        with page:
            assert page.url.endswith("/sign-in?next=/my-work")
            assert '<h1 class="govuk-heading-l">Sign in</h1>' in page.read().decode()
        assert (home / "run" / "stack.json").exists()
        again = stack.qa("up", ok=False)
        assert again.returncode == 1 and "already running" in again.stderr
        # Closed workflows' histories are kept for the longest the dev server allows, not its one day:
        # asked of the real `temporal` CLI, a second client.
        described = subprocess.run(
            [
                temporal_cli(),
                "operator",
                "namespace",
                "describe",
                "--namespace",
                "default",
                "-o",
                "json",
                "--address",
                f"127.0.0.1:{temporal_port}",
            ],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )
        assert json.loads(described.stdout)["config"]["workflowExecutionRetentionTtl"] == f"{36_500 * 86_400}s"
        # Its Web UI decodes payloads through qa up's codec endpoint (the engine stores them encrypted).
        ui = f"http://127.0.0.1:{stack_env['QA_TEMPORAL_UI_PORT']}"
        asked = urllib.request.Request(
            f"http://127.0.0.1:{stack_env['QA_CODEC_PORT']}/decode",
            data=b'{"payloads": []}',
            headers={"Content-Type": "application/json", "Origin": ui},
        )
        with urllib.request.urlopen(asked, timeout=10) as answer:
            assert answer.headers["access-control-allow-origin"] == ui
            assert json.loads(answer.read()) == {"payloads": []}

        # A deadline's owner and setter are people the directory lists.
        stack.qa("staff", "import", "examples/authority/staff.csv", "--as", "qa.officer")
        deadline_id = stack.qa(
            "deadline",
            "start",
            "--title",
            "CPR review 1234567",
            "--owner",
            "sam.reviewer",
            "--start",
            f"{YEAR}-03-22",
            "--days",
            "20",
            "--as",
            "qa.officer",
        ).stdout.strip()
        # `start` answers once the deadline is set (update-with-start): shown at once, no waiting.
        shown = stack.qa("deadline", "show", deadline_id, "--json")
        assert json.loads(shown.stdout)["due_at"] == f"{YEAR}-04-21T23:59:59+01:00"  # Easter and BST on the way
        # A start the workflow refuses is that one line, and no id.
        nobody = stack.qa(
            "deadline",
            "start",
            "--title",
            "t",
            "--owner",
            "nobody.here",
            "--start",
            f"{YEAR}-03-22",
            "--days",
            "2",
            "--as",
            "qa.officer",
            ok=False,
        )
        assert (nobody.returncode, nobody.stdout) == (1, "")
        assert nobody.stderr.strip() == (
            "qa: refused: nobody.here cannot own a deadline: the directory does not list them as active"
        )

        refused = stack.qa("deadline", "done", deadline_id, "--as", "not.the.owner", ok=False)
        assert refused.returncode == 1
        assert refused.stderr.strip() == (
            "qa: refused: only the owner (sam.reviewer) can mark 'CPR review 1234567' as done, not not.the.owner"
        )
        stack.qa("deadline", "done", deadline_id, "--as", "sam.reviewer", "--note", "review uploaded")
        assert stack.qa("db", "migrate").stdout.strip() == "database is up to date"
        verified = json.loads(stack.qa("audit", "verify", "--json").stdout)
        assert verified == {"ok": True, "streams": 2, "events": 3, "breaks": []}  # the staff import, the deadline

        # The first cycle, as the banner suggests: the example's November 2027, or a Monday after it.
        host_env = stack.env
        for line in stack.banner.splitlines():
            if line.startswith("    export QA_TOKEN=$(qa ") and line.endswith(")"):  # signed in as the banner says
                minted = stack.qa(*shlex.split(line.strip().removeprefix("export QA_TOKEN=$(").removesuffix(")"))[1:])
                stack.env = {**stack.env, "QA_TOKEN": minted.stdout.strip()}
            if line.startswith("    qa ") and "calendar due" not in line:
                command = shlex.split(line.strip())[1:]
                stack.qa(*command)
                if command[:2] == ["cpr", "start"]:
                    start = date.fromisoformat(command[command.index("--start") + 1])
        stack.env = host_env
        assert start.weekday() == 0 and start >= max(date(2027, 11, 1), datetime.now(LONDON).date())
        cycle_id = f"cpr-{start}-children-in-need"
        cycle = json.loads(stack.qa("cpr", "show", cycle_id, "--json").stdout)
        assert (cycle["phase"], len(cycle["cases"])) == ("reviewing", 3)
    finally:
        out = stack.stop()
    assert "qa-engine stopped" in out
    assert not port_open(temporal_port)
    assert not (home / "run" / "stack.json").exists()
    assert not (home / "postgres" / "postmaster.pid").exists()

    # Both stores live under QA_HOME: a restart finds everything as it was.
    stack = Stack(stack_env)
    try:
        state = json.loads(stack.qa("deadline", "show", deadline_id, "--json").stdout)
        assert (state["status"], state["met_by"]) == ("met", "sam.reviewer")
        assert json.loads(stack.qa("audit", "verify", deadline_id, "--json").stdout)["events"] == 2
        assert json.loads(stack.qa("status", cycle_id, "--json").stdout) == cycle

        # The worker is qa up's child process: killed, it is said and another takes its place.
        [worker] = worker_pids(stack.process.pid)
        os.kill(worker, signal.SIGKILL)
        for _ in range(100):
            replaced = worker_pids(stack.process.pid)
            if replaced and replaced != [worker]:
                break
            time.sleep(0.1)
        assert replaced and worker not in replaced
        again = stack.qa(
            "deadline",
            "start",
            "--title",
            "after the worker died",
            "--owner",
            "sam.reviewer",
            "--start",
            f"{YEAR}-03-22",
            "--days",
            "1",
            "--as",
            "qa.officer",
        ).stdout.strip()
        assert json.loads(stack.qa("deadline", "show", again, "--json").stdout)["status"] == "open"
    finally:
        out = stack.stop()
    assert "worker exited; starting another" in stack.log
    assert not worker_pids(stack.process.pid)


def test_commands_that_need_the_stack_say_so_when_it_is_down(stack_env):
    done = subprocess.run([QA, "audit", "verify"], env=stack_env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert done.stderr.strip() == (
        "qa: no database: start the stack with `qa up` in another terminal, or set QA_DATABASE_URL"
    )


@pytest.mark.parametrize(
    ("today", "start"),
    [
        (date(2026, 12, 2), date(2027, 11, 1)),  # before the example's cycle: the example's own
        (date(2027, 11, 1), date(2027, 11, 1)),
        (date(2027, 11, 2), date(2027, 11, 8)),  # once it is past: the next Monday
        (date(2029, 2, 9), date(2029, 2, 12)),
        (date(2029, 2, 12), date(2029, 2, 12)),
    ],
)
def test_the_banner_suggests_a_first_cycle_the_example_cases_can_fill(today, start):
    from infra.stack import example_cycle_start

    assert example_cycle_start(today) == start


def test_qa_up_after_a_kill_9_of_itself_comes_back_on_the_same_ports_and_stops_everything(stack_env):
    home = Path(stack_env["QA_HOME"])
    temporal_port = int(stack_env["QA_TEMPORAL_PORT"])
    stack = Stack(stack_env)
    for _ in range(100):  # started just after the banner
        if workers := worker_pids(stack.process.pid):
            break
        time.sleep(0.1)
    [worker] = workers
    postmaster = int((home / "postgres" / "postmaster.pid").read_text().split()[0])
    stack.process.kill()
    stack.process.wait()
    # Its worker and Temporal server die with it; its PostgreSQL is left to the next run.
    for _ in range(150):
        if not running(worker) and not port_open(temporal_port):
            break
        time.sleep(0.1)
    assert not running(worker) and not port_open(temporal_port)

    again = Stack(stack_env)
    try:
        again.qa("staff", "import", "examples/authority/staff.csv", "--as", "qa.officer")
        assert json.loads(again.qa("audit", "verify", "--json").stdout)["ok"] is True
    finally:
        again.stop()
    assert "the previous `qa up` ended without stopping" in again.log
    # Ctrl-C stopped the PostgreSQL it adopted, and nothing of either run is left.
    assert not (home / "postgres" / "postmaster.pid").exists()
    assert not running(postmaster)
    assert not port_open(temporal_port)


@pytest.mark.parametrize("service", ["temporal", "postgres"])
def test_qa_up_notices_a_service_that_died_stops_the_rest_and_comes_back(stack_env, service):
    """A Temporal server or PostgreSQL killed under `qa up` is said in one line; the rest is stopped in
    order (the worker, then what is still running), and the next `qa up` starts cleanly on the same ports."""
    home = Path(stack_env["QA_HOME"])
    temporal_port = int(stack_env["QA_TEMPORAL_PORT"])
    stack = Stack(stack_env)
    stack.qa("staff", "import", "examples/authority/staff.csv", "--as", "qa.officer")
    [worker] = worker_pids(stack.process.pid)
    postmaster = int((home / "postgres" / "postmaster.pid").read_text().split()[0])
    temporal = next(pid for pid in _children(stack.process.pid) if pid != worker)
    os.kill(temporal if service == "temporal" else postmaster, signal.SIGKILL)

    out, err = stack.process.communicate(timeout=90)
    assert stack.process.returncode == 1, err
    said = [line for line in err.splitlines() if line.startswith("qa: ")]
    if service == "temporal":
        assert said == [
            f"qa: the Temporal dev server (pid {temporal}) exited with code -9; see {home / 'temporal.log'}:"
            " stopped the rest of the stack; start it again with `qa up`"
        ]
    else:
        assert said == [
            f"qa: PostgreSQL (pid {postmaster}) stopped: stopped the rest of the stack; start it again with `qa up`"
        ]
    assert "Traceback" not in err
    for pid in (worker, temporal, postmaster):
        assert not running(pid), pid
    assert not port_open(temporal_port)

    again = Stack(stack_env)
    try:
        assert json.loads(again.qa("audit", "verify", "--json").stdout)["ok"] is True
    finally:
        again.stop()


def _children(parent: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == parent:
                found.append(int(stat.parent.name))
        except (OSError, IndexError, ValueError):
            continue
    return found
