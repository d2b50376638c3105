"""`qa overdue`: the reviews past their deadline and not yet submitted, read from the audit log.

Each review still awaited is rebuilt from its events with the same reducer the
workflow and the auditors use, so the list shows exactly what the log recorded:
a review is overdue once its deadline's breach was recorded (and no extension
since moved the deadline ahead).
"""

from __future__ import annotations

import click

from infra.cli.common import JSON_OPTION, app, emit, run
from infra.cli.cpr import replay_streams, when

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
