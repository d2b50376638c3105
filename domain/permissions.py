"""Who may take each step on an item: the one table of action x role.

An action is a kind's prefix and the step's name (`review.reflect`, `cycle.allocate`),
as the server's `POST /api/items/ID/STEP` takes it, or `start` for starting an item
that a person starts (`cycle.start`, as `PUT /api/items/ID` does). The server refuses anyone the
table does not let in before it asks the workflow anything; the workflows check the
same entries again with the directory (workflows.common.require), so an update sent
to Temporal directly is held to the same rule.

Many steps belong to one person the item names (its reviewer, its practitioner, the
plan's owner): the table says which roles that person holds, and the item's own rule
(domain/<kind>.py) says which one of them it is. `ANY_STAFF` lets in every active member
of staff, for the steps whose person the directory does not mark by a role (a deadline's
owner, a concern's manager, a senior leader, who may hold none).

Reading an item is not here: it is the access rule (domain.audit_access), which goes by
who the item names and who manages them, not by role alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from domain.directory import Role, StaffMember

ANY_STAFF: tuple[Role, ...] = ()
QA_TEAM = (Role.QA_OFFICER, Role.HEAD_OF_QA)  # who run the framework


@dataclass(frozen=True, slots=True)
class May:
    roles: tuple[Role, ...]  # one of them is needed; ANY_STAFF: none
    what: str  # the step in words, for a refusal: "... cannot {what}"
    named: str = ""  # the person the item must also name, in words ("" if any holder of the roles will do)

    def refusal(self, staff_id: str, member: StaffMember | None) -> str | None:
        """Why `staff_id` (the directory's `member`, or None) may not take this step, or None."""
        if member is None or not member.active:
            return f"{staff_id} cannot {self.what}: the directory does not list them as active"
        if self.roles and not member.roles.intersection(self.roles):
            named = " or ".join(r.value for r in self.roles)
            return f"{staff_id} cannot {self.what}: the directory does not list them as a {named}"
        return None


_REVIEWER = "the review's reviewer"
_PLAN_OWNER = "the plan's owner"


def _case_audit(prefix: str, noun: str) -> dict[str, May]:
    return {
        f"{prefix}start": May((Role.QA_OFFICER,), f"start a {noun}"),
        f"{prefix}allocate": May((Role.QA_OFFICER,), "allocate reviewers"),
        f"{prefix}reallocate": May((Role.QA_OFFICER,), f"reallocate a {noun}'s case to another reviewer"),
        f"{prefix}answer": May((Role.REVIEWER,), f"answer a {noun}'s questions", "the case's allocated reviewer"),
        f"{prefix}submit": May((Role.REVIEWER,), f"submit a {noun}'s answers", "the case's allocated reviewer"),
        f"{prefix}publish": May(QA_TEAM, "publish the findings"),
    }


ACTIONS: Mapping[str, May] = {
    # A CPR cycle (domain.cpr_cycle) and its reviews (domain.review).
    "cycle.start": May((Role.QA_OFFICER,), "start a CPR cycle"),
    "cycle.allocate": May((Role.QA_OFFICER,), "allocate reviewers"),
    "cycle.allocate_moderator": May((Role.QA_OFFICER,), "allocate moderators"),
    "cycle.reallocate": May((Role.QA_OFFICER,), "reallocate a review to another reviewer"),
    "cycle.reallocate_moderator": May((Role.QA_OFFICER,), "reallocate a moderation to another moderator"),
    "cycle.moderate": May((Role.MODERATOR,), "moderate a review", "the case's allocated moderator"),
    "cycle.publish_report": May((Role.QA_OFFICER,), "publish the findings report"),
    "review.record_voice": May((Role.REVIEWER,), "record a child's or family's voice", _REVIEWER),
    "review.reflect": May((Role.PRACTITIONER,), "give the practitioner's reflection", "the review's practitioner"),
    "review.record_conversation": May((Role.REVIEWER,), "record the collaborative conversation", _REVIEWER),
    "review.judge": May((Role.REVIEWER,), "judge the rubric", _REVIEWER),
    "review.grade": May((Role.REVIEWER,), "grade a review", _REVIEWER),
    "review.conclude": May((Role.REVIEWER,), "record a review's conclusion", _REVIEWER),
    "review.recommend_action": May((Role.REVIEWER,), "recommend actions", _REVIEWER),
    "review.submit": May((Role.REVIEWER,), "submit a review", _REVIEWER),
    # Refused since alerts are their own items (below); kept for the reviews that recorded one before.
    "review.raise_safeguarding": May((Role.REVIEWER,), "raise a safeguarding alert on a review", _REVIEWER),
    "review.acknowledge_alert": May(
        (Role.TEAM_MANAGER, Role.HEAD_OF_SERVICE), "acknowledge a safeguarding alert", "one of those it went to"
    ),
    # A safeguarding alert (domain.safeguarding): raised by anyone who reads the child's record for an item.
    "alert.acknowledge": May(ANY_STAFF, "acknowledge a safeguarding alert", "one of those it went to"),
    "alert.document": May(ANY_STAFF, "confirm an alert is on the child's record", "the manager it went to"),
    "review.complete_action": May((Role.TEAM_MANAGER,), "record actions complete", "the review's team manager"),
    "review.extend": May((Role.QA_OFFICER,), "extend a review's deadline"),
    "review.reflection_not_obtained": May(
        (Role.TEAM_MANAGER, *QA_TEAM),
        "record a reflection as not obtained",
        "the review's team manager, or the QA team",
    ),
    # A dispute of a review's grade (domain.dispute).
    "dispute.record_conversation": May(
        (Role.REVIEWER, Role.PRACTITIONER), "record the dispute's conversation", "the review's reviewer or practitioner"
    ),
    "dispute.allocate_moderator": May((Role.QA_OFFICER,), "allocate a moderator to a dispute"),
    "dispute.reallocate_moderator": May((Role.QA_OFFICER,), "reallocate a dispute's moderator"),
    "dispute.record_moderation": May((Role.MODERATOR,), "record a dispute's moderation", "the dispute's moderator"),
    "dispute.record_three_way": May((Role.MODERATOR,), "record the three-way conversation", "the dispute's moderator"),
    "dispute.record_decision": May(
        (Role.HEAD_OF_QA, Role.PRINCIPAL_SOCIAL_WORKER), "record the final decision", "the final stage's decider"
    ),
    # Deadlines and staff concerns belong to people, whatever their roles.
    "deadline.complete": May(ANY_STAFF, "mark a deadline done", "the deadline's owner"),
    "deadline.extend": May(ANY_STAFF, "extend a deadline", "anyone but its owner"),
    "concern.respond": May(ANY_STAFF, "respond to a staff concern", "the manager it was raised with"),
    # Action plans: their owner (a team manager, or a senior leader for the service-wide plan).
    "plan.start": May(ANY_STAFF, "start an action plan", "the plan's owner, or the QA team for another"),
    "plan.add_action": May(ANY_STAFF, "add actions to a plan", _PLAN_OWNER),
    "plan.add_from_finding": May(ANY_STAFF, "add actions from findings to a plan", "the plan's owner or the QA team"),
    "plan.change_action": May(ANY_STAFF, "change a plan's actions", _PLAN_OWNER),
    "plan.record_progress": May(ANY_STAFF, "record a plan's progress", _PLAN_OWNER),
    "plan.record_meeting": May(ANY_STAFF, "record a plan's review meeting", _PLAN_OWNER),
    "plan.close_action": May(ANY_STAFF, "close a plan's actions", _PLAN_OWNER),
    # Team spotlights (domain.spotlight).
    "spotlight.start": May(QA_TEAM, "start a spotlight (the QA team manages the timetable)"),
    "spotlight.send_documents": May(ANY_STAFF, "send a spotlight's documents", "the visited team's manager"),
    "spotlight.send_case_list": May(ANY_STAFF, "send a spotlight's case list", "the visited team's manager"),
    "spotlight.nominate": May((Role.PRACTITIONER,), "nominate cases", "a practitioner of the visited team"),
    "spotlight.allocate": May(ANY_STAFF, "allocate a spotlight's cases", "the spotlight's lead"),
    "spotlight.give_record": May(
        (Role.TEAM_MANAGER, Role.REVIEWER), "give an information record", "a member of the spotlight team"
    ),
    "spotlight.give_feedback": May(ANY_STAFF, "record a spotlight's feedback on the day", "the spotlight's lead"),
    "spotlight.share_draft": May(ANY_STAFF, "share a spotlight's draft for comment", "the spotlight's lead"),
    "spotlight.comment": May(
        (Role.TEAM_MANAGER, Role.REVIEWER), "comment on a spotlight's draft", "a member of the spotlight team"
    ),
    "spotlight.agree_plan": May(
        ANY_STAFF, "record a spotlight's action plan discussed with the heads of service", "the spotlight's lead"
    ),
    "spotlight.send_draft": May(ANY_STAFF, "send a spotlight's draft report", "the spotlight's lead"),
    "spotlight.return_draft": May(
        (Role.HEAD_OF_QA,), "return a spotlight's draft report", "the Head of QA the draft went to"
    ),
    "spotlight.reallocate": May(QA_TEAM, "give a spotlight's lead's or member's part to someone else"),
    "spotlight.finalise": May((Role.HEAD_OF_QA,), "finalise a spotlight's report", "the Head of QA the draft went to"),
    # Thematic reviews and dip audits (domain.case_audit).
    **_case_audit("thematic.", "thematic review"),
    **_case_audit("dip.", "dip audit"),
    # The calendar's entries, the QAPM meeting, Good Practice Conversations and the Practice Week.
    "entry.set_focus": May(QA_TEAM, "set a thematic review's focus"),
    "entry.arrange": May(QA_TEAM, "arrange a spotlight"),
    "qapm.start": May(QA_TEAM, "start a QAPM meeting (the QA team prepares its pack)"),
    "qapm.record_decisions": May(
        ANY_STAFF,
        "record the QAPM meeting's decisions",
        "the Director or their delegate (a senior leader, where the directory lists no Director)",
    ),
    "qapm.delegate_chair": May((Role.DIRECTOR,), "name who chairs a QAPM meeting", "the meeting's Director"),
    "gpc.start": May(QA_TEAM, "start a Good Practice Conversation (the QA team runs them)"),
    "gpc.nominate": May((Role.HEAD_OF_SERVICE,), "nominate a team for a Good Practice Conversation"),
    "gpc.record_inquiry": May(
        (Role.HEAD_OF_SERVICE, *QA_TEAM), "record an appreciative inquiry", "the head of service who nominated"
    ),
    "practice_week.start": May(QA_TEAM, "start a Practice Week (the QA team arranges it)"),
    "practice_week.agree_theme": May(QA_TEAM, "agree the Practice Week theme (the QA team records the QAPM's)"),
    "practice_week.observe": May(ANY_STAFF, "record a Practice Week observation", "a senior leader"),
    "practice_week.close": May(QA_TEAM, "close the Practice Week (the QA team writes its summary)"),
}


_OVERSIGHT = (*QA_TEAM, Role.AUDITOR)  # who keep and check the record
MANAGERS = (Role.TEAM_MANAGER, Role.HEAD_OF_SERVICE)  # who manage practitioners

FRAMEWORK: Mapping[str, May] = {
    # What people ask of the framework as a whole, not of one item (infra.application.commands). Reading
    # one item, raising a dispute or a concern, or a person's inbox go by the item's or the person's own
    # rule instead (domain.audit_access, domain.dispute, domain.staff_concern).
    "overdue": May(_OVERSIGHT, "see what is overdue across the framework"),
    "cycles": May(_OVERSIGHT, "list the CPR cycles"),
    "summary": May((*_OVERSIGHT, *MANAGERS), "see where the CPR work stands"),
    "trends": May((*_OVERSIGHT, *MANAGERS), "see the services' trends across CPR cycles"),
    "report.annual": May(QA_TEAM, "collate the year's findings (the QA team collates them)"),
    "performance.import": May(QA_TEAM, "import service performance data for the QAPM packs"),
    "kind": May(ANY_STAFF, "look up what kind an item is"),
    "staff": May((*_OVERSIGHT, *MANAGERS), "read the staff directory"),
    "cases": May(_OVERSIGHT, "read the open-cases snapshot"),
    "verify": May(_OVERSIGHT, "verify the audit log"),
    "determinism": May(_OVERSIGHT, "replay an item's engine history on today's code"),
    "seal": May(_OVERSIGHT, "seal the engine's histories"),
    "checkpoint": May(_OVERSIGHT, "make or export checkpoints"),
    "invite": May(QA_TEAM, "invite staff to sign in"),
    "calendar.install": May(QA_TEAM, "install the QA calendar"),
    "calendar.pause": May(QA_TEAM, "pause or resume the QA calendar"),
    "calendar.list": May(_OVERSIGHT, "list the QA calendar's schedules"),
    "calendar.plan": May((*_OVERSIGHT, *MANAGERS), "see the repeat cycles in the QA calendar"),
    "deadline.start": May(ANY_STAFF, "set a deadline for someone"),
    "notifications.failed": May(_OVERSIGHT, "see the messages that did not go out"),
    "notifications.digest": May(ANY_STAFF, "choose how their messages come"),
    "alerts": May(ANY_STAFF, "list the safeguarding alerts that went to them"),
    "alert.raise": May(ANY_STAFF, "raise a safeguarding alert", "one who reads the child's record for the item"),
}


def may(action: str) -> May:
    """The table's entry for `action`; an action it does not hold is a programming error, loudly."""
    return ACTIONS[action] if action in ACTIONS else FRAMEWORK[action]
