"""The one place that wires every workflow and activity into a worker."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from datetime import date
from functools import partial

import asyncpg
from temporalio import workflow
from temporalio.client import Client
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

import workflows
from activities.action_plans import ActionPlanActivities
from activities.audit_log import AuditLog
from activities.deadlines import CalendarActivities
from activities.directory import Directory, DirectoryActivities
from activities.notifications import NotificationActivities, Outbox, Sender
from activities.qapm import QapmActivities
from activities.recording import AuditActivities
from activities.reports import ReportActivities
from domain import items
from domain.working_days import WorkingDayCalendar
from infra.calendar_source import load_calendar
from infra.settings import Settings


def item_workflows() -> list[type]:
    """Each declared kind's workflow (domain.items), found by its name in the `workflows` package.

    A kind whose workflow is not there, or a workflow no kind declares, stops the
    worker before it starts: an item must never be started that nothing runs.
    """
    defined: dict[str, type] = {}
    for module in pkgutil.iter_modules(workflows.__path__):
        loaded = importlib.import_module(f"workflows.{module.name}")
        for value in vars(loaded).values():
            # The SDK has no public reader of a class's workflow name; this is the one it uses itself.
            definition = workflow._Definition.from_class(value) if isinstance(value, type) else None
            if definition is not None and definition.name is not None and value.__module__ == loaded.__name__:
                defined[definition.name] = value
    declared = [k.workflow_type for k in items.KINDS if k.workflow_type is not None]
    missing = sorted(set(declared) - set(defined))
    undeclared = sorted(set(defined) - set(declared))
    if missing or undeclared:
        raise RuntimeError(f"workflows declared by no kind: {undeclared}; kinds with no workflow: {missing}")
    return [defined[name] for name in declared]


WORKFLOWS = item_workflows()

# Deterministic and side-effect free, so safe to share with the sandbox
# instead of re-importing them for every workflow run.
PASSTHROUGH = ("domain", "pydantic", "pydantic_core", "annotated_types", "typing_inspection")


def workflow_runner() -> SandboxedWorkflowRunner:
    return SandboxedWorkflowRunner(restrictions=SandboxRestrictions.default.with_passthrough_modules(*PASSTHROUGH))


def activities(
    client: Client,
    pool: asyncpg.Pool,
    settings: Settings,
    calendar_for: Callable[[date], WorkingDayCalendar],
    sender: Sender | None = None,
) -> list[Callable]:
    log = AuditLog(pool)
    plans = ActionPlanActivities(client, settings.task_queue)
    audit = AuditActivities(log)
    calendar = CalendarActivities(calendar_for)
    directory = DirectoryActivities(Directory(pool, log))
    notifications = NotificationActivities(Outbox(pool, sender))
    reports = ReportActivities(log, settings.reports_dir)
    qapm = QapmActivities(log, pool, settings.reports_dir)
    return [
        audit.append_events,
        calendar.due_at,
        directory.staff_member,
        directory.management_chain,
        directory.role_holders,
        directory.draw_sample,
        directory.listed_cases,
        directory.team,
        audit.streams_opened_with,
        notifications.post,
        notifications.close_tasks,
        reports.write_findings,
        plans.add_findings,
        qapm.compile_pack,
        qapm.latest_decision,
        qapm.unknown_items,
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
