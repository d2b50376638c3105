"""`qa alerts` and `qa alert ack`: the safeguarding alerts that went to you, and saying you have one."""

from __future__ import annotations

import click

from infra.cli.common import AS_OPTION, JSON_OPTION, app, emit, fail, run, when


@app.command("alerts")
@AS_OPTION
@JSON_OPTION
def alerts(actor: str, as_json: bool) -> None:
    """The safeguarding alerts that went to you on reviews still open, newest first, with who has acknowledged
    each; acknowledge one with `qa alert ack ID`."""
    from infra.cli.client import perform

    found = run(perform("alerts", actor))

    def human() -> None:
        if not found:
            click.echo("no safeguarding alert went to you on a review still open")
        for a in found:
            if actor in a.awaited:
                mine = "ACKNOWLEDGE"
            elif actor in a.escalated_to and actor not in a.acknowledged:
                mine = "escalated to you"
            else:
                mine = "acknowledged"
            click.echo(f"{a.id}  case {a.case_number}  raised by {a.raised_by} {when(a.raised_at)}  {mine}")
            click.echo(f"    {a.concern}")
            if a.awaited:
                click.echo(f"    awaited from {', '.join(a.awaited)}")
            if a.escalated_to:
                click.echo(f"    escalated to {', '.join(a.escalated_to)}")
            if a.escalates_at is not None:
                click.echo(f"    escalates on {when(a.escalates_at)} if still not acknowledged")

    emit([a.model_dump(mode="json") for a in found], as_json, human)


@app.group("alert")
def alert_app() -> None:
    """One safeguarding alert."""


@alert_app.command("ack")
@click.argument("alert_id")
@AS_OPTION
def alert_ack(alert_id: str, actor: str) -> None:
    """Acknowledge the alert ALERT_ID (REVIEW_ID/S1, as `qa alerts` lists it): you have it. Its raiser is told."""
    from domain import review
    from domain.review import AcknowledgeAlert
    from infra.application.errors import typed
    from infra.cli.client import change
    from workflows.review import ReviewWorkflow

    review_id, _, alert = alert_id.strip().rpartition("/")
    if not review_id or not alert:
        fail(f"{alert_id!r} is not an alert id: give it as `qa alerts` lists it, REVIEW_ID/S1")
    request = typed(AcknowledgeAlert, actor=actor, alert_id=alert)
    state = run(change(review_id, review.KIND, ReviewWorkflow.acknowledge_alert, request))
    acked = next(a for a in state.alerts if a.alert_id == alert)
    awaited = f"; still awaited from {' and '.join(acked.awaited)}" if acked.awaited else "; everyone it went to has it"
    click.echo(f"{alert_id.strip()}: acknowledged by {actor}{awaited}")
