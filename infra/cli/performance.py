"""`qa performance`: the service performance data the QAPM packs compare, imported as a CSV (domain.performance)."""

from __future__ import annotations

from pathlib import Path

import click

from infra.cli.common import AS_OPTION, app, person, read_text, run


@app.group("performance")
def performance_app() -> None:
    """Service performance data: indicators per service and month, for the QAPM meetings."""


@performance_app.command("import")
@click.argument("path")
@AS_OPTION
def performance_import(path: str, actor: str) -> None:
    """Record FILE's indicators (service,month,indicator,value) in the audit log; a malformed file changes nothing."""
    from infra.cli.client import perform

    imported = run(perform("performance.import", person(actor), text=read_text(Path(path)), source=path))
    services = sorted({row.service for row in imported.rows})
    click.echo(
        f"performance data imported: {len(imported.rows)} indicator values for {len(services)} services"
        f" (SHA-256 {imported.digest[:12]}); the next QAPM pack compares them"
    )
