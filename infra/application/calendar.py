"""The QA calendar in the engine: a year's plan as Temporal Schedules, and what its entries wait for.

Installing, pausing and resuming are for the QA team alone (domain.permissions.FRAMEWORK).
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from pydantic import BaseModel, Field

from domain.qa_calendar import PlannedActivity, YearPlan
from domain.sampling import MAX_SAMPLE
from domain.spotlight import SpotlightState
from infra.application.commands import command
from infra.application.directory import require
from infra.application.errors import typed
from infra.application.items import change, opened
from infra.application.services import settings, temporal_client
from infra.schedules import InstallReport, ScheduledActivity


class Installing(BaseModel):
    plan: YearPlan  # the year's plan, from the QA calendar and the working-day calendar
    sample_size: int = Field(ge=1, le=MAX_SAMPLE)  # children sampled by each scheduled CPR and thematic review


class Year(BaseModel):
    year: int


class Pausing(BaseModel):
    year: int
    paused: bool  # False: resume
    note: str = Field(min_length=1)  # why, shown with every paused schedule


class Arranging(BaseModel):
    entry_id: str
    lead: str
    members: tuple[str, ...]
    day: date | None = None  # default: the planned spotlight day


class Arranged(BaseModel):
    item_id: str  # the spotlight started
    spotlight: SpotlightState


@command("calendar.install", changes=True)
async def install_year(ask: Installing, installed_by: str) -> InstallReport:
    """Put the plan into the engine; installing again is harmless."""
    from infra.schedules import install

    await require("calendar.install", installed_by)
    return await install(
        await temporal_client(),
        ask.plan,
        installed_by=installed_by,
        sample_size=ask.sample_size,
        task_queue=settings().task_queue,
        now=datetime.now(UTC),
    )


@command("calendar.list")
async def schedules(ask: Year, reader: str) -> list[ScheduledActivity]:
    """The year's schedules in the engine: what each starts, when, paused or not."""
    from infra.schedules import list_year

    await require("calendar.list", reader)
    return await list_year(await temporal_client(), ask.year)


@command("calendar.repeats")
async def repeats(ask: Year, reader: str) -> list[PlannedActivity]:
    """The cycles QAPM meetings decided to repeat that start in the year (the calendar entries they put in the
    engine, waiting for their day), in start order: for the QA team, auditors and managers."""
    from domain.calendar_entry import EntryOpened
    from infra.application.services import database
    from infra.store.audit_log import AuditLog

    await require("calendar.plan", reader)
    async with database(max_size=1) as pool:
        opened = await AuditLog(pool).events_of_type(EntryOpened.event_type)
    planned = [PlannedActivity.model_validate(e.payload["planned"]) for e in opened]
    return sorted(
        (p for p in planned if p.repeat_of is not None and p.start.year == ask.year), key=lambda p: (p.start, p.key)
    )


@command("calendar.pause", changes=True)
async def pause_year(ask: Pausing, by: str) -> list[str]:
    """Pause (or resume) every schedule of the year, with a note saying why and who; the ones changed."""
    from infra.schedules import set_paused

    await require("calendar.pause", by)
    return await set_paused(await temporal_client(), ask.year, paused=ask.paused, note=f"{ask.note} ({by})")


@command("calendar.arrange", changes=True)
async def arrange_spotlight(ask: Arranging, actor: str) -> Arranged:
    """Arrange the spotlight a calendar entry waits for; its id and state once it has started."""
    from domain import calendar_entry, spotlight
    from domain.calendar_entry import ArrangeSpotlight
    from domain.naming import spotlight_id
    from workflows.calendar_entry import CalendarEntryWorkflow

    await require("entry.arrange", actor)
    request = typed(ArrangeSpotlight, actor=actor, lead=ask.lead, members=ask.members, day=ask.day)
    state = await change(ask.entry_id, calendar_entry.KIND, CalendarEntryWorkflow.arrange, request)
    assert state.arranged is not None
    item_id = spotlight_id(state.planned.subject or "", state.arranged.day)
    client = await temporal_client()
    return Arranged(item_id=item_id, spotlight=await opened(spotlight.KIND, client.get_workflow_handle(item_id)))
