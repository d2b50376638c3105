"""Who may read an item's audit record (its history, its replayed state, an evidence bundle).

The rule, in order:

1. The reader must be an active member of staff in the directory.
2. A staff concern (`concern-...`) is read only by those `domain.staff_concern.may_read`
   allows: the manager it was raised with, those above them, the person who raised
   it, and auditors; never the person it is about. Nothing else below applies to it.
3. Auditors may read every item.
4. The QA team (`qa_officer`, `head_of_qa`), who run the framework, may read every
   CPR item (cycles, reviews, disputes), deadline and directory import.
5. Those whose role the item's kind lists (`Kind.read_by`: a QAPM meeting's attendees, every team manager and
   head of service) may read its items.
6. A manager (`team_manager` or `head_of_service`) may read an item that names them
   (a review names its practitioner, reviewer, team manager and head of service; a
   cycle its starter, practitioners, reviewers and moderators; a dispute its parties,
   moderator and deciders; a deadline its owner and setter), or that names someone
   below them in the directory's management chain.

Everyone else is refused, and the refusal is recorded in the access log like a read.

Reading an item to do one's part in it (`show`, the server's item pages) follows the
same rule, and also lets in every active member of staff the item names: the
practitioner of a review reads it to reflect, a moderator the cycle they moderate.
A staff concern is read by its rule alone: never by the person it is about.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from domain import permissions, staff_concern
from domain.directory import Role, StaffMember, management_chain
from domain.items import people
from domain.kinds import Kind

QA_TEAM = frozenset(permissions.QA_TEAM)
MANAGERS = frozenset(permissions.MANAGERS)

RULE = (
    "auditors; the QA team (qa_officer, head_of_qa); and team managers or heads of service the item names"
    " or who manage someone it names"
)


def audit_refusal(
    reader_id: str, item_id: str, kind: Kind | None, state: Any, staff: Mapping[str, StaffMember]
) -> str | None:
    """Why `reader_id` may not read `item_id`'s audit record, or None if they may.

    `state` is the item's current state (its full fold; None if it has none), and
    `staff` the whole directory by staff id.
    """
    reader = staff.get(reader_id)
    if reader is None or not reader.active:
        return f"{reader_id} is not an active member of staff in the directory"
    if kind is not None and kind.restricted:
        if state is None or not staff_concern.may_read(reader, state, management_chain(staff, state.manager)):
            return staff_concern.reading_refused(item_id)
        return None
    if reader.has(Role.AUDITOR) or reader.roles & QA_TEAM or (kind is not None and reader.roles & kind.read_by):
        return None
    if reader.roles & MANAGERS and kind is not None and _manages(reader.staff_id, people(kind, state), staff):
        return None
    return f"{reader_id} may not read the audit record of {item_id}: it is open to {RULE}"


def _manages(manager_id: str, named: Iterable[str], staff: Mapping[str, StaffMember]) -> bool:
    for person in named:
        if person == manager_id:
            return True
        if any(m.staff_id == manager_id for m in management_chain(staff, person)):
            return True
    return False


def show_refusal(
    reader_id: str, item_id: str, kind: Kind | None, state: Any, staff: Mapping[str, StaffMember]
) -> str | None:
    """Why `reader_id` may not read `item_id` to do their part in it, or None if they may (see above)."""
    reader = staff.get(reader_id)
    if reader is None or not reader.active or kind is None or kind.restricted:
        return audit_refusal(reader_id, item_id, kind, state, staff)
    if reader_id in people(kind, state) or audit_refusal(reader_id, item_id, kind, state, staff) is None:
        return None
    return f"{reader_id} may not read {item_id}: it is open to the staff it names, {RULE}"


def person_refusal(reader_id: str, person_id: str, staff: Mapping[str, StaffMember]) -> str | None:
    """Why `reader_id` may not read what `person_id` has to do and was told (their inbox), or None if they
    may: the person themselves, those above them in the directory's management chain, the QA team, who
    run the framework, and auditors."""
    reader = staff.get(reader_id)
    if reader is None or not reader.active:
        return f"{reader_id} is not an active member of staff in the directory"
    if reader_id == person_id or reader.has(Role.AUDITOR) or reader.roles & QA_TEAM:
        return None
    if any(m.staff_id == reader_id for m in management_chain(staff, person_id)):
        return None
    return f"{reader_id} may not read {person_id}'s inbox: it is open to them, their managers, the QA team and auditors"
