"""A safeguarding alert as its own workflow (domain.safeguarding): at once to the team manager and head of
service, up to the Head of QA and the Director while unacknowledged, and chased until it is on the child's
record.

Started by `qa alert raise` (which checks the raiser first, so a wrong one never starts one) with an id
`alert-<uuid>`; the workflow checks again, against the item's record, before it records anything. Its
escalation moments are worked out once, in working hours, and recorded with it; each step is recorded
before anyone is told, and skipped if everyone acknowledged it meanwhile.
"""

from __future__ import annotations

import asyncio
from functools import partial

from temporalio import workflow
from temporalio.exceptions import ApplicationError

from domain import safeguarding
from domain.directory import Role
from domain.errors import Refusal
from domain.events import SYSTEM_ACTOR
from domain.safeguarding import (
    ESCALATED_TO,
    ON_FILE,
    ON_FILE_WORKING_DAYS,
    AcknowledgeAlert,
    AlertAcknowledged,
    AlertClosed,
    AlertDocumented,
    AlertEscalated,
    AlertRaised,
    AlertState,
    DocumentAlert,
    RaiseAlert,
)
from domain.wording import local
from workflows.common import ItemWorkflow, case_managers, require_staff, run_activity
from workflows.duties import DutyKeeper
from workflows.recording import recorded_update, refused
from workflows.timing import london_today, wait_for_moment

with workflow.unsafe.imports_passed_through():
    from activities.deadlines import AlertRequest, CalendarActivities
    from activities.directory import CaseLookup, DirectoryActivities, RoleLookup, StaffLookup
    from activities.recording import AlertSource, AuditActivities


@workflow.defn(name=safeguarding.KIND.workflow_type)
class SafeguardingAlertWorkflow(ItemWorkflow[AlertState]):
    @workflow.init
    def __init__(self, request: RaiseAlert) -> None:
        super().__init__(safeguarding.evolve)
        self._duties = DutyKeeper(self._recorder, self._notifier, safeguarding.DUTIES, lambda s: s.title)

    @workflow.run
    async def run(self, request: RaiseAlert) -> AlertState:
        await require_staff(request.raised_by, "raise a safeguarding alert")
        why = await run_activity(AuditActivities.alert_refusal, AlertSource(alert=request))
        if why is not None:
            raise refused(Refusal(why))
        case = await run_activity(DirectoryActivities.open_case, CaseLookup(case_number=request.case_number))
        notified = await self._notified(case.practitioner if case else None)
        moments = await run_activity(
            CalendarActivities.alert_moments, AlertRequest(raised_at=workflow.now(), steps=len(ESCALATED_TO))
        )
        on_file = await DutyKeeper.due(london_today(), ON_FILE_WORKING_DAYS)
        system = case.system if case else None
        record = f"the {system} record" if system else "the child's record"
        state = await self._recorder.record(
            request.raised_by,
            AlertRaised(
                case_number=request.case_number,
                system=system,
                from_item=request.from_item,
                concern=request.concern,
                notified=notified,
                escalate_at=moments.at,
                calendar_digest=moments.calendar_digest,
            ),
            self._duties.given(
                ON_FILE,
                notified[0],
                f"document the safeguarding alert for case {request.case_number} on {record} and give its reference",
                on_file,
            ),
        )
        await self._notifier.post(
            *(
                self._notifier.message(
                    person,
                    "alert",
                    "raised",
                    f"SAFEGUARDING: immediate steps needed for case {state.case_number}",
                    f"Raised by {state.raised_by} from {state.from_item}: {state.concern}\n"
                    f"Acknowledge it with `qa alert ack {self._id}`.",
                )
                for person in state.notified
            )
        )
        await self._duties.tell_owners(state, ON_FILE)
        await asyncio.gather(self._escalate(), self._duties.chase(lambda: self._state().reference is not None))
        await workflow.wait_condition(lambda: self._state().settled)
        await self._recorder.record(SYSTEM_ACTOR, AlertClosed(), rule=safeguarding.check_close)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._state()

    @workflow.query
    def state(self) -> AlertState | None:
        return self._recorder.state

    @recorded_update(safeguarding.check_acknowledge)
    async def acknowledge(self, request: AcknowledgeAlert) -> AlertState:
        state = await self._recorder.record(
            request.actor, AlertAcknowledged(), rule=lambda s: safeguarding.check_acknowledge(s, request)
        )
        # The raiser hears what has really happened; those it went up to hear too, so that they can stand down.
        awaited = f"; still awaited from {' and '.join(state.awaited)}" if state.awaited else ""
        subject = f"Safeguarding alert for case {state.case_number} acknowledged by {request.actor}"
        await self._notifier.post(
            *(
                self._notifier.message(
                    p, "info", f"acknowledged-{request.actor}", subject, f"{request.actor} has it{awaited}."
                )
                for p in dict.fromkeys((state.raised_by, *state.escalated_to))
            )
        )
        return state

    @recorded_update(safeguarding.check_document)
    async def document(self, request: DocumentAlert) -> AlertState:
        state = await self._recorder.record(
            request.actor,
            AlertDocumented(reference=request.reference.strip()),
            self._duties.completed(ON_FILE),
            rule=lambda s: safeguarding.check_document(s, request),
        )
        await self._duties.close_tasks(ON_FILE)
        return state

    # --- escalation ---------------------------------------------------------------------------

    async def _escalate(self) -> None:
        """Each level in turn, at its recorded moment, while anyone it went to has not acknowledged it."""
        while (due := await wait_for_moment(lambda: self._state().next_escalation, lambda d: d[1])) is not None:
            level = due[0]
            recipients = await self._escalation_recipients(level)
            try:
                state = await self._recorder.record_built(
                    SYSTEM_ACTOR,
                    lambda s, level=level, recipients=recipients: (
                        AlertEscalated(level=level, recipients=recipients, awaited=s.awaited),
                    ),
                    rule=partial(safeguarding.check_escalation, level=level),
                )
            except ApplicationError:
                continue  # acknowledged while the step waited its turn
            whom, awaited = ESCALATED_TO[level], " and ".join(state.awaited)
            body = (
                f"Raised by {state.raised_by} at {local(state.raised_at)} from {state.from_item}: {state.concern}\n"
                f"Not yet acknowledged by {awaited}."
            )
            await self._notifier.post(
                *(
                    self._notifier.message(
                        r,
                        "alert",
                        f"level-{level}",
                        f"SAFEGUARDING, escalated to you as {whom}: case {state.case_number}",
                        body,
                    )
                    for r in recipients
                ),
                self._notifier.message(
                    state.raised_by,
                    "info",
                    f"level-{level}",
                    f"Safeguarding alert for case {state.case_number} escalated to {whom}",
                    f"Not acknowledged in time by {awaited}: now with {', '.join(recipients)}.",
                ),
            )

    async def _escalation_recipients(self, level: int) -> tuple[str, ...]:
        """Level 1 the Head of QA; level 2 the Director: the top of the head of service's management chain
        (the directory has no role for the Director yet). Neither known: the top of the chain, so an alert
        always reaches someone above those who have not acknowledged it."""
        state = self._state()
        chain = await run_activity(DirectoryActivities.management_chain, StaffLookup(staff_id=state.notified[-1]))
        top = (chain[-1].staff_id,) if chain else state.notified
        if level == 1:
            holders = await run_activity(DirectoryActivities.role_holders, RoleLookup(role=Role.HEAD_OF_QA))
            return tuple(m.staff_id for m in holders) or top
        return top

    async def _notified(self, practitioner: str | None) -> tuple[str, ...]:
        """The case's team manager and head of service; else whichever of them the directory gives, else the
        Head of QA: an alert is never refused, nor lost, for want of a manager."""
        active_only = workflow.patched("case-managers-are-active")  # alerts raised before told whoever was first
        managers = await case_managers(practitioner, active_only=active_only) if practitioner else (None, None)
        found = tuple(dict.fromkeys(m for m in managers if m is not None))
        if found:
            return found
        holders = await run_activity(DirectoryActivities.role_holders, RoleLookup(role=Role.HEAD_OF_QA))
        if not holders:
            raise refused(Refusal("the directory has no team manager for the case and no Head of QA to alert"))
        return tuple(m.staff_id for m in holders)
