"""`qa deadline`: working-day deadlines as durable workflows."""

from __future__ import annotations

import click

from infra.application.errors import typed
from infra.cli.client import change, recorded
from infra.cli.common import JSON_OPTION, app, as_option, emit, parse_date, parse_working_days, run


@app.group("deadline")
def deadline_app() -> None:
    """Working-day deadlines as durable workflows."""


@deadline_app.command("start")
@click.option("--title", required=True, help="What is due, e.g. 'CPR review 1234567'.")
@click.option("--owner", required=True, help="Who must do it.")
@click.option("--start", required=True, help="Day 0, YYYY-MM-DD.")
@click.option("--days", "working_days", required=True, help="Due within this many working days.")
@as_option("Who is setting the deadline.")
def deadline_start(title: str, owner: str, start: str, working_days: str, actor: str) -> None:
    """Start a deadline: it is due at the end of the Nth working day after START."""
    from infra.cli.client import perform

    ask = {
        "title": title,
        "owner": owner,
        "start": parse_date(start, "start date"),
        "working_days": parse_working_days(working_days),
    }
    click.echo(run(perform("deadline.start", actor, **ask)))


@deadline_app.command("show")
@click.argument("deadline_id")
@JSON_OPTION
def deadline_show(deadline_id: str, as_json: bool) -> None:
    """A deadline as it stands now."""
    from domain import deadline

    state = run(recorded(deadline.KIND, deadline_id))
    _show_deadline(deadline_id, state, as_json)


@deadline_app.command("done")
@click.argument("deadline_id")
@as_option("Who did the work (the owner).")
@click.option("--note", default="", help="What was done.")
def deadline_done(deadline_id: str, actor: str, note: str) -> None:
    """Record that the work is done."""
    from domain import deadline
    from domain.deadline import CompleteDeadline
    from workflows.deadline import DeadlineWorkflow

    state = run(
        change(deadline_id, deadline.KIND, DeadlineWorkflow.complete, typed(CompleteDeadline, actor=actor, note=note))
    )
    _show_deadline(deadline_id, state, False)


@deadline_app.command("extend")
@click.argument("deadline_id")
@click.option("--days", "working_days", required=True, help="Extra working days.")
@click.option("--reason", required=True, help="Why the deadline moves.")
@as_option("Who grants the extension.")
def deadline_extend(deadline_id: str, working_days: str, reason: str, actor: str) -> None:
    """Extend a deadline by some working days, with a reason; the running timer follows."""
    from domain import deadline
    from domain.deadline import ExtendDeadline
    from workflows.deadline import DeadlineWorkflow

    request = typed(ExtendDeadline, actor=actor, extra_working_days=parse_working_days(working_days), reason=reason)
    state = run(change(deadline_id, deadline.KIND, DeadlineWorkflow.extend, request))
    _show_deadline(deadline_id, state, False)


def _show_deadline(deadline_id: str, state, as_json: bool) -> None:  # type: ignore[no-untyped-def]
    def human() -> None:
        click.echo(f"{deadline_id}: {state.title}")
        click.echo(f"  owner     {state.owner}")
        click.echo(f"  start     {state.start.isoformat()} + {state.working_days} working days")
        click.echo(f"  due       {state.due_at.isoformat()}")
        late = " (late)" if state.late else ""
        click.echo(f"  status    {state.status}{late}")
        for reason in state.extensions:
            click.echo(f"  extended  {reason}")

    emit({"id": deadline_id, **state.model_dump(mode="json")}, as_json, human)
