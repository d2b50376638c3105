"""`python -m bench [NAME ...] [--json]`: run the benchmarks, one line per figure, then a summary."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import importlib
import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from bench.common import Figure, Postgres

REPO = Path(__file__).resolve().parents[1]

Benchmark = Callable[[Postgres], Awaitable[list[Figure]]]


# name -> module of bench/ holding the function of that name (imported only when it runs)
SUITE = {
    "append_batch": "audit",
    "append_concurrent": "audit",
    "append_durable": "audit",
    "verify": "audit",
    "replay": "audit",
    "review_throughput": "workflows",
    "cli_start": "cli",
    "scale_cases": "workflows",
    "history_reads": "history",
    "pages": "pages",
    "peer": "peer",  # peer_append_batch, peer_append_concurrent, peer_read_stream: needs the bench extra
}


def benchmark(name: str) -> Benchmark:
    return getattr(importlib.import_module(f"bench.{SUITE[name]}"), name)


def machine() -> dict[str, object]:
    model = ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            model = next((line.split(":", 1)[1].strip() for line in info if line.startswith("model name")), "")
    except OSError:
        pass
    return {
        "cores": os.cpu_count(),
        "cpu": model or platform.processor(),
        "python": platform.python_version(),
        "system": platform.platform(),
    }


async def run_here(name: str) -> list[Figure]:
    """One benchmark in this process, on its own PostgreSQL (or QA_DATABASE_URL's)."""
    pg = Postgres()
    try:
        return await benchmark(name)(pg)
    finally:
        pg.stop()


def run_apart(name: str) -> list[Figure]:
    """One benchmark in a fresh interpreter: no figure pays for what an earlier benchmark left
    behind (a grown heap for the collector to walk, a server busy writing out another's WAL)."""
    child = subprocess.run(
        [sys.executable, "-m", "bench", "--in-process", "--figures", name],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))},
    )
    if child.returncode != 0 or not child.stdout.strip():
        raise SystemExit(f"benchmark {name} failed (exit {child.returncode})")
    return [Figure(**data) for data in json.loads(child.stdout.strip().splitlines()[-1])]


def report(figures: list[Figure], took: dict[str, float], as_json: bool) -> int:
    if as_json:
        print(
            json.dumps(
                {
                    "ok": all(f.ok for f in figures),
                    "machine": machine(),
                    "database": "QA_DATABASE_URL" if os.environ.get("QA_DATABASE_URL") else "embedded PostgreSQL",
                    "seconds": took,
                    "figures": [f.summary() for f in figures],
                },
                indent=2,
            )
        )
    else:
        missed = [f.name for f in figures if not f.ok]
        print(f"{len(figures)} figures, {len(missed)} missed" + (f": {', '.join(missed)}" if missed else ""))
    return 0 if all(f.ok for f in figures) else 1


def main(argv: list[str] | None = None) -> int:
    names = list(SUITE)
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "names", nargs="*", metavar="NAME", help=f"benchmarks to run (default: all): {', '.join(names)}"
    )
    parser.add_argument("--json", action="store_true", help="print a JSON summary (figure lines go to stderr)")
    parser.add_argument("--in-process", action="store_true", help="run in this process (default: each in its own)")
    parser.add_argument("--figures", action="store_true", help=argparse.SUPPRESS)  # a child's output to its parent
    args = parser.parse_args(argv)
    unknown = [n for n in args.names if n not in names]
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)}; known: {', '.join(names)}")
    log = sys.stderr if args.json or args.figures else sys.stdout
    figures: list[Figure] = []
    took: dict[str, float] = {}
    for name in args.names or names:
        if not args.figures:
            print(f"# {name} ...", file=sys.stderr, flush=True)
        start = time.perf_counter()
        results = asyncio.run(run_here(name)) if args.in_process else run_apart(name)
        took[name] = round(time.perf_counter() - start, 1)
        if not args.figures:
            for figure in results:
                print(figure.line(), file=log, flush=True)
        figures.extend(results)
    if args.figures:
        print(json.dumps([dataclasses.asdict(f) for f in figures]))
        return 0
    return report(figures, took, args.json)


if __name__ == "__main__":
    sys.exit(main())
