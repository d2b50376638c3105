"""`qa dip`: dip audits, started ad hoc by a QA officer as themes emerge.

A dip audit looks at a random sample (`--sample N`, of one service or all) or at
cases listed one by one (`--case`, repeated), against the CPR rubric or the
theme's own questions (`--questions FILE`), within the working days it is given
(`--window`); its id is `dip-<start>-<focus>`. The other commands are every case
audit's (infra.cli.case_audit).
"""

from __future__ import annotations

from pathlib import Path

import click

from infra.application.errors import typed
from infra.cli.case_audit import VOICES_OPTION, AuditKind, add_commands, read_questions, start_audit
from infra.cli.common import AS_OPTION, FILE, JSON_OPTION, app, check_seed, fail, parse_date, person, whole_number

DIP = AuditKind("dip", "domain.dip_audit", "workflows.dip_audit", "DipAuditWorkflow")


@app.group("dip")
def dip_app() -> None:
    """Dip audits: a question set, a sample (random or listed), a window of working days, then the findings."""


@dip_app.command("start")
@click.option("--focus", required=True, help="The theme that emerged, e.g. 'Neglect plans'.")
@click.option("--start", "start", required=True, help="Day 0 of the window, YYYY-MM-DD.")
@click.option("--window", required=True, help="Working days the reviewers have (1 to 60).")
@click.option("--sample", "sample", help="How many children to sample at random.")
@click.option("--service", help="With --sample: one service's children (default: every service).")
@click.option("--case", "cases", multiple=True, help="A case to audit (repeat it), instead of --sample.")
@click.option("--seed", help="With --sample: seed of the random draw (recorded; a random one if not given).")
@click.option("--questions", "questions_file", type=FILE, help="The theme's own questions, CSV (id,text) or JSON.")
@VOICES_OPTION
@AS_OPTION
@JSON_OPTION
def dip_start(
    focus: str,
    start: str,
    window: str,
    sample: str | None,
    service: str | None,
    cases: tuple[str, ...],
    seed: str | None,
    questions_file: Path | None,
    asks_voices: bool,
    actor: str,
    as_json: bool,
) -> None:
    """Start a dip audit: take its sample from the newest open-cases snapshot and open its window.

    Only an active qa_officer may start one. Waits until the sample is recorded, then shows it.
    """
    from domain.dip_audit import MAX_WINDOW, MIN_WINDOW
    from workflows.dip_audit import DipAuditInput

    days = whole_number(window, "--window")
    if not MIN_WINDOW <= days <= MAX_WINDOW:
        fail(f"--window must be {MIN_WINDOW} to {MAX_WINDOW} working days, not {days}")
    check_seed(seed)
    request = typed(
        DipAuditInput,
        focus=" ".join(focus.split()),
        start=parse_date(start, "start date"),
        window=days,
        sample_size=whole_number(sample, "sample size") if sample is not None else None,
        service=" ".join(service.split()) if service is not None else None,
        cases=tuple(c.strip() for c in cases),
        seed=seed,
        questions=read_questions(questions_file),
        asks_voices=asks_voices,
        started_by=person(actor),
    )
    start_audit(DIP, request, as_json)


add_commands(dip_app, DIP)
