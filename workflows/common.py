"""What every QA workflow does the same way: call activities, check roles, tell people."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from typing import Any, Generic, TypeVar

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

from domain.action_plan import SmartAction
from domain.cpr_cycle import PublishReport
from domain.directory import Role, StaffMember, cpr_reviewer_problem
from domain.errors import Refusal
from domain.events import CALENDAR_ACTOR, StartedBy
from domain.notifications import Notification, NotificationKind, fit_body, fit_subject, notification_id
from domain.permissions import may
from workflows.recording import EventRecorder, refused

with workflow.unsafe.imports_passed_through():
    from activities.action_plans import ActionPlanActivities, AddedFindings, AddFindings
    from activities.deadlines import CalendarActivities, DueMoment, DueRequest
    from activities.directory import DirectoryActivities, RoleLookup, StaffLookup
    from activities.notifications import CloseTasks, NotificationActivities, PostNotifications

ACTIVITY_TIMEOUT = timedelta(seconds=60)
# Look-ups, calendar and notifications are retried until they succeed; a domain
# error an activity raises as non-retryable ends the call at once.
ACTIVITY_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    maximum_interval=timedelta(minutes=1),
    non_retryable_error_types=["SampleRefused", "OutboxConflict"],
)


async def run_activity(method: Any, argument: Any) -> Any:
    return await workflow.execute_activity_method(
        method, argument, start_to_close_timeout=ACTIVITY_TIMEOUT, retry_policy=ACTIVITY_RETRY
    )


async def run_activity_or_refuse(method: Any, argument: Any, error_type: str, why: str) -> Any:
    """An activity whose domain error of `error_type` is the person's one-line refusal ("why: ...")."""
    try:
        return await run_activity(method, argument)
    except ActivityError as exc:
        cause = exc.cause
        if isinstance(cause, ApplicationError) and cause.type == error_type:
            raise refused(Refusal(f"{why}: {cause.message}")) from None
        raise


async def first_working_day(day: date) -> DueMoment:
    """The end of `day`, or of the first working day after it: the calendar activity decides."""
    return await run_activity(CalendarActivities.due_at, DueRequest(start=day - timedelta(days=1), working_days=1))


async def require_role(staff_id: str, role: Role | tuple[Role, ...], what: str) -> StaffMember:
    """Refuse (before anything is recorded) someone the directory does not list, active, in `role` (or one of them);
    their entry, if not."""
    roles = role if isinstance(role, tuple) else (role,)
    member = await run_activity(DirectoryActivities.staff_member, StaffLookup(staff_id=staff_id))
    if member is None or not member.active or not member.roles.intersection(roles):
        named = " or ".join(r.value for r in roles)
        raise refused(Refusal(f"{staff_id} cannot {what}: the directory does not list them as a {named}"))
    return member


async def require_cpr_reviewer(staff_id: str) -> None:
    """Refuse someone who may not be allocated a CPR review: not a reviewer, or (where the directory gives their job)
    not one of the posts the framework names (domain.directory.cpr_reviewer_problem). One look-up, as before."""
    problem = cpr_reviewer_problem(await require_role(staff_id, Role.REVIEWER, "review"))
    if problem is not None:
        raise refused(Refusal(problem))


async def require(staff_id: str, action: str) -> None:
    """Refuse (before anything is recorded) someone the table of action x role (domain.permissions) does
    not let take `action`, by the directory as it is now: the server's own check, made again here."""
    rule = may(action)
    if rule.roles:
        await require_role(staff_id, rule.roles, rule.what)
    else:
        await require_staff(staff_id, rule.what)


def opener(request: StartedBy) -> tuple[str, str | None]:
    """The actor an item's opening is recorded under, and the owner its opening event names: the person who
    started it (no owner: they are the actor); or, for an item the QA calendar started on its day, the
    calendar as itself (domain.events.CALENDAR_ACTOR), for the person who installed it. Only the calendar
    entry it names may say so: a start from anywhere else that claims one is refused, nothing recorded."""
    if request.scheduled_by is None:
        return request.started_by, None
    parent = workflow.info().parent
    if parent is None or parent.workflow_id != request.scheduled_by:
        raise refused(Refusal(f"only the QA calendar's entry {request.scheduled_by} starts an item as scheduled by it"))
    return CALENDAR_ACTOR, request.started_by


async def require_staff(staff_id: str, what: str) -> None:
    """Refuse (before anything is recorded) someone the directory does not list as active staff."""
    member = await run_activity(DirectoryActivities.staff_member, StaffLookup(staff_id=staff_id))
    if member is None or not member.active:
        raise refused(Refusal(f"{staff_id} cannot {what}: the directory does not list them as active"))


async def case_managers(practitioner: str, *, active_only: bool = True) -> tuple[str | None, str | None]:
    """The team manager and head of service of a practitioner's case: the first active one of each up their
    management chain, as the directory has it now (None where it gives none). `active_only=False`: whoever the chain
    names first, as items recorded before this looked (their histories replay so)."""
    chain = await run_activity(DirectoryActivities.management_chain, StaffLookup(staff_id=practitioner))
    return (
        next((m.staff_id for m in chain if Role.TEAM_MANAGER in m.roles and (m.active or not active_only)), None),
        next((m.staff_id for m in chain if Role.HEAD_OF_SERVICE in m.roles and (m.active or not active_only)), None),
    )


async def require_senior_leader(staff_id: str, what: str) -> None:
    """CSLT: the heads of service and those above them (the assistant director, the director)."""
    member = await run_activity(DirectoryActivities.staff_member, StaffLookup(staff_id=staff_id))
    if member is not None and member.active:
        if Role.HEAD_OF_SERVICE in member.roles:
            return
        for head in await run_activity(DirectoryActivities.role_holders, RoleLookup(role=Role.HEAD_OF_SERVICE)):
            chain = await run_activity(DirectoryActivities.management_chain, StaffLookup(staff_id=head.staff_id))
            if staff_id in {m.staff_id for m in chain}:
                return
    raise refused(Refusal(f"{staff_id} cannot {what}: CSLT is the heads of service and those they report to"))


async def require_responsible(actions: Sequence[SmartAction]) -> None:
    """Refuse actions whose person responsible the directory does not list as active staff."""
    for number, action in enumerate(actions, start=1):
        member = await run_activity(DirectoryActivities.staff_member, StaffLookup(staff_id=action.responsible))
        if member is None or not member.active:
            raise refused(
                Refusal(f"action {number}: {action.responsible} is not an active member of staff: who is responsible?")
            )


async def add_to_plan(request: AddFindings, plan: str) -> AddedFindings:
    """Carry a finding's actions into a plan through the plan's own update; its refusal is the person's.

    `plan` names it in words ("the team's action plan") for the refusal.
    """
    return await run_activity_or_refuse(
        ActionPlanActivities.add_findings, request, "PlanRefused", f"{plan} refused the actions"
    )


async def add_report_actions(request: PublishReport, source: str) -> AddedFindings:
    """A published report's actions (a CPR cycle's, a case audit's), carried into the plan it names."""
    assert request.plan_id is not None  # check_plan_actions: actions name their plan
    return await add_to_plan(
        AddFindings(plan_id=request.plan_id.strip(), actor=request.actor, source=source, actions=request.actions),
        "the action plan",
    )


class Notifier:
    """Tasks and messages about one item, with ids a replay recomputes identically. Their subjects
    and bodies quote recorded text (an action, a concern), so they are made to fit the outbox: a
    notification that could not be built would fail the workflow task after its event was recorded,
    and every later command on the item with it."""

    def __init__(self, item_id: str) -> None:
        self.item_id = item_id

    def task(self, recipient: str, key: str, subject: str, due_at: datetime, body: str, version: int) -> Notification:
        """`version`: the item's version when the task is set; a later one replaces it in the inbox."""
        return Notification(
            notification_id=notification_id(self.item_id, "task", key, recipient, str(version)),
            recipient=recipient,
            kind="task",
            item_id=self.item_id,
            task_key=key,
            subject=fit_subject(subject),
            body=fit_body(body, self.item_id),
            due_at=due_at,
        )

    def message(self, recipient: str, kind: NotificationKind, tag: str, subject: str, body: str) -> Notification:
        return Notification(
            notification_id=notification_id(self.item_id, kind, tag, recipient),
            recipient=recipient,
            kind=kind,
            item_id=self.item_id,
            subject=fit_subject(subject),
            body=fit_body(body, self.item_id),
        )

    async def post(self, *notifications: Notification) -> None:
        if notifications:
            await run_activity(NotificationActivities.post, PostNotifications(notifications=notifications))

    async def tell_managers(self, practitioners: Sequence[str], subject: str, body: str) -> None:
        """Tell the team managers and heads of service of these practitioners (as the directory has them now),
        each once: a published report reaches those whose services it sampled."""
        managers: dict[str, None] = {}
        for practitioner in dict.fromkeys(practitioners):
            for manager in await case_managers(practitioner):
                if manager is not None:
                    managers[manager] = None
        await self.post(*(self.message(person, "info", "published", subject, body) for person in managers))

    async def close(self, key: str, recipient: str | None = None) -> None:
        await run_activity(
            NotificationActivities.close_tasks, CloseTasks(item_id=self.item_id, task_key=key, recipient=recipient)
        )


S = TypeVar("S")


class ItemWorkflow(Generic[S]):
    """What every item's workflow starts with: its id (its audit stream), its recorder and its notifier.

    Its state is only ever the fold of what its recorder appended (`evolve`); a workflow
    continued as new carries its state and version on.
    """

    def __init__(self, evolve: Callable[..., S], carried: S | None = None, version: int = 0) -> None:
        self._id = workflow.info().workflow_id
        self._recorder: EventRecorder[S] = EventRecorder(self._id, evolve, carried, version)
        self._notifier = Notifier(self._id)

    def _state(self) -> S:
        state = self._recorder.state
        assert state is not None, f"{self._id} was read before its opening event was recorded"
        return state

    # Abandoned if the workflow refuses its start: the caller then reads why it failed.
    @workflow.update(name="opened", unfinished_policy=workflow.HandlerUnfinishedPolicy.ABANDON)
    async def opened(self) -> None:
        """Returns once the item is open (`_is_open`): a start and its first answer in one call (update-with-start)."""
        await workflow.wait_condition(lambda: self._recorder.state is not None and self._is_open(self._recorder.state))

    def _is_open(self, state: S) -> bool:
        """Open once its opening event is recorded; a kind that does more at its start says so."""
        return True
