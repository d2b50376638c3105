"""`qa audit`: what auditors use."""

from __future__ import annotations

import click

from infra.cli.common import JSON_OPTION, app, emit, fail, run, settings


@app.group("audit")
def audit_app() -> None:
    """The audit log: verification for auditors."""


@audit_app.command("verify")
@click.argument("stream", required=False)
@click.option("--all", "all_streams", is_flag=True, help="Verify every item (the default).")
@JSON_OPTION
def audit_verify(stream: str | None, all_streams: bool, as_json: bool) -> None:
    """Recompute the hash chains (of one item, STREAM, or all) and report each first broken link."""
    if stream and all_streams:
        fail("give an item id or --all, not both")
    reports = run(_verify(stream))
    if stream and not reports:
        fail(f"no audit record for {stream!r}", 1)
    breaks = [r.first_break for r in reports if r.first_break]
    data = {
        "ok": not breaks,
        "streams": len(reports),
        "events": sum(r.events for r in reports),
        "breaks": [
            {"stream_id": b.stream_id, "version": b.version, "kind": b.kind, "detail": b.detail} for b in breaks
        ],
    }

    def human() -> None:
        for b in breaks:
            click.echo(f"BROKEN {b.describe()}")
        verdict = "all chains intact" if not breaks else f"{len(breaks)} broken"
        click.echo(f"verified {data['streams']} items, {data['events']} events: {verdict}")

    emit(data, as_json, human)
    if breaks:
        raise SystemExit(1)


async def _verify(stream: str | None):  # type: ignore[no-untyped-def]
    from activities.audit_log import AuditLog
    from infra.db import create_pool

    pool = await create_pool(settings().require_database_url(), max_size=1)
    try:
        return await AuditLog(pool).verify(stream)
    finally:
        await pool.close()
