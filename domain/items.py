"""Which kind of item an audit stream holds, and how to rebuild it: the auditors' registry of registries.

Every event type starts with its kind's prefix ("review.", "cycle.", ...), so a
stream's kind is read from its events alone (even one whose first event was
deleted). Each kind brings the EventRegistry and the reducer its workflow uses,
so an auditor's replay is the very fold the workflow runs; the directory's
streams are imports from the CLI, with no workflow and no state to rebuild.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from domain import (
    action_plan,
    calendar_entry,
    case_audit,
    cpr_cycle,
    deadline,
    dip_audit,
    dispute,
    good_practice,
    practice_week,
    qapm,
    review,
    spotlight,
    staff_concern,
    thematic,
)
from domain.directory import CasesSnapshotImported, StaffImported
from domain.events import EventRegistry


@dataclass(frozen=True, slots=True)
class ItemKind:
    name: str  # in words: "review", "CPR cycle"
    prefix: str  # every event type of this kind starts with it
    registry: EventRegistry
    reducer: Callable[..., Any] | None  # None: nothing to rebuild (the directory's imports)
    workflow_type: str | None  # the Temporal workflow that records it, if any
    restricted: bool = False  # staff concerns: see domain.staff_concern.may_read

    @property
    def replayable(self) -> bool:
        return self.reducer is not None


CYCLE = ItemKind("CPR cycle", "cycle.", cpr_cycle.CYCLE_EVENTS, cpr_cycle.evolve, "CprCycle")
REVIEW = ItemKind("review", "review.", review.REVIEW_EVENTS, review.evolve, "Review")
DISPUTE = ItemKind("dispute", "dispute.", dispute.DISPUTE_EVENTS, dispute.evolve, "Dispute")
DEADLINE = ItemKind("deadline", "deadline.", deadline.DEADLINE_EVENTS, deadline.evolve, "Deadline")
CONCERN = ItemKind(
    "staff concern",
    "concern.",
    staff_concern.CONCERN_EVENTS,
    staff_concern.evolve,
    "StaffConcern",
    restricted=True,
)
PLAN = ItemKind("action plan", "plan.", action_plan.PLAN_EVENTS, action_plan.evolve, "ActionPlan")
ENTRY = ItemKind("calendar entry", "entry.", calendar_entry.ENTRY_EVENTS, calendar_entry.evolve, "CalendarEntry")
SPOTLIGHT = ItemKind("team spotlight", "spotlight.", spotlight.SPOTLIGHT_EVENTS, spotlight.evolve, "Spotlight")
# Two kinds, one reducer: a thematic review and a dip audit are both case audits.
THEMATIC = ItemKind("thematic review", "thematic.", thematic.THEMATIC_EVENTS, case_audit.evolve, "ThematicReview")
DIP_AUDIT = ItemKind("dip audit", "dip.", dip_audit.DIP_EVENTS, case_audit.evolve, "DipAudit")
QAPM = ItemKind("QAPM meeting", "qapm.", qapm.QAPM_EVENTS, qapm.evolve, "QapmMeeting")
GPC = ItemKind(
    "good practice conversation", "gpc.", good_practice.GPC_EVENTS, good_practice.evolve, "GoodPracticeConversation"
)
PRACTICE_WEEK = ItemKind(
    "practice week", "practice_week.", practice_week.PRACTICE_WEEK_EVENTS, practice_week.evolve, "PracticeWeek"
)
DIRECTORY = ItemKind("directory import", "directory.", EventRegistry(StaffImported, CasesSnapshotImported), None, None)

KINDS: tuple[ItemKind, ...] = (
    CYCLE,
    REVIEW,
    DISPUTE,
    DEADLINE,
    CONCERN,
    PLAN,
    SPOTLIGHT,
    THEMATIC,
    DIP_AUDIT,
    ENTRY,
    QAPM,
    GPC,
    PRACTICE_WEEK,
    DIRECTORY,
)


def kind_of_event(event_type: str) -> ItemKind | None:
    return next((k for k in KINDS if event_type.startswith(k.prefix)), None)


def kind_of_stream(stream_id: str, event_types: Iterable[str]) -> ItemKind | None:
    """The kind of the stream `stream_id` holding events of `event_types` (None: unknown).

    A concern's stream id alone says it is restricted, whatever its events claim.
    """
    if staff_concern.is_concern_stream(stream_id):
        return CONCERN
    for event_type in event_types:
        kind = kind_of_event(event_type)
        if kind is not None:
            return kind
    return None


def people(kind: ItemKind, state: Any) -> set[str]:
    """The staff an item names: whose managers may read its audit record."""
    if state is None:
        return set()
    if kind is REVIEW:
        return {state.practitioner, state.reviewer, state.team_manager, state.head_of_service}
    if kind is CYCLE:
        named = {state.started_by}
        for case in state.cases:
            named.update(p for p in (case.practitioner, case.reviewer) if p)
            if case.moderation is not None:
                named.add(case.moderation.moderator)
        return named
    if kind is DISPUTE:
        named = {state.reviewer, state.practitioner, state.raised_by}
        for stage in state.stages:
            named.update(stage.owners)
            named.update(p for p in (stage.moderator, stage.decided_by) if p)
        return named
    if kind is DEADLINE:
        return {state.owner, state.set_by}
    if kind is PLAN:
        return {state.owner, *(a.responsible for a in state.actions)}
    if kind is CONCERN:
        return {state.about, state.manager, state.raised_by}
    if kind is ENTRY:
        return {state.installed_by} | ({state.arranged.arranged_by} if state.arranged else set())
    if kind is SPOTLIGHT:
        named = {state.started_by, state.lead, state.team_manager, *state.members, *state.practitioners}
        return named | ({state.finaliser} if state.finaliser else set())
    if kind in (THEMATIC, DIP_AUDIT):
        return {state.started_by, *(p for c in state.cases for p in (c.practitioner, c.reviewer) if p)}
    if kind is QAPM:
        return {state.started_by, *({state.chair} if state.chair else set()), *(a.responsible for a in state.actions)}
    if kind is GPC:
        named = {state.started_by, *state.team_managers} | ({state.nominated_by} if state.nominated_by else set())
        return named | set(state.record.interviewed if state.record else ())
    if kind is PRACTICE_WEEK:
        return {state.started_by, *state.leaders} | ({state.closed_by} if state.closed_by else set())
    return set()


def case_numbers(kind: ItemKind, state: Any) -> list[str]:
    """The case numbers an item is about (never a child's name: the records hold none)."""
    if state is None:
        return []
    if kind in (REVIEW, DISPUTE):
        return [state.case_number]
    if kind in (CYCLE, THEMATIC, DIP_AUDIT):
        return [case.case_number for case in state.cases]
    if kind in (SPOTLIGHT, PRACTICE_WEEK):
        return list(state.case_numbers)
    return []
