"""The kinds of item the engine keeps: the one list every layer derives its per-kind behaviour from.

Each kind declares itself once, beside its events (`KIND` at the end of its
`domain/<kind>.py`, see domain.kinds). Every event type starts with its kind's
prefix, so a stream's kind is read from its events alone (even one whose first
event was deleted). Each kind brings the registry and the reducer its workflow
uses, so an auditor's replay is the very fold the workflow runs.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from domain import (
    action_plan,
    annual_report,
    calendar_entry,
    cpr_cycle,
    deadline,
    dip_audit,
    directory,
    dispute,
    good_practice,
    performance,
    practice_week,
    qapm,
    review,
    safeguarding,
    seals,
    spotlight,
    staff_concern,
    thematic,
)
from domain.events import NewEvent, fold
from domain.kinds import Kind

KINDS: tuple[Kind, ...] = (
    cpr_cycle.KIND,
    review.KIND,
    dispute.KIND,
    deadline.KIND,
    staff_concern.KIND,
    safeguarding.KIND,
    action_plan.KIND,
    spotlight.KIND,
    thematic.KIND,
    dip_audit.KIND,
    calendar_entry.KIND,
    qapm.KIND,
    good_practice.KIND,
    practice_week.KIND,
    directory.KIND,
    seals.KIND,
    annual_report.KIND,
    performance.KIND,
)


def opens(event_type: str) -> Kind | None:
    """The kind of item an event of this type opens, if it opens one (the audit log's open items)."""
    kind = kind_of_event(event_type)
    return kind if kind is not None and kind.workflow_type is not None and kind.opening == event_type else None


def closes(event_type: str) -> bool:
    """Whether an event of this type closes its item (domain.kinds.Kind.closing)."""
    kind = kind_of_event(event_type)
    return kind is not None and event_type in kind.closing


def _distinct(kinds: tuple[Kind, ...]) -> None:
    for what in ("name", "prefix", "workflow_type"):
        values = [getattr(k, what) for k in kinds if getattr(k, what) is not None]
        if len(values) != len(set(values)):
            raise ValueError(f"two kinds share a {what}: {sorted(values)}")


_distinct(KINDS)


def kind_of_event(event_type: str) -> Kind | None:
    return next((k for k in KINDS if event_type.startswith(k.prefix)), None)


def kind_of_workflow(workflow_type: str) -> Kind | None:
    return next((k for k in KINDS if k.workflow_type == workflow_type), None)


def kind_of_stream(stream_id: str, event_types: Iterable[str]) -> Kind | None:
    """The kind of the stream `stream_id` holding events of `event_types` (None: unknown).

    A concern's stream id alone says it is restricted, whatever its events claim.
    """
    if staff_concern.is_concern_stream(stream_id):
        return staff_concern.KIND
    for event_type in event_types:
        kind = kind_of_event(event_type)
        if kind is not None:
            return kind
    return None


def rebuilt(stream_id: str, events: Sequence[NewEvent]) -> tuple[Kind | None, Any]:
    """The kind of a stream and its state, folded by its kind's own reducer (None: no state to rebuild)."""
    kind = kind_of_stream(stream_id, (e.event_type for e in events))
    if kind is None or kind.evolve is None or not events:
        return kind, None
    return kind, fold(kind.evolve, kind.events, events)


def people(kind: Kind, state: Any) -> set[str]:
    """The staff an item names: whose managers may read its audit record."""
    return set() if state is None else kind.people(state)


def case_numbers(kind: Kind, state: Any) -> list[str]:
    """The case numbers an item is about (never a child's name: the records hold none)."""
    return [] if state is None else kind.case_numbers(state)
