"""`qa notifications failed`: the e-mails that did not go out, for the QA team to follow up."""

from __future__ import annotations

import click

from infra.cli.common import AS_OPTION, JSON_OPTION, READER_OPTION, app, emit, run, when


@app.group("notifications")
def notifications_app() -> None:
    """Notifications beyond the app: what did not go out."""


@notifications_app.command("failed")
@READER_OPTION
@JSON_OPTION
def notifications_failed(actor: str, as_json: bool) -> None:
    """E-mails the mail server refused to the last try, and those of unknown outcome (`qa deliver` stopped while
    sending them: check with the person before sending again), oldest first. Exits 1 if there are any."""
    from dataclasses import asdict

    from infra.cli.client import perform

    failed = run(perform("notifications.failed", actor))

    def human() -> None:
        if not failed:
            click.echo("every message queued went out, or is still being tried")
        for f in failed:
            click.echo(f"{when(f.queued_at)}  {f.kind:<10}  {f.recipient} <{f.address}>  {f.subject}  [{f.item_id}]")
            click.echo(f"    after {f.attempts} tr{'ies' if f.attempts != 1 else 'y'}: {f.why}")

    emit(
        [asdict(f) | {"notification_id": str(f.notification_id), "queued_at": f.queued_at.isoformat()} for f in failed],
        as_json,
        human,
    )
    if failed:
        raise SystemExit(1)


@notifications_app.command("digest")
@click.option("--daily/--each", "daily", default=None, help="One daily digest, or each message as it comes.")
@AS_OPTION
def notifications_digest(daily: bool | None, actor: str) -> None:
    """How your messages come by e-mail: each as it comes (the default), or one daily digest at a working day's
    start (07:00). Safeguarding alerts always come at once. Without --daily or --each, says which you have."""
    from infra.cli.client import perform

    chosen = run(perform("notifications.digest", actor, digest=daily))
    click.echo(
        f"{actor}: one daily digest at 07:00 on working days (alerts at once)"
        if chosen
        else f"{actor}: each message as it comes"
    )
