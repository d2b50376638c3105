"""`qa up`, `qa worker` and `qa codec-server`."""

from __future__ import annotations

import click

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


@app.command("codec-server")
@click.option("--host", default="127.0.0.1", show_default=True, help="The address to listen on.")
@click.option("--port", default=8234, show_default=True, type=click.IntRange(1, 65535), help="The port to listen on.")
@click.option(
    "--ui-origin",
    "ui_origins",
    multiple=True,
    required=True,
    help="The Temporal Web UI's origin (e.g. https://temporal.council.internal); may be given more than once.",
)
def codec_server(host: str, port: int, ui_origins: tuple[str, ...]) -> None:
    """The codec endpoint for a Temporal Web UI (set it as the UI's codec endpoint): it shows the engine's
    encrypted payloads decrypted, to callers from the UI's origin holding QA_CODEC_TOKEN if one is set.
    `qa up` runs one for its own Web UI."""
    from infra.http.codec import serve

    s = settings()
    click.echo(f"codec endpoint on http://{host}:{port} for {', '.join(ui_origins)}")
    run(serve(host, port, list(ui_origins), s.codec_token))
