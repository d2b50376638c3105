"""`qa thematic`: thematic reviews, four a year, their focus set by the QAPM meeting.

A QA officer starts one with its focus and start date (its id says which:
`thematic-2027-04-12-neglect`); it draws its sample at random, as a CPR does, from
one service or all, and its reviewers answer the CPR rubric or the theme's own
questions (`--questions FILE`) within 20 working days. The other commands are
every case audit's (infra.cli.case_audit).
"""

from __future__ import annotations

from pathlib import Path

import click

from infra.application.errors import typed
from infra.cli.case_audit import VOICES_OPTION, AuditKind, add_commands, read_questions, start_audit
from infra.cli.common import AS_OPTION, FILE, JSON_OPTION, app, check_seed, parse_date, person, whole_number

THEMATIC = AuditKind("thematic", "domain.thematic", "workflows.thematic_review", "ThematicReviewWorkflow")


@app.group("thematic")
def thematic_app() -> None:
    """Thematic reviews: a focus, a random sample, 20 working days, then the findings."""


@thematic_app.command("start")
@click.option("--focus", required=True, help="The theme the QAPM meeting set, e.g. 'Neglect'.")
@click.option("--start", "start", required=True, help="Day 0 of the 20-working-day window, YYYY-MM-DD.")
@click.option("--sample", "sample", required=True, help="How many children to sample.")
@click.option("--service", help="Sample one service's children (default: every service).")
@click.option("--seed", help="Seed of the random draw (recorded; a random one if not given).")
@click.option("--questions", "questions_file", type=FILE, help="The theme's own questions, CSV (id,text) or JSON.")
@VOICES_OPTION
@AS_OPTION
@JSON_OPTION
def thematic_start(
    focus: str,
    start: str,
    sample: str,
    service: str | None,
    seed: str | None,
    questions_file: Path | None,
    asks_voices: bool,
    actor: str,
    as_json: bool,
) -> None:
    """Start a thematic review: draw its sample from the newest open-cases snapshot and open its window.

    Only an active qa_officer may start one. Waits until the sample is recorded, then shows it.
    """
    from workflows.thematic_review import ThematicInput

    check_seed(seed)
    request = typed(
        ThematicInput,
        focus=" ".join(focus.split()),
        start=parse_date(start, "start date"),
        sample_size=whole_number(sample, "sample size"),
        service=" ".join(service.split()) if service is not None else None,
        seed=seed,
        questions=read_questions(questions_file),
        asks_voices=asks_voices,
        started_by=person(actor),
    )
    start_audit(THEMATIC, request, as_json)


add_commands(thematic_app, THEMATIC)
