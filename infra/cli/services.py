"""`qa up`, `qa serve`, `qa worker`, `qa deliver` and `qa codec-server`."""

from __future__ import annotations

import click

from infra.application.services import settings
from infra.cli.common import app, run


@app.command("up")
def up() -> None:
    """Run the whole stack in the foreground: PostgreSQL, Temporal (with its Web UI), the server and a worker."""
    from infra.stack import run_stack

    run(run_stack(settings()))


@app.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="The address to listen on.")
@click.option("--port", type=click.IntRange(1, 65535), help="The port to listen on (else QA_SERVER_PORT, 8235).")
def serve(host: str, port: int | None) -> None:
    """Run the HTTP server against QA_DATABASE_URL and QA_TEMPORAL_ADDRESS (or a running `qa up`, which runs
    one itself): sign-in, and every signed-in person's steps and reads. Several may run side by side."""
    from infra.http.server import server
    from infra.logging import configure_logging

    s = settings()
    configure_logging(s.log_format, s.log_level)
    s = s.model_copy(
        update={"database_url": s.require_database_url(), "temporal_address": s.require_temporal_address()}
    )
    click.echo(f"qa-engine server on http://{host}:{port or s.server_port}")
    run(server(s, host, port or s.server_port).serve())


@app.command("worker")
def worker() -> None:
    """Run a worker against QA_DATABASE_URL and QA_TEMPORAL_ADDRESS (or a running `qa up`)."""
    import subprocess
    import sys

    # The worker is its own process (`python -m worker`), as `qa up` runs it: the CLI wires none of it.
    raise SystemExit(subprocess.call([sys.executable, "-m", "worker"]))


@app.command("deliver")
def deliver() -> None:
    """Send the queued notifications by e-mail, through QA_SMTP_HOST or GOV.UK Notify (QA_NOTIFY_API_KEY), until
    Ctrl-C or SIGTERM: one at a time, each at most once; what the mail service refuses is retried with backoff,
    then listed (`qa notifications failed`). Run it beside the workers; several may share the queue."""
    import asyncio
    import signal

    from infra.delivery import required_sender, run_delivery
    from infra.logging import configure_logging

    s = settings()
    sender = required_sender(s)  # the mail service's settings first: without them there is nothing to do
    configure_logging(s.log_format, s.log_level)
    s = s.model_copy(update={"database_url": s.require_database_url()})

    async def until_stopped() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        await run_delivery(s, stop)

    click.echo(f"delivering e-mail through {sender.through}")
    run(until_stopped())


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
