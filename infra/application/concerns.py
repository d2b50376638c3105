"""Practice concerns about staff: raised with their line manager, read only by those allowed, never on a child's record.

A concern is its own workflow and its own restricted audit stream (`concern-<uuid>`).
Raising one checks the people against the staff directory (and the review it arose
from, if given) before anything starts. Reading one is for those
`domain.staff_concern.may_read` allows, and every read, allowed or refused, is
written to the access log first, as an auditor's read of any record is.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from pydantic import BaseModel

from domain.staff_concern import ConcernState
from infra.application.commands import command
from infra.application.errors import AppError, typed
from infra.application.items import change, start_opened
from infra.application.services import database, temporal_client, temporal_failed

T = TypeVar("T")


async def check_people(directory, request) -> str:  # type: ignore[no-untyped-def]
    """The manager the concern would go to; AppError (exit 1) if the directory refuses it."""
    from domain.errors import Refusal
    from domain.staff_concern import check_raise

    about = await directory.staff_member(request.about)
    chain = await directory.management_chain(request.about)
    raiser = await directory.staff_member(request.raised_by)
    try:
        return check_raise(request, about, chain, raiser)
    except Refusal as exc:
        raise AppError(f"refused: {exc}") from None


async def check_review(client, review_id: str) -> None:  # type: ignore[no-untyped-def]
    """The review a concern arose from must exist; only described, so its history gains nothing."""
    from temporalio.service import RPCError, RPCStatusCode

    from domain import review

    try:
        description = await client.get_workflow_handle(review_id).describe()
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            raise AppError(f"refused: there is no review {review_id!r}") from None
        raise temporal_failed(exc) from None
    if description.workflow_type != review.KIND.workflow_type:
        raise AppError(f"refused: {review_id!r} is not a review")


class Concern(BaseModel):
    about: str  # the member of staff it is about
    concern: str
    context: str | None = None  # the review it arose from, if any


class Response(BaseModel):
    concern_id: str
    response: str


class ConcernId(BaseModel):
    concern_id: str


@command("concern.raise", changes=True)
async def raise_concern(ask: Concern, actor: str) -> str:
    """Raise a concern with the line manager of the person it is about, as `actor`; its id once it is recorded."""
    import uuid

    from domain import staff_concern
    from domain.staff_concern import RaiseConcern
    from workflows.staff_concern import StaffConcernWorkflow

    request = typed(RaiseConcern, about=ask.about, raised_by=actor, concern=ask.concern, context=ask.context)

    await _with_directory(lambda directory, _log: check_people(directory, request))
    if request.context is not None:
        await check_review(await temporal_client(), request.context)
    concern_id = f"concern-{uuid.uuid4()}"
    await start_opened(
        staff_concern.KIND, StaffConcernWorkflow, request, concern_id, taken=f"{concern_id} is already taken: try again"
    )
    return concern_id


@command("concern.respond", changes=True)
async def respond(ask: Response, actor: str) -> ConcernState:
    """Record, as `actor`, the manager it was raised with, what was done about a concern; this closes it."""
    from domain import staff_concern
    from domain.errors import Refusal
    from domain.staff_concern import RespondToConcern, check_respond
    from infra.application.directory import require
    from workflows.staff_concern import StaffConcernWorkflow

    await require("concern.respond", actor)
    concern_id = ask.concern_id
    request = typed(RespondToConcern, actor=actor, response=ask.response)
    state = await _with_directory(lambda _directory, log: _recorded(log, concern_id))
    try:
        # A responded concern's workflow has ended: say why here, as its validator would.
        check_respond(state, request)
    except Refusal as exc:
        raise AppError(f"refused: {exc}") from None
    return await change(concern_id, staff_concern.KIND, StaffConcernWorkflow.respond, request)


@command("concern.show")
async def read(ask: ConcernId, reader: str) -> ConcernState:
    """The concern, if `reader` may read it; the read (or its refusal) is in the access log first."""
    concern_id = ask.concern_id
    from domain.staff_concern import may_read, reading_refused
    from infra.store.access_log import AccessLog
    from infra.store.audit_log import AuditLog
    from infra.store.directory import Directory

    async with database() as pool:
        log = AuditLog(pool)
        directory = Directory(pool, log)
        access = AccessLog(pool)
        member = await directory.staff_member(reader)
        try:
            state = await _recorded(log, concern_id)
        except AppError as missing:
            await access.record(reader, concern_id, "concern show", False, "no concern with this id")
            raise missing
        allowed = (
            member is not None
            and member.active
            and may_read(member, state, await directory.management_chain(state.manager))
        )
        await access.record(reader, concern_id, "concern show", allowed, "" if allowed else "not one who may read it")
    if not allowed:
        raise AppError(f"refused: {reading_refused(concern_id)}")
    return state


async def _recorded(log, concern_id: str):  # type: ignore[no-untyped-def]
    """The concern as its own stream holds it: the same fold the workflow's state is."""
    from domain.events import fold
    from domain.staff_concern import CONCERN_EVENTS, evolve

    events = await log.read_stream(concern_id)
    if not events:
        raise AppError(f"no concern with id {concern_id!r} (one raised a moment ago may still be being recorded)")
    return fold(evolve, CONCERN_EVENTS, events)


async def _with_directory(use: Callable[[Any, Any], Awaitable[T]]) -> T:
    from infra.store.audit_log import AuditLog
    from infra.store.directory import Directory

    async with database() as pool:
        log = AuditLog(pool)
        return await use(Directory(pool, log), log)
