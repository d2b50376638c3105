"""`qa alerts` and `qa alert`: safeguarding alerts (domain.safeguarding), raised by anyone who reads a child's
record for an item, acknowledged by those they go to, and confirmed on the child's record."""

from __future__ import annotations

import click

from infra.cli.common import (
    AS_OPTION,
    JSON_OPTION,
    app,
    as_option,
    emit,
    fail,
    line,
    run,
    show_duties,
    show_item,
    when,
)


@app.command("alerts")
@AS_OPTION
@JSON_OPTION
def alerts(actor: str, as_json: bool) -> None:
    """The open safeguarding alerts that concern you (to acknowledge, escalated to you, or raised by you), newest
    first: who has each and where the e-mail telling them stands; acknowledge one with `qa alert ack ID`."""
    from infra.cli.client import perform

    found = run(perform("alerts", actor))

    def human() -> None:
        if not found:
            click.echo("no open safeguarding alert concerns you")
        for a in found:
            if actor in a.awaited:
                yours = "ACKNOWLEDGE"
            elif actor in a.escalated_to:
                yours = "escalated to you"
            elif actor == a.raised_by and actor not in {t.person for t in a.told}:
                yours = "raised by you"
            else:
                yours = "acknowledged"
            click.echo(f"{a.id}  case {a.case_number}  raised by {a.raised_by} {when(a.raised_at)}  {yours}")
            click.echo(f"    {a.concern}")
            for t in a.told:
                has = f"acknowledged {when(t.acknowledged_at)}" if t.acknowledged_at else "NOT YET ACKNOWLEDGED"
                email = f"e-mailed {when(t.emailed_at)}" if t.emailed_at else f"e-mail: {t.email}"
                click.echo(f"    {t.person}: {has}; {email}")
            if a.escalated_to:
                click.echo(f"    escalated to {', '.join(a.escalated_to)}")
            if a.escalates_at is not None:
                click.echo(f"    goes up a level {when(a.escalates_at)} unless acknowledged")
            if a.on_record is not None:
                click.echo(f"    on the child's record: {a.on_record}")

    emit([a.model_dump(mode="json") for a in found], as_json, human)


@app.group("alert")
def alert_app() -> None:
    """One safeguarding alert."""


@alert_app.command("raise")
@click.option("--from", "from_item", required=True, help="The item whose work you were doing (a review, a cycle...).")
@click.option("--case", "case_number", default=None, help="The case, if the item is about more than one.")
@click.option("--concern", required=True, help="What needs immediate steps to keep the child safe.")
@AS_OPTION
def alert_raise(from_item: str, case_number: str | None, concern: str, actor: str) -> None:
    """Raise a safeguarding alert about a child whose record you read for an item: it reaches the case's team
    manager and head of service at once, and goes up to the Head of QA, then the Director, unless acknowledged."""
    raise_alert(from_item, case_number, concern, actor)


def raise_alert(from_item: str, case_number: str | None, concern: str, actor: str) -> None:
    """`qa alert raise`, and `qa review alert` from a review."""
    from infra.cli.client import perform

    if not concern.strip():
        fail("--concern cannot be empty")
    raised = run(perform("alert.raise", actor, from_item=from_item, case_number=case_number, concern=concern.strip()))
    s = raised.state
    # Only what has happened: it is recorded and in their inboxes; an e-mail may still be on its way.
    click.echo(
        f"{raised.id}: safeguarding alert for case {s.case_number} raised; it is in the inboxes of"
        f" {' and '.join(s.notified)}"
    )
    click.echo(f"  unless acknowledged by {when(s.escalate_at[0])} it goes to the Head of QA (`qa alerts` follows it)")


@alert_app.command("ack")
@click.argument("alert_id")
@AS_OPTION
def alert_ack(alert_id: str, actor: str) -> None:
    """Acknowledge the alert ALERT_ID (as `qa alerts` lists it): you have it. Its raiser is told."""
    from domain import review, safeguarding
    from domain.review import AcknowledgeAlert
    from domain.safeguarding import AcknowledgeAlert as Acknowledge
    from infra.application.errors import typed
    from infra.cli.client import change
    from workflows.review import ReviewWorkflow
    from workflows.safeguarding_alert import SafeguardingAlertWorkflow

    alert_id = alert_id.strip()
    if alert_id.startswith(safeguarding.STREAM_PREFIX):
        request = typed(Acknowledge, actor=actor)
        state = run(change(alert_id, safeguarding.KIND, SafeguardingAlertWorkflow.acknowledge, request))
        awaited = state.awaited
    else:
        # One a review recorded before alerts were their own items: REVIEW_ID/S1.
        review_id, _, alert = alert_id.rpartition("/")
        if not review_id or not alert:
            fail(f"{alert_id!r} is not an alert id: give it as `qa alerts` lists it (alert-<uuid>, or REVIEW_ID/S1)")
        request = typed(AcknowledgeAlert, actor=actor, alert_id=alert)
        reviewed = run(change(review_id, review.KIND, ReviewWorkflow.acknowledge_alert, request))
        awaited = next(a for a in reviewed.alerts if a.alert_id == alert).awaited
    rest = f"; still awaited from {' and '.join(awaited)}" if awaited else "; everyone it went to has it"
    click.echo(f"{alert_id}: acknowledged by {actor}{rest}")


@alert_app.command("document")
@click.argument("alert_id")
@click.option("--reference", required=True, help="The reference of its entry on the child's LCS or EHM record.")
@as_option("Who confirms it (the team manager it went to).")
def alert_document(alert_id: str, reference: str, actor: str) -> None:
    """Confirm the alert is documented on the child's record, with the entry's reference there."""
    from domain import safeguarding
    from domain.safeguarding import DocumentAlert
    from infra.application.errors import typed
    from infra.cli.client import change
    from workflows.safeguarding_alert import SafeguardingAlertWorkflow

    _check_id(alert_id)
    request = typed(DocumentAlert, actor=actor, reference=reference)
    state = run(change(alert_id.strip(), safeguarding.KIND, SafeguardingAlertWorkflow.document, request))
    click.echo(f"{alert_id.strip()}: on {state.record}: {state.reference}")


@alert_app.command("show")
@click.argument("alert_id")
@JSON_OPTION
def alert_show(alert_id: str, as_json: bool) -> None:
    """A safeguarding alert as its record holds it."""
    from domain import safeguarding

    _check_id(alert_id)
    show_item(alert_id.strip(), safeguarding.KIND, as_json, show)


def show(alert_id: str, s) -> None:  # type: ignore[no-untyped-def]
    click.echo(f"{alert_id}: safeguarding alert for case {s.case_number} ({s.status})")
    line("raised", f"{when(s.raised_at)} by {s.raised_by}, from {s.from_item}")
    line("concern", s.concern)
    for person in s.notified:
        at = s.acknowledged.get(person)
        line(person, f"acknowledged {when(at)}" if at else "NOT YET ACKNOWLEDGED")
    for level, at in enumerate(s.escalate_at, start=1):
        taken = "taken" if s.escalations >= level else "if still unacknowledged"
        line(f"escalation {level}", f"{when(at)} ({taken})")
    if s.escalated_to:
        line("escalated to", ", ".join(s.escalated_to))
    line("on the record", f"{s.reference} ({s.documented_by})" if s.reference else "not yet confirmed")
    show_duties(s.duties)


def _check_id(alert_id: str) -> None:
    from domain.safeguarding import STREAM_PREFIX

    if not alert_id.strip().startswith(STREAM_PREFIX):
        fail(f"{alert_id!r} is not an alert id (they look like alert-<uuid>)")
