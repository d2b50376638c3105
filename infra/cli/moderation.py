"""`qa moderation` and `qa report`: the end of a CPR cycle, after its reviews close.

Each submitted review is moderated by a moderator who is not its reviewer, within
10 working days of their allocation; the findings report follows, due 10 working
days after moderation ends, written from the records and published by a QA officer,
with the SMART actions it adds to an action plan (`--plan --actions`, as a case audit's).
"""

from __future__ import annotations

from pathlib import Path

import click

from infra.application.errors import typed
from infra.cli.client import change, recorded
from infra.cli.common import (
    AS_OPTION,
    JSON_OPTION,
    READER_OPTION,
    REALLOCATION_REASON,
    app,
    echo_added,
    emit,
    fail,
    parse_year,
    person,
    plan_actions,
    plan_options,
    run,
    when,
)


@app.group("moderation")
def moderation_app() -> None:
    """Moderating a cycle's reviews: allocate a moderator, record the moderation."""


@moderation_app.command("allocate")
@click.argument("cycle_id")
@click.argument("case_number")
@click.option("--moderator", required=True, help="Who moderates (never the review's reviewer).")
@AS_OPTION
def moderation_allocate(cycle_id: str, case_number: str, moderator: str, actor: str) -> None:
    """Allocate a moderator to a submitted review; they have 10 working days from now."""
    from domain import cpr_cycle
    from domain.cpr_cycle import AllocateModerator
    from workflows.cpr_cycle import CprCycleWorkflow

    request = typed(
        AllocateModerator,
        actor=person(actor),
        case_number=case_number.strip(),
        moderator=person(moderator, "--moderator"),
    )
    state = run(change(cycle_id, cpr_cycle.KIND, CprCycleWorkflow.allocate_moderator, request))
    case = state.case(request.case_number)
    assert case is not None and case.moderation is not None
    click.echo(f"{case.case_number}: moderated by {case.moderation.moderator}, due {when(case.moderation.due_at)}")


@moderation_app.command("reallocate")
@click.argument("cycle_id")
@click.argument("case_number")
@click.option("--moderator", required=True, help="The new moderator (never the review's reviewer or practitioner).")
@REALLOCATION_REASON
@AS_OPTION
def moderation_reallocate(cycle_id: str, case_number: str, moderator: str, reason: str, actor: str) -> None:
    """Give a moderation another moderator (a QA officer): their 10 working days start now; both are told, and the
    findings report waits for the new one alone."""
    from domain import cpr_cycle
    from domain.cpr_cycle import ReallocateModerator
    from workflows.cpr_cycle import CprCycleWorkflow

    request = typed(
        ReallocateModerator,
        actor=person(actor),
        case_number=case_number.strip(),
        moderator=person(moderator, "--moderator"),
        reason=reason,
    )
    state = run(change(cycle_id, cpr_cycle.KIND, CprCycleWorkflow.reallocate_moderator, request))
    case = state.case(request.case_number)
    assert case is not None and case.moderation is not None
    click.echo(f"{case.case_number}: now moderated by {case.moderation.moderator}, due {when(case.moderation.due_at)}")


@moderation_app.command("record")
@click.argument("cycle_id")
@click.argument("case_number")
@click.option("--grade", "grade_text", required=True, help="Outstanding, Good, Requires Improvement or Inadequate.")
@click.option("--rationale", required=True, help="Why: the moderation template's rationale.")
@click.option("--conversation", help="The moderator-reviewer conversation (needed when the grades differ).")
@click.option("--sampled", required=True, help="The elements of the review you sampled.")
@AS_OPTION
def moderation_record(
    cycle_id: str,
    case_number: str,
    grade_text: str,
    rationale: str,
    conversation: str | None,
    sampled: str,
    actor: str,
) -> None:
    """Record a moderation: the moderator's grade and rationale."""
    from domain import cpr_cycle
    from domain.cpr_cycle import ModerateReview
    from domain.rubric import Grade
    from workflows.cpr_cycle import CprCycleWorkflow

    try:
        grade = Grade.parse(grade_text)
    except ValueError as exc:
        fail(str(exc))
    request = typed(
        ModerateReview,
        actor=person(actor),
        case_number=case_number.strip(),
        grade=grade,
        rationale=rationale,
        conversation=conversation,
        sampled=sampled,
    )
    state = run(change(cycle_id, cpr_cycle.KIND, CprCycleWorkflow.moderate, request))
    case = state.case(request.case_number)
    assert case is not None
    verdict = "agrees with" if case.agreed else "differs from"
    click.echo(f"{case.case_number}: moderated {grade.value}, which {verdict} the reviewer's {case.grade.value}")


@app.group("report")
def report_app() -> None:
    """A cycle's findings report."""


@report_app.command("publish")
@click.argument("cycle_id")
@click.option("--key-findings", required=True)
@click.option("--strengths", required=True, help="Areas of strength.")
@click.option("--development", "areas_for_development", required=True, help="Areas for development.")
@click.option("--recommendations", required=True)
@click.option("--voices", "voices_summary", required=True, help="What children and families said: your summary.")
@plan_options
@AS_OPTION
def report_publish(
    cycle_id: str,
    key_findings: str,
    strengths: str,
    areas_for_development: str,
    recommendations: str,
    voices_summary: str,
    plan_id: str | None,
    actions_file: Path | None,
    actor: str,
) -> None:
    """Publish the findings report: your words, with figures computed from the records (Markdown and HTML).

    Its SMART actions, if any, go to the action plan first, each linked back to the cycle.
    """
    from domain import cpr_cycle
    from domain.cpr_cycle import PublishReport
    from workflows.cpr_cycle import CprCycleWorkflow

    request = typed(
        PublishReport,
        actor=person(actor),
        key_findings=key_findings,
        strengths=strengths,
        areas_for_development=areas_for_development,
        recommendations=recommendations,
        voices_summary=voices_summary,
        **plan_actions(plan_id, actions_file),
    )
    state = run(change(cycle_id, cpr_cycle.KIND, CprCycleWorkflow.publish_report, request))
    report = state.report
    assert report is not None
    click.echo(report.markdown_path)
    click.echo(report.html_path)
    echo_added(report.plan_id, report.plan_actions)


@report_app.command("show")
@click.argument("cycle_id")
@READER_OPTION
@JSON_OPTION
def report_show(cycle_id: str, actor: str, as_json: bool) -> None:
    """The published report (its Markdown), checked against the digest the audit log recorded."""
    from domain import cpr_cycle
    from infra.cli.client import perform

    state = run(recorded(cpr_cycle.KIND, cycle_id))
    if state is None or state.report is None:
        due = f"; it is due {when(state.report_due_at)}" if state and state.report_due_at else ""
        fail(f"{cycle_id} has no published findings report yet{due}", 1)
    report = state.report
    text = run(perform("document", actor, item_id=cycle_id))
    emit(
        {"id": cycle_id, **report.model_dump(mode="json"), "markdown": text},
        as_json,
        lambda: click.echo(text, nl=False),
    )


@report_app.command("annual")
@click.option("--year", required=True, help="The year whose CPR cycles and thematic reviews are collated, e.g. 2027.")
@AS_OPTION
@JSON_OPTION
def report_annual(year: str, actor: str, as_json: bool) -> None:
    """Collate the year's findings (every CPR cycle and thematic review started in it) into one report, Markdown and
    HTML, kept with their digests recorded (`annual-report-YEAR`); prints the Markdown."""
    from infra.cli.client import perform

    done = run(perform("report.annual", person(actor), year=parse_year(year)))
    c = done.compiled
    emit(
        {**c.model_dump(mode="json"), "markdown": done.markdown},
        as_json,
        lambda: click.echo(
            done.markdown
            + f"\n(kept as {c.markdown_path}, SHA-256 {c.markdown_sha256}; HTML {c.html_path}, SHA-256 {c.html_sha256})",
        ),
    )
