"""`qa status` and `qa overdue`: where the work stands, read from the engine and the audit log.

`qa overdue` lists the reviews past their deadline and not yet submitted.

Each review still awaited is rebuilt from its events with the same reducer the
workflow and the auditors use, so the list shows exactly what the log recorded:
a review is overdue once its deadline's breach was recorded (and no extension
since moved the deadline ahead).
"""

from __future__ import annotations

import click

from infra.cli.common import (
    JSON_OPTION,
    app,
    describe_item,
    emit,
    fail,
    replay_streams,
    run,
    when,
)

ESCALATED_TO = {1: "the reviewer's manager", 2: "the head of service", 3: "the Head of QA"}


@app.command("overdue")
@JSON_OPTION
def overdue(as_json: bool) -> None:
    """Open reviews past their deadline, longest overdue first, with how far each was escalated."""
    from domain import review

    awaited = run(
        replay_streams("review.opened", ("review.submitted", "review.closed"), review.evolve, review.REVIEW_EVENTS)
    )
    late = sorted(((i, s) for i, s in awaited if s.status == "overdue"), key=lambda item: (item[1].due_at, item[0]))

    def human() -> None:
        if not late:
            click.echo("no reviews are overdue")
            return
        click.echo(f"{len(late)} review{'s' if len(late) != 1 else ''} overdue")
        for review_id, s in late:
            escalated = ESCALATED_TO.get(s.escalation_level)
            where = f"; escalated to {escalated}" if escalated else ""
            click.echo(f"  {review_id}  case {s.case_number}  reviewer {s.reviewer}  due {when(s.due_at)}{where}")
            click.echo(f"    still needed: {'; '.join(s.still_needed) or 'submission'}")

    emit(
        [{"id": review_id, **s.model_dump(mode="json"), "still_needed": s.still_needed} for review_id, s in late],
        as_json,
        human,
    )


# What `qa status ID` shows for each kind of item: that kind's own command.
SHOW_COMMANDS = {
    "CprCycle": ("cpr", "show"),
    "Review": ("review", "show"),
    "Dispute": ("dispute", "show"),
    "Deadline": ("deadline", "show"),
    "ThematicReview": ("thematic", "show"),
    "DipAudit": ("dip", "show"),
    "ActionPlan": ("plan", "show"),
    "Spotlight": ("spotlight", "show"),
    "QapmMeeting": ("qapm", "show"),
    "GoodPracticeConversation": ("gpc", "show"),
    "PracticeWeek": ("practice-week", "show"),
    "CalendarEntry": ("calendar", "entry"),
}


@app.command("status")
@click.argument("item_id", required=False)
@JSON_OPTION
@click.pass_context
def status(ctx: click.Context, item_id: str | None, as_json: bool) -> None:
    """Where things stand: one item by its id (any kind but a staff concern), or all open CPR work."""
    if item_id is None:
        _summary(as_json)
        return
    kind = run(_kind(item_id))
    if kind == "StaffConcern":
        fail(f"{item_id} is a staff concern: it is restricted, read it with `qa concern show {item_id} --as PERSON`", 1)
    group_name, command = SHOW_COMMANDS.get(kind, ("", ""))
    group = app.get_command(ctx, group_name)
    show = group.get_command(ctx, command) if isinstance(group, click.Group) else None
    if show is None:
        fail(f"{item_id} is a {kind}, which has no status view", 1)
    ctx.invoke(show, **{show.params[0].name: item_id, "as_json": as_json})


async def _kind(item_id: str) -> str:
    _, described = await describe_item(item_id)
    return described.workflow_type


def _summary(as_json: bool) -> None:
    from domain import cpr_cycle, review

    cycles = run(replay_streams("cycle.started", None, cpr_cycle.evolve, cpr_cycle.CYCLE_EVENTS))
    reviews = run(replay_streams("review.opened", ("review.closed",), review.evolve, review.REVIEW_EVENTS))
    open_cycles = [(i, s) for i, s in cycles if s.phase != "complete"]
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
