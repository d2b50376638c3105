"""`qa practice-week`: Practice Week, from its theme to the QA officer's summary.

Once a year (`practice-week-2027-11-15`), started by the QA team or the calendar's
scheduler. Its theme is the newest the QAPM meeting decided (or `--theme`);
the director, the assistant director and the heads of service record what they
observed during the 5 working days (case numbers only, never a child's name);
the QA officer closes the week with a summary and the learning and development
opportunities.
"""

from __future__ import annotations

from typing import Any

import click

from infra.application.errors import typed
from infra.cli.client import change
from infra.cli.common import (
    AS_OPTION,
    JSON_OPTION,
    app,
    line,
    parse_date,
    person,
    run,
    show_duties,
    show_item,
    start_and_show,
    when,
)

ID_ARGUMENT = click.argument("week_id")


@app.group("practice-week")
def practice_week_app() -> None:
    """Practice Week: the QAPM's theme, the leaders' observations, the summary and learning."""


@practice_week_app.command("start")
@click.option("--week-start", required=True, help="The week's first day, YYYY-MM-DD.")
@click.option("--theme", help="The theme agreed (default: the newest the QAPM meeting decided).")
@AS_OPTION
@JSON_OPTION
def week_start(week_start: str, theme: str | None, actor: str, as_json: bool) -> None:
    """Start a Practice Week (the QA team): the leaders are told; the theme is agreed if none is known."""
    from domain import practice_week
    from domain.practice_week import week_id
    from workflows.practice_week import PracticeWeekInput, PracticeWeekWorkflow

    request = typed(
        PracticeWeekInput,
        week_start=parse_date(week_start, "--week-start date"),
        started_by=person(actor),
        theme=theme,
    )
    item_id = week_id(request.week_start)
    start_and_show(
        practice_week.KIND,
        PracticeWeekWorkflow,
        request,
        item_id,
        as_json,
        _show,
        taken=f"the Practice Week of {request.week_start.isoformat()} was already started: {item_id}",
    )


@practice_week_app.command("show")
@ID_ARGUMENT
@JSON_OPTION
def week_show(week_id: str, as_json: bool) -> None:
    """Where a week stands: its theme, duties, observations and summary."""
    from domain import practice_week

    show_item(week_id, practice_week.KIND, as_json, _show)


@practice_week_app.command("theme")
@ID_ARGUMENT
@click.option("--theme", help="The theme agreed; leave it out to take the newest the QAPM meeting decided.")
@AS_OPTION
def week_theme(week_id: str, theme: str | None, actor: str) -> None:
    """Record the week's theme (the QA team)."""
    from domain import practice_week
    from domain.practice_week import AgreeTheme
    from workflows.practice_week import PracticeWeekWorkflow

    state = run(
        change(
            week_id,
            practice_week.KIND,
            PracticeWeekWorkflow.agree_theme,
            typed(AgreeTheme, actor=person(actor), theme=theme),
        )
    )
    source = f" (decided at {state.theme_from})" if state.theme_from else ""
    click.echo(f"{week_id}: the theme is {state.theme}{source}")


@practice_week_app.command("observe")
@ID_ARGUMENT
@click.option("--visit", required=True, help="The team, service or setting visited.")
@click.option("--observed", required=True, help="What was observed.")
@click.option("--feedback", required=True, help="The feedback from children and families.")
@click.option("--case", "cases", multiple=True, help="A child's case number (never a name); repeat for each.")
@AS_OPTION
def week_observe(week_id: str, visit: str, observed: str, feedback: str, cases: tuple[str, ...], actor: str) -> None:
    """A leader records a visit during the week."""
    from domain import practice_week
    from domain.practice_week import Observation, RecordObservation
    from workflows.practice_week import PracticeWeekWorkflow

    observation = typed(
        Observation,
        visit=visit,
        observed=observed,
        feedback=feedback,
        case_numbers=tuple(c.strip() for c in cases),
    )
    request = typed(RecordObservation, actor=person(actor), observation=observation)
    state = run(change(week_id, practice_week.KIND, PracticeWeekWorkflow.observe, request))
    click.echo(f"{week_id}: observation {state.observations[-1].number} recorded by {request.actor}")


@practice_week_app.command("close")
@ID_ARGUMENT
@click.option("--summary", required=True, help="What the week found.")
@click.option("--learning", multiple=True, help="A learning and development opportunity; repeat for each.")
@AS_OPTION
def week_close(week_id: str, summary: str, learning: tuple[str, ...], actor: str) -> None:
    """The QA officer closes the week with its summary and learning (after the week)."""
    from domain import practice_week
    from domain.practice_week import CloseWeek
    from workflows.practice_week import PracticeWeekWorkflow

    request = typed(CloseWeek, actor=person(actor), summary=summary, learning=learning)
    state = run(change(week_id, practice_week.KIND, PracticeWeekWorkflow.close, request))
    click.echo(f"{week_id}: closed with {len(state.observations)} observations and {len(state.learning)} opportunities")


def _show(week_id: str, s: Any) -> None:
    click.echo(f"{week_id}: {s.title} ({s.phase})")
    line("ends", when(s.week_ends_at))
    line("theme", (s.theme or "to be agreed") + (f" (decided at {s.theme_from})" if s.theme_from else ""))
    show_duties(s.duties)
    for o in s.observations:
        cases = f" [{', '.join(o.observation.case_numbers)}]" if o.observation.case_numbers else ""
        line(f"observation {o.number}", f"{o.leader} at {o.observation.visit}{cases}: {o.observation.observed}")
    if s.summary:
        line("summary", s.summary)
        line("learning", "; ".join(s.learning))
