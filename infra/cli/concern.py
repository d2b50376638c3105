"""`qa concern`: practice concerns about staff, raised with their line manager and kept off any child's record.

A concern is its own workflow and its own restricted audit stream (`concern-<uuid>`).
`raise` checks the people against the staff directory (and the review it arose
from, if given) before anything starts; `show` reads the concern's own stream and
shows it only to those `domain.staff_concern.may_read` allows.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import click

from infra.cli.common import (
    JSON_OPTION,
    CliError,
    app,
    change,
    database,
    emit,
    fail,
    model,
    run,
    settings,
    temporal_client,
)

T = TypeVar("T")


@app.group("concern")
def concern_app() -> None:
    """Practice concerns about staff: raised with their line manager, never on a child's review record."""


@concern_app.command("raise")
@click.option("--about", required=True, help="The member of staff the concern is about (staff id).")
@click.option("--concern", "text", required=True, help="The concern, as it should reach their manager.")
@click.option("--review", "review_id", default=None, help="The review it arose from (the concern points at it).")
@click.option("--as", "actor", required=True, help="Who raises it (an active member of staff).")
def concern_raise(about: str, text: str, review_id: str | None, actor: str) -> None:
    """Raise a concern about ABOUT with their line manager; prints the concern's id."""
    from domain.staff_concern import RaiseConcern

    if not text.strip():
        fail("--concern cannot be empty")
    request = model(
        RaiseConcern,
        about=about.strip(),
        raised_by=actor.strip(),
        concern=text.strip(),
        context=review_id.strip() if review_id is not None else None,
    )
    click.echo(run(_raise(request)))


@concern_app.command("respond")
@click.argument("concern_id")
@click.option("--response", required=True, help="What was done, e.g. 'discussed in supervision', 'no further action'.")
@click.option("--as", "actor", required=True, help="Who responds (the manager it was raised with).")
def concern_respond(concern_id: str, response: str, actor: str) -> None:
    """Record what was done about a concern; this closes it."""
    from domain.staff_concern import RespondToConcern

    _check_id(concern_id)
    if not response.strip():
        fail("--response cannot be empty")
    request = model(RespondToConcern, actor=actor.strip(), response=response.strip())
    state = run(_respond(concern_id, request))
    click.echo(f"{concern_id}: responded by {state.responded_by}: {state.response}")


@concern_app.command("show")
@click.argument("concern_id")
@click.option("--as", "reader", required=True, help="Who is reading (a manager concerned, the raiser or an auditor).")
@JSON_OPTION
def concern_show(concern_id: str, reader: str, as_json: bool) -> None:
    """A concern as its own stream records it, for those allowed to read it."""
    _check_id(concern_id)
    state = run(_read(concern_id, reader.strip()))

    def human() -> None:
        click.echo(f"{concern_id}: practice concern about {state.about}")
        click.echo(f"  raised    {state.raised_at.isoformat()} by {state.raised_by}")
        click.echo(f"  manager   {state.manager} (respond by {state.respond_by.isoformat()})")
        if state.context:
            click.echo(f"  arose in  {state.context}")
        click.echo(f"  concern   {state.concern}")
        click.echo(f"  status    {state.status}")
        if state.response is not None:
            assert state.responded_at is not None
            click.echo(f"  response  {state.response} ({state.responded_by}, {state.responded_at.isoformat()})")

    emit({"id": concern_id, **state.model_dump(mode="json")}, as_json, human)


# --- checks before anything starts -------------------------------------------------------------


async def check_people(directory, request) -> str:  # type: ignore[no-untyped-def]
    """The manager the concern would go to; CliError (exit 1) if the directory refuses it."""
    from domain.errors import Refusal
    from domain.staff_concern import check_raise

    about = await directory.staff_member(request.about)
    chain = await directory.management_chain(request.about)
    raiser = await directory.staff_member(request.raised_by)
    try:
        return check_raise(request, about, chain, raiser)
    except Refusal as exc:
        raise CliError(f"refused: {exc}") from None


async def check_review(client, review_id: str) -> None:  # type: ignore[no-untyped-def]
    """The review a concern arose from must exist; only described, so its history gains nothing."""
    from temporalio.service import RPCError, RPCStatusCode

    from domain import review

    try:
        description = await client.get_workflow_handle(review_id).describe()
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            raise CliError(f"refused: there is no review {review_id!r}") from None
        raise CliError(f"Temporal refused the request: {exc.message}") from None
    if description.workflow_type != review.KIND.workflow_type:
        raise CliError(f"refused: {review_id!r} is not a review")


async def _raise(request) -> str:  # type: ignore[no-untyped-def]
    import uuid

    from workflows.staff_concern import StaffConcernWorkflow

    await _with_directory(lambda directory, _log: check_people(directory, request))
    client = await temporal_client()
    if request.context is not None:
        await check_review(client, request.context)
    concern_id = f"concern-{uuid.uuid4()}"
    await client.start_workflow(StaffConcernWorkflow.run, request, id=concern_id, task_queue=settings().task_queue)
    return concern_id


async def _respond(concern_id: str, request):  # type: ignore[no-untyped-def]
    from domain import staff_concern
    from domain.errors import Refusal
    from domain.staff_concern import check_respond
    from workflows.staff_concern import StaffConcernWorkflow

    state = await _with_directory(lambda _directory, log: _recorded(log, concern_id))
    try:
        # A responded concern's workflow has ended: say why here, as its validator would.
        check_respond(state, request)
    except Refusal as exc:
        raise CliError(f"refused: {exc}") from None
    return await change(concern_id, staff_concern.KIND, StaffConcernWorkflow.respond, request)


async def _read(concern_id: str, reader: str):  # type: ignore[no-untyped-def]
    from domain.staff_concern import may_read, reading_refused

    async def use(directory, log):  # type: ignore[no-untyped-def]
        member = await directory.staff_member(reader)
        if member is None or not member.active:
            raise CliError(f"refused: {reading_refused(concern_id)}")
        state = await _recorded(log, concern_id)
        if not may_read(member, state, await directory.management_chain(state.manager)):
            raise CliError(f"refused: {reading_refused(concern_id)}")
        return state

    return await _with_directory(use)


# --- plumbing ---------------------------------------------------------------------------------


def _check_id(concern_id: str) -> None:
    from domain.staff_concern import is_concern_stream

    if not is_concern_stream(concern_id):
        fail(f"{concern_id!r} is not a concern id (they look like concern-<uuid>)")


async def _recorded(log, concern_id: str):  # type: ignore[no-untyped-def]
    """The concern as its own stream holds it: the same fold the workflow's state is."""
    from domain.events import fold
    from domain.staff_concern import CONCERN_EVENTS, evolve

    events = await log.read_stream(concern_id)
    if not events:
        raise CliError(f"no concern with id {concern_id!r} (one raised a moment ago may still be being recorded)")
    return fold(evolve, CONCERN_EVENTS, events)


async def _with_directory(use: Callable[[Any, Any], Awaitable[T]]) -> T:
    from infra.store.audit_log import AuditLog
    from infra.store.directory import Directory

    async with database() as pool:
        log = AuditLog(pool)
        return await use(Directory(pool, log), log)
