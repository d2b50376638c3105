"""`qa gpc`: a Good Practice Conversation, from the head of service's nomination to the appreciative inquiry.

One every other month (`gpc-2027-03-01`), started by the QA team or the calendar's
scheduler. A head of service nominates a team and the good practice it is to
share; the appreciative inquiry is recorded by the QA team or that head of
service: what worked well, the staff interviewed (by staff id), the insight, how
it is shared, and whether the Chief Executive and the Lead Member attended.
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
)

ID_ARGUMENT = click.argument("gpc_id")


@app.group("gpc")
def gpc_app() -> None:
    """Good Practice Conversations: a nominated team and its appreciative-inquiry record."""


@gpc_app.command("start")
@click.option("--month-start", required=True, help="The first (working) day of the month, YYYY-MM-DD.")
@AS_OPTION
@JSON_OPTION
def gpc_start(month_start: str, actor: str, as_json: bool) -> None:
    """Start a conversation (the QA team): the heads of service are asked for a nomination."""
    from domain import good_practice
    from domain.good_practice import gpc_id
    from workflows.good_practice import GoodPracticeWorkflow, GpcInput

    request = typed(GpcInput, month_start=parse_date(month_start, "--month-start date"), started_by=person(actor))
    item_id = gpc_id(request.month_start)
    start_and_show(
        good_practice.KIND,
        GoodPracticeWorkflow,
        request,
        item_id,
        as_json,
        _show,
        taken=f"the Good Practice Conversation of {request.month_start.isoformat()} was already started: {item_id}",
    )


@gpc_app.command("show")
@ID_ARGUMENT
@JSON_OPTION
def gpc_show(gpc_id: str, as_json: bool) -> None:
    """Where a conversation stands: its duties, the team nominated, the record."""
    from domain import good_practice

    show_item(gpc_id, good_practice.KIND, as_json, _show)


@gpc_app.command("nominate")
@ID_ARGUMENT
@click.option("--team", required=True, help="The team nominated, as the staff directory names it.")
@click.option("--good-practice", required=True, help="The good practice the team is to share.")
@AS_OPTION
def gpc_nominate(gpc_id: str, team: str, good_practice: str, actor: str) -> None:
    """A head of service nominates a team to share its good practice."""
    from domain.good_practice import KIND, NominateTeam
    from workflows.good_practice import GoodPracticeWorkflow

    request = typed(NominateTeam, actor=person(actor), team=team, good_practice=good_practice)
    state = run(change(gpc_id, KIND, GoodPracticeWorkflow.nominate, request))
    click.echo(f"{gpc_id}: the {state.team} team is nominated by {state.nominated_by}")


@gpc_app.command("record")
@ID_ARGUMENT
@click.option("--held-on", required=True, help="The day of the conversation, YYYY-MM-DD.")
@click.option("--worked-well", required=True, help="What worked well (case numbers only, never a child's name).")
@click.option("--interviewed", multiple=True, help="A member of staff interviewed (staff id); repeat for each.")
@click.option("--insight", required=True, help="The insight drawn out.")
@click.option("--shared", required=True, help="How the good practice is recognised and shared.")
@click.option("--ceo-attended", is_flag=True, help="The Chief Executive Officer attended.")
@click.option("--lead-member-attended", is_flag=True, help="The Lead Member for Children's Services attended.")
@AS_OPTION
def gpc_record(
    gpc_id: str,
    held_on: str,
    worked_well: str,
    interviewed: tuple[str, ...],
    insight: str,
    shared: str,
    ceo_attended: bool,
    lead_member_attended: bool,
    actor: str,
) -> None:
    """Record the appreciative inquiry (the QA team or the head of service who nominated the team)."""
    from domain import good_practice
    from domain.good_practice import InquiryRecord, RecordInquiry
    from workflows.good_practice import GoodPracticeWorkflow

    record = typed(
        InquiryRecord,
        held_on=parse_date(held_on, "--held-on date"),
        worked_well=worked_well,
        interviewed=tuple(person(p, "--interviewed") for p in interviewed),
        insight=insight,
        shared=shared,
        ceo_attended=ceo_attended,
        lead_member_attended=lead_member_attended,
    )
    state = run(
        change(
            gpc_id,
            good_practice.KIND,
            GoodPracticeWorkflow.record_inquiry,
            typed(RecordInquiry, actor=person(actor), record=record),
        )
    )
    click.echo(f"{gpc_id}: the appreciative inquiry with the {state.team} team is recorded")


def _show(gpc_id: str, s: Any) -> None:
    click.echo(f"{gpc_id}: {s.title} ({s.phase})")
    line("started by", s.started_by)
    show_duties(s.duties)
    if s.team:
        line("team", f"{s.team}, nominated by {s.nominated_by}: {s.good_practice}")
    if s.record is not None:
        r = s.record
        line("held on", r.held_on.isoformat())
        line("interviewed", ", ".join(r.interviewed))
        line("worked well", r.worked_well)
        line("insight", r.insight)
        line("shared", r.shared)
        attended = [who for who, came in (("CEO", r.ceo_attended), ("Lead Member", r.lead_member_attended)) if came]
        line("attended", ", ".join(attended) or "neither the CEO nor the Lead Member")
