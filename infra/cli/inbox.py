"""`qa inbox`: what a person has to do, and what they were told."""

from __future__ import annotations

from datetime import datetime

import click

from infra.cli.common import AS_OPTION, JSON_OPTION, app, emit, person, run


@app.command("inbox")
@click.argument("whose", required=False)
@AS_OPTION
@JSON_OPTION
def inbox(whose: str | None, actor: str, as_json: bool) -> None:
    """What WHOSE (by default yourself) has to do (open tasks, soonest due first) and what they were told
    in the last 30 days. Open to them, their managers, the QA team and auditors; each read is logged."""
    from infra.cli.client import perform

    whose = person(whose, "WHOSE") if whose is not None else actor
    box = run(perform("inbox", actor, person=whose))
    data = {
        "recipient": box.recipient,
        "as_of": box.as_of.isoformat(),
        "to_do": [{**task.model_dump(mode="json"), "due_local": _local(task.due_at).isoformat()} for task in box.to_do],
        "told": [entry.model_dump(mode="json") for entry in box.told],
    }

    def human() -> None:
        if box.empty:
            click.echo(f"{whose} has nothing to do and was told nothing in the last 30 days")
            return
        click.echo("To do")
        if not box.to_do:
            click.echo("  nothing")
        for task in box.to_do:
            overdue = "  OVERDUE" if task.overdue else ""
            click.echo(f"  due {_when(task.due_at)}  {task.subject}  [{task.item_id}]{overdue}")
        click.echo("Told (last 30 days)")
        if not box.told:
            click.echo("  nothing")
        for entry in box.told:
            click.echo(f"  {_when(entry.created_at)}  {entry.kind:<10}  {entry.subject}  [{entry.item_id}]")

    emit(data, as_json, human)


def _local(moment: datetime) -> datetime:
    from domain.working_days import LONDON

    return moment.astimezone(LONDON)


def _when(moment: datetime) -> str:
    """A moment in Europe/London local time, e.g. 'Wed 21 Apr 2027 23:59 BST'."""
    local = _local(moment)
    return f"{local:%a} {local.day:>2} {local:%b %Y %H:%M} {local.tzname()}"
