"""`qa db`: the PostgreSQL database."""

from __future__ import annotations

import click

from infra.application.services import migrate_database
from infra.cli.common import app, run


@app.group("db")
def db_app() -> None:
    """The PostgreSQL database."""


@db_app.command("migrate")
def db_migrate() -> None:
    """Apply any migrations not yet applied (safe to repeat)."""
    applied = run(migrate_database())
    click.echo("\n".join(f"applied {m.version:04d}_{m.name}" for m in applied) if applied else "database is up to date")
