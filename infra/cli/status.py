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

from infra.application.status import kind_of_item, open_cpr_work, overdue_duties, overdue_reviews
from infra.cli.common import JSON_OPTION, app, emit, fail, run, when

ESCALATED_TO = {1: "the reviewer's manager", 2: "the head of service", 3: "the Head of QA"}


@app.command("overdue")
@JSON_OPTION
def overdue(as_json: bool) -> None:
    """Open reviews past their deadline, then every other item's overdue duty, longest overdue first."""
    from domain.duties import LEVEL_NAMES

    late = run(overdue_reviews())
    duties = run(overdue_duties())

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
@JSON_OPTION
@click.pass_context
def status(ctx: click.Context, item_id: str | None, as_json: bool) -> None:
    """Where things stand: one item by its id (any kind but a staff concern), or all open CPR work."""
    if item_id is None:
        _summary(as_json)
        return
    kind = run(kind_of_item(item_id))
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
    ctx.invoke(show, **{show.params[0].name: item_id, "as_json": as_json})


def _summary(as_json: bool) -> None:
    open_cycles, reviews = run(open_cpr_work())
    counts = {status: sum(1 for _, s in reviews if s.status == status) for status in ("open", "overdue", "submitted")}
    data = {
        "cycles": [
            {"id": i, "service": s.service, "phase": s.phase, "review_due_at": s.review_due_at.isoformat()}
            for i, s in open_cycles
        ],
        "reviews": counts,
        "open_actions": sum(len(s.open_actions) for _, s in reviews),
    }

    def human() -> None:
        if not open_cycles:
            click.echo("no CPR cycle is open")
        for i, s in open_cycles:
            click.echo(f"{i}  {s.service}  {s.phase}  reviews due {when(s.review_due_at)}")
        click.echo(
            f"reviews: {counts['open']} in progress, {counts['overdue']} overdue, {counts['submitted']} submitted"
            f" with {data['open_actions']} actions still open"
        )

    emit(data, as_json, human)
