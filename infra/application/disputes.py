"""Disputes about a review: raise one from its recorded review, and record each stage.

Every change is checked against the dispute as its audit stream records it before the
workflow is asked, so a refusal is the rule's own one line and nothing is recorded.
A stage decided "not resolved" is passed on by the workflow; the change waits a moment
for that, so what it returns already shows the next stage.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel, Field

from domain.dispute import DEFAULT_WINDOW, MAX_WINDOW, DisputeState
from infra.application.commands import command
from infra.application.directory import require
from infra.application.errors import AppError, IdTaken, typed
from infra.application.items import change, start_opened
from infra.application.services import database

OPEN_WAIT_SECONDS = 10.0  # for a dispute just raised to record its opening
MOVE_ON_WAIT_SECONDS = 5.0  # for a stage decided "not resolved" to be passed to the next
ABOUT = ("actions", "judgement", "opinion")
RAISE_ATTEMPTS = 20  # numbers tried for a dispute raised while others are


async def _stream(stream_id: str) -> list:  # type: ignore[type-arg]
    from infra.store.audit_log import AuditLog

    async with database() as pool:
        return await AuditLog(pool).read_stream(stream_id)


class Raising(BaseModel):
    review_id: str
    about: Literal["actions", "judgement", "opinion"]
    issues: str
    window_working_days: int = Field(default=DEFAULT_WINDOW, ge=1, le=MAX_WINDOW)  # each stage's


class DisputeId(BaseModel):
    dispute_id: str


class Step(BaseModel):
    """One stage's step on a dispute, by its people: its values, less `actor` (the person asking)."""

    dispute_id: str
    step: Literal["conversation", "allocate_moderator", "reallocate_moderator", "record_moderation", "record_decision"]
    stage: Literal["reviewer_practitioner", "moderator"] | None = None  # a conversation's: None, whichever it is at
    values: dict[str, Any]


class Recorded(BaseModel):
    stage: str  # the stage the step was recorded at
    state: DisputeState  # the dispute after it (a stage decided "not resolved" already passed on)


@command("dispute.raise", changes=True)
async def raise_by(ask: Raising, actor: str) -> str:
    """Raise a dispute about a graded review, as `actor`, its reviewer or practitioner; its id."""
    return await raise_dispute(ask.review_id, ask.about, ask.issues, ask.window_working_days, actor)


@command("dispute.show")
async def show(ask: DisputeId, reader: str) -> DisputeState:
    """The dispute, for `reader` to do their part in it: the access rule's, and the read is logged."""
    from domain import dispute
    from infra.application.items import read

    kind, state = await read(ask.dispute_id, reader)
    if kind is not dispute.KIND:
        raise AppError(f"{ask.dispute_id} is not a dispute")
    return state


@command("dispute.step", changes=True)
async def take_step(ask: Step, actor: str) -> Recorded:
    """Record a stage's step as `actor`: refused, with nothing recorded, unless the table of action x role
    lets them in and the dispute as recorded allows it."""
    from domain import dispute
    from workflows.dispute import DisputeWorkflow

    values = {**ask.values, "actor": actor}
    if ask.step == "conversation":
        at, state = await record_conversation(ask.dispute_id, ask.stage, values)
        return Recorded(stage=at, state=state)
    update, request_type, rule = {
        "allocate_moderator": (DisputeWorkflow.allocate_moderator, dispute.AllocateModerator, dispute.check_allocation),
        "reallocate_moderator": (
            DisputeWorkflow.reallocate_moderator,
            dispute.ReallocateModerator,
            dispute.check_reallocation,
        ),
        "record_moderation": (DisputeWorkflow.record_moderation, dispute.RecordModeration, dispute.check_moderation),
        "record_decision": (DisputeWorkflow.record_decision, dispute.RecordDecision, dispute.check_decision),
    }[ask.step]
    await require(f"dispute.{ask.step}", actor)
    state = await change_checked(ask.dispute_id, update, rule, typed(request_type, **values))
    return Recorded(stage=state.stage, state=state)


async def recorded(dispute_id: str):  # type: ignore[no-untyped-def]
    """The dispute as its own audit stream holds it: the same fold the workflow's state is."""
    from domain import dispute
    from domain.events import fold

    events = await _stream(dispute_id)
    if not events:
        raise AppError(f"no dispute with id {dispute_id!r}")
    if events[0].event_type != dispute.DisputeRaised.event_type:
        raise AppError(f"{dispute_id} is not a dispute")
    return fold(dispute.evolve, dispute.DISPUTE_EVENTS, events)


async def raise_dispute(review_id: str, about: str, issues: str, days: int, actor: str) -> str:
    """Start a dispute about a graded review by its reviewer or practitioner; its id once stage 1 is open."""
    from domain import dispute, review
    from domain.events import fold
    from workflows.dispute import DisputeInput, DisputeWorkflow

    events = await _stream(review_id)
    if not events:
        raise AppError(f"no review with id {review_id!r}")
    if events[0].event_type != review.ReviewOpened.event_type:
        raise AppError(f"{review_id} is not a review")
    state = fold(review.evolve, review.REVIEW_EVENTS, events)
    problem = dispute.review_problem(state, review_id, actor, issues)  # the workflow checks it again
    if problem is not None:
        raise AppError(f"refused: {problem}")
    request = typed(
        DisputeInput,
        review_id=review_id,
        case_number=state.case_number,
        reviewer=state.reviewer,
        practitioner=state.practitioner,
        raised_by=actor,
        about=about,
        issues=issues,
        window_working_days=days,
    )
    # Raised at the same moment by both people, each dispute takes the next free number: one
    # taken (perhaps by a start not yet recorded) moves this one on to the number after it.
    number = 0
    for _ in range(RAISE_ATTEMPTS):
        number = max(await _disputes_of(review_id), number) + 1
        new_id = dispute.dispute_id(review_id, number)
        try:
            await start_opened(
                dispute.KIND, DisputeWorkflow, request, new_id, taken=new_id, wait_seconds=OPEN_WAIT_SECONDS
            )
            break
        except IdTaken:
            continue
    else:
        raise AppError(f"refused: {review_id} has disputes being raised faster than they can be numbered; try again")
    return new_id


async def _disputes_of(review_id: str) -> int:
    """How many disputes the audit log holds about `review_id` (streams `<review_id>-dispute-<n>`)."""
    from infra.store.audit_log import AuditLog

    prefix = f"{review_id}-dispute-"
    async with database() as pool:
        streams = await AuditLog(pool).streams_starting(prefix)
    return sum(1 for stream_id in streams if stream_id.removeprefix(prefix).isdigit())


async def record_conversation(dispute_id: str, stage: str | None, values: dict[str, Any]):  # type: ignore[no-untyped-def]
    """Stage 1's conversation or stage 2's three-way one; `stage` None: whichever the dispute is at.

    Returns the stage it was recorded at and the dispute after it.
    """
    from domain import dispute
    from workflows.dispute import DisputeWorkflow

    at = stage
    if at is None:
        state = await recorded(dispute_id)
        if state.status == "open" and state.stage in dispute.FINAL_STAGES:
            raise AppError(
                f"refused: {dispute.stage_label(state.stage)} ends with the final decision, not a conversation:"
                " record it with `qa dispute decide`"
            )
        # A closed dispute: the conversation's rule says so in its own words.
        at = state.stage if state.status == "open" else "reviewer_practitioner"
    await require(
        "dispute.record_conversation" if at == "reviewer_practitioner" else "dispute.record_three_way", values["actor"]
    )
    if at == "reviewer_practitioner":
        request = typed(dispute.RecordConversation, **values)
        state = await change_checked(
            dispute_id, DisputeWorkflow.record_conversation, dispute.check_conversation, request
        )
    else:
        request = typed(dispute.RecordThreeWay, **values)
        state = await change_checked(dispute_id, DisputeWorkflow.record_three_way, dispute.check_three_way, request)
    return at, state


async def change_checked(dispute_id: str, update, rule: Callable[[Any, Any], None], request):  # type: ignore[no-untyped-def]
    """Check `rule` against the recorded dispute, then send the update; wait for a "not resolved" to move on."""
    from domain import dispute
    from domain.errors import Refusal

    state = await recorded(dispute_id)
    try:
        rule(state, request)
    except Refusal as exc:
        raise AppError(f"refused: {exc}") from None
    state = await change(dispute_id, dispute.KIND, update, request)
    return await _moved_on(dispute_id, state)


async def _moved_on(dispute_id: str, state):  # type: ignore[no-untyped-def]
    """A stage just decided "not resolved" is passed on by the workflow: wait briefly for the next stage."""
    if state.status != "open" or state.current is None or state.current.decision != "not_resolved":
        return state
    left = len(state.stages)
    loop = asyncio.get_running_loop()
    give_up = loop.time() + MOVE_ON_WAIT_SECONDS
    while loop.time() < give_up:
        await asyncio.sleep(0.1)
        newer = await recorded(dispute_id)
        if len(newer.stages) > left:
            return newer
    return state
