"""`qa review`: one child's Collaborative Practice Review, step by step.

Each person records their own part with `--as`: the reviewer the voices, the
conversation, the rubric, the grade, actions, safeguarding alerts and the
submission; the practitioner their reflection; the team manager each action's
completion; a QA officer an extension. The review workflow decides who may do
what and when; a refusal is one line that says why, and nothing is recorded.
"""

from __future__ import annotations

from typing import Any

import click

from infra.application.errors import typed
from infra.cli.client import change, recorded
from infra.cli.common import (
    AS_OPTION,
    JSON_OPTION,
    app,
    duty_line,
    emit,
    fail,
    parse_date,
    person,
    run,
    voice_options,
    when,
    whole_number,
    whose_voice,
)

ID_ARGUMENT = click.argument("review_id")
LEVELS = "clear, some or limited"


@app.group("review")
def review_app() -> None:
    """One child's CPR review: voices, reflection, conversation, rubric, grade, actions, submission."""


# --- reading ------------------------------------------------------------------------------------


@review_app.command("show")
@ID_ARGUMENT
@JSON_OPTION
def review_show(review_id: str, as_json: bool) -> None:
    """A review as it stands: who, when it is due, each step recorded so far and what is still needed."""
    from domain import review

    state = run(recorded(review.KIND, review_id))

    def human() -> None:
        _show(review_id, state)

    emit({"id": review_id, **state.model_dump(mode="json")}, as_json, human)


# --- the reviewer's and the practitioner's parts ------------------------------------------------


@review_app.command("voice")
@ID_ARGUMENT
@voice_options
@AS_OPTION
def review_voice(review_id: str, child: bool, family: bool, summary: str, not_obtained: bool, actor: str) -> None:
    """Record the voice of the child (--child) or of the family or carer (--family)."""
    from domain.review import RecordVoice

    whose = whose_voice(child, family)
    request = typed(RecordVoice, actor=person(actor), whose=whose, summary=summary, obtained=not not_obtained)
    state = _change(review_id, "record_voice", request)
    heard = "could not be obtained" if not_obtained else "was recorded"
    _done(review_id, state, f"the {whose}'s voice {heard}")


@review_app.command("reflect")
@ID_ARGUMENT
@click.option("--score", required=True, help="The practitioner's scaling score, 0 to 10.")
@click.option("--pleased-with", required=True, help="What the practitioner is pleased with.")
@click.option("--could-develop", required=True, help="What the practitioner could develop.")
@AS_OPTION
def review_reflect(review_id: str, score: str, pleased_with: str, could_develop: str, actor: str) -> None:
    """Record the practitioner's reflection (the allocated practitioner only)."""
    from domain.review import RecordReflection

    request = typed(
        RecordReflection,
        actor=person(actor),
        score=whole_number(score, "score"),
        pleased_with=pleased_with,
        could_develop=could_develop,
    )
    state = _change(review_id, "reflect", request)
    _done(review_id, state, f"{state.practitioner}'s reflection ({state.reflection.score}/10) was recorded")


@review_app.command("conversation")
@ID_ARGUMENT
@click.option("--summary", required=True, help="What reviewer and practitioner discussed and agreed.")
@AS_OPTION
def review_conversation(review_id: str, summary: str, actor: str) -> None:
    """Record the collaborative conversation between reviewer and practitioner."""
    from domain.review import RecordConversation

    state = _change(review_id, "record_conversation", typed(RecordConversation, actor=person(actor), summary=summary))
    _done(review_id, state, "the collaborative conversation was recorded")


@review_app.command("judge")
@ID_ARGUMENT
@click.argument("judgements", nargs=-1)
@click.option("--all", "all_level", metavar="LEVEL", help=f"Set every criterion not given to LEVEL ({LEVELS}).")
@AS_OPTION
def review_judge(review_id: str, judgements: tuple[str, ...], all_level: str | None, actor: str) -> None:
    """Record rubric evidence: CRITERION=LEVEL pairs such as assessment.3=clear (levels: clear, some, limited).

    Criteria are basic-information.1-6, assessment.1-9, planning-and-review.1-6 and
    management-oversight.1-5. A criterion judged again takes its newest level.
    """
    from domain.review import JudgeRubric

    given = parse_judgements(judgements, all_level)
    state = _change(review_id, "judge", typed(JudgeRubric, actor=person(actor), judgements=given))
    _done(review_id, state, f"rubric evidence for {len(given)} criteria was recorded")


@review_app.command("grade")
@ID_ARGUMENT
@click.option("--grade", "grade_text", required=True, help="Outstanding, Good, Requires Improvement or Inadequate.")
@click.option("--rationale", required=True, help="Why this grade.")
@AS_OPTION
def review_grade(review_id: str, grade_text: str, rationale: str, actor: str) -> None:
    """Record the final grade with its rationale."""
    from domain.review import GiveGrade
    from domain.rubric import Grade

    try:
        grade = Grade.parse(grade_text)
    except ValueError as exc:
        fail(str(exc))
    state = _change(review_id, "grade", typed(GiveGrade, actor=person(actor), grade=grade, rationale=rationale))
    _done(review_id, state, f"graded {grade.value}")


@review_app.command("conclude")
@ID_ARGUMENT
@click.option("--working-well", required=True, help="What is working well.")
@click.option("--differently", required=True, help="What could be done differently.")
@AS_OPTION
def review_conclude(review_id: str, working_well: str, differently: str, actor: str) -> None:
    """Record the review's conclusion (Appendix 2): what is working well, what could be done differently."""
    from domain.review import RecordConclusion

    request = typed(RecordConclusion, actor=person(actor), working_well=working_well, do_differently=differently)
    _done(review_id, _change(review_id, "conclude", request), "the conclusion was recorded")


@review_app.command("action")
@ID_ARGUMENT
@click.option("--action", "action", required=True, help="The recommended action, for supervision.")
@click.option("--by", "due_by", required=True, help="When it should be done, YYYY-MM-DD.")
@AS_OPTION
def review_action(review_id: str, action: str, due_by: str, actor: str) -> None:
    """Recommend an action; once the review is submitted the team manager records it complete."""
    from domain.review import RecommendAction

    request = typed(RecommendAction, actor=person(actor), action=action, due_by=parse_date(due_by, "--by date"))
    state = _change(review_id, "recommend_action", request)
    recorded = state.actions[-1]
    _done(review_id, state, f"action {recorded.action_id} was recommended, due by {recorded.due_by.isoformat()}")


@review_app.command("submit")
@ID_ARGUMENT
@AS_OPTION
def review_submit(review_id: str, actor: str) -> None:
    """Submit the review (every step recorded); its actions go to the team manager."""
    from domain.review import SubmitReview

    state = _change(review_id, "submit", typed(SubmitReview, actor=person(actor)))
    timing = "late" if state.late else "on time"
    _done(review_id, state, f"submitted {timing}, graded {state.grade.value}")


@review_app.command("alert")
@ID_ARGUMENT
@click.option("--concern", required=True, help="What needs immediate steps to keep the child safe.")
@AS_OPTION
def review_alert(review_id: str, concern: str, actor: str) -> None:
    """Raise a safeguarding alert about the review's child (`qa alert raise --from REVIEW_ID`): it reaches the team
    manager's and the head of service's inboxes at once, and their e-mail as soon as `qa deliver` sends it."""
    from infra.cli.alert import raise_alert

    raise_alert(review_id, None, concern, person(actor))


@review_app.command("extend")
@ID_ARGUMENT
@click.option("--days", required=True, help="Extra working days (1 to 20).")
@click.option("--reason", required=True, help="Why the review needs longer.")
@AS_OPTION
def review_extend(review_id: str, days: str, reason: str, actor: str) -> None:
    """Extend a review's deadline by some working days (a QA officer); reminders and escalations follow."""
    from domain.review import ExtendReview

    request = typed(
        ExtendReview, actor=person(actor), extra_working_days=whole_number(days, "working days"), reason=reason
    )
    state = _change(review_id, "extend", request)
    _done(review_id, state, f"extended by {request.extra_working_days} working days; now due {when(state.due_at)}")


@review_app.command("reflection-not-obtained")
@ID_ARGUMENT
@click.option("--reason", required=True, help="Why the practitioner's reflection cannot be obtained.")
@AS_OPTION
def review_reflection_not_obtained(review_id: str, reason: str, actor: str) -> None:
    """Record that the practitioner's reflection cannot be obtained (the team manager or the QA team): the review
    goes on without it, and the practitioner is no longer chased for it."""
    from domain.review import RecordReflectionNotObtained

    request = typed(RecordReflectionNotObtained, actor=person(actor), reason=reason)
    state = _change(review_id, "reflection_not_obtained", request)
    _done(review_id, state, "the reflection is recorded as not obtained")


# --- the team manager's part --------------------------------------------------------------------


@review_app.command("complete-action")
@ID_ARGUMENT
@click.argument("action_id")
@click.option("--note", required=True, help="The management oversight note.")
@AS_OPTION
def review_complete_action(review_id: str, action_id: str, note: str, actor: str) -> None:
    """Record a recommended action complete (the team manager, after submission)."""
    from domain.review import CompleteAction

    request = typed(CompleteAction, actor=person(actor), action_id=action_id.strip().upper(), oversight_note=note)
    state = _change(review_id, "complete_action", request)
    _done(review_id, state, f"action {request.action_id} was recorded complete")


# --- helpers ------------------------------------------------------------------------------------


def parse_judgements(pairs: tuple[str, ...], all_level: str | None) -> dict[str, Any]:
    """CRITERION=LEVEL pairs (and --all LEVEL for the rest) as rubric judgements; bad ids or levels are one line."""
    from domain.rubric import CRITERION_IDS, Evidence

    def level(text: str) -> Evidence | None:
        try:
            return Evidence(text.strip().casefold())
        except ValueError:
            return None

    malformed = [p for p in pairs if p.count("=") != 1 or not all(part.strip() for part in p.split("="))]
    if malformed:
        fail(f"{malformed[0]!r} is not CRITERION=LEVEL (e.g. assessment.3=clear)")
    split = [tuple(part.strip() for part in p.split("=")) for p in pairs]
    unknown = sorted({c for c, _ in split if c not in CRITERION_IDS})
    if unknown:
        fail(
            f"unknown rubric criteria {', '.join(unknown)}: ids are basic-information.1-6, assessment.1-9,"
            " planning-and-review.1-6, management-oversight.1-5"
        )
    bad = [f"{c}={text}" for c, text in split if level(text) is None]
    if bad:
        fail(f"unknown evidence level in {', '.join(bad)}: a level is {LEVELS}")
    judgements: dict[str, Evidence] = {}
    for criterion, text in split:
        if criterion in judgements and judgements[criterion] != level(text):
            fail(f"{criterion} is given two different levels")
        judgements[criterion] = level(text)  # type: ignore[assignment]
    if all_level is not None:
        rest = level(all_level)
        if rest is None:
            fail(f"unknown evidence level {all_level!r} for --all: a level is {LEVELS}")
        judgements = {**dict.fromkeys(CRITERION_IDS - judgements.keys(), rest), **judgements}
    if not judgements:
        fail("give CRITERION=LEVEL pairs (e.g. assessment.3=clear), or --all LEVEL")
    return judgements


def _change(review_id: str, update_name: str, request) -> Any:  # type: ignore[no-untyped-def]
    from domain import review
    from workflows.review import ReviewWorkflow

    return run(change(review_id, review.KIND, getattr(ReviewWorkflow, update_name), request))


def _next(state) -> str:  # type: ignore[no-untyped-def]
    if state.status in ("open", "overdue"):
        needed = state.still_needed
        return f"still needed: {'; '.join(needed)}" if needed else f"ready to submit (by {state.reviewer})"
    if state.open_actions:
        ids = ", ".join(a.action_id for a in state.open_actions)
        return f"open actions {ids}: {state.team_manager} records each one complete"
    return "no open actions: the review closes" if state.status == "submitted" else "closed"


def _done(review_id: str, state, what: str) -> None:  # type: ignore[no-untyped-def]
    click.echo(f"{review_id}: {what}")
    click.echo(f"  {_next(state)}")


def _show(review_id: str, s) -> None:  # type: ignore[no-untyped-def]
    def line(label: str, text: str) -> None:
        click.echo(f"  {label:<16}{text}")

    click.echo(f"{review_id}: case {s.case_number}, {s.service}, team {s.team}")
    line("cycle", s.cycle_id)
    line("reviewer", s.reviewer)
    line("practitioner", s.practitioner)
    line("managers", f"team manager {s.team_manager}, head of service {s.head_of_service}")
    status = s.status + (" (late)" if s.late else "")
    if s.escalation_level:
        status += f", escalated to level {s.escalation_level}"
    line("status", status)
    line("due", when(s.due_at))
    for d in s.duties:  # the reviewer's and the practitioner's parts (reviews opened before chase as one)
        line(f"{d.key} duty", duty_line(d))
    for reason in s.extensions:
        line("extended", reason)
    for whose in ("child", "family"):
        voice = s.voices.get(whose)
        if voice is not None:
            heard = "" if voice.obtained else "not obtained: "
            line(f"{whose}'s voice", f"{heard}{voice.summary}")
    if s.reflection is not None:
        r = s.reflection
        line("reflection", f"{r.score}/10; pleased with: {r.pleased_with}; could develop: {r.could_develop}")
    if s.conversation is not None:
        line("conversation", s.conversation)
    if s.judgements:
        counts = {level: sum(1 for v in s.judgements.values() if v.value == level) for level in ("clear", "some")}
        limited = len(s.judgements) - sum(counts.values())
        judged = f"{len(s.judgements)} of {len(s.judgements) + len(s.missing_criteria)} criteria judged"
        line("rubric", f"{judged}: {counts['clear']} clear, {counts['some']} some, {limited} limited")
    if s.grade is not None:
        line("grade", f"{s.grade.value}: {s.rationale}")
    for a in s.actions:
        done = (
            f"done by {a.completed_by} on {a.completed_at.date().isoformat()}: {a.oversight_note}"
            if a.completed_at
            else "open"
        )
        line(f"action {a.action_id}", f"{a.action} (by {a.due_by.isoformat()}; {done})")
    for alert in s.alerts:
        line(
            f"ALERT {alert.alert_id}",
            f"{alert.concern} (raised by {alert.raised_by} {when(alert.raised_at)}; in the inboxes of"
            f" {', '.join(alert.notified)})",
        )
    if s.submitted_at is not None:
        line("submitted", when(s.submitted_at))
    line("next", _next(s))
