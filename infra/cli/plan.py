"""`qa plan`: team and service-wide action plans, reviewed at their meetings for years.

A team plan (`plan-team-children-in-need`) is owned by the team's manager and
reviewed every 6 weeks in a team meeting; a service-wide plan
(`plan-service-wide-2027-01-04`) by a member of CSLT, reviewed quarterly. The
owner adds SMART actions, records progress on each at the meetings, changes or
closes them; a QA officer can add an action from a finding (`--source`, e.g. a
CPR cycle id). The plan workflow decides who may do what; a refusal is one line
and nothing is recorded.
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
    fail,
    parse_date,
    person,
    run,
    show_duties,
    show_item,
    start_and_show,
    when,
)

ID_ARGUMENT = click.argument("plan_id")
STATUSES = ("not-started", "on-track", "at-risk", "done")


@app.group("plan")
def plan_app() -> None:
    """Team (6-weekly) and service-wide (quarterly) action plans: SMART actions and their progress."""


@plan_app.command("start")
@click.option("--team", help="The team whose plan this is (its team manager owns it).")
@click.option("--service-wide", is_flag=True, help="A service-wide plan, owned by a member of CSLT.")
@click.option("--owner", required=True, help="The team manager, or the CSLT member (e.g. a head of service).")
@click.option("--first-meeting", help="The first review meeting, YYYY-MM-DD (default: one cadence from today).")
@AS_OPTION
@JSON_OPTION
def plan_start(
    team: str | None, service_wide: bool, owner: str, first_meeting: str | None, actor: str, as_json: bool
) -> None:
    """Start a plan: --team TEAM (reviewed every 6 weeks) or --service-wide (reviewed quarterly by CSLT)."""
    from datetime import datetime

    from domain import action_plan
    from domain.action_plan import PlanInput
    from domain.working_days import LONDON
    from workflows.action_plan import ActionPlanWorkflow

    if (team is None) == (not service_wide):
        fail("say which plan: --team TEAM or --service-wide (one of them)")
    team = " ".join(team.split()) if team is not None else None
    if team is not None and not team:
        fail("--team needs the team's name")
    request = typed(
        PlanInput,
        kind="service-wide" if service_wide else "team",
        team=team,
        owner=person(owner, "--owner"),
        started_by=person(actor),
        first_meeting=parse_date(first_meeting, "--first-meeting date") if first_meeting else None,
    )
    plan_id = plan_id_for(request, datetime.now(LONDON).date().isoformat())
    # A start refused (wrong owner) recorded nothing: its id may be used again. The plan is read by
    # its id alone (the handle names no run), so even once it has continued as new.
    start_and_show(
        action_plan.KIND,
        ActionPlanWorkflow,
        request,
        plan_id,
        as_json,
        _show,
        taken=f"refused: {plan_id} already exists; see `qa plan show {plan_id}`",
    )


@plan_app.command("show")
@ID_ARGUMENT
@JSON_OPTION
def plan_show(plan_id: str, as_json: bool) -> None:
    """A plan as it stands: owner, next meeting, meetings held, and each action with its progress."""
    from domain import action_plan

    show_item(plan_id, action_plan.KIND, as_json, _show)


@plan_app.command("add")
@ID_ARGUMENT
@click.option("--action", "action", default="", help="What will be done.")
@click.option("--support", default="", help="The support needed.")
@click.option("--responsible", default="", help="The person responsible (their staff id).")
@click.option("--by", "by_when", help="By when, YYYY-MM-DD (a date in the future).")
@click.option("--evidence", default="", help="How completion will be shown.")
@click.option("--source", help="The finding this action comes from (e.g. a CPR cycle id); a QA officer may add it.")
@AS_OPTION
def plan_add(
    plan_id: str,
    action: str,
    support: str,
    responsible: str,
    by_when: str | None,
    evidence: str,
    source: str | None,
    actor: str,
) -> None:
    """Add a SMART action: --action, --support, --responsible, --by and --evidence (all of them)."""
    from domain.action_plan import AddAction, AddFromFinding

    fields: dict[str, Any] = {
        "actor": person(actor),
        "action": action,
        "support": support,
        "responsible": responsible.strip(),
        "by_when": parse_date(by_when, "--by date") if by_when else None,
        "evidence": evidence,
    }
    if source is None:
        state = _change(plan_id, "add_action", typed(AddAction, **fields))
    else:
        state = _change(plan_id, "add_from_finding", typed(AddFromFinding, **fields, source=source))
    added = state.actions[-1]
    _done(plan_id, state, f"action {added.action_id} added: {added.responsible}, by {added.by_when.isoformat()}")


@plan_app.command("progress")
@ID_ARGUMENT
@click.argument("action_id")
@click.option("--status", required=True, type=click.Choice(STATUSES), help="Where the action stands.")
@click.option("--evidence", help="The evidence it is done (needed for --status done).")
@click.option("--note", help="What was said at the meeting.")
@AS_OPTION
def plan_progress(
    plan_id: str, action_id: str, status: str, evidence: str | None, note: str | None, actor: str
) -> None:
    """Record an action's progress at the review meeting (the plan's owner)."""
    from domain.action_plan import RecordProgress

    request = typed(
        RecordProgress,
        actor=person(actor),
        action_id=action_id.strip().upper(),
        status=status,
        evidence=evidence,
        note=note,
    )
    state = _change(plan_id, "record_progress", request)
    _done(plan_id, state, f"action {request.action_id} is {status}")


@plan_app.command("meeting")
@ID_ARGUMENT
@click.option("--attended", "attendees", multiple=True, required=True, help="Who attended (a staff id; repeat).")
@click.option("--notes", default="", help="Notes of the meeting.")
@AS_OPTION
def plan_meeting(plan_id: str, attendees: tuple[str, ...], notes: str, actor: str) -> None:
    """Record today's review meeting (the plan's owner): who attended. The actions reviewed are those whose progress
    was recorded this cycle; the next meeting is set. A meeting not recorded by the end of its day is chased."""
    from domain.action_plan import RecordMeeting

    request = typed(
        RecordMeeting, actor=person(actor), attendees=tuple(person(a, "--attended") for a in attendees), notes=notes
    )
    state = _change(plan_id, "record_meeting", request)
    held = state.meetings[-1]
    _done(plan_id, state, f"meeting {held.number} recorded as held on {held.held_on.isoformat()}")


@plan_app.command("change")
@ID_ARGUMENT
@click.argument("action_id")
@click.option("--action", "action", help="What will be done.")
@click.option("--support", help="The support needed.")
@click.option("--responsible", help="The person responsible (their staff id).")
@click.option("--by", "by_when", help="By when, YYYY-MM-DD (a date in the future).")
@click.option("--evidence", help="How completion will be shown.")
@click.option("--reason", required=True, help="Why it changes.")
@AS_OPTION
def plan_change(
    plan_id: str,
    action_id: str,
    action: str | None,
    support: str | None,
    responsible: str | None,
    by_when: str | None,
    evidence: str | None,
    reason: str,
    actor: str,
) -> None:
    """Change an open action's SMART fields (the plan's owner)."""
    from domain.action_plan import ChangeAction

    request = typed(
        ChangeAction,
        actor=person(actor),
        action_id=action_id.strip().upper(),
        action=action,
        support=support,
        responsible=responsible.strip() if responsible is not None else None,
        by_when=parse_date(by_when, "--by date") if by_when else None,
        evidence=evidence,
        reason=reason,
    )
    state = _change(plan_id, "change_action", request)
    _done(plan_id, state, f"action {request.action_id} changed")


@plan_app.command("close-action")
@ID_ARGUMENT
@click.argument("action_id")
@click.option("--reason", required=True, help="Why it is closed without being done (e.g. superseded).")
@AS_OPTION
def plan_close_action(plan_id: str, action_id: str, reason: str, actor: str) -> None:
    """Close an open action without completing it (the plan's owner)."""
    from domain.action_plan import CloseAction

    request = typed(CloseAction, actor=person(actor), action_id=action_id.strip().upper(), reason=reason)
    state = _change(plan_id, "close_action", request)
    _done(plan_id, state, f"action {request.action_id} closed")


# --- helpers ------------------------------------------------------------------------------------


def plan_id_for(request: Any, today: str) -> str:
    from domain.naming import team_plan_id

    return team_plan_id(request.team) if request.kind == "team" else f"plan-service-wide-{today}"


def _change(plan_id: str, update_name: str, request: Any) -> Any:
    from domain import action_plan
    from workflows.action_plan import ActionPlanWorkflow

    return run(change(plan_id, action_plan.KIND, getattr(ActionPlanWorkflow, update_name), request))


def _next(state: Any) -> str:
    return f"next meeting {state.next_meeting_on.isoformat()}; {len(state.open_actions)} open actions"


def _done(plan_id: str, state: Any, what: str) -> None:
    click.echo(f"{plan_id}: {what}")
    click.echo(f"  {_next(state)}")


def _show(plan_id: str, s: Any) -> None:
    def line(label: str, text: str) -> None:
        click.echo(f"  {label:<16}{text}")

    from domain.action_plan import CADENCE_TEXT

    click.echo(f"{plan_id}: {s.title}")
    line("owner", s.owner)
    line("reviewed", CADENCE_TEXT[s.kind])
    line("next meeting", f"{s.next_meeting_on.isoformat()} (meeting {s.cycle})")
    if s.meetings:
        last = s.meetings[-1]
        unreviewed = f"; not reviewed: {', '.join(last.not_reviewed)}" if last.not_reviewed else ""
        by = f"; recorded by {last.recorded_by}, attended by {', '.join(last.attendees)}" if last.recorded_by else ""
        line("last meeting", f"{last.held_on.isoformat()} (meeting {last.number}){unreviewed}{by}")
    show_duties(s.duties)
    for a in s.actions:
        if a.completed_at is not None:
            where = f"done {a.completed_at.date().isoformat()}: {a.completion_evidence}"
        elif a.closed_at is not None:
            where = f"closed: {a.closed_reason}"
        else:
            where = a.status + (", OVERDUE" if a.overdue else "")
        line(f"action {a.action_id}", f"{a.action} ({where})")
        line("", f"responsible {a.responsible}, by {a.by_when.isoformat()}; support: {a.support}")
        line("", f"completion shown by: {a.evidence}" + (f"; from {a.source}" if a.source else ""))
    line("started", when(s.started_at))
