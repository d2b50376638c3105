"""`qa cpr`: Collaborative Practice Review cycles, from the QA officer's side.

A cycle is started for one service and start date (its id says which:
`cpr-2027-11-01-children-in-need`), draws its sample at once, and then waits for
a reviewer to be allocated to each sampled child. The helpers at the bottom
(items by id, updates, local times) are shared with `qa review` and `qa overdue`.
"""

from __future__ import annotations

from datetime import date

import click

from infra.application.errors import typed
from infra.cli.common import (
    AS_OPTION,
    JSON_OPTION,
    READER_OPTION,
    REALLOCATION_REASON,
    app,
    check_seed,
    emit,
    fail,
    parse_date,
    person,
    run,
    start_and_show,
    table,
    when,
    whole_number,
)


@app.group("cpr")
def cpr_app() -> None:
    """Collaborative Practice Review cycles: start one, allocate reviewers, see where it stands."""


# --- commands -----------------------------------------------------------------------------------


@cpr_app.command("start")
@click.option("--service", required=True, help="The service whose children are sampled, e.g. 'Children in Need'.")
@click.option("--start", "start", required=True, help="Day 0 of the 20-working-day review window, YYYY-MM-DD.")
@click.option("--sample", "sample", required=True, help="How many children to sample.")
@click.option("--seed", help="Seed of the random draw (recorded; a random one if not given).")
@AS_OPTION
@JSON_OPTION
def cpr_start(service: str, start: str, sample: str, seed: str | None, actor: str, as_json: bool) -> None:
    """Start a CPR cycle: draw its sample from the newest open-cases snapshot and open its review window.

    Only an active qa_officer may start one. Waits until the sample is recorded, then shows it.
    """
    from domain import cpr_cycle
    from infra.cli.client import credentials
    from workflows.cpr_cycle import CprCycleWorkflow, CycleInput

    service = " ".join(service.split())
    check_seed(seed)
    request = typed(
        CycleInput,
        service=service,
        start=parse_date(start, "start date"),
        sample_size=whole_number(sample, "sample size"),
        seed=seed,
        started_by=person(actor),
    )
    cycle_id = cycle_id_for(request.service, request.start)
    if credentials() is None:  # on the host: the sample is checked first, for its own words
        from infra.application.cycles import may_start

        run(may_start(request))
    # One cycle per service and start date, ever.
    start_and_show(
        cpr_cycle.KIND,
        CprCycleWorkflow,
        request,
        cycle_id,
        as_json,
        _show_cycle,
        taken=f"a {request.service} cycle starting {request.start.isoformat()} was already started: {cycle_id}"
        f" (see `qa cpr show {cycle_id}`)",
        refusable=False,
    )


@cpr_app.command("allocate")
@click.argument("cycle_id")
@click.argument("case_number")
@click.option("--reviewer", required=True, help="Who reviews the child's record (never its own practitioner).")
@AS_OPTION
def cpr_allocate(cycle_id: str, case_number: str, reviewer: str, actor: str) -> None:
    """Allocate a reviewer to one sampled child; prints the id of the review this opens."""
    from infra.cli.client import perform

    ask = {"cycle_id": cycle_id, "case_number": case_number.strip(), "reviewer": person(reviewer, "--reviewer")}
    click.echo(run(perform("cpr.allocate", actor, **ask)))


@cpr_app.command("reallocate")
@click.argument("cycle_id")
@click.argument("case_number")
@click.option("--reviewer", required=True, help="The new reviewer (never the child's own practitioner).")
@REALLOCATION_REASON
@AS_OPTION
def cpr_reallocate(cycle_id: str, case_number: str, reviewer: str, reason: str, actor: str) -> None:
    """Give a review not yet submitted another reviewer (a QA officer): the review goes on with them, its deadline
    unchanged (extend it if they need longer); both reviewers are told."""
    from domain import cpr_cycle
    from domain.cpr_cycle import ReallocateReviewer
    from infra.cli.client import change
    from workflows.cpr_cycle import CprCycleWorkflow

    request = typed(
        ReallocateReviewer,
        actor=person(actor),
        case_number=case_number.strip(),
        reviewer=person(reviewer, "--reviewer"),
        reason=reason,
    )
    state = run(change(cycle_id, cpr_cycle.KIND, CprCycleWorkflow.reallocate, request))
    case = state.case(request.case_number)
    assert case is not None
    click.echo(f"{case.case_number}: now reviewed by {case.reviewer} ({case.review_id})")


@cpr_app.command("prove")
@click.argument("cycle_id")
@READER_OPTION
@JSON_OPTION
def cpr_prove(cycle_id: str, actor: str, as_json: bool) -> None:
    """For auditors: redo the cycle's recorded draw from the stored open-cases snapshot and say whether it matches,
    with the method in words (anyone may redo it with any SHA-256 tool). Exit 1 if it does not match."""
    from infra.cli.client import perform

    proof = run(perform("cpr.prove", actor, cycle_id=cycle_id))

    def human() -> None:
        click.echo(proof.method)
        for case_number, ranked in proof.sample:
            click.echo(f"  {case_number}  {ranked}")
        if proof.problems:
            click.echo("does not match: " + "; ".join(proof.problems))
        else:
            click.echo(f"matches: the recorded sample is the draw from snapshot {proof.snapshot_id}")

    emit(proof.model_dump(mode="json"), as_json, human)
    if proof.problems:
        raise SystemExit(1)


@app.command("trends")
@click.option("--service", help="One service's trend (default: every service's).")
@READER_OPTION
@JSON_OPTION
def trends(service: str | None, actor: str, as_json: bool) -> None:
    """How each service's practice moves across its CPR cycles: grades of record, the rubric criteria most often
    limited, the voices obtained, the deadlines met (for the QA team, auditors and managers)."""
    from domain.trends import trend_in_words
    from infra.cli.client import perform

    found = run(perform("trends", actor, service=service.strip() if service else None))

    def human() -> None:
        if not found:
            click.echo(f"no CPR cycles of {service}" if service else "no CPR cycles yet")
        for trend in found:
            click.echo(f"{trend.service}: {len(trend.cycles)} cycles")
            for text in trend_in_words(trend):
                click.echo(f"  {text}")

    emit([t.model_dump(mode="json") for t in found], as_json, human)


@cpr_app.command("show")
@click.argument("cycle_id")
@READER_OPTION
@JSON_OPTION
def cpr_show(cycle_id: str, actor: str, as_json: bool) -> None:
    """A cycle as it stands: its phase, its window and each sampled child's reviewer, review, grade and grade of
    record (after moderation and any dispute's final decision; as JSON, each case's `grade_of_record` with the
    steps that made it)."""
    from domain import cpr_cycle
    from infra.cli.client import perform, recorded

    state = run(recorded(cpr_cycle.KIND, cycle_id))
    graded = run(perform("cpr.grades", actor, cycle_id=cycle_id))
    shown = {"id": cycle_id, **state.model_dump(mode="json")}
    for case in shown["cases"]:
        of_record = graded.get(case["case_number"])
        case["grade_of_record"] = of_record.model_dump(mode="json", exclude={"case_number"}) if of_record else None
    emit(shown, as_json, lambda: _show_cycle(cycle_id, state, graded))


@cpr_app.command("list")
@click.option("--all", "every", is_flag=True, help="Every cycle the audit log holds, the completed ones too.")
@READER_OPTION
@JSON_OPTION
def cpr_list(every: bool, actor: str, as_json: bool) -> None:
    """The CPR cycles still open (with --all, every cycle), newest start first."""
    from infra.cli.client import perform

    cycles = run(perform("cycles", actor, closed_too=every))
    cycles.sort(key=lambda item: (item[1].start, item[0]), reverse=True)

    def human() -> None:
        if not cycles:
            click.echo(
                ("no CPR cycles yet" if every else "no open CPR cycles (`--all` lists the completed ones)")
                + ": start one with `qa cpr start --service S --start DATE --sample N --as P`"
            )
            return
        width = max(len(cycle_id) for cycle_id, _ in cycles)
        for cycle_id, s in cycles:
            allocated = sum(1 for c in s.cases if c.reviewer)
            submitted = sum(1 for c in s.cases if c.submitted)
            click.echo(
                f"{cycle_id:<{width}}  {s.phase:<14}  reviews due {s.review_due_on.isoformat()}"
                f"  {len(s.cases)} sampled, {allocated} allocated, {submitted} submitted"
            )

    emit([{"id": cycle_id, **s.model_dump(mode="json")} for cycle_id, s in cycles], as_json, human)


# --- the cycle's output -------------------------------------------------------------------------


def _show_cycle(cycle_id: str, state, graded=None) -> None:  # type: ignore[no-untyped-def]
    """`graded`: the grades of record by case number (none at the start: nothing is graded yet)."""
    graded = graded or {}
    click.echo(f"{cycle_id}: {state.service}, started by {state.started_by}")
    click.echo(f"  phase    {state.phase.replace('_', ' ')}")
    click.echo(f"  reviews  from {state.start.isoformat()}, due {when(state.review_due_at)}")
    if state.previous:
        click.echo(f"  follows  {state.previous}" + (" (its repeat)" if state.repeat_of else ""))
    for r in state.revisits:
        verdict = "repeat the whole cycle" if r.repeat else "look again"
        click.echo(f"  carried  {r.meeting_id}: {verdict}" + (f": {r.areas}" if r.areas else f" ({r.reasons})"))
    if state.draw is not None:
        d = state.draw
        click.echo(
            f"  sample   {len(state.cases)} of {d.eligible_count} eligible cases ({d.too_recent_count} supported"
            f" under 4 weeks left out), seed {d.seed}, snapshot {state.snapshot_id}"
        )
    if not state.cases:
        return
    header = ("case", "practitioner", "team", "reviewer", "grade", "review")
    rows = [
        (
            c.case_number,
            c.practitioner,
            c.team,
            c.reviewer or "-",
            (c.grade.value + (" (late)" if c.late else "")) if c.grade else "-",
            c.review_id or "-",
        )
        for c in state.cases
    ]
    if graded:  # once a review is in: its grade of record beside it
        header += ("grade of record",)
        rows = [(*row, _of_record(graded.get(c.case_number))) for row, c in zip(rows, state.cases, strict=True)]
    table(header, rows)


def _of_record(of_record) -> str:  # type: ignore[no-untyped-def]
    """The grade of record, and what set it when it is not the reviewer's."""
    if of_record is None:
        return "-"
    return of_record.grade.value + (f" ({of_record.steps[-1].by})" if of_record.changed else "")


# --- starting a cycle ---------------------------------------------------------------------------


def cycle_id_for(service: str, start: date) -> str:
    from domain.naming import cycle_id, slug

    if not slug(service):
        fail(f"service {service!r} needs a letter or digit")
    return cycle_id(service, start)
