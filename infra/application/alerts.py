"""Safeguarding alerts (domain.safeguarding): raising one from the item whose work read the child's record,
and the alerts that concern a person: to acknowledge, escalated to them, or raised by them, with where each
e-mail about it stands, so that the raiser is told only what has really happened."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel

from domain.safeguarding import AlertState
from infra.application.commands import Nothing, command
from infra.application.errors import AppError
from infra.application.services import database

# A request asked again (the same request id, the same person) raises the same alert, once.
_NAMESPACE = uuid.UUID("0b8f7e4e-2d0e-4f7e-9a57-5c1f3b0a7d21")


class Raise(BaseModel):
    from_item: str  # the item whose work the raiser was doing when they read the child's record
    case_number: str | None = None  # which of its cases; may be left out of an item about one case (a review)
    concern: str


class Raised(BaseModel):
    id: str
    state: AlertState


@command("alert.raise", changes=True)
async def raise_alert(ask: Raise, actor: str) -> Raised:
    """Raise a safeguarding alert about `case_number` as `actor`, from `from_item`: refused unless that item
    names them and is about the case; the alert once it is recorded and on its way to those it goes to."""
    from domain import safeguarding
    from domain.errors import Refusal
    from domain.items import rebuilt
    from domain.safeguarding import RaiseAlert
    from infra.application.directory import require
    from infra.application.errors import IdTaken, typed
    from infra.application.items import recorded, start_opened
    from infra.application.requests import REQUEST_ID
    from infra.store.audit_log import AuditLog
    from workflows.safeguarding_alert import SafeguardingAlertWorkflow

    await require("alert.raise", actor)
    from_item = ask.from_item.strip()
    async with database() as pool:
        kind, state = rebuilt(from_item, await AuditLog(pool).read_stream(from_item))
    case_number = ask.case_number.strip() if ask.case_number else _only_case(from_item, kind, state)
    request = typed(RaiseAlert, raised_by=actor, case_number=case_number, from_item=from_item, concern=ask.concern)
    try:
        # The workflow checks the same again, against the record as it is when it starts.
        safeguarding.check_reader(kind, state, request)
    except Refusal as exc:
        raise AppError(f"refused: {exc}") from None
    asked = REQUEST_ID.get()
    alert_id = safeguarding.STREAM_PREFIX + str(
        uuid.uuid5(_NAMESPACE, f"{actor}\x1f{asked}") if asked is not None else uuid.uuid4()
    )
    try:
        state = await start_opened(
            safeguarding.KIND, SafeguardingAlertWorkflow, request, alert_id, taken=f"{alert_id} is already taken"
        )
    except IdTaken:
        state = await recorded(safeguarding.KIND, alert_id)
        if asked is None or state.raised_by != actor:
            raise
    return Raised(id=alert_id, state=state)


def _only_case(item_id: str, kind, state) -> str:  # type: ignore[no-untyped-def]
    """The case of an item about one case; an item about several needs it named."""
    from domain.safeguarding import no_item

    if kind is None or state is None:
        raise AppError(f"refused: {no_item(item_id)}")
    cases = [] if kind.restricted else kind.case_numbers(state)
    if len(cases) == 1:
        return cases[0]
    if not cases:
        raise AppError(f"refused: {item_id} is about no child's case: raise it from the item whose work you were doing")
    raise AppError(f"name the case (--case): {item_id} is about {len(cases)} ({', '.join(cases)})", 2)


Email = Literal["in the app only", "queued", "sending", "e-mailed", "failed"]


class Told(BaseModel):
    """One person an alert went to: whether they have it, and where the e-mail telling them stands."""

    person: str
    acknowledged_at: AwareDatetime | None
    email: Email
    emailed_at: AwareDatetime | None = None


class Alert(BaseModel):
    """A safeguarding alert as its record holds it, for someone it concerns."""

    id: str  # as `qa alert ack` takes it: the alert's id (REVIEW_ID/S1 for one a review recorded before)
    case_number: str
    concern: str
    raised_by: str
    raised_at: AwareDatetime
    from_item: str
    told: list[Told]  # those it went to, to acknowledge it
    awaited: tuple[str, ...]  # who of them has not yet
    escalated_to: tuple[str, ...]  # the Head of QA, then the Director, as it went up unacknowledged
    escalates_at: AwareDatetime | None  # when it goes up the next level if still not acknowledged
    on_record: str | None  # the reference of its entry on the child's record, once confirmed


@command("alerts")
async def alerts(ask: Nothing, person: str) -> list[Alert]:
    """The open safeguarding alerts that concern `person` (to acknowledge, escalated to them, or raised by them),
    newest first; the read is logged."""
    from domain import review, safeguarding
    from domain.notifications import notification_id
    from infra.application.directory import require
    from infra.application.items import open_items
    from infra.application.status import logged
    from infra.store.deliveries import Deliveries

    await require("alerts", person)
    await logged(person, "*", "alerts")
    items = [
        (alert_id, s)
        for alert_id, s in await open_items(safeguarding.KIND)
        if person in (s.raised_by, *s.notified, *s.escalated_to)
    ]
    ids = {(a, p): notification_id(a, "alert", "raised", p) for a, s in items for p in s.notified}
    async with database() as pool:
        emails = await Deliveries(pool).states(list(ids.values()))

    def told(alert_id: str, s: safeguarding.AlertState) -> list[Told]:
        return [
            Told(person=p, acknowledged_at=s.acknowledged.get(p), **_email(emails.get(ids[alert_id, p])))
            for p in s.notified
        ]

    found = [
        Alert(
            id=alert_id,
            case_number=s.case_number,
            concern=s.concern,
            raised_by=s.raised_by,
            raised_at=s.raised_at,
            from_item=s.from_item,
            told=told(alert_id, s),
            awaited=s.awaited,
            escalated_to=s.escalated_to,
            escalates_at=step[1] if (step := s.next_escalation) else None,
            on_record=s.reference,
        )
        for alert_id, s in items
    ]
    # Those a review recorded before alerts were their own items: in the app only, acknowledged on the review.
    found += [
        Alert(
            id=f"{review_id}/{a.alert_id}",
            case_number=state.case_number,
            concern=a.concern,
            raised_by=a.raised_by,
            raised_at=a.raised_at,
            from_item=review_id,
            told=[Told(person=p, acknowledged_at=a.acknowledged.get(p), email="in the app only") for p in a.notified],
            awaited=a.awaited,
            escalated_to=(),
            escalates_at=None,
            on_record=None,
        )
        for review_id, state in await open_items(review.KIND)
        for a in state.alerts
        if person in (a.raised_by, *a.notified)
    ]
    return sorted(found, key=lambda a: a.raised_at, reverse=True)


def _email(delivery: tuple[str, datetime | None] | None) -> dict[str, object]:
    if delivery is None:
        return {"email": "in the app only"}
    state, sent_at = delivery
    return {"email": "e-mailed" if state == "sent" else state, "emailed_at": sent_at}
