"""One worker in its own process, so that its peak memory is its own: `python -m bench.worker_proc SIDE ...`.

SIDE is `real` (worker.main.build_worker: every workflow and activity) or `bare`
(bench.bare's workflow, with the same sandbox settings). It prints `ready` once
polling, runs until its standard input closes, then prints its peak resident
set size (VmHWM, KiB) as JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import sys
from pathlib import Path


async def serve(side: str, address: str, task_queue: str, database_url: str, home: Path) -> None:
    from temporalio.client import Client
    from temporalio.contrib.pydantic import pydantic_data_converter
    from temporalio.worker import Worker

    from workflows.registry import workflow_runner

    client = await Client.connect(address, data_converter=pydantic_data_converter)
    pool = None
    if side == "real":
        from infra.db import create_pool
        from infra.settings import Settings
        from worker.main import build_worker

        pool = await create_pool(database_url, max_size=10)
        worker = build_worker(client, pool, Settings(home=home, task_queue=task_queue))
    else:
        from bench.bare import BareWorkflow, noop

        worker = Worker(
            client,
            task_queue=task_queue,
            workflows=[BareWorkflow],
            activities=[noop],
            workflow_runner=workflow_runner(),
        )
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    loop.add_reader(sys.stdin.fileno(), lambda: stop.set() if not sys.stdin.readline() else None)
    async with worker:
        print("ready", flush=True)
        await stop.wait()
    if pool is not None:
        await pool.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("side", choices=["real", "bare"])
    parser.add_argument("--address", required=True)
    parser.add_argument("--task-queue", required=True)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--home", type=Path, required=True)
    args = parser.parse_args()
    asyncio.run(serve(args.side, args.address, args.task_queue, args.database_url, args.home))
    print(json.dumps({"peak_rss_kib": peak_rss_kib()}), flush=True)


def peak_rss_kib() -> int:
    """This process's peak resident set size: VmHWM, the high-water mark of its own memory image.

    Not getrusage's ru_maxrss: Linux carries that across exec from the process that
    forked us, so every worker would report at least the benchmark driver's size.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


if __name__ == "__main__":
    main()
