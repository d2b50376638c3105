"""The one place that wires every workflow and activity into a worker."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import partial

import asyncpg
from temporalio.client import Client
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from activities.action_plans import ActionPlanActivities
from activities.audit_log import AuditLog
from activities.deadlines import CalendarActivities
from activities.directory import Directory, DirectoryActivities
from activities.notifications import NotificationActivities, Outbox, Sender
from activities.qapm import QapmActivities
from activities.recording import AuditActivities
from activities.reports import ReportActivities
from domain.working_days import WorkingDayCalendar
from infra.calendar_source import load_calendar
from infra.settings import Settings
from workflows.action_plan import ActionPlanWorkflow
from workflows.calendar_entry import CalendarEntryWorkflow
from workflows.cpr_cycle import CprCycleWorkflow
from workflows.deadline import DeadlineWorkflow
from workflows.dip_audit import DipAuditWorkflow
from workflows.dispute import DisputeWorkflow
from workflows.good_practice import GoodPracticeWorkflow
from workflows.practice_week import PracticeWeekWorkflow
from workflows.qapm_meeting import QapmMeetingWorkflow
from workflows.review import ReviewWorkflow
from workflows.spotlight import SpotlightWorkflow
from workflows.staff_concern import StaffConcernWorkflow
from workflows.thematic_review import ThematicReviewWorkflow

WORKFLOWS = [
    DeadlineWorkflow,
    CprCycleWorkflow,
    ReviewWorkflow,
    StaffConcernWorkflow,
    DisputeWorkflow,
    ActionPlanWorkflow,
    SpotlightWorkflow,
    ThematicReviewWorkflow,
    DipAuditWorkflow,
    QapmMeetingWorkflow,
    GoodPracticeWorkflow,
    PracticeWeekWorkflow,
    CalendarEntryWorkflow,
]

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
