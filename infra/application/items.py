"""Items by their ids: start one, change one, read one; the steps every kind's commands share.

An item is a workflow whose id is its audit stream (domain.items). Reads fold the
stream with the kind's own reducer from PostgreSQL, never a workflow query: the
same state the workflow holds (it records before it folds), whether the workflow
still runs or not. Changes are the workflow's updates: its validator refuses in
one line before anything is recorded.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING, Any

from infra.application.errors import AppError, IdTaken
from infra.application.requests import SEEN, request_id
from infra.application.services import database, settings, temporal_client, temporal_failed

if TYPE_CHECKING:
    from domain.kinds import Kind

OPEN_WAIT_SECONDS = 60.0  # how long a start waits for the item's opening to be recorded
CHANGE_WAIT_SECONDS = 60.0  # how long a change waits for the workflow's answer
UNKNOWN_OUTCOME = 3  # the exit code when it is not known whether a change was recorded


def checked_id(item_id: str) -> str:
    """An item id as given, or one line (exit 2) saying it cannot be one (domain.naming.check_item_id)."""
    from domain.errors import Refusal
    from domain.naming import check_item_id

    try:
        return check_item_id(item_id)
    except Refusal as exc:
        raise AppError(str(exc), 2) from None


async def describe_item(workflow_id: str):  # type: ignore[no-untyped-def]
    """The workflow `workflow_id` and Temporal's description of it; an unknown id is one line."""
    from temporalio.service import RPCError, RPCStatusCode

    checked_id(workflow_id)
    client = await temporal_client()
    handle = client.get_workflow_handle(workflow_id)
    try:
        return handle, await handle.describe()
    except RPCError as exc:
        if exc.status in (RPCStatusCode.NOT_FOUND, RPCStatusCode.INVALID_ARGUMENT):
            raise AppError(f"no item with id {workflow_id!r}") from None
        raise temporal_failed(exc) from None


def _not_a(item_id: str, found: Kind | None, found_type: str, kind: Kind) -> AppError:
    return AppError(f"{item_id} is a {found.name if found else found_type}, not a {kind.name}")


async def _running(workflow_id: str, kind: Kind):  # type: ignore[no-untyped-def]
    """The workflow `workflow_id` to change, refused in one line if it is unknown, of another kind, or ended."""
    from temporalio.client import WorkflowExecutionStatus

    from domain.items import kind_of_workflow

    handle, described = await describe_item(workflow_id)
    if described.workflow_type != kind.workflow_type:
        raise _not_a(workflow_id, kind_of_workflow(described.workflow_type), described.workflow_type, kind)
    if described.status != WorkflowExecutionStatus.RUNNING:
        raise AppError(_ended(workflow_id, kind, described.status))
    return handle


def _ended(workflow_id: str, kind: Kind, status) -> str:  # type: ignore[no-untyped-def]
    from temporalio.client import WorkflowExecutionStatus

    if status == WorkflowExecutionStatus.COMPLETED:
        return f"refused: {kind.name} {workflow_id} is closed; nothing more can be recorded on it"
    return f"refused: {kind.name} {workflow_id} has ended ({status.name.lower()}); nothing more can be recorded"


async def start_opened(
    kind: Kind,
    workflow,
    request,
    item_id: str,
    *,
    taken: str,
    refusable: bool = False,
    wait_seconds: float = OPEN_WAIT_SECONDS,
) -> Any:  # type: ignore[no-untyped-def]
    """Start a new item and return its recorded state once it is open, in one call to Temporal.

    Update-with-start: the workflow starts and its `opened` update answers once the item is
    open (workflows.common.ItemWorkflow), with no polling. `taken` is the one line if the id
    was ever used: an item's id is also its audit stream, so it is never reused, even after
    the item ended; except, if `refusable`, after a start the workflow refused, which
    recorded nothing. A start the workflow refuses (a wrong person, a sample it cannot
    draw) ends it as failed, having recorded nothing: that refusal is the one line given.
    """
    from temporalio.client import WithStartWorkflowOperation, WorkflowUpdateFailedError
    from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
    from temporalio.exceptions import WorkflowAlreadyStartedError
    from temporalio.service import RPCError, RPCStatusCode

    client = await temporal_client()
    start = WithStartWorkflowOperation(
        workflow.run,
        request,
        id=item_id,
        task_queue=settings().task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
        id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY
        if refusable
        else WorkflowIDReusePolicy.REJECT_DUPLICATE,
    )
    try:
        try:
            await asyncio.wait_for(
                client.execute_update_with_start_workflow(workflow.opened, start_workflow_operation=start),
                wait_seconds,
            )
        except BaseException:
            # The SDK also hands the start's own failure to the operation: read it here, or asyncio
            # prints it as a traceback ("Future exception was never retrieved") when it is dropped.
            with contextlib.suppress(Exception):
                await asyncio.wait_for(start.workflow_handle(), 1)
            raise
    except WorkflowAlreadyStartedError:
        raise IdTaken(taken) from None
    except TimeoutError:
        raise AppError(
            f"{item_id} was started but is still being set up after {wait_seconds:.0f} s: is a worker running (`qa up`)?"
        ) from None
    except RPCError as exc:
        if exc.status == RPCStatusCode.ALREADY_EXISTS:  # an id used before, by an item now closed
            raise IdTaken(taken) from None
        raise AppError(await _refused_or(client, item_id, exc)) from None
    except WorkflowUpdateFailedError as exc:
        raise AppError(await _refused_or(client, item_id, exc)) from None
    return await recorded(kind, item_id)


async def _refused_or(client, item_id: str, error: Exception) -> str:  # type: ignore[no-untyped-def]
    """Why a start was not answered: the workflow's refusal if it failed, else what Temporal said."""
    from temporalio.client import WorkflowExecutionStatus

    handle = client.get_workflow_handle(item_id)
    status = (await handle.describe()).status
    if status in (WorkflowExecutionStatus.RUNNING, WorkflowExecutionStatus.COMPLETED):
        return str(temporal_failed(error))
    return await _why_it_ended(handle, status)


async def opened(kind: Kind, handle, *, wait_seconds: float = OPEN_WAIT_SECONDS) -> Any:  # type: ignore[no-untyped-def]
    """The recorded state of an item another item started (a review, a spotlight), once its opening is recorded.

    A start its workflow refused ends it as failed, having recorded nothing: that refusal is the one line given.
    """
    from temporalio.client import WorkflowExecutionStatus
    from temporalio.service import RPCError, RPCStatusCode

    from infra.store.audit_log import AuditLog

    loop = asyncio.get_running_loop()
    give_up = loop.time() + wait_seconds
    async with database() as pool:
        log = AuditLog(pool)
        while True:
            state = _fold(kind, handle.id, await log.read_stream(handle.id))
            if state is not None:
                return state
            try:
                status = (await handle.describe()).status
            except RPCError as exc:
                # Its starter may not have started it yet (a calendar entry starts its spotlight once the
                # arrangement is recorded, which is when the arranging person hears back): wait for it.
                if exc.status != RPCStatusCode.NOT_FOUND:
                    raise
                status = WorkflowExecutionStatus.RUNNING
            if status not in (WorkflowExecutionStatus.RUNNING, WorkflowExecutionStatus.COMPLETED):
                raise AppError(await _why_it_ended(handle, status))
            if loop.time() > give_up:
                raise AppError(
                    f"{handle.id} was started but is still being set up after {wait_seconds:.0f} s:"
                    " is a worker running (`qa up`)?"
                )
            await asyncio.sleep(0.1)


async def _why_it_ended(handle, status) -> str:  # type: ignore[no-untyped-def]
    from temporalio.client import WorkflowExecutionStatus, WorkflowFailureError
    from temporalio.exceptions import ApplicationError

    if status != WorkflowExecutionStatus.FAILED:
        return f"{handle.id} ended while it was being set up ({status.name.lower()})"
    try:
        await handle.result()
    except WorkflowFailureError as exc:
        cause: BaseException | None = exc.cause
        deepest: BaseException = exc
        while cause is not None:
            if isinstance(cause, ApplicationError) and cause.type in ("Refused", "SampleRefused"):
                return f"refused: {cause.message}"
            deepest = cause
            cause = cause.__cause__ or getattr(cause, "cause", None)
        return f"{handle.id} failed: {getattr(deepest, 'message', deepest)}"
    return f"{handle.id} ended while it was being set up"


def _fold(kind: Kind, item_id: str, events: list) -> Any:  # type: ignore[type-arg]
    """The item's state from its events (None: nothing recorded yet); another kind's record is refused."""
    from domain.events import fold
    from domain.items import kind_of_stream

    if not events:
        return None
    found = kind_of_stream(item_id, (e.event_type for e in events))
    if found is not kind:
        raise _not_a(item_id, found, "record of an unknown kind", kind)
    return fold(kind.evolve, kind.events, events)


async def recorded(kind: Kind, item_id: str) -> Any:
    """An item's state as its audit record holds it; an id nothing was recorded under is one line."""
    from domain.items import kind_of_workflow
    from infra.store.audit_log import AuditLog

    checked_id(item_id)
    async with database() as pool:
        state = _fold(kind, item_id, await AuditLog(pool).read_stream(item_id))
    if state is not None:
        return state
    # Nothing recorded: an unknown id, a start still being set up, or one that was refused.
    _, described = await describe_item(item_id)
    if described.workflow_type != kind.workflow_type:
        raise _not_a(item_id, kind_of_workflow(described.workflow_type), described.workflow_type, kind)
    raise AppError(f"{item_id} is still being set up; try again in a moment")


def _connection_lost(status) -> bool:  # type: ignore[no-untyped-def]
    """An RPC status that leaves it unknown whether the request reached Temporal."""
    from temporalio.service import RPCStatusCode

    return status in (
        RPCStatusCode.UNAVAILABLE,
        RPCStatusCode.DEADLINE_EXCEEDED,
        RPCStatusCode.CANCELLED,
        RPCStatusCode.UNKNOWN,
        RPCStatusCode.INTERNAL,
    )


def unknown_outcome(why: str, asked: str) -> AppError:
    """A change whose outcome is not known (exit code 3), with the request id to look it up or ask again with."""
    return AppError(
        f"{why}: request {asked} may or may not be recorded; see `qa audit request {asked}`, or ask again"
        f" with `qa --request-id {asked} ...`, which records it at most once",
        UNKNOWN_OUTCOME,
    )


async def change(workflow_id: str, kind: Kind, update, request) -> Any:  # type: ignore[no-untyped-def]
    """A workflow's update: a refusal comes back as one line ("refused: ..."), and nothing is recorded.

    The update's id is the request's (infra.application.requests): the same request asked
    again is answered as the first time and recorded once. A request decided on a version
    of the item that has moved on is refused with what was recorded since. With no answer in time, the
    outcome is unknown, and said so with the request id to ask again with (exit code 3).
    """
    from temporalio.client import WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError
    from temporalio.service import RPCError, RPCStatusCode

    from workflows.recording import STALE

    handle = await _running(workflow_id, kind)
    asked = request_id()
    seen = SEEN.get()
    if seen is not None:
        request = request.model_copy(update={"seen": seen})

    try:
        return await asyncio.wait_for(_admitted(handle, update, request, asked), CHANGE_WAIT_SECONDS)
    except (TimeoutError, WorkflowUpdateRPCTimeoutOrCancelledError):
        raise unknown_outcome(f"no answer from {workflow_id} within {CHANGE_WAIT_SECONDS:.0f} s", asked) from None
    except WorkflowUpdateFailedError as exc:
        why = f"refused: {getattr(exc.cause, 'message', exc.cause)}"
        if getattr(exc.cause, "type", None) == STALE and seen is not None:
            why += await _since(workflow_id, seen)
        raise AppError(why) from None
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:  # it ended between our look and the update
            from temporalio.client import WorkflowExecutionStatus

            raise AppError(_ended(workflow_id, kind, WorkflowExecutionStatus.COMPLETED)) from None
        if _connection_lost(exc.status):  # the request may have reached Temporal before the connection went
            raise unknown_outcome("the connection to Temporal was lost", asked) from None
        raise temporal_failed(exc) from None


async def _admitted(handle, update, request, asked: str):  # type: ignore[no-untyped-def]
    """The update's answer; while Temporal turns it away because the item already has as many updates in flight
    as it takes (RESOURCE_EXHAUSTED: not admitted, so nothing recorded), asked again after a short wait, under the
    same id, until the change's own time runs out: a busy item makes a person wait, not fail."""
    from temporalio.service import RPCError, RPCStatusCode

    wait = 0.2
    while True:
        try:
            return await handle.execute_update(update, request, id=asked)
        except RPCError as exc:
            if exc.status != RPCStatusCode.RESOURCE_EXHAUSTED:
                raise
        await asyncio.sleep(wait)
        wait = min(wait * 2, 2.0)


async def _since(item_id: str, seen: int) -> str:
    """What was recorded on the item after version `seen`, in words, for a person whose change was stale."""
    from domain.audit_views import describe
    from infra.store.audit_log import AuditLog

    async with database() as pool:
        later = [e for e in await AuditLog(pool).read_stream(item_id) if e.version > seen]
    return "".join(f"; v{e.version} by {e.actor}: {describe(e.event_type, e.payload, limit=200)}" for e in later)


async def open_items(kind: Kind, *, closed_too: bool = False) -> list[tuple[str, Any]]:
    """Every item of `kind` still open (not closed by one of its kind's closing events), or with
    `closed_too` every item the audit log ever opened; each rebuilt with the same reducer the workflows
    and auditors use. The open ones are read from the log's open items: what they cost, whatever the
    length of the history."""
    from domain.events import fold
    from infra.store.audit_log import AuditLog
    from infra.store.item_states import StateCache

    async with database() as pool:
        log, cache = AuditLog(pool), StateCache(pool)
        ids = await (log.streams_opened(kind.opening) if closed_too else log.open_streams(kind.name))
        # Each state as cached at the stream's head by this reducer, or folded afresh (and cached).
        cached = await cache.fresh(ids, kind.fingerprint)
        streams = await log.read_streams([i for i in ids if i not in cached])
        folded = {i: fold(kind.evolve, kind.events, events) for i, events in streams.items()}
        await cache.keep(
            [
                (i, events[-1].version, bytes.fromhex(events[-1].hash), kind.fingerprint, folded[i].model_dump_json())
                for i, events in streams.items()
                if events
            ]
        )
        return [(i, folded[i] if i in folded else kind.state_type.model_validate_json(cached[i])) for i in ids]


async def read(item_id: str, reader: str) -> tuple[Kind, Any]:
    """An item and its state, as its audit record holds it, for `reader` to do their part in it: refused
    unless the access rule lets them (domain.audit_access.show_refusal); the read is in the access log."""
    from domain.audit_access import show_refusal
    from infra.application.audit import read_item

    checked_id(item_id)
    async with database(max_size=2) as pool:
        item = await read_item(pool, item_id, reader, "show", rule=show_refusal)
    if item.kind is None or not item.kind.replayable:
        raise AppError(f"{item_id} is a {item.kind.name if item.kind else 'stream'}: it has no state to show")
    if item.state is None:
        raise AppError(f"{item_id}'s record does not rebuild: `qa audit replay {item_id}` says why")
    return item.kind, item.state


async def change_as(item_id: str, step: str, values: dict[str, Any], actor: str) -> tuple[Kind, Any]:
    """Record `step` (one of the item's people's updates, workflows.registry.people_updates) with `values`
    as `actor`, the signed-in person: a request naming anyone else is refused before anything is asked."""
    from infra.application.status import kind_of_item
    from workflows.registry import people_updates

    kind = await kind_of_item(checked_id(item_id))
    steps = people_updates(kind.workflow_type)
    if step not in steps:
        raise AppError(f"a {kind.name} has no step {step!r}: its steps are {', '.join(sorted(steps))}", 2)
    update, request_type = steps[step]
    request = await _signed_in_request(kind, step, request_type, values, "actor", actor)
    return kind, await change(item_id, kind, update, request)


async def _signed_in_request(
    kind: Kind, action: str, request_type: type, values: dict[str, Any], field: str, actor: str
):  # type: ignore[no-untyped-def]
    """The request for `action` on `kind` from `values`, its person (`field`) the signed-in `actor`: refused
    if the values name anyone else, or the table of action x role does not let `actor` in; a value the
    request does not take is bad input. All before anything is asked of the workflow."""
    from infra.application.directory import require
    from infra.application.errors import not_yourself, typed

    named = values.get(field, actor)
    if named != actor:
        raise not_yourself(actor, named)
    await require(f"{kind.prefix}{action}", actor)
    unknown = sorted(set(values) - set(request_type.model_fields))
    if unknown:
        raise AppError(f"a {kind.name}'s {action} takes no {', '.join(unknown)}", 2)
    return typed(request_type, **{**values, field: actor})


async def start_as(
    item_id: str, workflow_type: str, values: dict[str, Any], actor: str, *, taken: str, refusable: bool
) -> tuple[Kind, Any]:
    """Start the item `item_id` (one a person starts, workflows.registry.people_starts) with `values` as
    `actor`, the signed-in person, its `started_by`: a request naming anyone else is refused before
    anything is asked, as is anyone the table of action x role does not let start it."""
    from domain.items import kind_of_workflow
    from workflows.registry import people_starts

    startable = people_starts()
    if workflow_type not in startable:
        raise AppError(f"{workflow_type!r} is not an item a person starts: those are {', '.join(sorted(startable))}", 2)
    kind = kind_of_workflow(workflow_type)
    assert kind is not None  # every workflow is a kind's (workflows.registry.item_workflows)
    if values.get("scheduled_by") is not None:  # its workflow refuses it too (workflows.common.opener)
        raise AppError("refused: only the QA calendar starts an item as scheduled by one of its entries")
    workflow, request_type = startable[workflow_type]
    request = await _signed_in_request(kind, "start", request_type, values, "started_by", actor)
    return kind, await start_opened(kind, workflow, request, checked_id(item_id), taken=taken, refusable=refusable)
