"""`qa up` and `qa worker`."""

from __future__ import annotations

from infra.application.services import settings
from infra.cli.common import app, run


@app.command("up")
def up() -> None:
    """Run the whole stack in the foreground: PostgreSQL, Temporal (with its Web UI) and a worker."""
    from infra.stack import run_stack

    run(run_stack(settings()))


@app.command("worker")
def worker() -> None:
    """Run a worker against QA_DATABASE_URL and QA_TEMPORAL_ADDRESS (or a running `qa up`)."""
    import subprocess
    import sys

    # The worker is its own process (`python -m worker`), as `qa up` runs it: the CLI wires none of it.
    raise SystemExit(subprocess.call([sys.executable, "-m", "worker"]))
