"""A Team Spotlight: events, state, reducer and the rules for each step.

From the framework's Team Spotlight guidance (Appendix 3): once a year a team is
evaluated by three or four colleagues led by a senior manager. One week (5
working days) before the day the team manager sends the key documents; each
practitioner names one child whose practice they are proud of and one they found
challenging, and the team manager's collated list is due 5 working days before.
On the day the lead allocates each member three children: one at random, one
proud, one challenging. Before the day ends the lead feeds back to the team
managers and heads of service. Each member's information record reaches the lead
within 1 working day; the lead shares the draft with the spotlight team for
comment and agrees its action plan with the heads of service, then sends it to the
QA team within 15 working days of the day; the Head of Service QA and Safeguarding
finalises it within 5 working days of receiving it (or returns it with reasons),
and it is circulated to the team manager. Finalising adds the report's SMART
actions to the team's action plan. A spotlight may visit more than one team: the
records and the report then say where the teams differ.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import date, datetime, time
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, Field

from domain import duties
from domain.action_plan import SmartAction, check_smart_actions
from domain.directory import Role, StaffMember
from domain.duties import Duty
from domain.errors import Refusal
from domain.events import DomainEvent, EventMeta, EventRegistry
from domain.frozen import Frozen
from domain.kinds import Kind
from domain.requests import ChangeRequest
from domain.rubric import Grade
from domain.sampling import rank
from domain.text import required_text
from domain.wording import people
from domain.working_days import LONDON

DOCUMENTS_BEFORE = 5  # working days before the day
CASE_LIST_BEFORE = 5
RECORD_AFTER = 1  # working days after the day
DRAFT_AFTER = 15
FINALISE_AFTER = 5  # working days after the QA team receives the draft
RESEND_AFTER = 5  # working days after a draft comes back (the document gives none: the finaliser's own window)
MEMBERS = (3, 4)

# The five themes, in the document's order and words.
SECTIONS = {
    "culture": "Culture of the team",
    "practice": "Quality of practice with children, young people and families",
    "quality-assurance": "How the team quality assures their work and uses this learning to develop practice",
    "oversight": "Management oversight, support and challenge",
    "systemic": "Systemic issues",
}
# The member record's "Please consider the following" for each theme, in the document's words (not exhaustive;
# not every prompt fits every Spotlight).
PROMPTS = {
    "culture": (
        "Staff turnover",
        "Is supervision strength based / reflexive / challenging and supportive?",
        "Is the atmosphere in the office calm and orderly?",
        "How is technology embraced?",
        "What team building activities are undertaken?",
        "Are interactions you observe with families and colleagues respectful?",
        "Do the team own the action plan?",
        "How do they engage with team meetings, do they happen in the absence of the manager, what purpose do they"
        " serve?",
        "How do the team celebrate success?",
        "How do people respond in a crisis?",
    ),
    "practice": (
        "What does Performance Data tell you about compliance? How do the team use this data?",
        "How are research / methods / tools used?",
        "Comments from observations of practice",
        "Can workers identify a piece of work they are proud of?",
        "Quality of electronic records (record electronic record numbers viewed and what documents were read)",
        "How did the worker determine visiting frequency?",
        "Is supervision reflexive / challenging / supportive?",
    ),
    "quality-assurance": (
        "How do teams gather feedback / is this meaningful / how does it inform practice?",
        "What feedback is given to workers when managers authorise reports.",
        "Numbers of complaints / compliments. What are the themes / how do they inform practice?",
        "How are training needs identified, how is learning from training disseminated?",
        "How often are Dip Reviews carried out and how do the findings affect practice?",
        "What do reviews / audits say about practice / how have managers and workers responded to the findings?",
        "How are team meetings / other forums used to share information?",
    ),
    "oversight": (
        "Do manager's views reflect the team's findings?",
        "Workforce planning and stability of management team.",
        "Direct observations / supervision records: quality and timeliness.",
        "Engagement with Team Meetings / are there minutes?",
        "Presence and engagement of ISRO: do they attend Team meetings / numbers of resolutions.",
        "What is the budget position of the team?",
        "Numbers of complaints / compliments / are they dealt with on time / an example of how the team learnt from"
        " recent issues raised?",
    ),
    "systemic": (
        "How are staffing levels managed.",
        "Review of transfer process / records.",
        "Review of cases recently transferred, how was the process managed, is there a transfer form?",
        "How are duty arrangements managed?",
        "Discussions with other team managers about experiences of working together.",
        "How do the team build positive relationships with partner agencies?",
    ),
}
# The key documents the team manager sends, "depending on what is available".
DOCUMENT_KINDS = {
    "team-action-plan": "Team action plan",
    "qapm-reports": "Recent stocktake / QAPM meeting reports",
    "performance-data": "Performance data (Power BI dashboards)",
    "audit-outcomes": "Outcomes of audits / practice evaluations",
}
Phase = Literal["preparing", "on-the-day", "drafting", "finalising", "finalised"]


def record_key(member: str) -> str:
    return f"record-{member}"


# --- events -----------------------------------------------------------------------------------


class SpotlightStarted(DomainEvent):
    event_type = "spotlight.started"
    team: str
    day: date
    lead: str
    members: tuple[str, ...]
    team_manager: str
    practitioners: tuple[str, ...]
    previous: str | None  # the team's last spotlight, whose progress this one looks at
    calendar_digest: str
    other_teams: tuple[str, ...] = ()  # more teams visited in the same spotlight
    other_team_managers: tuple[str, ...] = ()  # theirs, in the same order
    # The lead feeds back on the day and consults on the draft before sending it (spotlights started before those
    # steps were recorded go without).
    consults: bool = False


DUTIES = duties.family("spotlight")


class KeyDocument(Frozen):
    kind: str
    reference: str = Field(title="Where it is kept (a link or file reference, never its contents)")


class DocumentsSent(DomainEvent):
    event_type = "spotlight.documents_sent"
    documents: tuple[KeyDocument, ...]


class Nomination(Frozen):
    practitioner: str
    proud: str
    challenging: str


class CasesNominated(DomainEvent):
    event_type = "spotlight.cases_nominated"
    nomination: Nomination


class CaseListSent(DomainEvent):
    event_type = "spotlight.case_list_sent"
    nominations: tuple[Nomination, ...]


class Allocation(Frozen):
    member: str
    random: str
    proud: str
    challenging: str

    @property
    def cases(self) -> tuple[str, str, str]:
        return (self.random, self.proud, self.challenging)


class CasesAllocated(DomainEvent):
    event_type = "spotlight.cases_allocated"
    seed: str
    snapshot_id: int
    team_cases: tuple[str, ...]  # what the random cases were drawn from
    allocations: tuple[Allocation, ...]


class SectionNotes(Frozen):
    """A member's notes on one theme: the form's two boxes."""

    positives: str = Field("", title="Positives to highlight")
    development: str = Field("", title="Areas for development")


class MemberRecord(Frozen):
    """The Spotlight Team Member Information Record."""

    sections: dict[str, SectionNotes] = Field(title="The themes")
    grade: Grade = Field(title="Overall grading (please select one)")
    other_comments: str = Field("", title="Any other comments not covered elsewhere")
    focus: str = Field(
        title="What the team should focus on to improve this grading / sustain a positive grading and any barriers"
        " they may need to address"
    )
    records_viewed: tuple[str, ...] = Field(  # electronic record numbers beyond the three allocated
        (), title="Electronic record numbers viewed, beyond the three allocated (one a line)"
    )
    documents_read: tuple[str, ...] = Field(
        (), title="The documents read on the records (one a line: e.g. LCS-100701 child and family assessment)"
    )
    differences: str = Field(
        "", title="If more than one team was visited: any differences in the observations between the teams"
    )


class MemberRecordGiven(DomainEvent):
    event_type = "spotlight.record_given"
    member: str
    record: MemberRecord


class ReportSection(Frozen):
    general: str = Field(title="General comments")
    strengths: str = Field(title="Areas of strength")
    development: str = Field(title="Ways in which the Spotlight team felt this could be developed")
    evidence: str = Field(
        title="Summary of evidence / observations that informed the Spotlight team's views (including electronic"
        " record numbers for files accessed)"
    )


class SpotlightReport(Frozen):
    sections: dict[str, ReportSection] = Field(title="The themes")
    grade: Grade = Field(title="Overall grading (please select one)")
    progress: str = Field(title="Main areas of progress since the last Spotlight")
    focus: str = Field(title="What the team should focus on to improve this grading / sustain a positive grading")
    barriers: str = Field(title="Any barriers that may need to be addressed to enable the team to make progress")
    actions: tuple[SmartAction, ...] = Field(title="Recommended action plan for improvement (please make it SMART)")
    differences: str = Field(
        "", title="If more than one team was considered: the differences in observations or gradings between them"
    )


class DraftReportSent(DomainEvent):
    event_type = "spotlight.draft_sent"
    report: SpotlightReport
    records_viewed: tuple[str, ...]  # every electronic record number the spotlight team viewed
    finaliser: str


class FeedbackGiven(DomainEvent):
    """The lead's feedback on the day to the team managers and heads of service: the suggested actions the final
    report will cover."""

    event_type = "spotlight.feedback_given"
    to: tuple[str, ...]
    actions: str


class DraftShared(DomainEvent):
    """The lead's draft, sent to the rest of the spotlight team for comment and review (again for a revision)."""

    event_type = "spotlight.draft_shared"
    report: SpotlightReport


class DraftCommented(DomainEvent):
    event_type = "spotlight.draft_commented"
    member: str
    comments: str


class PlanAgreed(DomainEvent):
    """The draft's proposed action plan discussed with the heads of service, so that its actions are realistic."""

    event_type = "spotlight.plan_agreed"
    heads_of_service: tuple[str, ...]
    note: str


class DraftReturned(DomainEvent):
    """The Head of Service QA and Safeguarding sends the draft back to the lead, with reasons."""

    event_type = "spotlight.draft_returned"
    reasons: str


class PlanActions(Frozen):
    plan_id: str
    actions: tuple[str, ...]


class ReportFinalised(DomainEvent):
    event_type = "spotlight.report_finalised"
    note: str
    plan_id: str
    plan_actions: tuple[str, ...]
    circulated_to: tuple[str, ...]
    other_plans: tuple[PlanActions, ...] = ()  # the other visited teams' plans, each given the actions too


class PartReallocated(DomainEvent):
    """The QA team gives the lead's or a member's part to someone else (absence, a conflict of interest): their
    duties and, once allocated, their children go with it."""

    event_type = "spotlight.reallocated"
    part: Literal["lead", "member"]
    previous: str
    to: str
    reason: str


SPOTLIGHT_EVENTS = EventRegistry(
    SpotlightStarted,
    *DUTIES,
    DocumentsSent,
    CasesNominated,
    CaseListSent,
    CasesAllocated,
    MemberRecordGiven,
    DraftReportSent,
    ReportFinalised,
    PartReallocated,
    FeedbackGiven,
    DraftShared,
    DraftCommented,
    PlanAgreed,
    DraftReturned,
)


# --- state ------------------------------------------------------------------------------------


class SpotlightState(Frozen):
    version: int
    team: str
    day: date
    lead: str
    members: tuple[str, ...]
    team_manager: str
    practitioners: tuple[str, ...]
    previous: str | None
    started_by: str
    phase: Phase = "preparing"
    duties: tuple[Duty, ...] = ()
    documents: tuple[KeyDocument, ...] = ()
    nominations: tuple[Nomination, ...] = ()
    case_list_sent: bool = False
    seed: str | None = None
    allocations: tuple[Allocation, ...] = ()
    records: dict[str, MemberRecord] = {}
    report: SpotlightReport | None = None
    records_viewed: tuple[str, ...] = ()
    finaliser: str | None = None
    finalised_at: AwareDatetime | None = None
    final_note: str | None = None
    plan_id: str | None = None
    plan_actions: tuple[str, ...] = ()
    other_teams: tuple[str, ...] = ()
    other_team_managers: tuple[str, ...] = ()
    other_plans: tuple[PlanActions, ...] = ()
    consults: bool = False
    feedback_to: tuple[str, ...] = ()
    feedback_actions: str | None = None
    shared: SpotlightReport | None = None  # the draft as last shared with the spotlight team
    comments: dict[str, str] = {}  # each member's comments on it
    plan_agreed_with: tuple[str, ...] = ()
    plan_agreement: str | None = None
    returns: tuple[str, ...] = ()  # the finaliser's reasons, each time the draft came back

    @property
    def plans(self) -> tuple[PlanActions, ...]:
        """Every visited team's plan and the actions the report added to it, once finalised."""
        first = (PlanActions(plan_id=self.plan_id, actions=self.plan_actions),) if self.plan_id else ()
        return (*first, *self.other_plans)

    @property
    def teams(self) -> tuple[str, ...]:
        return (self.team, *self.other_teams)

    @property
    def team_managers(self) -> tuple[str, ...]:
        return (self.team_manager, *self.other_team_managers)

    @property
    def ended(self) -> bool:
        """Finalised: nothing more is awaited (the workflow stops chasing; `qa overdue` stops listing)."""
        return self.phase == "finalised"

    @property
    def title(self) -> str:
        return f"the {' and '.join(self.teams)} team spotlight of {self.day.strftime('%d %B %Y')}"

    @property
    def day_starts_at(self) -> datetime:
        return datetime.combine(self.day, time(0), LONDON)

    def nomination_of(self, practitioner: str) -> Nomination | None:
        return next((n for n in self.nominations if n.practitioner == practitioner), None)

    def allocation_of(self, member: str) -> Allocation | None:
        return next((a for a in self.allocations if a.member == member), None)

    @property
    def records_awaited(self) -> tuple[str, ...]:
        return tuple(m for m in self.members if m not in self.records)

    @property
    def case_numbers(self) -> tuple[str, ...]:
        named = [c for n in self.nominations for c in (n.proud, n.challenging)]
        named += [c for a in self.allocations for c in a.cases]
        return tuple(dict.fromkeys(named))


def evolve(state: SpotlightState | None, event: DomainEvent, meta: EventMeta) -> SpotlightState:
    if state is None:
        if not isinstance(event, SpotlightStarted):
            raise ValueError(f"a spotlight starts with spotlight.started, not {event.event_type}")
        return SpotlightState(
            version=meta.version, started_by=meta.actor, **event.model_dump(exclude={"calendar_digest"})
        )
    update: dict[str, object]
    if (changed := duties.evolve_duties(state.duties, event, meta)) is not None:
        update = {"duties": changed}
    else:
        match event:
            case DocumentsSent():
                update = {"documents": event.documents}
            case CasesNominated():
                others = tuple(n for n in state.nominations if n.practitioner != event.nomination.practitioner)
                update = {"nominations": (*others, event.nomination)}
            case CaseListSent():
                update = {"nominations": event.nominations, "case_list_sent": True}
            case CasesAllocated():
                update = {"allocations": event.allocations, "seed": event.seed, "phase": "on-the-day"}
            case MemberRecordGiven():
                update = {"records": {**state.records, event.member: event.record}}
            case DraftReportSent():
                update = {
                    "report": event.report,
                    "records_viewed": event.records_viewed,
                    "finaliser": event.finaliser,
                    "phase": "finalising",
                }
            case PartReallocated(part="lead"):
                update = {"lead": event.to}
            case PartReallocated():
                update = {
                    "members": tuple(event.to if m == event.previous else m for m in state.members),
                    "allocations": tuple(
                        a.model_copy(update={"member": event.to}) if a.member == event.previous else a
                        for a in state.allocations
                    ),
                }
            case ReportFinalised():
                update = {
                    "phase": "finalised",
                    "finalised_at": meta.business_time,
                    "final_note": event.note,
                    "plan_id": event.plan_id,
                    "plan_actions": event.plan_actions,
                    "other_plans": event.other_plans,
                }
            case FeedbackGiven():
                update = {"feedback_to": event.to, "feedback_actions": event.actions}
            case DraftShared():
                update = {"shared": event.report}
            case DraftCommented():
                update = {"comments": {**state.comments, event.member: event.comments}}
            case PlanAgreed():
                update = {"plan_agreed_with": event.heads_of_service, "plan_agreement": event.note}
            case DraftReturned():
                update = {"phase": "drafting", "returns": (*state.returns, event.reasons)}
            case _:
                raise ValueError(f"{event.event_type} does not belong to a spotlight")
    if update.get("records") is not None and not state.model_copy(update=update).records_awaited:
        update["phase"] = "drafting"
    return state.model_copy(update={"version": meta.version, **update})


# --- who manages the team ------------------------------------------------------------------------


def team_managers(staff: Sequence[StaffMember]) -> tuple[str, ...]:
    """Who sends a team's documents and list: its team manager."""
    return tuple(m.staff_id for m in staff if Role.TEAM_MANAGER in m.roles)


def most_reported_to(staff: Sequence[StaffMember]) -> tuple[str, ...]:
    """For a team with no team manager (the QA team, led by the Head of QA): whom most of its staff report to."""
    reporting = Counter(m.line_manager for m in staff if m.line_manager)
    if not reporting:
        return ()
    most = max(reporting.values())
    return tuple(sorted(head for head, count in reporting.items() if count == most))


# --- allocation -------------------------------------------------------------------------------


def allocate(
    members: tuple[str, ...], nominations: tuple[Nomination, ...], team_cases: tuple[str, ...], seed: str
) -> tuple[Allocation, ...]:
    """Three children each: one at random, one proud, one challenging; nobody sees a child twice.

    Member i takes the i-th practitioner's proud case and the next practitioner's
    challenging one, so no member's two nominated children share a practitioner
    when there is more than one. The random children are the team's other open
    cases with the lowest SHA-256(seed:case) ranks (domain.sampling), so anyone
    holding the recorded seed and case list can redo the draw.
    """
    nominated = {c for n in nominations for c in (n.proud, n.challenging)}
    pool = sorted((c for c in team_cases if c not in nominated), key=lambda c: rank(seed, c))
    if len(nominations) < len(members):
        raise Refusal(
            f"{len(members)} members need {len(members)} practitioners' proud and challenging children;"
            f" the list has {len(nominations)}"
        )
    if len(pool) < len(members):
        raise Refusal(
            f"the team has {len(pool)} open cases besides the nominated ones; {len(members)} members need one each"
        )
    count = len(members)
    return tuple(
        Allocation(
            member=member,
            random=pool[i],
            proud=nominations[i].proud,
            challenging=nominations[(i + 1) % count].challenging,
        )
        for i, member in enumerate(members)
    )


# --- requests (one per update) ----------------------------------------------------------------


class SendDocuments(ChangeRequest):
    documents: tuple[KeyDocument, ...] = Field(title="The key documents, depending on what is available")


class NominateCases(ChangeRequest):
    proud: str = Field(title="A child or young person you are proud of your practice with (the LCS/EHM number)")
    challenging: str = Field(title="One you have found challenging (the LCS/EHM number)")


class SendCaseList(ChangeRequest):
    pass


class AllocateCases(ChangeRequest):
    pass


class GiveRecord(ChangeRequest):
    record: MemberRecord = Field(title="Spotlight Team Member Information Record")


class SendDraft(ChangeRequest):
    report: SpotlightReport = Field(title="Spotlight Report")


class FinaliseReport(ChangeRequest):
    note: str = ""


# --- rules ------------------------------------------------------------------------------------


def _started(state: SpotlightState | None) -> SpotlightState:
    if state is None:
        raise Refusal("the spotlight is still being set up; try again in a moment")
    return state


def _preparing(state: SpotlightState, what: str) -> None:
    if state.phase != "preparing":
        raise Refusal(f"{what} belongs before the day; the cases of {state.title} are allocated")


def check_documents(state: SpotlightState | None, request: SendDocuments) -> None:
    state = _started(state)
    if request.actor != state.team_manager:
        raise Refusal(f"the team manager ({state.team_manager}) sends the key documents")
    _preparing(state, "sending the key documents")
    if not request.documents:
        raise Refusal("name at least one key document: " + ", ".join(DOCUMENT_KINDS))
    for document in request.documents:
        if document.kind not in DOCUMENT_KINDS:
            raise Refusal(f"unknown key document {document.kind!r}: expected one of {', '.join(DOCUMENT_KINDS)}")
        required_text(document.reference, f"the reference of the {DOCUMENT_KINDS[document.kind].lower()}")


def check_nomination(state: SpotlightState | None, request: NominateCases) -> None:
    state = _started(state)
    if request.actor not in state.practitioners:
        raise Refusal(f"{request.actor} is not a practitioner of the {state.team} team; its practitioners nominate")
    _preparing(state, "nominating children")
    if state.case_list_sent:
        raise Refusal("the team manager has already sent the list; ask them about a change")
    required_text(request.proud, "the child you are proud of (a case number)")
    required_text(request.challenging, "the child you found challenging (a case number)")
    if request.proud == request.challenging:
        raise Refusal("name two different children: one you are proud of, one you found challenging")


def check_case_list(state: SpotlightState | None, request: SendCaseList) -> None:
    state = _started(state)
    if request.actor != state.team_manager:
        raise Refusal(f"the team manager ({state.team_manager}) collates and sends the list")
    _preparing(state, "sending the list")
    if state.case_list_sent:
        raise Refusal("the list was already sent")
    if len(state.nominations) < len(state.members):
        waiting = [p for p in state.practitioners if state.nomination_of(p) is None]
        raise Refusal(
            f"{len(state.members)} members need {len(state.members)} practitioners' nominations;"
            f" {len(state.nominations)} given (still to nominate: {', '.join(waiting) or 'nobody'})"
        )


def check_allocation(state: SpotlightState | None, request: AllocateCases, now: datetime) -> None:
    state = _started(state)
    if request.actor != state.lead:
        raise Refusal(f"the lead ({state.lead}) allocates the children")
    if state.phase != "preparing":
        raise Refusal("the children are already allocated")
    if now < state.day_starts_at:
        raise Refusal(f"the children are allocated on the day ({state.day.isoformat()})")
    if not state.case_list_sent:
        raise Refusal(f"the team manager ({state.team_manager}) has not sent the proud and challenging list")


def check_record(state: SpotlightState | None, request: GiveRecord) -> None:
    state = _started(state)
    if request.actor not in state.members:
        raise Refusal(f"only the spotlight team's members ({', '.join(state.members)}) give information records")
    if state.phase == "preparing":
        raise Refusal("information records follow the day, once the children are allocated")
    if request.actor in state.records:
        raise Refusal(f"{request.actor} has already given their record to the lead")
    _check_sections(request.record.sections, SectionNotes, ("positives", "development"), "record", every=False)
    required_text(request.record.focus, "what the team should focus on")


def _check_sections(
    sections: Mapping[str, BaseModel], notes: type[BaseModel], fields: tuple[str, ...], what: str, *, every: bool
) -> None:
    """All five sections, each with every one of `fields` filled (`every`) or at least one of them; a refusal names
    the section and the boxes in the form's words."""
    unknown = sorted(set(sections) - SECTIONS.keys())
    if unknown:
        raise Refusal(f"unknown section {unknown[0]!r}: the {what} has {', '.join(SECTIONS)}")
    for number, (key, title) in enumerate(SECTIONS.items(), start=1):
        given = sections.get(key)
        filled = [given is not None and bool(getattr(given, f).strip()) for f in fields]
        if not (all(filled) if every else any(filled)):
            boxes = (", " if every else " or ").join(str(notes.model_fields[f].title).lower() for f in fields)
            raise Refusal(f"section {number} of the {what}, {title} ({key}), needs {boxes}")


def _drafting(state: SpotlightState, actor: str, what: str) -> None:
    """The lead's steps with the draft: once every member's record is in, until the draft goes to the QA team."""
    if actor != state.lead:
        raise Refusal(f"the lead ({state.lead}) {what}")
    if state.phase in ("preparing", "on-the-day"):
        awaited = ", ".join(state.records_awaited) or "none"
        raise Refusal(f"the draft draws on every member's information record; still awaited: {awaited}")
    if state.phase != "drafting":
        raise Refusal("the report was already finalised" if state.ended else "the draft report is with the QA team")


def check_draft(state: SpotlightState | None, request: SendDraft, today: date) -> None:
    state = _started(state)
    _drafting(state, request.actor, "sends the draft report")
    if state.consults and state.shared is None:
        raise Refusal("share the draft with the spotlight team for comment first (qa spotlight share)")
    if state.consults and not state.plan_agreed_with:
        raise Refusal("discuss the proposed action plan with the heads of service first (qa spotlight agree-plan)")
    _check_report(state, request.report, today)


def _check_report(state: SpotlightState, report: SpotlightReport, today: date) -> None:
    _check_sections(
        report.sections, ReportSection, ("general", "strengths", "development", "evidence"), "report", every=True
    )
    for text, what in ((report.progress, "progress since the last spotlight"), (report.focus, "the focus")):
        required_text(text, what)
    required_text(report.barriers, "the barriers to address (say 'none' if there are none)")
    if not report.actions:
        raise Refusal("the report needs a SMART action plan: at least one action")
    check_smart_actions(report.actions, today)
    if state.other_teams:
        required_text(report.differences, f"the differences between {' and '.join(state.teams)}")


class GiveFeedback(ChangeRequest):
    to: tuple[str, ...] = Field(
        title="Who the feedback was given to: the team managers and heads of service (staff ids, one a line)"
    )
    actions: str = Field(title="The suggested actions discussed, to be covered within the final report")


def check_feedback(state: SpotlightState | None, request: GiveFeedback) -> None:
    state = _started(state)
    if request.actor != state.lead:
        raise Refusal(f"the lead ({state.lead}) gives the feedback")
    if state.phase == "preparing":
        raise Refusal(f"the feedback is given on the day ({state.day.isoformat()}), once the children are allocated")
    if state.feedback_to:
        raise Refusal("the feedback was already recorded")
    if state.phase not in ("on-the-day", "drafting"):
        raise Refusal("the draft report is with the QA team: the feedback belongs to the day")
    if not request.to:
        raise Refusal("name who the feedback was given to: the team managers and heads of service")
    if len(set(request.to)) != len(request.to):
        raise Refusal("name each person once")
    ours = [p for p in request.to if part_of(state, p) is not None]
    if ours:
        raise Refusal(f"{ours[0]} is of the spotlight team: the feedback goes to the team's managers")
    required_text(request.actions, "the suggested actions discussed")


class ShareDraft(ChangeRequest):
    report: SpotlightReport = Field(title="Spotlight Report (draft for comment)")


def check_share(state: SpotlightState | None, request: ShareDraft, today: date) -> None:
    state = _started(state)
    _drafting(state, request.actor, "shares the draft with the spotlight team")
    _check_report(state, request.report, today)


class CommentOnDraft(ChangeRequest):
    comments: str = Field(title="Your comments on the draft report (or 'none')")


def check_comment(state: SpotlightState | None, request: CommentOnDraft) -> None:
    state = _started(state)
    if request.actor not in state.members:
        raise Refusal(f"the spotlight team's members ({', '.join(state.members)}) comment on the draft")
    if state.phase != "drafting" or state.shared is None:
        if state.phase in ("finalising", "finalised"):
            raise Refusal("the draft report is with the QA team: comments are closed")
        raise Refusal(f"the lead ({state.lead}) has not shared a draft yet")
    required_text(request.comments, "your comments (say 'none' if you have none)")


class AgreePlan(ChangeRequest):
    heads_of_service: tuple[str, ...] = Field(
        title="The heads of service it was discussed with (staff ids, one a line)"
    )
    note: str = Field(title="What was agreed, so that the actions are realistic")


def check_plan_agreement(state: SpotlightState | None, request: AgreePlan) -> None:
    state = _started(state)
    _drafting(state, request.actor, "discusses the action plan with the heads of service")
    if state.shared is None:
        raise Refusal("share the draft first: the heads of service discuss its proposed action plan")
    if not request.heads_of_service:
        raise Refusal("name the heads of service the action plan was discussed with")
    required_text(request.note, "what was agreed")


class ReturnDraft(ChangeRequest):
    reasons: str = Field(title="Why the draft goes back to the lead")


def check_return(state: SpotlightState | None, request: ReturnDraft) -> None:
    state = _started(state)
    if state.phase != "finalising":
        raise Refusal("the report was already finalised" if state.ended else "no draft is with the QA team")
    if request.actor != state.finaliser:
        raise Refusal(f"the Head of Service QA and Safeguarding ({state.finaliser}) returns the draft")
    required_text(request.reasons, "the reasons")


class ReallocatePart(ChangeRequest):
    """The lead's or a member's part given to someone else by the QA team."""

    previous: str = Field(title="Whose part (the lead or a member: staff id)")
    to: str = Field(title="Who takes it (staff id)")
    reason: str = Field(title="Why (absence, a conflict of interest)")


def part_of(state: SpotlightState, staff_id: str) -> Literal["lead", "member"] | None:
    return "lead" if staff_id == state.lead else "member" if staff_id in state.members else None


def check_reallocation(state: SpotlightState | None, request: ReallocatePart) -> None:
    state = _started(state)
    part = part_of(state, request.previous)
    if part is None:
        raise Refusal(f"{request.previous} is neither the lead ({state.lead}) nor a member of {state.title}")
    if part_of(state, request.to) is not None:
        raise Refusal(f"{request.to} already takes part in {state.title}")
    if part == "lead" and state.phase not in ("preparing", "on-the-day", "drafting"):
        raise Refusal("the lead's part is done: the draft report was sent")
    if part == "member" and request.previous in state.records:
        raise Refusal(f"{request.previous} has already given their information record: their part is done")
    required_text(request.reason, "the reason")


def check_finalise(state: SpotlightState | None, request: FinaliseReport) -> None:
    state = _started(state)
    if state.phase != "finalising":
        if state.phase == "finalised":
            raise Refusal("the report was already finalised")
        raise Refusal("the report is finalised once the lead has sent the draft")
    if request.actor != state.finaliser:
        raise Refusal(f"the Head of Service QA and Safeguarding ({state.finaliser}) finalises the report")


def records_viewed(state: SpotlightState) -> tuple[str, ...]:
    """Every electronic record number the spotlight team viewed: the allocated and the extra ones."""
    viewed = [c for a in state.allocations for c in a.cases]
    viewed += [c for r in state.records.values() for c in r.records_viewed]
    return tuple(sorted(set(viewed)))


def report_markdown(state: SpotlightState, report: SpotlightReport | None = None) -> str:
    """The Spotlight Report (the one sent, or `report`: the draft shared) in the document's template order (case
    numbers only)."""
    report = report or state.report
    if report is None:
        return ""
    lines = [
        f"# Spotlight Report: {state.team}",
        "",
        f"- Date of Spotlight: {state.day.strftime('%d %B %Y')}",
        f"- Team: {', '.join(state.teams)}",
        f"- Spotlight Team Lead: {state.lead}",
        f"- Spotlight Team Members: {', '.join(state.members)}",
        f"- Previous Spotlight: {state.previous or 'none recorded'}",
        "",
    ]
    labels = ("General comments", "Areas of strength", "Ways to develop", "Summary of evidence / observations")
    for number, (key, title) in enumerate(SECTIONS.items(), start=1):
        section = report.sections[key]
        lines += [f"## Section {number}: {title}", ""]
        for label, text in zip(
            labels, (section.general, section.strengths, section.development, section.evidence), strict=True
        ):
            lines += [f"**{label}:** {text}", ""]
        if key == "practice":
            lines += [f"**Electronic record numbers viewed:** {', '.join(state.records_viewed)}", ""]
            read = [d for r in state.records.values() for d in r.documents_read]
            if read:
                lines += [f"**Documents read:** {'; '.join(dict.fromkeys(read))}", ""]
    lines += [
        f"## Section 6: Overall grading: {report.grade.value}",
        "",
        f"**Main areas of progress since the last Spotlight:** {report.progress}",
        "",
        f"**What the team should focus on:** {report.focus}",
        "",
        f"**Barriers to address:** {report.barriers}",
        "",
        *((f"**Differences between the teams:** {report.differences}", "") if report.differences else ()),
        "## Recommended action plan for improvement",
        "",
        "| Action | Support needed | Person responsible | By when | Completion shown by |",
        "| --- | --- | --- | --- | --- |",
    ]
    lines += [
        f"| {a.action} | {a.support} | {a.responsible} | {a.by_when.isoformat()} | {a.evidence} |"
        for a in report.actions
    ]
    return "\n".join(lines) + "\n"


# --- the kind ---------------------------------------------------------------------------------


def _named(state: SpotlightState) -> set[str]:
    named = {state.started_by, state.lead, *state.team_managers, *state.members, *state.practitioners}
    return (
        named | ({state.finaliser} if state.finaliser else set()) | set(state.feedback_to) | set(state.plan_agreed_with)
    )


def _allocations(p: Mapping[str, Any]) -> str:
    each = "; ".join(f"{a['member']}: {a['random']}, {a['proud']}, {a['challenging']}" for a in p["allocations"])
    return f"children allocated (random, proud, challenging; seed {p['seed']}): {each}"


KIND = Kind(
    name="team spotlight",
    prefix="spotlight.",
    events=SPOTLIGHT_EVENTS,
    evolve=evolve,
    workflow_type="Spotlight",
    closing=("spotlight.report_finalised",),
    show=("spotlight", "show"),
    people=_named,
    case_numbers=lambda s: list(s.case_numbers),
    duty_title="Team spotlight duties",
    words=DUTIES.words
    | {
        "spotlight.started": lambda p: (
            f"spotlight of the {' and '.join((p['team'], *p.get('other_teams', ())))} team on {p['day']}, led by"
            f" {p['lead']}, members {people(p['members'])};"
            f" team manager {people((p['team_manager'], *p.get('other_team_managers', ())))}"
            + (f"; previous {p['previous']}" if p.get("previous") else "")
        ),
        "spotlight.feedback_given": lambda p: f"feedback given to {people(p['to'])}: {p['actions']}",
        "spotlight.draft_shared": lambda p: (
            f"draft shared with the spotlight team for comment: {p['report']['grade']},"
            f" {len(p['report']['actions'])} actions"
        ),
        "spotlight.draft_commented": lambda p: f"{p['member']} commented on the draft: {p['comments']}",
        "spotlight.plan_agreed": lambda p: f"action plan discussed with {people(p['heads_of_service'])}: {p['note']}",
        "spotlight.draft_returned": lambda p: f"draft returned to the lead: {p['reasons']}",
        "spotlight.documents_sent": lambda p: (
            "key documents sent: " + "; ".join(f"{d['kind']} ({d['reference']})" for d in p["documents"])
        ),
        "spotlight.cases_nominated": lambda p: (
            f"{p['nomination']['practitioner']} nominated {p['nomination']['proud']} (proud)"
            f" and {p['nomination']['challenging']} (challenging)"
        ),
        "spotlight.case_list_sent": lambda p: f"the list of {len(p['nominations'])} practitioners' children sent",
        "spotlight.reallocated": lambda p: (
            f"the {p['part']}'s part given from {p['previous']} to {p['to']}: {p['reason']}"
        ),
        "spotlight.cases_allocated": _allocations,
        "spotlight.record_given": lambda p: f"{p['member']}'s information record given: {p['record']['grade']}",
        "spotlight.draft_sent": lambda p: (
            f"draft report sent to {p['finaliser']}: {p['report']['grade']}, {len(p['report']['actions'])} actions;"
            f" records viewed {', '.join(p['records_viewed'])}"
        ),
        "spotlight.report_finalised": lambda p: (
            f"report finalised; actions {', '.join(p['plan_actions'])} in {p['plan_id']}"
            + "".join(f", {', '.join(o['actions'])} in {o['plan_id']}" for o in p.get("other_plans", ()))
            + f"; circulated to {people(p['circulated_to'])}"
        ),
    },
)
