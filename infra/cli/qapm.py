"""`qa qapm`: a QA and Performance Monitoring meeting, its performance pack and the chair's decisions.

A meeting (`qapm-2027-03-04`) is started by the QA team, or by the calendar's
scheduler a few working days before. The engine compiles the performance pack
from the audit log 5 working days before the meeting (`qa qapm pack`); at the
meeting the chair's decisions are recorded (`qa qapm decide`): the next thematic
focus, the Practice Week theme, actions for the service-wide plan and the
Measuring Progress answers (the longer parts as a JSON form: `qa qapm form`).
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
    READER_OPTION,
    CliError,
    app,
    emit_item,
    fail,
    line,
    parse_date,
    person,
    read_form,
    run,
    show_duties,
    start_and_show,
    when,
)

ID_ARGUMENT = click.argument("meeting_id")


@app.group("qapm")
def qapm_app() -> None:
    """QAPM meetings: the performance pack before, the chair's decisions after."""


@qapm_app.command("start")
@click.option("--on", "meeting_on", required=True, help="The meeting day, YYYY-MM-DD (a working day).")
@AS_OPTION
@JSON_OPTION
def qapm_start(meeting_on: str, actor: str, as_json: bool) -> None:
    """Start a meeting (the QA team): its pack is compiled 5 working days before it."""
    from domain import qapm
    from domain.qapm import meeting_id
    from workflows.qapm_meeting import QapmInput, QapmMeetingWorkflow

    request = typed(QapmInput, meeting_on=parse_date(meeting_on, "--on date"), started_by=person(actor))
    item_id = meeting_id(request.meeting_on)
    start_and_show(
        qapm.KIND,
        QapmMeetingWorkflow,
        request,
        item_id,
        as_json,
        _show,
        taken=f"the QAPM meeting of {request.meeting_on.isoformat()} was already started: {item_id}",
    )


@qapm_app.command("show")
@ID_ARGUMENT
@JSON_OPTION
def qapm_show(meeting_id: str, as_json: bool) -> None:
    """Where a meeting stands: its pack, the decisions duty, what the chair decided."""
    emit_item(meeting_id, _read(meeting_id), as_json, _show)


@qapm_app.command("pack")
@ID_ARGUMENT
@READER_OPTION
def qapm_pack(meeting_id: str, actor: str) -> None:
    """The performance pack as Markdown (refused if the file no longer matches its recorded digest)."""
    state = _read(meeting_id)
    if state.pack_path is None:
        raise CliError(f"{meeting_id}: the pack is compiled at {when(state.pack_due_at)}")
    from infra.cli.client import perform

    click.echo(run(perform("document", actor, item_id=meeting_id)), nl=False)


@qapm_app.command("decide")
@ID_ARGUMENT
@click.option("--focus", "thematic_focus", help="The next thematic review's focus.")
@click.option("--practice-week-theme", help="The Practice Week theme agreed.")
@click.option("--notes", default="", help="Other decisions and notes of the meeting.")
@click.option("--attended", "attended", multiple=True, help="Who attended (a staff id; repeat for each).")
@click.option(
    "--file", "path", help="Actions for the service-wide plan and Measuring Progress answers, as JSON (`qa qapm form`)."
)
@AS_OPTION
def qapm_decide(
    meeting_id: str,
    thematic_focus: str | None,
    practice_week_theme: str | None,
    notes: str,
    attended: tuple[str, ...],
    path: str | None,
    actor: str,
) -> None:
    """The chair (the Director, or their delegate) records the meeting's decisions and who attended (once; actions go
    into the service-wide plan; a cycle to repeat is put in the QA calendar)."""
    from domain import qapm
    from domain.action_plan import SmartAction
    from domain.qapm import ProgressReview, RecordDecisions
    from workflows.qapm_meeting import QapmMeetingWorkflow

    form = read_form(path, "qa qapm form") if path else {}
    unknown = sorted(set(form) - {"actions", "progress"})
    if unknown:
        fail(f"{path}: unknown part {unknown[0]!r}: the form has actions and progress (see `qa qapm form`)")
    actions = tuple(typed(SmartAction, **_object(a, path)) for a in _list(form.get("actions", []), path))
    progress = tuple(typed(ProgressReview, **_object(p, path)) for p in _list(form.get("progress", []), path))
    request = typed(
        RecordDecisions,
        actor=person(actor),
        thematic_focus=thematic_focus,
        practice_week_theme=practice_week_theme,
        actions=actions,
        progress=progress,
        notes=notes,
        attended=attended,
    )
    state = run(change(meeting_id, qapm.KIND, QapmMeetingWorkflow.record_decisions, request))
    click.echo(f"{meeting_id}: the decisions of {state.title} are recorded (chair {state.chair})")
    if state.actions:
        click.echo(f"  actions {', '.join(a.action_id for a in state.actions)} are in {state.plan_id}")
    if state.repeats:
        click.echo(f"  to repeat: {', '.join(state.repeats)}")
    for r in state.repeats_scheduled:
        click.echo(f"  the repeat of {r.cycle_id} starts on {r.start.isoformat()} ({r.entry_id})")


@qapm_app.command("delegate")
@ID_ARGUMENT
@click.option("--to", "delegate", required=True, help="Who chairs in the Director's absence (a senior leader).")
@click.option("--reason", required=True, help="Why the Director cannot chair.")
@AS_OPTION
def qapm_delegate(meeting_id: str, delegate: str, reason: str, actor: str) -> None:
    """The Director names who chairs the meeting in their absence; the decisions become theirs to record."""
    from domain import qapm
    from domain.qapm import DelegateChair
    from workflows.qapm_meeting import QapmMeetingWorkflow

    request = typed(DelegateChair, actor=person(actor), delegate=person(delegate, "--to"), reason=reason)
    state = run(change(meeting_id, qapm.KIND, QapmMeetingWorkflow.delegate_chair, request))
    click.echo(f"{meeting_id}: {state.delegate} chairs {state.title} in the absence of the Director ({state.director})")


@qapm_app.command("form")
def qapm_form() -> None:
    """A blank decisions form, as JSON, to fill in and give to `qa qapm decide --file`."""
    blank = {
        "actions": [{"action": "", "support": "", "responsible": "", "by_when": "YYYY-MM-DD", "evidence": ""}],
        "progress": [
            {
                "item": "cpr-YYYY-MM-DD-service",
                "repeat_cycle": False,
                "reasons": "",
                "time_to_impact": "",
                "affected": "",
                "new_pressures": "",
                "circumstances_changed": "",
                "revisit_next_cycle": False,
                "revisit_areas": "",
                "repeat_from": None,
            }
        ],
    }
    click.echo(json.dumps(blank, indent=2))


# --- helpers ------------------------------------------------------------------------------------


def _read(meeting_id: str) -> Any:
    from domain import qapm

    return run(recorded(qapm.KIND, meeting_id))


def _list(value: Any, path: str | None) -> list[Any]:
    if not isinstance(value, list):
        fail(f"{path}: actions and progress are lists (see `qa qapm form`)")
    return value


def _object(value: Any, path: str | None) -> dict[str, Any]:
    if not isinstance(value, dict):
        fail(f"{path}: each action and answer is a JSON object (see `qa qapm form`)")
    return value


def _show(meeting_id: str, s: Any) -> None:
    click.echo(f"{meeting_id}: {s.title} ({s.phase})")
    line("started by", s.started_by)
    if s.director:
        line("chaired by", s.director + " (the Director)" + (f"; in their absence {s.delegate}" if s.delegate else ""))
    if s.pack is None:
        line("pack", f"compiled at {when(s.pack_due_at)}")
    else:
        line("pack", f"compiled {when(s.pack_compiled_at)}: {s.pack_path}")
        p = s.pack
        line("period", f"from {when(p.since)}" + (f" (since {p.previous_meeting})" if p.previous_meeting else ""))
        line(
            "cycles", f"{len(p.cycles_opened)} opened, {len(p.cycles_closed)} closed, {len(p.cycles_in_progress)} open"
        )
        agreement = f"{p.agreed} of {p.moderated} moderations agreed"
        line("moderation", agreement)
    show_duties(s.duties)
    if s.chair:
        line("chair", s.chair)
        line("thematic focus", s.thematic_focus or "-")
        line("practice week", s.practice_week_theme or "-")
        if s.actions:
            line("actions", f"{', '.join(a.action_id for a in s.actions)} in {s.plan_id}")
        if s.attended:
            line("attended", ", ".join(s.attended))
        for answer in s.progress:
            verdict = "repeat the whole cycle" if answer.repeat_cycle else "do not repeat"
            line("progress", f"{answer.item}: {verdict}: {answer.reasons}")
            if answer.revisit_next_cycle:
                line("revisit", f"{answer.item}: the next cycle looks again at {answer.revisit_areas}")
        for r in s.repeats_scheduled:
            line("repeat", f"{r.cycle_id} again from {r.start.isoformat()} ({r.entry_id})")
        if s.notes:
            line("notes", s.notes)
