"""The services' trends across their CPR cycles (domain.trends), read from the audit log: one reading for `qa trends`
and for a findings report's comparison with the service's earlier cycles."""

from __future__ import annotations

from datetime import datetime

from domain import cpr_cycle, dispute, review
from domain.events import RecordedEvent, fold
from domain.grade_of_record import decided_in
from domain.trends import ServiceTrend, by_service, cycle_trend
from infra.store.audit_log import AuditLog


async def read_trends(
    log: AuditLog, service: str | None = None, until: datetime | None = None
) -> tuple[ServiceTrend, ...]:
    """Each service's trend (or `service`'s alone), from the events recorded up to `until` (all, if None): a report
    built at a moment reads the same trend on every retry."""

    def upto(events: list[RecordedEvent]) -> list[RecordedEvent]:
        return events if until is None else [e for e in events if e.business_time <= until]

    if service is None:
        opened = await log.streams_opened(cpr_cycle.CycleStarted.event_type)
    else:
        opened = [e.stream_id for e in await log.events_of_type(cpr_cycle.CycleStarted.event_type, "service", service)]
    cycles = {
        cycle_id: fold(cpr_cycle.evolve, cpr_cycle.CYCLE_EVENTS, upto(events))
        for cycle_id, events in (await log.read_streams(opened)).items()
        if upto(events)
    }
    review_ids = [c.review_id for s in cycles.values() for c in s.cases if c.submitted and c.review_id]
    reviews = {
        review_id: fold(review.evolve, review.REVIEW_EVENTS, upto(events))
        for review_id, events in (await log.read_streams(review_ids)).items()
        if upto(events)
    }
    disputes = await log.read_streams_opened_with(dispute.DisputeRaised.event_type, "review_id", review_ids)
    decided = decided_in(disputes, until)
    return by_service(
        (
            state.service,
            cycle_trend(
                cycle_id,
                state,
                {c.case_number: reviews[c.review_id] for c in state.cases if c.review_id in reviews},
                decided,
            ),
        )
        for cycle_id, state in cycles.items()
    )
