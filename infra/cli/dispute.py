"""`qa dispute`: a dispute about a review's actions, judgement or opinion, up the ladder stage by stage.

A dispute is raised from a review by its reviewer or practitioner, once the review
is graded. `raise` reads the review from its audit stream (so it works after the
review has closed) and starts the dispute as `<review_id>-dispute-<n>`. Each stage
is then recorded by its own people with `--as`: the reviewer and practitioner's
conversation (stage 1); a QA officer allocates an independent moderator, who
moderates and holds a three-way conversation (stage 2); the Head of QA, or the
principal social worker, decides (stage 3). A stage decided "not resolved", or
whose window passes, moves on by itself. `escalate` and `resolve` record the
current stage's conversation with that decision. Every command checks the
dispute's recorded state first, so a refusal is the workflow's own one line, and
nothing is recorded.
"""

from __future__ import annotations

import re

import click

from infra.cli.client import perform
from infra.cli.common import (
    AS_OPTION,
    JSON_OPTION,
    READER_OPTION,
    REALLOCATION_REASON,
    app,
    duty_line,
    emit,
    fail,
    person,
    run,
    when,
    whole_number,
)

ID_ARGUMENT = click.argument("dispute_id")
ISSUES_OPTION = click.option("--issues", required=True, help="The issues discussed (or in disagreement).")
OUTCOME_OPTION = click.option("--outcome", required=True, help="What was agreed, or where disagreement continues.")
DECISION_OPTION = click.option("--decision", "decision", required=True, help="resolved or not-resolved.")


@app.group("dispute")
def dispute_app() -> None:
    """Disputes about a review: raise one, record each stage, see where it stands."""


# --- raising ------------------------------------------------------------------------------------


@dispute_app.command("raise")
@click.argument("review_id")
@click.option("--about", "about", required=True, help="What is disputed: actions, judgement or opinion.")
@click.option("--issues", required=True, help="The issues in dispute.")
@click.option("--window", "window", default=None, help="Working days each stage has (default 10, at most 60).")
@AS_OPTION
def dispute_raise(review_id: str, about: str, issues: str, window: str | None, actor: str) -> None:
    """Raise a dispute about a graded review (its reviewer or practitioner); prints the dispute's id.

    Stage 1, the reviewer and practitioner's conversation, opens at once.
    """
    from domain.dispute import DEFAULT_WINDOW, MAX_WINDOW
    from infra.application.disputes import ABOUT

    kind = about.strip().casefold()
    if kind not in ABOUT:
        fail(f"unknown --about {about!r}: a dispute is about the reviewer's actions, judgement or opinion")
    days = DEFAULT_WINDOW if window is None else whole_number(window, "--window")
    if not 1 <= days <= MAX_WINDOW:
        fail(f"--window is 1 to {MAX_WINDOW} working days, not {days}")
    ask = {"review_id": review_id.strip(), "about": kind, "issues": issues.strip(), "window_working_days": days}
    click.echo(run(perform("dispute.raise", actor, **ask)))


# --- reading ------------------------------------------------------------------------------------


@dispute_app.command("show")
@ID_ARGUMENT
@READER_OPTION
@JSON_OPTION
def dispute_show(dispute_id: str, actor: str, as_json: bool) -> None:
    """A dispute as its audit stream records it: its stage, owners, due moment and each stage's decisions
    (for the staff it names, their managers, the QA team and auditors; each read is logged)."""
    state = run(perform("dispute.show", actor, dispute_id=dispute_id))
    emit({"id": dispute_id, **state.model_dump(mode="json")}, as_json, lambda: _show(dispute_id, state))


# --- stage 1: the reviewer and the practitioner -------------------------------------------------


@dispute_app.command("record")
@ID_ARGUMENT
@ISSUES_OPTION
@DECISION_OPTION
@OUTCOME_OPTION
@AS_OPTION
def dispute_record(dispute_id: str, issues: str, decision: str, outcome: str, actor: str) -> None:
    """Stage 1: the reviewer or practitioner records their conversation; not-resolved passes it to stage 2."""
    _conversation(dispute_id, "reviewer_practitioner", issues, parse_decision(decision), outcome, actor)


# --- stage 2: the independent moderator ---------------------------------------------------------


@dispute_app.command("allocate")
@ID_ARGUMENT
@click.option("--moderator", required=True, help="The independent moderator (neither reviewer nor practitioner).")
@AS_OPTION
def dispute_allocate(dispute_id: str, moderator: str, actor: str) -> None:
    """Stage 2: a QA officer allocates an independent moderator; the stage's window restarts."""
    moderator = person(moderator, "--moderator")
    state = _step(dispute_id, "allocate_moderator", {"moderator": moderator}, actor)
    _done(dispute_id, state, f"{moderator} was allocated as the independent moderator")


@dispute_app.command("reallocate")
@ID_ARGUMENT
@click.option("--moderator", required=True, help="The new independent moderator.")
@REALLOCATION_REASON
@AS_OPTION
def dispute_reallocate(dispute_id: str, moderator: str, reason: str, actor: str) -> None:
    """Stage 2: a QA officer gives the dispute another moderator; the window restarts and they moderate afresh."""
    moderator = person(moderator, "--moderator")
    state = _step(dispute_id, "reallocate_moderator", {"moderator": moderator, "reason": reason}, actor)
    _done(dispute_id, state, f"{moderator} now moderates the dispute")


@dispute_app.command("moderate")
@ID_ARGUMENT
@click.option("--moderation", required=True, help="The moderator's independent view of the review.")
@AS_OPTION
def dispute_moderate(dispute_id: str, moderation: str, actor: str) -> None:
    """Stage 2: the moderator records their independent moderation, before the three-way conversation."""
    state = _step(dispute_id, "record_moderation", {"moderation": moderation.strip()}, actor)
    _done(dispute_id, state, "the independent moderation was recorded")


@dispute_app.command("three-way")
@ID_ARGUMENT
@ISSUES_OPTION
@DECISION_OPTION
@OUTCOME_OPTION
@AS_OPTION
def dispute_three_way(dispute_id: str, issues: str, decision: str, outcome: str, actor: str) -> None:
    """Stage 2: the moderator records the three-way conversation; not-resolved passes it to stage 3."""
    _conversation(dispute_id, "moderator", issues, parse_decision(decision), outcome, actor)


# --- stage 3: the final decision ----------------------------------------------------------------


@dispute_app.command("decide")
@ID_ARGUMENT
@ISSUES_OPTION
@click.option("--decision", required=True, help="The decision, which is final.")
@click.option(
    "--grade",
    "grade_text",
    help="The grade of record the decision sets (a dispute about the judgement): Outstanding, Good, Requires"
    " Improvement or Inadequate. Left out, the grade stands as moderated.",
)
@AS_OPTION
def dispute_decide(dispute_id: str, issues: str, decision: str, grade_text: str | None, actor: str) -> None:
    """Stage 3: the Head of QA (or the principal social worker) records the final decision."""
    from domain.rubric import Grade

    values = {"issues": issues.strip(), "decision": decision.strip()}
    if grade_text is not None:
        try:
            values["grade"] = Grade.parse(grade_text).value
        except ValueError as exc:
            fail(f"--grade: {exc}")
    state = _step(dispute_id, "record_decision", values, actor)
    _done(
        dispute_id,
        state,
        f"final decision recorded by {actor}" + (f"; grade of record {state.grade.value}" if state.grade else ""),
    )


# --- the words of the ladder: escalate and resolve ----------------------------------------------


@dispute_app.command("escalate")
@ID_ARGUMENT
@ISSUES_OPTION
@OUTCOME_OPTION
@AS_OPTION
def dispute_escalate(dispute_id: str, issues: str, outcome: str, actor: str) -> None:
    """Record the current stage's conversation as not resolved (`record` or `three-way`), passing it on."""
    _conversation(dispute_id, None, issues, "not_resolved", outcome, actor)


@dispute_app.command("resolve")
@ID_ARGUMENT
@ISSUES_OPTION
@OUTCOME_OPTION
@AS_OPTION
def dispute_resolve(dispute_id: str, issues: str, outcome: str, actor: str) -> None:
    """Record the current stage's conversation as resolved (`record` or `three-way`), closing the dispute."""
    _conversation(dispute_id, None, issues, "resolved", outcome, actor)


# --- helpers ------------------------------------------------------------------------------------


def parse_decision(text: str) -> str:
    """'resolved' or 'not_resolved' from resolved, not-resolved, "not resolved" or not_resolved."""
    key = re.sub(r"[\s_-]+", "_", text.strip().casefold())
    if key not in ("resolved", "not_resolved"):
        fail(f"unknown --decision {text!r}: expected resolved or not-resolved")
    return key


def _conversation(dispute_id: str, stage: str | None, issues: str, decision: str, outcome: str, actor: str) -> None:
    """Stage 1's conversation or stage 2's three-way one; `stage` None: whichever the dispute is at."""
    from domain import dispute

    values = {"issues": issues.strip(), "decision": decision, "outcome": outcome.strip()}
    done = run(perform("dispute.step", actor, dispute_id=dispute_id, step="conversation", stage=stage, values=values))
    at, state = done.stage, done.state
    what = "conversation" if at == "reviewer_practitioner" else "three-way conversation"
    outcome_text = decision.replace("_", " ")
    _done(dispute_id, state, f"the {what} at {dispute.stage_label(at)} was recorded: {outcome_text}")


def _step(dispute_id: str, step: str, values: dict[str, str], actor: str):  # type: ignore[no-untyped-def]
    """A stage's step other than a conversation; the dispute after it."""
    return run(perform("dispute.step", actor, dispute_id=dispute_id, step=step, values=values)).state


# --- output -------------------------------------------------------------------------------------


def _next(state) -> str:  # type: ignore[no-untyped-def]
    """Where the dispute stands and who acts next."""
    from domain.dispute import stage_label

    current = state.current
    label = stage_label(current.stage)
    if state.status == "resolved":
        return f"resolved at {label}: the dispute is closed"
    if state.status == "decided":
        return f"decided by {current.decided_by} at {label}: the dispute is closed"
    if current.decision is not None:
        return f"{label} was not resolved: the dispute is being passed to the next stage"
    due = f"due {when(current.due_at)}" + (", OVERDUE" if current.overdue else "")
    match current.stage:
        case "reviewer_practitioner":
            who = f"{state.reviewer} and {state.practitioner} record their conversation (`qa dispute record`)"
        case "moderator" if current.moderator is None:
            who = f"a QA officer ({', '.join(current.owners)}) allocates an independent moderator"
        case "moderator" if current.moderation is None:
            who = f"{current.moderator} records an independent moderation (`qa dispute moderate`)"
        case "moderator":
            who = f"{current.moderator} records the three-way conversation (`qa dispute three-way`)"
        case _:
            who = f"{' or '.join(current.owners)} records the final decision (`qa dispute decide`)"
    return f"at {label}: {who}, {due}"


def _done(dispute_id: str, state, what: str) -> None:  # type: ignore[no-untyped-def]
    click.echo(f"{dispute_id}: {what}")
    click.echo(f"  {_next(state)}")


def _show(dispute_id: str, s) -> None:  # type: ignore[no-untyped-def]
    from domain.dispute import stage_label

    def line(label: str, text: str, indent: int = 2) -> None:
        click.echo(f"{' ' * indent}{label:<14}{text}")

    click.echo(f"{dispute_id}: a dispute about the reviewer's {s.about} in review {s.review_id}")
    line("case", s.case_number)
    line("reviewer", s.reviewer)
    line("practitioner", s.practitioner)
    line("raised", f"by {s.raised_by}, {when(s.raised_at)}")
    line("issues", s.issues)
    line("status", s.status + (f", {when(s.closed_at)}" if s.closed_at else ""))
    current = s.current
    if current is not None:
        line("stage", stage_label(current.stage))
        if s.status == "open":
            line("owners", ", ".join(current.owners))
            late = current.overdue or any(d.overdue for d in s.duties if d.key in s.stage_duties(current.stage))
            line("due", when(current.due_at) + (" (OVERDUE)" if late else ""))
        line("next", _next(s))
    for stage in s.stages:
        click.echo(f"  {stage_label(stage.stage)}: opened {when(stage.opened_at)}, owners {', '.join(stage.owners)}")
        if stage.note:
            line("why", stage.note, 4)
        if stage.reminded:
            line("reminded", "the owners were reminded", 4)
        for d in s.duties:  # each owner's duty at the stage (disputes raised before have none)
            if d.key.startswith(f"stage-{stage.number}-"):
                line("duty", duty_line(d), 4)
        if stage.moderator is not None:
            line("moderator", f"{stage.moderator}, allocated by {stage.allocated_by} {when(stage.allocated_at)}", 4)
        if stage.moderation is not None:
            line("moderation", f"{stage.moderation} ({when(stage.moderated_at)})", 4)
        if stage.decision is not None:
            line("issues", stage.issues or "", 4)
            decision = "final" if stage.decision == "final" else stage.decision.replace("_", " ")
            line("decision", f"{decision}, by {stage.decided_by} {when(stage.decided_at)}", 4)
            line("outcome", stage.outcome or "", 4)
        if stage.overdue:
            line("overdue", f"its window closed {when(stage.due_at)} with no decision", 4)
        if stage.escalation_reason is not None:
            line("passed on", f"{stage.escalation_reason}, {when(stage.escalated_at)}", 4)
