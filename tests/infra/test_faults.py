"""Fault injection on the real stack (`qa up`: Temporal dev server, embedded PostgreSQL, worker process).

A burst of people's commands is in flight when the worker, then Temporal, then PostgreSQL is killed
with -9. Whatever each command said must be true: one that reported success is recorded exactly
once, one whose outcome it called unknown (exit 3) at most once and can be confirmed by its request
id, one that failed (exit 1) not at all. Every command is then asked again with its own request id
and each is recorded exactly once; the audit log verifies, and nothing is left running.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest

from infra.embedded import processes_naming
from tests.clock import now
from tests.infra.test_stack import QA, Stack, _children, port_open, stack_env, worker_pids

__all__ = ["stack_env"]  # the fixture, used by name
# Its dates do not matter to it: not run again as if later (.ci/run's second wall-clock pass).
pytestmark = pytest.mark.faults

PLAN = "plan-team-children-in-need"
AS_OWNER = ("--as", "nadia.manager")
BURST = 12
SUCCESS, FAILED, UNKNOWN = 0, 1, 3


def add(tag: str, n: int) -> tuple[str, ...]:
    """One person's command: add a distinct action to the team's plan, under its own request id."""
    return (
        *("--request-id", f"{tag}-{n}", "plan", "add", PLAN, "--action", f"{tag} action {n}"),
        *("--support", "a workshop", "--responsible", "priya.practitioner"),
        *("--by", (now().date() + timedelta(days=90)).isoformat(), "--evidence", "dip audit", *AS_OWNER),
    )


def burst(env: dict[str, str], tag: str) -> list[subprocess.Popen[str]]:
    """BURST commands, a fifth of a second apart, each in flight when this returns (the worker is held)."""
    commands = []
    for n in range(BURST):
        commands.append(
            subprocess.Popen([QA, *add(tag, n)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        )
        time.sleep(0.2)
    time.sleep(3.0)  # long enough for most to reach Temporal and wait there on their update
    return commands


def recorded(stack: Stack, tag: str, n: int) -> int:
    """How many events request `tag-n` recorded, as `qa audit request` confirms it."""
    done = stack.qa("audit", "request", f"{tag}-{n}", *AS_OWNER, "--json", ok=False)
    assert done.returncode in (0, 1), done.stderr
    return sum(len(item["events"]) for item in json.loads(done.stdout)["items"])


def actions(stack: Stack) -> Counter[str]:
    shown = json.loads(stack.qa("plan", "show", PLAN, "--json").stdout)
    return Counter(a["action"] for a in shown["actions"])


def test_every_command_tells_the_truth_when_the_worker_temporal_and_postgres_are_killed(stack_env):
    home = Path(stack_env["QA_HOME"])
    stack = Stack(stack_env)
    stack.qa("staff", "import", "examples/authority/staff.csv", "--as", "qa.officer")
    stack.qa("plan", "start", "--team", "Children in Need", "--owner", "nadia.manager", *AS_OWNER)
    said: dict[str, Counter[int]] = {}
    failures: list[str] = []  # what each command that failed said, for the assertions' messages
    # Its PostgreSQL and Temporal server, found the way the end of the test looks for leftovers.
    assert len(processes_naming(str(home))) >= 2
    try:
        for target in ("worker", "temporal", "postgres"):
            [worker] = worker_pids(stack.process.pid)
            postmaster = int((home / "postgres" / "postmaster.pid").read_text().split()[0])
            temporal = next(pid for pid in _children(stack.process.pid) if pid != worker)
            # The worker is held (SIGSTOP) while the burst arrives: its updates are then all in flight,
            # accepted by nobody, when the fault strikes.
            os.kill(worker, signal.SIGSTOP)
            commands = burst(stack.env, target)
            assert all(command.poll() is None for command in commands), "a command finished with the worker held"
            os.kill({"worker": worker, "temporal": temporal, "postgres": postmaster}[target], signal.SIGKILL)
            if target != "worker":
                os.kill(worker, signal.SIGCONT)
                # `qa up` notices, says so and stops the rest; it is started again, as a person would.
                _, err = stack.process.communicate(timeout=120)
                assert stack.process.returncode == 1 and "start it again with `qa up`" in err, err
                stack = Stack(stack_env)

            outcomes = []
            for command in commands:
                out, err = command.communicate(timeout=180)
                assert command.returncode in (SUCCESS, FAILED, UNKNOWN), (target, command.returncode, err)
                # One line, whatever happened: the answer, or what failed and what to do.
                assert err.count("\n") == (0 if command.returncode == SUCCESS else 1), err
                if command.returncode == UNKNOWN:
                    assert f"may or may not be recorded; see `qa audit request {target}-" in err, err
                elif command.returncode == FAILED:
                    assert err.startswith("qa: "), err
                    failures.append(f"{target}: {err.strip()}")
                outcomes.append(command.returncode)
            said[target] = Counter(outcomes)

            for n, outcome in enumerate(outcomes):
                times = recorded(stack, target, n)
                expected = {SUCCESS: {1}, UNKNOWN: {0, 1}, FAILED: {0}}[outcome]
                assert times in expected, (target, n, outcome, times)
            # Every command asked again with its own request id: each is then recorded exactly once.
            for n in range(BURST):
                again = stack.qa(*add(target, n), ok=False)
                assert again.returncode == SUCCESS, (target, n, again.stderr)
                assert recorded(stack, target, n) == 1
            assert [actions(stack)[f"{target} action {n}"] for n in range(BURST)] == [1] * BURST

        verified = json.loads(stack.qa("audit", "verify", "--json").stdout)
        assert verified["ok"] is True, verified
        # A worker's death fails nobody: a new one answers the updates the held one never took (or, if
        # that takes longer than Temporal waits for an update, the command says the outcome is unknown).
        # Temporal admits 10 updates in flight on one workflow: the burst's others wait their turn.
        assert said["worker"][FAILED] == 0, (said, failures)
        # The faults struck commands in flight: some could not be answered.
        assert said["temporal"][SUCCESS] + said["postgres"][SUCCESS] < 2 * BURST, said
    finally:
        if stack.process.poll() is None:
            stack.stop()
    # Nothing of any run is left behind.
    assert not worker_pids(stack.process.pid)
    assert not port_open(int(stack_env["QA_TEMPORAL_PORT"]))
    assert not (home / "postgres" / "postmaster.pid").exists()
    assert not processes_naming(str(home))
