"""The year's plan in the engine: one Temporal Schedule per planned activity.

Why schedules rather than one planner workflow per year: each activity is then a
thing the engine holds on its own, visible in the Temporal Web UI and to
`temporal schedule list`, paused or triggered one by one in an emergency, and a
changed calendar replaces only the schedules still to fire. Each fires once, at
07:00 Europe/London on its activity's working day, and starts a CalendarEntry
workflow that starts the activity itself.

Installing is idempotent: a schedule whose planned activity is unchanged is left
as it is; a changed one still to fire is updated; one no longer in the calendar
and still to fire is deleted; one that already fired is never touched, so the
cycles it started run on.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime

from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleCalendarSpec,
    ScheduleDescription,
    ScheduleRange,
    ScheduleSpec,
    ScheduleState,
    ScheduleUpdate,
)

from domain import calendar_entry
from domain.calendar_entry import EntryInput, entry_id
from domain.qa_calendar import PlannedActivity, YearPlan, starts_at

PREFIX = "qa-calendar-"


def schedule_id(activity: PlannedActivity) -> str:
    return PREFIX + activity.key


def year_prefix(year: int) -> str:
    return f"{PREFIX}{year}-"


@dataclass
class InstallReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    already_fired: list[str] = field(default_factory=list)
    past: list[str] = field(default_factory=list)  # its day has gone: not scheduled now


def _fingerprint(entry: EntryInput) -> str:
    """What the schedule would start, in short: compared to tell a changed activity from the same one.

    Not the calendar's digest: an activity another line's change leaves alone is not changed.
    """
    return "entry " + hashlib.sha256(entry.model_dump_json(exclude={"calendar_digest"}).encode()).hexdigest()[:16]


def _schedule(entry: EntryInput, task_queue: str) -> Schedule:
    at = starts_at(entry.planned)
    return Schedule(
        action=ScheduleActionStartWorkflow(
            calendar_entry.KIND.workflow_type,
            entry,
            id=entry_id(entry.planned),
            task_queue=task_queue,
            static_summary=f"{entry.planned.title}, {entry.planned.start.isoformat()}",
            static_details=_fingerprint(entry),
        ),
        spec=ScheduleSpec(
            calendars=[
                ScheduleCalendarSpec(
                    second=[ScheduleRange(0)],
                    minute=[ScheduleRange(at.minute)],
                    hour=[ScheduleRange(at.hour)],
                    day_of_month=[ScheduleRange(at.day)],
                    month=[ScheduleRange(at.month)],
                    year=[ScheduleRange(at.year)],
                )
            ],
            time_zone_name="Europe/London",
        ),
        # Fires once: the activity's day comes once.
        state=ScheduleState(limited_actions=True, remaining_actions=1, note=f"QA calendar {entry.planned.key}"),
    )


async def _existing(client: Client, year: int) -> set[str]:
    prefix = year_prefix(year)
    return {s.id async for s in await client.list_schedules() if s.id.startswith(prefix)}


async def install(
    client: Client, plan: YearPlan, *, installed_by: str, sample_size: int, task_queue: str, now: datetime
) -> InstallReport:
    report = InstallReport()
    wanted = {}
    for activity in plan.activities:
        entry = EntryInput(
            planned=activity, installed_by=installed_by, sample_size=sample_size, calendar_digest=plan.calendar_digest
        )
        wanted[schedule_id(activity)] = entry
    existing = await _existing(client, plan.year)
    for sid in sorted(existing - wanted.keys()):
        handle = client.get_schedule_handle(sid)
        if _fired(await handle.describe(), now):
            report.already_fired.append(sid)
        else:
            await handle.delete()
            report.removed.append(sid)
    for sid, entry in wanted.items():
        schedule = _schedule(entry, task_queue)
        if starts_at(entry.planned) <= now:
            (report.already_fired if sid in existing else report.past).append(sid)
            continue
        try:
            await client.create_schedule(sid, schedule)
            report.created.append(sid)
            continue
        except ScheduleAlreadyRunningError:
            pass
        handle = client.get_schedule_handle(sid)
        described = await handle.describe()
        action = described.schedule.action
        if isinstance(action, ScheduleActionStartWorkflow) and await _text(
            client, action.static_details
        ) == _fingerprint(entry):
            report.unchanged.append(sid)
        elif _fired(described, now):
            report.already_fired.append(sid)
        else:
            # Paused stays paused: an emergency pause outlives a re-install.
            schedule.state = described.schedule.state

            def replace(_: object, schedule: Schedule = schedule) -> ScheduleUpdate:
                return ScheduleUpdate(schedule=schedule)

            await handle.update(replace)
            report.updated.append(sid)
    return report


def _fired(described: ScheduleDescription, now: datetime) -> bool:
    """Started its activity already, or its moment has passed (a paused schedule then never fires)."""
    if described.info.recent_actions or described.schedule.state.remaining_actions == 0:
        return True
    calendars = described.schedule.spec.calendars
    return bool(calendars) and _moment(calendars[0]) <= now


async def _text(client: Client, value: object) -> str:
    """A described schedule holds its action's texts as payloads, as the engine stores them (encrypted)."""
    if value is None or isinstance(value, str):
        return value or ""
    [text] = await client.data_converter.decode([value], [str])  # type: ignore[list-item]
    return text


def _moment(spec: ScheduleCalendarSpec) -> datetime:
    from domain.working_days import LONDON

    return datetime(
        spec.year[0].start, spec.month[0].start, spec.day_of_month[0].start, spec.hour[0].start, tzinfo=LONDON
    )


async def set_paused(client: Client, year: int, *, paused: bool, note: str) -> list[str]:
    """Pause (or resume) every schedule of the year; the note says why, for the Web UI and the CLI."""
    changed = []
    for sid in sorted(await _existing(client, year)):
        handle = client.get_schedule_handle(sid)
        described = await handle.describe()
        if described.schedule.state.paused == paused:
            continue
        await (handle.pause(note=note) if paused else handle.unpause(note=note))
        changed.append(sid)
    return changed


@dataclass
class ScheduledActivity:
    schedule_id: str
    summary: str
    next_at: datetime | None
    paused: bool
    note: str
    fired: bool


async def list_year(client: Client, year: int) -> list[ScheduledActivity]:
    listed = []
    for sid in sorted(await _existing(client, year)):
        described = await client.get_schedule_handle(sid).describe()
        action = described.schedule.action
        listed.append(
            ScheduledActivity(
                schedule_id=sid,
                summary=await _text(client, action.static_summary)
                if isinstance(action, ScheduleActionStartWorkflow)
                else "",
                next_at=described.info.next_action_times[0] if described.info.next_action_times else None,
                paused=described.schedule.state.paused,
                note=described.schedule.state.note or "",
                fired=bool(described.info.recent_actions),
            )
        )
    return listed
