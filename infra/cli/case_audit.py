"""What `qa thematic` and `qa dip` share: a case audit from its start to its published findings.

Both kinds are the same workflow body (workflows.case_audit) under their own
name, so their commands are too: each kind's module adds its own `start` and
calls `add_commands` for `allocate`, `answer`, `submit`, `show` and `publish`.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from datetime import date
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from infra.application.errors import typed
from infra.cli.client import change, recorded
from infra.cli.common import (
    AS_OPTION,
    JSON_OPTION,
    REALLOCATION_REASON,
    echo_added,
    emit_item,
    fail,
    person,
    plan_actions,
    plan_options,
    read_text,
    run,
    show_item,
    table,
    voice_options,
    when,
    whose_voice,
)

if TYPE_CHECKING:
    from domain.kinds import Kind

LEVELS = "clear, some or limited"
VOICES_OPTION = click.option(
    "--voices", "asks_voices", is_flag=True, help="Its reviewers seek the child's and the family's voice for each case."
)


@dataclass(frozen=True, slots=True)
class AuditKind:
    """A kind of case audit as its commands need it; its declaration and workflow are imported only when one runs."""

    command: str  # "thematic": its command group, as its declaration's `show` says
    declared_in: str  # "domain.thematic": the module whose KIND it is
    module: str  # where its workflow class is
    cls: str

    @property
    def kind(self) -> Kind:
        return importlib.import_module(self.declared_in).KIND

    @property
    def noun(self) -> str:
        return self.kind.name

    def workflow(self) -> Any:
        return getattr(importlib.import_module(self.module), self.cls)

    def item_id(self, start: date, focus: str) -> str:
        from domain.naming import case_audit_id, slug

        if not slug(focus):
            fail(f"--focus {focus!r} needs a letter or digit")
        return case_audit_id(self.command, start, focus)


def read_questions(path: Path | None) -> Any:
    """The theme's own questions from a CSV or JSON file; None: the CPR rubric's criteria."""
    from domain.case_audit import parse_questions
    from domain.files import FileError

    if path is None:
        return None
    try:
        return parse_questions(read_text(path), path.name)
    except FileError as exc:
        fail(str(exc))


# --- starting ----------------------------------------------------------------------------------


def start_audit(kind: AuditKind, request: Any, as_json: bool) -> None:
    """Start a case audit (infra.application.case_audits) and show it once its sample is recorded."""
    from infra.application.case_audits import check_sampling, start_audit
    from infra.cli.client import credentials, start_opened

    item_id = kind.item_id(request.start, request.focus)
    taken = (
        f"a {kind.noun} on {request.focus} starting {request.start.isoformat()} was already started:"
        f" {item_id} (see `qa {kind.command} show {item_id}`)"
    )
    if credentials() is None:  # on the host: the sample is checked against the snapshot first
        state = run(start_audit(kind.kind, kind.workflow(), request, item_id, taken))
    else:  # signed in: the server starts it, and the workflow draws (or refuses) the sample
        check_sampling(request)
        state = run(start_opened(kind.kind, kind.workflow(), request, item_id, taken=taken, refusable=False))
    emit_item(item_id, state, as_json, partial(_show, kind))


# --- the shared commands -----------------------------------------------------------------------


def add_commands(group: click.Group, kind: AuditKind) -> None:
    id_argument = click.argument("item_id", metavar=f"{kind.command.upper()}_ID")

    def update(item_id: str, name: str, request: Any) -> Any:
        return run(change(item_id, kind.kind, getattr(kind.workflow(), name), request))

    @group.command("allocate")
    @id_argument
    @click.argument("case_number")
    @click.option("--reviewer", required=True, help="Who answers the questions for the case (never its practitioner).")
    @AS_OPTION
    def allocate(item_id: str, case_number: str, reviewer: str, actor: str) -> None:
        """Allocate a reviewer to one case of the sample; they have until the window closes (a QA officer)."""
        from domain.case_audit import AllocateReviewer

        request = typed(
            AllocateReviewer,
            actor=person(actor),
            case_number=case_number.strip(),
            reviewer=person(reviewer, "--reviewer"),
        )
        state = update(item_id, "allocate", request)
        click.echo(f"{request.case_number}: {request.reviewer} answers by {when(state.closes_at)}")

    @group.command("reallocate")
    @id_argument
    @click.argument("case_number")
    @click.option("--reviewer", required=True, help="The new reviewer (never the case's practitioner).")
    @REALLOCATION_REASON
    @AS_OPTION
    def reallocate(item_id: str, case_number: str, reviewer: str, reason: str, actor: str) -> None:
        """Give a case not yet submitted another reviewer (a QA officer); its answers so far stay, both are told."""
        from domain.case_audit import ReallocateReviewer

        request = typed(
            ReallocateReviewer,
            actor=person(actor),
            case_number=case_number.strip(),
            reviewer=person(reviewer, "--reviewer"),
            reason=reason,
        )
        update(item_id, "reallocate", request)
        click.echo(f"{request.case_number}: now answered by {request.reviewer}")

    @group.command("answer")
    @id_argument
    @click.argument("case_number")
    @click.option("--answer", "answers", multiple=True, metavar="QUESTION=LEVEL", help=f"An answer; LEVEL {LEVELS}.")
    @click.option("--comment", "comments", multiple=True, metavar="QUESTION=TEXT", help="A comment on an answer.")
    @click.option("--all", "all_level", metavar="LEVEL", help="Answer LEVEL to every question not yet answered.")
    @AS_OPTION
    def answer(
        item_id: str,
        case_number: str,
        answers: tuple[str, ...],
        comments: tuple[str, ...],
        all_level: str | None,
        actor: str,
    ) -> None:
        """Record answers for a case allocated to you; a question answered again takes the newer answer."""
        from domain.case_audit import RecordAnswers

        case_number = case_number.strip()
        given = _pairs(answers, "--answer", "QUESTION=LEVEL (e.g. N1=clear)")
        notes = _pairs(comments, "--comment", "QUESTION=TEXT")
        levels = {question: _level(text, f"--answer {question}") for question, text in given.items()}
        if all_level is not None:
            rest = _level(all_level, "--all")
            state = run(recorded(kind.kind, item_id))
            case = state.case(case_number)
            if case is not None:
                levels |= {q: rest for q in state.unanswered(case) if q not in levels}
        if not levels:
            fail("give the answers: --answer QUESTION=LEVEL (repeated) or --all LEVEL")
        stray = [q for q in notes if q not in levels]
        if stray:
            fail(f"--comment {stray[0]} needs an --answer {stray[0]} in the same command")
        request = typed(
            RecordAnswers,
            actor=person(actor),
            case_number=case_number,
            answers=tuple(
                {"question_id": q, "evidence": level, "comment": notes.get(q)} for q, level in levels.items()
            ),
        )
        state = update(item_id, "answer", request)
        case = state.case(case_number)
        missing = state.unanswered(case)
        done = len(state.questions.ids) - len(missing)
        click.echo(f"{case_number}: {done} of {len(state.questions.ids)} questions answered")
        if missing:
            click.echo(f"  still to answer: {', '.join(missing[:8])}{', ...' if len(missing) > 8 else ''}")
        else:
            click.echo(f"  submit with `qa {kind.command} submit {item_id} {case_number} --as {request.actor}`")

    @group.command("voice")
    @id_argument
    @click.argument("case_number")
    @voice_options
    @AS_OPTION
    def voice(
        item_id: str, case_number: str, child: bool, family: bool, summary: str, not_obtained: bool, actor: str
    ) -> None:
        """Record the child's (--child) or family's (--family) voice for a case, when the audit asks for voices."""
        from domain.case_audit import RecordAnswers

        whose = whose_voice(child, family)
        request = typed(
            RecordAnswers,
            actor=person(actor),
            case_number=case_number.strip(),
            voices=({"whose": whose, "obtained": not not_obtained, "summary": summary},),
        )
        state = update(item_id, "answer", request)
        heard = sorted(state.case(request.case_number).voices)
        click.echo(f"{request.case_number}: the {whose}'s voice recorded; voices recorded: {', '.join(heard)}")

    @group.command("submit")
    @id_argument
    @click.argument("case_number")
    @AS_OPTION
    def submit(item_id: str, case_number: str, actor: str) -> None:
        """Submit a case's answers, every question answered (its reviewer)."""
        from domain.case_audit import SubmitCase

        request = typed(SubmitCase, actor=person(actor), case_number=case_number.strip())
        state = update(item_id, "submit", request)
        case = state.case(request.case_number)
        submitted = len(state.cases) - len(state.outstanding)
        click.echo(
            f"{request.case_number}: submitted{' late' if case.late else ''};"
            f" {submitted} of {len(state.cases)} cases submitted"
        )

    @group.command("show")
    @id_argument
    @JSON_OPTION
    def show_command(item_id: str, as_json: bool) -> None:
        """Where it stands: the window, the questions, each case's reviewer and answers, the findings."""
        show_item(item_id, kind.kind, as_json, partial(_show, kind))

    @group.command("publish")
    @id_argument
    @click.option("--key-findings", required=True, help="The key findings.")
    @click.option("--strengths", required=True, help="The areas of strength.")
    @click.option("--development", required=True, help="The areas for development.")
    @click.option("--recommendations", required=True, help="The recommendations.")
    @click.option("--voices", "voices_summary", help="What children and families said, if the review asked them.")
    @plan_options
    @AS_OPTION
    def publish(
        item_id: str,
        key_findings: str,
        strengths: str,
        development: str,
        recommendations: str,
        voices_summary: str | None,
        plan_id: str | None,
        actions_file: Path | None,
        actor: str,
    ) -> None:
        """Publish the findings (the QA team): the words are yours, the figures come from the answers."""
        from domain.cpr_cycle import PublishReport

        request = typed(
            PublishReport,
            actor=person(actor),
            key_findings=key_findings,
            strengths=strengths,
            areas_for_development=development,
            recommendations=recommendations,
            voices_summary=voices_summary,
            **plan_actions(plan_id, actions_file),
        )
        state = update(item_id, "publish", request)
        f = state.findings
        click.echo(f"{item_id}: findings published; {f.figures.submitted} of {f.figures.sampled} cases answered")
        echo_added(f.plan_id, f.plan_actions)


def _pairs(pairs: tuple[str, ...], option: str, shape: str) -> dict[str, str]:
    split: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip() or not value.strip():
            fail(f"{option} {pair!r} is not {shape}")
        if key.strip() in split:
            fail(f"{option} {key.strip()} is given twice")
        split[key.strip()] = value.strip()
    return split


def _level(text: str, what: str) -> Any:
    from domain.rubric import Evidence

    try:
        return Evidence(text.strip().casefold())
    except ValueError:
        fail(f"{what}: unknown level {text!r}: a level is {LEVELS}")


# --- output ------------------------------------------------------------------------------------


def _show(kind: AuditKind, item_id: str, state: Any) -> None:
    def line(label: str, text: str) -> None:
        click.echo(f"  {label:<11}{text}")

    click.echo(f"{item_id}: {kind.noun} on {state.focus}, started by {state.started_by}")
    line("phase", state.phase)
    line("window", f"{state.window} working days from {state.start.isoformat()}, closes {when(state.closes_at)}")
    line("questions", f"{len(state.questions.ids)} from {state.questions.source}")
    if state.draw is not None:
        d = state.draw
        line(
            "sample",
            f"{len(state.cases)} of {d.eligible_count} eligible cases of {state.service or 'every service'}"
            f" ({d.too_recent_count} supported under 4 weeks left out), seed {d.seed},"
            f" snapshot {state.snapshot_id}",
        )
    else:
        line("sample", f"{len(state.cases)} listed cases, snapshot {state.snapshot_id}")
    if state.findings is not None:
        f = state.findings
        plan = f"; actions {', '.join(f.plan_actions)} in {f.plan_id}" if f.plan_id else ""
        line("findings", f"published: {f.figures.submitted} of {f.figures.sampled} cases answered{plan}")
        from domain.review import voices_in_words

        for said in voices_in_words(f.figures.voices):
            line("voices", said)
    elif state.findings_due is not None:
        line("findings", f"due {when(state.findings_due.due_at)} from {state.findings_due.owner}")
    header = ("case", "practitioner", "team", "reviewer", "answered", "submitted")
    total = len(state.questions.ids)
    rows = [
        (
            c.case_number,
            c.practitioner,
            c.team,
            c.reviewer or "-",
            f"{total - len(state.unanswered(c))}/{total}",
            ("late" if c.late else "yes") if c.submitted else "-",
        )
        for c in state.cases
    ]
    table(header, rows)
