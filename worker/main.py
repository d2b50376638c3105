"""The one place that wires every workflow and activity into a worker, and the worker process (`python -m worker`)."""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import Callable
from datetime import date, timedelta
from functools import partial

import asyncpg
from temporalio.client import Client
from temporalio.worker import Worker

from activities.action_plans import ActionPlanActivities
from activities.calendar_entries import EntryActivities
from activities.deadlines import CalendarActivities, WorkingHours
from activities.directory import DirectoryActivities
from activities.notifications import NotificationActivities
from activities.qapm import QapmActivities
from activities.recording import AuditActivities
from activities.reports import ReportActivities
from domain.working_days import WorkingDayCalendar
from infra.calendar_source import load_calendar
from infra.db import DatabaseUnreachable, MigrationError, create_pool, migrate
from infra.logging import configure_logging, get_logger
from infra.settings import Settings, SettingsError
from infra.store.audit_log import AuditLog
from infra.store.directory import Directory
from infra.store.documents import Documents
from infra.store.outbox import Outbox, Sender
from infra.temporal import connect
from workflows.registry import WORKFLOWS, workflow_runner

log = get_logger("qa.worker")


def activities(
    client: Client,
    pool: asyncpg.Pool,
    settings: Settings,
    calendar_for: Callable[[date], WorkingDayCalendar],
    sender: Sender | None = None,
) -> list[Callable]:
    log = AuditLog(pool)
    plans = ActionPlanActivities(client, settings.task_queue)
    entries = EntryActivities(client, settings.task_queue)
    audit = AuditActivities(log)
    calendar = CalendarActivities(
        calendar_for,
        WorkingHours(
            window=timedelta(hours=settings.alert_window_hours),
            opens=settings.working_day_opens,
            closes=settings.working_day_closes,
        ),
    )
    directory = DirectoryActivities(Directory(pool, log))
    # With a mail server set, each notification is queued for `qa deliver` too (infra.delivery).
    notifications = NotificationActivities(Outbox(pool, sender, mail=settings.mail))
    documents = Documents(pool)
    reports = ReportActivities(log, documents)
    qapm = QapmActivities(log, documents)
    return [
        audit.append_events,
        calendar.due_at,
        calendar.alert_moments,
        calendar.repeat_planned,
        entries.enter,
        directory.staff_member,
        directory.management_chain,
        directory.role_holders,
        directory.draw_sample,
        directory.listed_cases,
        directory.open_case,
        directory.team,
        audit.streams_opened_with,
        audit.recorded_review,
        audit.alert_refusal,
        notifications.post,
        notifications.close_tasks,
        reports.write_findings,
        plans.add_findings,
        qapm.compile_pack,
        qapm.latest_decision,
        qapm.unknown_items,
        qapm.carried_forward,
        qapm.cycle_facts,
    ]


def build_worker(
    client: Client,
    pool: asyncpg.Pool,
    settings: Settings,
    *,
    calendar_for: Callable[[date], WorkingDayCalendar] | None = None,
) -> Worker:
    return Worker(
        client,
        task_queue=settings.task_queue,
        workflows=WORKFLOWS,
        activities=activities(
            client,
            pool,
            settings,
            calendar_for or partial(load_calendar, closure_days_path=settings.closure_days_path),
        ),
        workflow_runner=workflow_runner(),
    )


async def run_worker(settings: Settings) -> None:
    """A worker for an existing stack: scale out by running more of these on the same task queue."""
    configure_logging(settings.log_format, settings.log_level)
    await migrate(settings.require_admin_database_url())
    # No idle connection held open: a pool keeping one would retry a database that is away, noisily,
    # while `qa up` (or a service manager) is already dealing with it.
    pool = await create_pool(settings.require_database_url(), min_size=0)
    try:
        client = await connect(settings)
        log.info("worker starting", task_queue=settings.task_queue, namespace=settings.temporal_namespace)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        async with build_worker(client, pool, settings):
            log.info("worker running", task_queue=settings.task_queue)
            await stop.wait()
    finally:
        await pool.close()


def main() -> int:
    """`python -m worker` (what `qa worker` and `qa up` run): a worker until SIGINT or SIGTERM."""
    try:
        settings = Settings.from_env()
        asyncio.run(run_worker(settings))
    except SettingsError as exc:
        print(f"qa worker: {exc}", file=sys.stderr)
        return 2
    except (DatabaseUnreachable, MigrationError) as exc:
        print(f"qa worker: {exc}", file=sys.stderr)
        return 1
    except RuntimeError as exc:  # the SDK's "Failed client connect": the one other service a worker needs
        if "connect" not in str(exc).lower():
            raise
        print(f"qa worker: cannot reach Temporal at {settings.require_temporal_address()}: {exc}", file=sys.stderr)
        return 1
    return 0
