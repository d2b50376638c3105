"""Where the work stands, read from the audit log: overdue reviews and duties, open cycles, an item's kind."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from infra.application.errors import AppError
from infra.application.items import describe_item, open_items
from infra.application.services import database

if TYPE_CHECKING:
    from domain.kinds import Kind


async def overdue_reviews() -> list[tuple[str, Any]]:
    """(review id, state) of every review past its deadline and not yet submitted, due first first."""
    from domain import review

    awaited = await open_items(review.KIND)
    return sorted(((i, s) for i, s in awaited if s.status == "overdue"), key=lambda item: (item[1].due_at, item[0]))


async def overdue_duties() -> list[tuple[str, str, Any]]:
    """(item id, kind, duty) for every overdue duty of an item still running, due first first.

    Only streams where a duty's breach was recorded are read, each rebuilt with its kind's own
    reducer; a staff concern is restricted and has no duties.
    """
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
            if kind is None or kind.restricted or not kind.replayable:
                continue
            state = fold(kind.evolve, kind.events, events)
            if not state.ended:
                found += [(stream_id, kind.name, d) for d in overdue(state.duties)]
    return sorted(found, key=lambda f: (f[2].due_at, f[0], f[2].key))


async def open_cpr_work() -> tuple[list[tuple[str, Any]], list[tuple[str, Any]]]:
    """The CPR cycles not yet complete, and every review not yet closed."""
    from domain import cpr_cycle, review

    cycles = await open_items(cpr_cycle.KIND)
    reviews = await open_items(review.KIND)
    return [(i, s) for i, s in cycles if s.phase != "complete"], reviews


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
