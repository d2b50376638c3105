"""cli_start: how long `qa` commands that do not talk to Temporal take, against importing Temporal's client."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import Figure, Postgres, median

REPEATS = 7  # median of at least 5
COMMANDS = {
    "cli_start.help": ["--help"],
    "cli_start.calendar_due": ["calendar", "due", "2027-03-22", "20"],
}
BASELINE = [sys.executable, "-c", "import temporalio.client"]


def qa() -> list[str]:
    """The installed console script, as a person runs it (or the module, without an install)."""
    script = shutil.which("qa", path=os.path.dirname(sys.executable)) or shutil.which("qa")
    return [script] if script else [sys.executable, "-m", "infra.cli.main"]


def wall(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return time.perf_counter() - start


async def cli_start(pg: Postgres) -> list[Figure]:
    """`qa --help` and `qa calendar due 2027-03-22 20` wall time vs `python -c "import temporalio.client"`."""
    del pg  # no database needed
    return await asyncio.to_thread(_measure)


def _measure() -> list[Figure]:
    with tempfile.TemporaryDirectory(prefix="qa-bench-cli-") as home:
        # A home as `qa up` leaves it: with an authority's closure days file.
        Path(home, "closure_days.csv").write_text("date,reason\n2027-12-29,Council closure day\n", encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if not k.startswith("QA_")}
        env["QA_HOME"] = home
        commands = {name: [*qa(), *args] for name, args in COMMANDS.items()}
        wall(BASELINE, env)  # once each first: the OS file cache, and qa's calendar cache in QA_HOME
        first = {name: wall(argv, env) for name, argv in commands.items()}
        baseline: list[float] = []
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(REPEATS):
            baseline.append(wall(BASELINE, env))
            for name, argv in commands.items():
                times[name].append(wall(argv, env))
    return [
        Figure(
            name,
            median(times[name]) * 1000,
            median(baseline) * 1000,
            "ms",
            0.5,
            "lower",
            f'`qa {" ".join(COMMANDS[name])}` vs `python -c "import temporalio.client"`, median of {REPEATS};'
            f" its very first run (nothing cached in QA_HOME) took {first[name] * 1000:.0f} ms",
        )
        for name in commands
    ]
