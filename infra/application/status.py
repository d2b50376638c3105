"""Where the work stands, read from the audit log: overdue reviews and duties, open cycles, an item's kind.

Each is a command (infra.application.commands) for those the table of action x role lets in
(domain.permissions.FRAMEWORK); a list that carries items' content is in the access log.
"""

from __future__ import annotations

from pydantic import AwareDatetime, BaseModel

from domain.duties import Duty
from domain.kinds import Kind
from domain.review import ReviewState
from infra.application.commands import Nothing, command
from infra.application.directory import require
from infra.application.errors import AppError
from infra.application.items import describe_item, open_items
from infra.application.services import database


class ItemId(BaseModel):
    item_id: str


class Overdue(BaseModel):
    reviews: list[tuple[str, ReviewState]]  # (review id, state), due first first
    duties: list[tuple[str, str, Duty]]  # (item id, its kind in words, the duty), due first first


class OpenCycle(BaseModel):
    id: str
    service: str
    phase: str
    review_due_at: AwareDatetime


class Summary(BaseModel):
    cycles: list[OpenCycle]  # not yet complete
    reviews: dict[str, int]  # by status: open, overdue, submitted
    open_actions: int  # recommended actions still open on reviews not closed


async def logged(reader: str, what: str, command_name: str) -> None:
    """A read of many items' content, in the access log as one row (`what`: "*")."""
    from infra.store.access_log import AccessLog

    async with database() as pool:
        await AccessLog(pool).record(reader, what, command_name, True)


@command("overdue")
async def overdue(ask: Nothing, reader: str) -> Overdue:
    """Every review past its deadline and not yet submitted, then every other item's overdue duty."""
    await require("overdue", reader)
    await logged(reader, "*", "overdue")
    return Overdue(reviews=await overdue_reviews(), duties=await overdue_duties())


@command("summary")
async def summary(ask: Nothing, reader: str) -> Summary:
    """The CPR cycles not yet complete, and how many reviews stand where."""
    from domain import cpr_cycle, review

    await require("summary", reader)
    cycles = [
        OpenCycle(id=i, service=s.service, phase=s.phase, review_due_at=s.review_due_at)
        for i, s in await open_items(cpr_cycle.KIND)
        if s.phase != "complete"
    ]
    reviews = [s for _, s in await open_items(review.KIND)]
    counts = {status: sum(1 for s in reviews if s.status == status) for status in ("open", "overdue", "submitted")}
    return Summary(cycles=cycles, reviews=counts, open_actions=sum(len(s.open_actions) for s in reviews))


@command("kind")
async def kind_named(ask: ItemId, reader: str) -> str:
    """The name of the kind of item `ask.item_id` is (only the kind: reading it is the item's own rule)."""
    await require("kind", reader)
    return (await kind_of_item(ask.item_id)).name


async def overdue_reviews() -> list[tuple[str, ReviewState]]:
    """(review id, state) of every review past its deadline and not yet submitted, due first first."""
    from domain import review

    awaited = await open_items(review.KIND)
    return sorted(((i, s) for i, s in awaited if s.status == "overdue"), key=lambda item: (item[1].due_at, item[0]))


async def overdue_duties() -> list[tuple[str, str, Duty]]:
    """(item id, kind, duty) for every overdue duty of an item still running, due first first.

    Only streams where a duty's breach was recorded are read, each rebuilt with its kind's own
    reducer; a staff concern is restricted and has no duties. A review's duties are its own
    deadline, listed with the review (`overdue_reviews`, with what it still needs).
    """
    from domain import review
    from domain.duties import overdue
    from domain.events import fold
    from domain.items import kind_of_stream
    from infra.store.audit_log import AuditLog

    async with database() as pool:
        log = AuditLog(pool)
        found = []
        for stream_id in await log.streams_with_overdue_duties():
            events = await log.read_stream(stream_id)
            kind = kind_of_stream(stream_id, (e.event_type for e in events))
            if kind is None or kind.restricted or not kind.replayable or kind is review.KIND:
                continue
            state = fold(kind.evolve, kind.events, events)
            if not state.ended:
                found += [(stream_id, kind.name, d) for d in overdue(state.duties)]
    return sorted(found, key=lambda f: (f[2].due_at, f[0], f[2].key))


async def kind_of_item(item_id: str) -> Kind:
    """The kind of the item `item_id`: from its audit record's opening event (so an item whose Temporal
    history is long gone still has one), or, for an item still being set up, from its workflow."""
    from domain.items import kind_of_event, kind_of_workflow
    from infra.application.items import checked_id
    from infra.store.audit_log import AuditLog

    checked_id(item_id)
    async with database() as pool:
        opened = await AuditLog(pool).opening_events(item_id)
    kind = kind_of_event(opened[0][1]) if opened else None
    if kind is None:
        _, described = await describe_item(item_id)
        kind = kind_of_workflow(described.workflow_type)
        if kind is None:
            raise AppError(f"{item_id} is a {described.workflow_type}, which has no status view")
    if kind.workflow_type is None:
        raise AppError(f"{item_id} is a {kind.name}, which has no status view")
    return kind
