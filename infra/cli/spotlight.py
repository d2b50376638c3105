"""`qa spotlight`: a Team Spotlight from its preparation to the finalised report.

A spotlight is started for a team (or several, `--also-team`) and a day
(`spotlight-2027-03-16-children-in-need`) by the QA team, with a lead and 3 or 4
members. The team manager sends the key documents and the list of children the
practitioners nominate; on the day the lead allocates each member three children
and feeds back to the team managers and heads of service; members give their
information record (a JSON form: `qa spotlight form record`); the lead shares the
draft report (`qa spotlight form report`) for the members' comments, discusses its
action plan with the heads of service and sends it to the QA team; the Head of
Service QA and Safeguarding returns it with reasons or finalises it, which adds its
actions to each visited team's action plan.
"""

from __future__ import annotations

import json
from typing import Any

import click

from infra.application.errors import typed
from infra.cli.client import change, recorded
from infra.cli.common import (
    AS_OPTION,
    JSON_OPTION,
    REALLOCATION_REASON,
    CliError,
    app,
    fail,
    line,
    parse_date,
    person,
    read_form,
    run,
    show_duties,
    show_item,
    start_and_show,
    when,
)

ID_ARGUMENT = click.argument("spotlight_id")
FILE_OPTION = click.option("--file", "path", required=True, help="The completed form, as JSON.")


@app.group("spotlight")
def spotlight_app() -> None:
    """Team Spotlights: documents, nominated children, allocation, records, the report and its actions."""


@spotlight_app.command("start")
@click.option("--team", required=True, help="The team visited, as the staff directory names it.")
@click.option("--day", required=True, help="The spotlight day, YYYY-MM-DD (a working day).")
@click.option("--lead", required=True, help="The lead: a senior manager (head of service or above).")
@click.option("--member", "members", multiple=True, help="A spotlight team member (3 or 4 of them).")
@click.option("--also-team", "other_teams", multiple=True, help="Another team visited in the same spotlight.")
@AS_OPTION
@JSON_OPTION
def spotlight_start(
    team: str, day: str, lead: str, members: tuple[str, ...], other_teams: tuple[str, ...], actor: str, as_json: bool
) -> None:
    """Start a spotlight (the QA team): every deadline is worked out from the day."""
    from domain import spotlight
    from domain.naming import spotlight_id
    from workflows.spotlight import SpotlightInput, SpotlightWorkflow

    team = _team_name(team, "--team")
    request = typed(
        SpotlightInput,
        team=team,
        day=parse_date(day, "--day date"),
        lead=person(lead, "--lead"),
        members=tuple(person(m, "--member") for m in members),
        started_by=person(actor),
        other_teams=tuple(_team_name(t, "--also-team") for t in other_teams),
    )
    item_id = spotlight_id(team, request.day)
    start_and_show(
        spotlight.KIND,
        SpotlightWorkflow,
        request,
        item_id,
        as_json,
        _show,
        taken=f"the {team} spotlight of {request.day.isoformat()} was already started: {item_id}",
    )


@spotlight_app.command("show")
@ID_ARGUMENT
@JSON_OPTION
def spotlight_show(spotlight_id: str, as_json: bool) -> None:
    """Where a spotlight stands: who, each deadline, the children, the records and the report."""
    from domain import spotlight

    show_item(spotlight_id, spotlight.KIND, as_json, _show)


@spotlight_app.command("documents")
@ID_ARGUMENT
@click.option(
    "--document",
    "documents",
    multiple=True,
    required=True,
    help="KIND=REFERENCE, e.g. team-action-plan=plan-team-children-in-need (kinds: team-action-plan,"
    " qapm-reports, performance-data, audit-outcomes).",
)
@AS_OPTION
def spotlight_documents(spotlight_id: str, documents: tuple[str, ...], actor: str) -> None:
    """The team manager sends the key documents to the spotlight team (references, not contents)."""
    from domain.spotlight import KeyDocument, SendDocuments

    sent = []
    for pair in documents:
        kind, sep, reference = pair.partition("=")
        if not sep:
            fail(f"{pair!r} is not KIND=REFERENCE (e.g. team-action-plan=plan-team-children-in-need)")
        sent.append(typed(KeyDocument, kind=kind.strip(), reference=reference.strip()))
    _change(spotlight_id, "send_documents", typed(SendDocuments, actor=person(actor), documents=tuple(sent)))
    click.echo(f"{spotlight_id}: {len(sent)} key documents sent to the spotlight team")


@spotlight_app.command("nominate")
@ID_ARGUMENT
@click.option("--proud", required=True, help="The case number of a child whose practice you are proud of.")
@click.option("--challenging", required=True, help="The case number of a child you found challenging.")
@AS_OPTION
def spotlight_nominate(spotlight_id: str, proud: str, challenging: str, actor: str) -> None:
    """A practitioner of the team names their two children (naming again replaces them)."""
    from domain.spotlight import NominateCases

    request = typed(NominateCases, actor=person(actor), proud=proud.strip(), challenging=challenging.strip())
    _change(spotlight_id, "nominate", request)
    click.echo(
        f"{spotlight_id}: {request.actor} nominated {request.proud} (proud), {request.challenging} (challenging)"
    )


@spotlight_app.command("send-list")
@ID_ARGUMENT
@AS_OPTION
def spotlight_send_list(spotlight_id: str, actor: str) -> None:
    """The team manager sends the collated list of nominated children."""
    from domain.spotlight import SendCaseList

    state = _change(spotlight_id, "send_case_list", typed(SendCaseList, actor=person(actor)))
    click.echo(f"{spotlight_id}: the list of {len(state.nominations)} practitioners' children was sent")


@spotlight_app.command("allocate")
@ID_ARGUMENT
@AS_OPTION
def spotlight_allocate(spotlight_id: str, actor: str) -> None:
    """On the day, the lead allocates each member three children: random, proud, challenging."""
    from domain.spotlight import AllocateCases

    state = _change(spotlight_id, "allocate", typed(AllocateCases, actor=person(actor)))
    for a in state.allocations:
        click.echo(f"{a.member}: {a.random} (random), {a.proud} (proud), {a.challenging} (challenging)")


@spotlight_app.command("record")
@ID_ARGUMENT
@FILE_OPTION
@AS_OPTION
def spotlight_record(spotlight_id: str, path: str, actor: str) -> None:
    """A member gives their information record to the lead (`qa spotlight form record` is a blank one)."""
    from domain.spotlight import GiveRecord, MemberRecord

    record = typed(MemberRecord, **_form(path))
    _change(spotlight_id, "give_record", typed(GiveRecord, actor=person(actor), record=record))
    click.echo(f"{spotlight_id}: {actor}'s information record is with the lead")


@spotlight_app.command("feedback")
@ID_ARGUMENT
@click.option("--to", "to", multiple=True, required=True, help="A team manager or head of service fed back to.")
@click.option("--actions", required=True, help="The suggested actions discussed, to be covered within the report.")
@AS_OPTION
def spotlight_feedback(spotlight_id: str, to: tuple[str, ...], actions: str, actor: str) -> None:
    """On the day, the lead records their feedback to the team managers and heads of service."""
    from domain.spotlight import GiveFeedback

    request = typed(GiveFeedback, actor=person(actor), to=tuple(person(p, "--to") for p in to), actions=actions)
    _change(spotlight_id, "give_feedback", request)
    click.echo(f"{spotlight_id}: feedback given to {', '.join(request.to)}")


@spotlight_app.command("share")
@ID_ARGUMENT
@FILE_OPTION
@AS_OPTION
def spotlight_share(spotlight_id: str, path: str, actor: str) -> None:
    """The lead shares the draft report with the spotlight team for comment (again for a revision)."""
    from domain.spotlight import ShareDraft, SpotlightReport

    report = typed(SpotlightReport, **_form(path))
    state = _change(spotlight_id, "share_draft", typed(ShareDraft, actor=person(actor), report=report))
    click.echo(f"{spotlight_id}: the draft is with {', '.join(state.members)} for comment")


@spotlight_app.command("comment")
@ID_ARGUMENT
@click.option("--comments", required=True, help="Your comments on the shared draft (or 'none').")
@AS_OPTION
def spotlight_comment(spotlight_id: str, comments: str, actor: str) -> None:
    """A member comments on the draft the lead shared."""
    from domain.spotlight import CommentOnDraft

    state = _change(spotlight_id, "comment", typed(CommentOnDraft, actor=person(actor), comments=comments))
    click.echo(f"{spotlight_id}: your comments are with the lead ({state.lead})")


@spotlight_app.command("agree-plan")
@ID_ARGUMENT
@click.option("--head", "heads", multiple=True, required=True, help="A head of service it was discussed with.")
@click.option("--note", required=True, help="What was agreed, so that the actions are realistic.")
@AS_OPTION
def spotlight_agree_plan(spotlight_id: str, heads: tuple[str, ...], note: str, actor: str) -> None:
    """The lead records the draft's action plan discussed with the heads of service."""
    from domain.spotlight import AgreePlan

    request = typed(
        AgreePlan, actor=person(actor), heads_of_service=tuple(person(h, "--head") for h in heads), note=note
    )
    _change(spotlight_id, "agree_plan", request)
    click.echo(f"{spotlight_id}: the action plan was discussed with {', '.join(request.heads_of_service)}")


@spotlight_app.command("draft")
@ID_ARGUMENT
@FILE_OPTION
@AS_OPTION
def spotlight_draft(spotlight_id: str, path: str, actor: str) -> None:
    """The lead sends the draft report to the QA team (`qa spotlight form report` is a blank one)."""
    from domain.spotlight import SendDraft, SpotlightReport

    report = typed(SpotlightReport, **_form(path))
    state = _change(spotlight_id, "send_draft", typed(SendDraft, actor=person(actor), report=report))
    click.echo(f"{spotlight_id}: the draft report is with {state.finaliser}, to finalise by {_due(state, 'finalise')}")


@spotlight_app.command("finalise")
@ID_ARGUMENT
@click.option("--note", default="", help="What the Head of Service QA and Safeguarding adds or changed.")
@AS_OPTION
def spotlight_finalise(spotlight_id: str, note: str, actor: str) -> None:
    """Finalise the report: its actions go into each visited team's action plan; it goes to their team managers."""
    from domain.spotlight import FinaliseReport

    state = _change(spotlight_id, "finalise", typed(FinaliseReport, actor=person(actor), note=note))
    click.echo(f"{spotlight_id}: the report is final and circulated to {', '.join(state.team_managers)}")
    for plan in state.plans:  # each visited team's plan
        click.echo(f"  actions {', '.join(plan.actions)} are in {plan.plan_id}")


@spotlight_app.command("return")
@ID_ARGUMENT
@click.option("--reasons", required=True, help="Why the draft goes back to the lead.")
@AS_OPTION
def spotlight_return(spotlight_id: str, reasons: str, actor: str) -> None:
    """The Head of Service QA and Safeguarding returns the draft to the lead, with reasons."""
    from domain.spotlight import ReturnDraft

    state = _change(spotlight_id, "return_draft", typed(ReturnDraft, actor=person(actor), reasons=reasons))
    click.echo(f"{spotlight_id}: the draft is back with {state.lead}, to send again by {_due(state, 'draft')}")


@spotlight_app.command("reallocate")
@ID_ARGUMENT
@click.option("--from", "previous", required=True, help="Whose part: the lead or a member (staff id).")
@click.option("--to", "to", required=True, help="Who takes it (staff id).")
@REALLOCATION_REASON
@AS_OPTION
def spotlight_reallocate(spotlight_id: str, previous: str, to: str, reason: str, actor: str) -> None:
    """Give the lead's or a member's part to someone else (the QA team): their duties and children go with it."""
    from domain.spotlight import ReallocatePart

    request = typed(
        ReallocatePart, actor=person(actor), previous=person(previous, "--from"), to=person(to, "--to"), reason=reason
    )
    state = _change(spotlight_id, "reallocate", request)
    part = "lead" if state.lead == request.to else "member"
    click.echo(f"{spotlight_id}: {request.to} takes the {part}'s part from {request.previous}")


@spotlight_app.command("report")
@ID_ARGUMENT
@click.option("--shared", is_flag=True, help="The draft as the lead last shared it for comment.")
def spotlight_report(spotlight_id: str, shared: bool) -> None:
    """The Spotlight Report in the framework's template, as Markdown (once the draft is sent, or shared)."""
    from domain import spotlight
    from domain.spotlight import report_markdown

    state = run(recorded(spotlight.KIND, spotlight_id))
    report = state.shared if shared else state.report
    if report is None:
        if shared:
            raise CliError(f"{spotlight_id} has no shared draft yet: the lead shares it after the members' records")
        raise CliError(f"{spotlight_id} has no report yet: the lead sends the draft after the members' records")
    click.echo(report_markdown(state, report), nl=False)


@spotlight_app.command("form")
@click.argument("which", type=click.Choice(["record", "report"]))
def spotlight_form(which: str) -> None:
    """A blank member record or report, as JSON, to fill in and give with --file. Nothing is chosen for you: the
    grade is left blank ("please select one": Outstanding, Good, Requires Improvement or Inadequate)."""
    from domain.spotlight import SECTIONS

    if which == "record":
        blank: dict[str, Any] = {
            "sections": {key: {"positives": "", "development": ""} for key in SECTIONS},
            "grade": "",
            "other_comments": "",
            "focus": "",
            "records_viewed": [],
            "documents_read": [],
            "differences": "",
        }
    else:
        blank = {
            "sections": {key: {"general": "", "strengths": "", "development": "", "evidence": ""} for key in SECTIONS},
            "grade": "",
            "progress": "",
            "focus": "",
            "barriers": "",
            "actions": [{"action": "", "support": "", "responsible": "", "by_when": "YYYY-MM-DD", "evidence": ""}],
            "differences": "",
        }
    click.echo(json.dumps(blank, indent=2))


# --- helpers ------------------------------------------------------------------------------------


def _due(state: Any, key: str) -> str:
    """When the spotlight's duty `key` is due ("-" if it has none)."""
    from domain.duties import duty

    found = duty(state, key)
    return when(found.due_at) if found else "-"


def _team_name(team: str, option: str) -> str:
    from domain.naming import slug

    team = " ".join(team.split())
    if not slug(team):
        fail(f"{option} {team!r} needs a letter or digit")
    return team


def _form(path: str) -> dict[str, Any]:
    return read_form(path, "qa spotlight form")


def _change(spotlight_id: str, update_name: str, request: Any) -> Any:
    from domain import spotlight
    from workflows.spotlight import SpotlightWorkflow

    return run(change(spotlight_id, spotlight.KIND, getattr(SpotlightWorkflow, update_name), request))


def _show(spotlight_id: str, s: Any) -> None:
    click.echo(f"{spotlight_id}: {s.title} ({s.phase})")
    line("lead", s.lead)
    line("members", ", ".join(s.members))
    if s.other_teams:
        line("also visited", ", ".join(s.other_teams))
    line("team manager", ", ".join(s.team_managers))
    line("previous", s.previous or "none recorded")
    show_duties(s.duties)
    if s.documents:
        line("documents", "; ".join(f"{d.kind}: {d.reference}" for d in s.documents))
    for n in s.nominations:
        line("nominated", f"{n.practitioner}: proud {n.proud}, challenging {n.challenging}")
    for a in s.allocations:
        line("allocated", f"{a.member}: {a.random} (random), {a.proud} (proud), {a.challenging} (challenging)")
    if s.feedback_to:
        line("feedback to", f"{', '.join(s.feedback_to)}: {s.feedback_actions}")
    if s.records:
        line("records from", ", ".join(s.records))
    if s.shared is not None:
        line("draft shared", f"{s.shared.grade.value}; comments from {', '.join(s.comments) or 'nobody yet'}")
    for member, comments in s.comments.items():
        line("comments", f"{member}: {comments}")
    if s.plan_agreed_with:
        line("plan agreed with", f"{', '.join(s.plan_agreed_with)}: {s.plan_agreement}")
    for reasons in s.returns:
        line("returned", reasons)
    if s.report is not None:
        line("grade", s.report.grade.value)
    if s.plan_id:
        line("actions", "; ".join(f"{', '.join(p.actions)} in {p.plan_id}" for p in s.plans))
