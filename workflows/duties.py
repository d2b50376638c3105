"""Giving, completing and chasing an item's duties (domain.duties) from inside its workflow.

One piece for every item with duties: the owner gets a task; the chase is taken
step by step on its recorded moments (a reminder to the owner, the breach, then
their line manager, the next manager up and the Head of QA), each step recorded
before anyone is told, and skipped if the duty was done or moved meanwhile.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import partial
from typing import Generic, TypeVar

from temporalio import workflow
from temporalio.exceptions import ApplicationError

from domain import duties
from domain.chasing import ChaseStep
from domain.directory import Role
from domain.duties import LEVEL_NAMES, DutyDone, DutyEvents, DutySet, HasDuties
from domain.events import SYSTEM_ACTOR, DomainEvent
from domain.notifications import NotificationKind
from domain.wording import sentence
from domain.working_days import LONDON
from workflows.common import Notifier, run_activity
from workflows.recording import EventRecorder
from workflows.timing import wait_for_moment

with workflow.unsafe.imports_passed_through():
    from activities.deadlines import CalendarActivities, DueMoment, DueRequest
    from activities.directory import DirectoryActivities, RoleLookup, StaffLookup

S = TypeVar("S", bound=duties.HasDuties)


class DutyKeeper(Generic[S]):
    """`events`: the item's own duty events (domain.duties.family); `title`: the item in words; `head_of_service`:
    for an item about one service's work (a review), who its breaches reach at level 2 instead of the owner's next
    manager up: the framework's heads of service receive escalations."""

    def __init__(
        self,
        recorder: EventRecorder[S],
        notifier: Notifier,
        events: DutyEvents,
        title: Callable[[S], str],
        head_of_service: Callable[[S], str] | None = None,
    ) -> None:
        self._recorder = recorder
        self._notifier = notifier
        self._set, self._chased, self._done = events
        self._title = title
        self._head_of_service = head_of_service

    @staticmethod
    async def due(start: date, working_days: int) -> DueMoment:
        """The end of the Nth working day after `start` (before it, when negative), with its chase."""
        return await run_activity(
            CalendarActivities.due_at,
            DueRequest(start=start, working_days=working_days, chase_from=workflow.now()),
        )

    def given(self, key: str, owner: str, what: str, due: DueMoment) -> DutySet:
        return self._set(key=key, owner=owner, what=what, due_at=due.due_at, chase=due.chase)

    def handed_over(
        self, state: HasDuties, key: str, owner: str, new_key: str | None = None
    ) -> tuple[DomainEvent, ...]:
        """The open duty `key` given to `owner` instead (under `new_key`, when the key names its owner), due as it was:
        the chase steps still ahead go with it. Nothing when no such duty is open."""
        duty = next((d for d in state.duties if d.key == key and d.open), None)
        if duty is None:
            return ()
        given = self._set(key=new_key or key, owner=owner, what=duty.what, due_at=duty.due_at, chase=duty.chase)
        # Under a new key the old one is done: no longer anyone's to do.
        return (given,) if new_key in (None, key) else (self.completed(key), given)

    def completed(self, key: str) -> DutyDone:
        return self._done(key=key)

    def completed_if_open(self, state: HasDuties, key: str) -> tuple[DutyDone, ...]:
        """The duty done, when the item has it open (an item started before the duty was given has none)."""
        duty = duties.duty(state, key)
        return (self.completed(key),) if duty is not None and duty.open else ()

    async def tell_owners(self, state: S, *keys: str) -> None:
        """A task for each duty's owner (a duty given again replaces its task)."""
        tasks = []
        for key in keys:
            duty = duties.duty(state, key)
            assert duty is not None
            tasks.append(
                self._notifier.task(
                    duty.owner, key, sentence(duty.what), duty.due_at, self._title(state), state.version
                )
            )
        await self._notifier.post(*tasks)

    async def close_tasks(self, *keys: str) -> None:
        for key in keys:
            await self._notifier.close(key)

    async def chase(self, finished: Callable[[], bool]) -> None:
        """Take every chase step as its moment comes, until `finished()`."""

        def pending() -> tuple[str, ChaseStep] | None:
            state = self._recorder.state
            return None if state is None or finished() else duties.next_chase(state.duties)

        while not finished():
            due = await wait_for_moment(pending, lambda p: p[1].at)
            if due is None:
                await workflow.wait_condition(lambda: finished() or pending() is not None)
                continue
            await self._take(*due)

    async def _take(self, key: str, step: ChaseStep) -> None:
        state = self._recorder.state
        assert state is not None
        duty = duties.duty(state, key)
        assert duty is not None
        overseer = self._head_of_service(state) if self._head_of_service and step.level == 2 else None
        recipients = (overseer,) if overseer else await _recipients(duty.owner, step.level)
        try:
            state = await self._recorder.record(
                SYSTEM_ACTOR,
                self._chased(key=key, step=step, recipients=recipients),
                rule=partial(duties.check_chase, key=key, step=step),
            )
        except ApplicationError:
            return  # done or moved while the step waited its turn
        due = duty.due_at.astimezone(LONDON).strftime("%d %B %Y")
        if step.kind == "reminder":
            subject = f"Reminder: {duty.what}, due by {due}"
        elif step.kind == "overdue":
            subject = f"Overdue: {duty.owner} was to {duty.what} by {due}"
        else:
            named = "the head of service" if overseer else LEVEL_NAMES[step.level]
            subject = f"Escalated to you as {named}: {duty.owner} was to {duty.what} by {due}"
        kind: NotificationKind = "reminder" if step.kind == "reminder" else "escalation"
        tag = f"chase-{key}-v{state.version}"
        await self._notifier.post(
            *(self._notifier.message(r, kind, tag, subject, self._title(state)) for r in recipients)
        )


async def _recipients(owner: str, level: int) -> tuple[str, ...]:
    """Level 0 the owner, 1 their line manager, 2 the next manager up, 3 the Head of QA."""
    if level == 0:
        return (owner,)
    if level in (1, 2):
        chain = await run_activity(DirectoryActivities.management_chain, StaffLookup(staff_id=owner))
        if len(chain) >= level:
            return (chain[level - 1].staff_id,)
    holders = await run_activity(DirectoryActivities.role_holders, RoleLookup(role=Role.HEAD_OF_QA))
    return tuple(m.staff_id for m in holders if m.staff_id != owner) or (owner,)
