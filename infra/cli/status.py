"""`qa status` and `qa overdue`: where the work stands, read from the engine and the audit log.

`qa overdue` lists the reviews past their deadline and not yet submitted, then every other
item's overdue duties (a spotlight's documents, a thematic reviewer's case, a QAPM meeting's
decisions, ...), while the item still runs.

Each review still awaited is rebuilt from its events with the same reducer the
workflow and the auditors use, so the list shows exactly what the log recorded:
a review is overdue once its deadline's breach was recorded (and no extension
since moved the deadline ahead).
"""

from __future__ import annotations

import click

from infra.cli.common import JSON_OPTION, READER_OPTION, app, emit, fail, run, when

ESCALATED_TO = {1: "the reviewer's manager", 2: "the head of service", 3: "the Head of QA"}


@app.command("overdue")
@READER_OPTION
@JSON_OPTION
def overdue(actor: str, as_json: bool) -> None:
    """Open reviews past their deadline, then every other item's overdue duty, longest overdue first
    (for the QA team and auditors)."""
    from domain.duties import LEVEL_NAMES
    from infra.cli.client import perform

    found = run(perform("overdue", actor))
    late, duties = found.reviews, found.duties

    def human() -> None:
        if not late:
            click.echo("no reviews are overdue")
        else:
            click.echo(f"{len(late)} review{'s' if len(late) != 1 else ''} overdue")
        for review_id, s in late:
            escalated = ESCALATED_TO.get(s.escalation_level)
            where = f"; escalated to {escalated}" if escalated else ""
            click.echo(f"  {review_id}  case {s.case_number}  reviewer {s.reviewer}  due {when(s.due_at)}{where}")
            click.echo(f"    still needed: {'; '.join(s.still_needed) or 'submission'}")
        if duties:
            click.echo(f"{len(duties)} other dut{'ies' if len(duties) != 1 else 'y'} overdue")
        for item_id, kind, d in duties:
            escalated = LEVEL_NAMES.get(d.escalation_level)
            where = f"; escalated to {escalated}" if escalated else ""
            click.echo(f"  {item_id}  {kind}: {d.owner} was to {d.what}, due {when(d.due_at)}{where}")

    emit(
        {
            "reviews": [
                {"id": review_id, **s.model_dump(mode="json"), "still_needed": s.still_needed} for review_id, s in late
            ],
            "duties": [{"id": item_id, "kind": kind, **d.model_dump(mode="json")} for item_id, kind, d in duties],
        },
        as_json,
        human,
    )


@app.command("status")
@click.argument("item_id", required=False)
@READER_OPTION
@JSON_OPTION
@click.pass_context
def status(ctx: click.Context, item_id: str | None, actor: str, as_json: bool) -> None:
    """Where things stand: one item by its id (any kind but a staff concern), or all open CPR work."""
    from domain.items import KINDS
    from infra.cli.client import perform

    if item_id is None:
        _summary(actor, as_json)
        return
    named = run(perform("kind", actor, item_id=item_id))
    kind = next(k for k in KINDS if k.name == named)
    if kind.restricted:
        fail(
            f"{item_id} is a {kind.name}: it is restricted, read it with `qa {' '.join(kind.show)} {item_id} --as PERSON`",
            1,
        )
    # The kind's own show command (its declaration says which): the same view, the same words.
    group_name, command = kind.show
    group = app.get_command(ctx, group_name)
    show = group.get_command(ctx, command) if isinstance(group, click.Group) else None
    if show is None:
        raise RuntimeError(f"the {kind.name}'s declared show command `qa {group_name} {command}` does not exist")
    values = {show.params[0].name: item_id, "as_json": as_json}
    if any(p.name == "actor" for p in show.params):
        values["actor"] = actor
    ctx.invoke(show, **values)


def _summary(actor: str, as_json: bool) -> None:
    from infra.cli.client import perform

    found = run(perform("summary", actor))
    counts = found.reviews
    data = found.model_dump(mode="json")

    def human() -> None:
        if not found.cycles:
            click.echo("no CPR cycle is open")
        for c in found.cycles:
            click.echo(f"{c.id}  {c.service}  {c.phase}  reviews due {when(c.review_due_at)}")
        click.echo(
            f"reviews: {counts['open']} in progress, {counts['overdue']} overdue, {counts['submitted']} submitted"
            f" with {data['open_actions']} actions still open"
        )

    emit(data, as_json, human)
