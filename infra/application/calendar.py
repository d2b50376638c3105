"""The QA calendar in the engine: a year's plan as Temporal Schedules, and what its entries wait for.

Installing, pausing and resuming are for the QA team alone (the directory says who).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from infra.application.directory import require
from infra.application.items import change, opened
from infra.application.services import settings, temporal_client


async def install_year(plan: Any, installed_by: str, sample_size: int) -> Any:
    """Put `plan` (domain.qa_calendar.YearPlan) into the engine; installing again is harmless."""
    from infra.schedules import install

    await require("calendar.install", installed_by)
    return await install(
        await temporal_client(),
        plan,
        installed_by=installed_by,
        sample_size=sample_size,
        task_queue=settings().task_queue,
        now=datetime.now(UTC),
    )


async def schedules(year: int) -> list[Any]:
    """The year's schedules in the engine: what each starts, when, paused or not."""
    from infra.schedules import list_year

    return await list_year(await temporal_client(), year)


async def pause_year(year: int, *, paused: bool, note: str, by: str) -> list[Any]:
    """Pause (or resume) every schedule of the year, with a note saying why and who."""
    from infra.schedules import set_paused

    await require("calendar.pause", by)
    return await set_paused(await temporal_client(), year, paused=paused, note=f"{note} ({by})")


async def arrange_spotlight(entry_id: str, request: Any) -> tuple[str, Any]:
    """Arrange the spotlight a calendar entry waits for; its id and state once it has started."""
    from domain import calendar_entry, spotlight
    from domain.naming import spotlight_id
    from workflows.calendar_entry import CalendarEntryWorkflow

    state = await change(entry_id, calendar_entry.KIND, CalendarEntryWorkflow.arrange, request)
    assert state.arranged is not None
    item_id = spotlight_id(state.planned.subject or "", state.arranged.day)
    client = await temporal_client()
    return item_id, await opened(spotlight.KIND, client.get_workflow_handle(item_id))
