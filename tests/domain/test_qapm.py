"""The QAPM performance pack's figures from hand-made events, and the rules for the chair's decisions."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from domain import action_plan, cpr_cycle, dispute, qapm, review, spotlight
from domain.action_plan import SmartAction
from domain.chasing import ChaseStep
from domain.errors import Refusal
from domain.events import DomainEvent, EventMeta
from domain.qapm import (
    DeadlineRow,
    MeetingStarted,
    PackCompiled,
    ProgressReview,
    RecordDecisions,
    check_decisions,
)
from domain.qapm_pack import MODERATIONS, PLAN_ACTIONS, REVIEWS, LoggedEvent, pack_figures, pack_markdown, period_start
from domain.rubric import Grade
from domain.sampling import SampleDraw
from domain.working_days import LONDON

SINCE = datetime(2027, 1, 1, tzinfo=LONDON)
UNTIL = datetime(2027, 3, 1, 12, tzinfo=LONDON)


def at(day: str, hour: int = 10) -> datetime:
    return datetime.fromisoformat(f"{day}T{hour:02d}:00:00").replace(tzinfo=LONDON)


def end_of(day: str) -> datetime:
    return datetime.fromisoformat(f"{day}T23:59:59").replace(tzinfo=LONDON)


def stream(stream_id: str, *happened: tuple[str | datetime, DomainEvent]) -> list[LoggedEvent]:
    return [
        LoggedEvent(
            stream_id=stream_id,
            event=event,
            meta=EventMeta(
                version=n, actor="qa.officer", business_time=when if isinstance(when, datetime) else at(when)
            ),
        )
        for n, (when, event) in enumerate(happened, start=1)
    ]


def cycle(cycle_id: str, service: str, start: str, cases: tuple[str, ...], *later) -> list[LoggedEvent]:
    draw = SampleDraw(
        method="sha256-rank",
        seed="s",
        size=len(cases),
        on=date.fromisoformat(start),
        eligible_digest="0" * 64,
        eligible_count=len(cases),
        too_recent_count=0,
        sample=cases,
    )
    return stream(
        cycle_id,
        (
            start,
            cpr_cycle.CycleStarted(
                service=service,
                start=date.fromisoformat(start),
                sample_size=len(cases),
                review_due_on=date.fromisoformat(start),
                review_due_at=end_of(start),
                calendar_digest="c",
            ),
        ),
        (
            start,
            cpr_cycle.SampleDrawn(
                snapshot_id=1,
                draw=draw,
                cases=tuple(cpr_cycle.SampledCase(case_number=c, team="T", practitioner="p") for c in cases),
            ),
        ),
        *later,
    )


def submitted(day: str, case: str, grade: Grade, late: bool = False):
    return (day, cpr_cycle.ReviewSubmitted(case_number=case, grade=grade, late=late))


def moderator(day: str, case: str, due: str):
    return (day, cpr_cycle.ModeratorAllocated(case_number=case, moderator="maya.moderator", due_at=end_of(due)))


def moderated(day: str, case: str, grade: Grade):
    return (day, cpr_cycle.ReviewModerated(case_number=case, grade=grade, rationale="r", conversation="c"))


def plan(plan_id: str, kind: str, started: str, *later) -> list[LoggedEvent]:
    opening = action_plan.PlanStarted(
        kind=kind,  # type: ignore[arg-type]
        team="Children in Need" if kind == "team" else None,
        owner="alex.assistant",
        first_nominal=date(2027, 6, 1),
        next_meeting_on=date(2027, 6, 1),
        next_meeting_at=end_of("2027-06-01"),
        calendar_digest="c",
    )
    return stream(plan_id, (started, opening), *later)


def added(action_id: str, by_when: str):
    return (
        "2026-12-02",
        action_plan.ActionAdded(
            action_id=action_id,
            action="a",
            support="s",
            responsible="nadia.manager",
            by_when=date.fromisoformat(by_when),
            evidence="e",
        ),
    )


def spotlight_stream() -> list[LoggedEvent]:
    section = spotlight.ReportSection(general="g", strengths="s", development="d", evidence="e")
    report = spotlight.SpotlightReport(
        sections={key: section for key in spotlight.SECTIONS},
        grade=Grade.good,
        progress="p",
        focus="f",
        barriers="b",
        actions=(),
    )
    step = ChaseStep(kind="overdue", level=0, at=end_of("2027-01-20"))
    return stream(
        "spotlight-2027-01-19-children-in-need",
        (
            "2026-12-15",
            spotlight.SpotlightStarted(
                team="Children in Need",
                day=date(2027, 1, 19),
                lead="fatima.hos",
                members=("tom.manager",),
                team_manager="nadia.manager",
                practitioners=("priya.practitioner",),
                previous=None,
                calendar_digest="c",
            ),
        ),
        (
            "2026-12-15",
            spotlight.DUTIES.given(
                key="documents", owner="nadia.manager", what="w", due_at=end_of("2027-01-12"), chase=()
            ),
        ),
        (
            "2026-12-15",
            spotlight.DUTIES.given(
                key="record-tom", owner="tom.manager", what="w", due_at=end_of("2027-01-20"), chase=(step,)
            ),
        ),
        ("2027-01-11", spotlight.DUTIES.done(key="documents")),
        (end_of("2027-01-20"), spotlight.DUTIES.chased(key="record-tom", step=step, recipients=("tom.manager",))),
        ("2027-01-22", spotlight.DUTIES.done(key="record-tom")),
        ("2027-02-05", spotlight.DraftReportSent(report=report, records_viewed=(), finaliser="quinn.hoqa")),
        (
            "2027-02-10",
            spotlight.ReportFinalised(
                note="", plan_id="plan-team-children-in-need", plan_actions=(), circulated_to=("nadia.manager",)
            ),
        ),
    )


def events() -> list[LoggedEvent]:
    before = cycle(
        "cpr-2026-11-02-children-in-need",
        "Children in Need",
        "2026-11-02",
        ("C1", "C2", "C3"),
        submitted("2026-11-20", "C1", Grade.good),  # before the period: not counted
        ("2026-11-30", cpr_cycle.ReviewsClosed(submitted=1, outstanding=("C2", "C3"))),  # before the period
        submitted("2027-01-04", "C2", Grade.requires_improvement, late=True),
        moderator("2027-01-05", "C1", "2027-01-10"),
        moderated("2027-01-08", "C1", Grade.good),  # on time, agreed
        moderator("2027-01-05", "C2", "2027-01-15"),
        (end_of("2027-01-15"), cpr_cycle.ModerationOverdue(case_number="C2", due_at=end_of("2027-01-15"))),
        moderated("2027-01-20", "C2", Grade.good),  # late, and not the reviewer's grade
        ("2027-01-20", cpr_cycle.ModerationClosed(report_due_at=end_of("2027-02-03"))),
        (
            "2027-02-01",
            cpr_cycle.FindingsReportPublished(
                markdown_path="m",
                markdown_sha256="0",
                html_path="h",
                html_sha256="0",
                grades={},
                moderated=2,
                agreed=1,
                voices_summary="Children said their worker listens.",
            ),
        ),
    )
    during = cycle(
        "cpr-2027-02-01-care-leavers",
        "Care Leavers",
        "2027-02-01",
        ("D1", "D2", "D3"),
        (
            "2027-02-02",
            cpr_cycle.ReviewerAllocated(
                case_number="D2", reviewer="sam.reviewer", team_manager="t", head_of_service="h", review_id="review-d2"
            ),
        ),
        submitted("2027-02-10", "D1", Grade.outstanding),
        submitted("2027-02-11", "D2", Grade.inadequate),
        ("2027-02-26", cpr_cycle.ReviewsClosed(submitted=2, outstanding=("D3",))),
    )
    after = cycle("cpr-2027-03-05-family-wellbeing", "Family Wellbeing", "2027-03-05", ("E1",))
    service_wide = plan(
        "plan-service-wide-2026-12-01",
        "service-wide",
        "2026-12-01",
        added("A1", "2027-01-31"),
        added("A2", "2027-02-15"),
        added("A3", "2027-06-30"),
        (
            end_of("2027-01-31"),
            action_plan.ActionOverdue(action_id="A1", reminded="nadia.manager", escalated_to="alex.assistant"),
        ),
        ("2027-02-03", action_plan.ProgressRecorded(action_id="A1", status="done", evidence="e")),
        ("2027-02-10", action_plan.ProgressRecorded(action_id="A2", status="done", evidence="e")),
    )
    team = plan(
        "plan-team-children-in-need",
        "team",
        "2026-12-01",
        added("A1", "2027-02-20"),
        (
            end_of("2027-02-20"),
            action_plan.ActionOverdue(action_id="A1", reminded="nadia.manager", escalated_to="hana.hos"),
        ),
        ("2027-03-02", action_plan.ProgressRecorded(action_id="A1", status="done", evidence="e")),  # after: ignored
    )
    return [
        *before,
        *during,
        *after,
        *service_wide,
        *team,
        *spotlight_stream(),
        *disputed("review-d2"),
        *voiced("review-d1"),
    ]


def voiced(review_id: str) -> list[LoggedEvent]:
    """A review's voices: one sought before the period (not counted), three in it."""
    opened = review.ReviewOpened(
        cycle_id="cpr-2027-02-01-care-leavers",
        case_number="D1",
        service="Care Leavers",
        team="T",
        practitioner="p",
        reviewer="sam.reviewer",
        team_manager="t",
        head_of_service="h",
        due_at=end_of("2027-03-01"),
        calendar_digest="c",
        chase=(),
    )
    return stream(
        review_id,
        ("2026-12-20", opened),
        ("2026-12-21", review.VoiceRecorded(whose="child", obtained=True, summary="s")),
        ("2027-02-03", review.VoiceRecorded(whose="child", obtained=True, summary="s")),
        ("2027-02-03", review.VoiceRecorded(whose="family", obtained=False, summary="declined")),
        ("2027-02-04", review.VoiceRecorded(whose="family", obtained=True, summary="s")),
    )


def disputed(review_id: str) -> list[LoggedEvent]:
    """The review's grade disputed to a final decision that sets it (in the period), then again after the period."""
    opened = dispute.StageOpened(
        stage="head_of_qa", owners=("quinn.hoqa",), due_at=end_of("2027-03-10"), calendar_digest="c"
    )
    raised = dispute.DisputeRaised(
        review_id=review_id,
        case_number="D2",
        reviewer="sam.reviewer",
        practitioner="p",
        raised_by="p",
        about="judgement",
        issues="i",
        window_working_days=10,
    )
    return [
        *stream(
            f"{review_id}-dispute-1",
            ("2027-02-12", raised),
            ("2027-02-12", opened),
            ("2027-02-20", dispute.FinalDecisionRecorded(issues="i", decision="d", grade=Grade.requires_improvement)),
        ),
        *stream(
            f"{review_id}-dispute-2",
            ("2027-02-22", raised),
            ("2027-02-22", opened),
            ("2027-03-02", dispute.FinalDecisionRecorded(issues="i", decision="d", grade=Grade.good)),  # after
        ),
    ]


def test_the_pack_counts_what_happened_in_the_period_from_the_items_own_events():
    figures = pack_figures(events(), SINCE, UNTIL, previous_meeting="qapm-2026-11-12")

    assert figures.previous_meeting == "qapm-2026-11-12"
    # Each service's cycles to date, as they stood at the pack's end: grades of record and the deadlines.
    assert [(t.service, [c.cycle_id for c in t.cycles]) for t in figures.trends] == [
        ("Care Leavers", ["cpr-2027-02-01-care-leavers"]),
        ("Children in Need", ["cpr-2026-11-02-children-in-need"]),
    ]
    cin = figures.trends[1].cycles[0]
    assert (cin.grades["Good"], cin.reviews_late, cin.reviews_missed, cin.moderated, cin.agreed) == (2, 1, 2, 2, 1)
    # The voices sought in the period's reviews, and what the reports published in it said children told them.
    assert {whose: (c.sought, c.obtained) for whose, c in figures.voices.items()} == {
        "child": (1, 1),
        "family": (2, 1),
    }
    assert [(s.item_id, s.summary) for s in figures.voices_said] == [
        ("cpr-2026-11-02-children-in-need", "Children said their worker listens.")
    ]
    assert [c.cycle_id for c in figures.cycles_opened] == ["cpr-2027-02-01-care-leavers"]
    assert [c.cycle_id for c in figures.cycles_closed] == ["cpr-2026-11-02-children-in-need"]
    assert [(c.cycle_id, c.phase) for c in figures.cycles_in_progress] == [
        ("cpr-2027-02-01-care-leavers", "moderation")
    ]
    assert figures.deadlines == (
        DeadlineRow(what=REVIEWS, met=2, late=1, missed=1),
        DeadlineRow(what=MODERATIONS, met=1, late=1, missed=1),
        DeadlineRow(what="Team spotlight duties", met=1, late=1, missed=1),
        DeadlineRow(what=PLAN_ACTIONS, met=1, late=1, missed=2),
    )
    assert figures.grades == {
        # The grades of record: C2's moderated from Requires Improvement to Good; D2's disputed from Inadequate to
        # Requires Improvement (its second dispute's decision came after the period).
        "Care Leavers": {"Outstanding": 1, "Good": 0, "Requires Improvement": 1, "Inadequate": 0},
        "Children in Need": {"Outstanding": 0, "Good": 1, "Requires Improvement": 0, "Inadequate": 0},
    }
    assert (figures.moderated, figures.agreed, figures.agreement) == (2, 1, 0.5)
    # The team plan's action was done after the pack was compiled: it is still overdue in this pack.
    assert [(p.plan_id, p.overdue_actions) for p in figures.plans_with_overdue] == [
        ("plan-team-children-in-need", ("A1",))
    ]
    assert [(s.spotlight_id, s.grade, s.plan_id) for s in figures.spotlights_finalised] == [
        ("spotlight-2027-01-19-children-in-need", "Good", "plan-team-children-in-need")
    ]


def test_the_pack_is_the_same_whatever_order_the_streams_come_in_and_ignores_the_future():
    forward = pack_figures(events(), SINCE, UNTIL)
    assert pack_figures(list(reversed(events())), SINCE, UNTIL) == forward
    # A period before anything happened counts nothing but still sees the plans' state then.
    early = pack_figures(events(), datetime(2026, 10, 1, tzinfo=LONDON), datetime(2026, 10, 31, tzinfo=LONDON))
    assert early.deadlines == () and early.cycles_opened == () and early.grades == {}


def test_the_pack_reads_as_markdown_naming_no_child():
    figures = pack_figures(events(), SINCE, UNTIL, previous_meeting="qapm-2026-11-12")
    text = pack_markdown(date(2027, 3, 4), figures)
    assert text.startswith("# QA and Performance Monitoring meeting: 4 March 2027\n")
    assert "since the previous meeting (qapm-2026-11-12)" in text
    assert "| CPR reviews submitted | 2 | 1 | 1 |" in text
    assert "| Care Leavers | 1 | 0 | 1 | 0 | 2 |" in text  # grades of record
    assert (
        "## Trends across cycles\n\n### Care Leavers\n\n- 2027-02-01 cpr-2027-02-01-care-leavers: 1 Outstanding,"
        in text
    )
    assert (
        "## The voices of children and families\n\n- Children: sought 1, obtained 1, not obtained 0.\n"
        "- Families: sought 2, obtained 1, not obtained 1.\n"
        "- What they said (cpr-2026-11-02-children-in-need): Children said their worker listens.\n"
    ) in text
    assert "1 of 2 moderated reviews agreed with the reviewer's grade (50%)." in text
    assert "- plan-team-children-in-need (the Children in Need team action plan, owner alex.assistant): A1" in text
    assert text.endswith("Case numbers only: this pack names no child.\n")
    empty = pack_markdown(date(2027, 3, 4), pack_figures([], SINCE, UNTIL))
    assert "the 3 months before the meeting (no earlier meeting is recorded)" in empty
    assert "| none fell due | 0 | 0 | 0 |" in empty


def test_the_period_runs_from_the_previous_meeting_or_its_earlier_pack_else_three_months():
    assert period_start(date(2027, 5, 31), None, None) == datetime(2027, 2, 28, tzinfo=LONDON)
    assert period_start(date(2027, 3, 4), date(2027, 1, 14), None) == datetime(2027, 1, 14, tzinfo=LONDON)
    pack = datetime(2027, 1, 7, 7, tzinfo=LONDON)
    assert period_start(date(2027, 3, 4), date(2027, 1, 14), pack) == pack


def meeting(*later: DomainEvent) -> qapm.QapmState:
    state = qapm.evolve(
        None,
        MeetingStarted(meeting_on=date(2027, 3, 4), pack_due_at=at("2027-02-25", 7), calendar_digest="c"),
        EventMeta(version=1, actor="qa.officer", business_time=at("2027-02-20")),
    )
    for n, event in enumerate(later, start=2):
        state = qapm.evolve(state, event, EventMeta(version=n, actor="qa-engine", business_time=at("2027-02-25")))
    return state


def compiled() -> PackCompiled:
    return PackCompiled(figures=pack_figures([], SINCE, UNTIL), markdown_path="p", markdown_sha256="0")


@pytest.mark.parametrize(
    ("request_fields", "now", "message"),
    [
        ({"thematic_focus": "neglect"}, at("2027-03-03"), "recorded at or after the meeting (2027-03-04)"),
        ({}, at("2027-03-04"), "record at least one decision"),
        ({"thematic_focus": "  "}, at("2027-03-04"), "the next thematic focus cannot be empty"),
        (
            {"actions": (SmartAction(action="x", by_when=date(2027, 6, 30)),)},
            at("2027-03-04"),
            "action 1: the action is not SMART: it needs the support needed, the person responsible,",
        ),
        (
            {"progress": (ProgressReview(item="cpr-2026-11-02-children-in-need", repeat_cycle=True, reasons=""),)},
            at("2027-03-04"),
            "cpr-2026-11-02-children-in-need: give the reasons to repeat the whole cycle",
        ),
        (
            {"progress": (ProgressReview(item="concern-0f6c", repeat_cycle=False, reasons="r"),)},
            at("2027-03-04"),
            "a practice concern",
        ),
    ],
)
def test_the_chairs_decisions_are_refused_with_a_reason(request_fields, now, message):
    with pytest.raises(Refusal, match=None) as refusal:
        check_decisions(meeting(compiled()), RecordDecisions(actor="dana.director", **request_fields), now)
    assert message in str(refusal.value)


def test_decisions_wait_for_the_pack_and_are_recorded_once():
    request = RecordDecisions(actor="dana.director", thematic_focus="neglect", attended=("dana.director",))
    with pytest.raises(Refusal, match="still being compiled"):
        check_decisions(meeting(), request, at("2027-03-04"))
    check_decisions(meeting(compiled()), request, at("2027-03-04"))
    decided = qapm.DecisionsRecorded(
        meeting_on=date(2027, 3, 4),
        chair="dana.director",
        thematic_focus="neglect",
        practice_week_theme=None,
        plan_id=None,
        actions=(),
        progress=(),
        notes="",
    )
    with pytest.raises(Refusal, match="already recorded"):
        check_decisions(meeting(compiled(), decided), request, at("2027-03-05"))


def test_since_the_director_chairs_attendance_repeats_and_revisits_are_judged_and_before_they_were_not():
    state = meeting(compiled())
    answer = ProgressReview(item="cpr-2027-01-18-children-in-need-review-LCS-1", repeat_cycle=True, reasons="no change")
    request = RecordDecisions(actor="dana.director", progress=(answer,), attended=("dana.director", "hana.hos"))
    check_decisions(state, request, at("2027-03-04"))  # a review's answer repeats its cycle
    assert answer.cycle == "cpr-2027-01-18-children-in-need"
    refusals = {
        "record who attended the meeting": {"attended": ()},
        "hana.hos is listed twice": {"attended": ("hana.hos", "hana.hos")},
        "the engine schedules the repeat of a CPR cycle": {
            "progress": (answer.model_copy(update={"item": "thematic-2027-04-12-neglect"}),)
        },
        "the repeat starts after the meeting (2027-03-04)": {
            "progress": (answer.model_copy(update={"repeat_from": date(2027, 3, 4)}),)
        },
        "a day for the repeat is given only when the whole cycle is repeated": {
            "progress": (answer.model_copy(update={"repeat_cycle": False, "repeat_from": date(2027, 5, 4)}),)
        },
        "name the areas the next cycle looks at again": {
            "progress": (answer.model_copy(update={"revisit_next_cycle": True}),)
        },
        "areas to revisit are given only when the next cycle revisits them": {
            "progress": (answer.model_copy(update={"revisit_areas": "plans"}),)
        },
    }
    for message, change in refusals.items():
        with pytest.raises(Refusal) as refused:
            check_decisions(state, request.model_copy(update=change), at("2027-03-04"))
        assert message in str(refused.value)
        # A meeting recorded before the Director chaired judges none of this (its workflow's patch is not there).
        check_decisions(state, request.model_copy(update=change), at("2027-03-04"), chaired=False)
    chaired = state.model_copy(update={"director": "dana.director", "delegate": "hana.hos"})
    check_decisions(chaired, request.model_copy(update={"actor": "hana.hos"}), at("2027-03-04"))
    with pytest.raises(Refusal, match=r"chaired by the Director \(dana.director\) or their delegate \(hana.hos\)"):
        check_decisions(chaired, request.model_copy(update={"actor": "ben.hos"}), at("2027-03-04"))


def audit_started(focus: str, start: str) -> dict:
    from domain.case_audit import RUBRIC_QUESTIONS

    return {
        "focus": focus,
        "service": None,
        "start": date.fromisoformat(start),
        "window": 20,
        "closes_at": end_of(start),
        "window_chase": (),
        "calendar_digest": "c",
        "questions": RUBRIC_QUESTIONS,
    }


def test_the_pack_lists_the_thematic_reviews_and_dip_audits_opened_closed_and_in_progress():
    from domain import case_audit, dip_audit, thematic

    opened = thematic.EVENTS.started(**audit_started("Neglect", "2027-01-11"))
    sample = thematic.EVENTS.sample_taken(snapshot_id=1, draw=None, cases=())
    closed = thematic.EVENTS.reviews_closed(submitted=0, outstanding=())
    state = None
    for n, event in enumerate((opened, sample, closed), start=1):
        state = case_audit.evolve(state, event, EventMeta(n, "qa.officer", at("2027-01-11")))
    published = thematic.EVENTS.findings_published(
        key_findings="k",
        strengths="s",
        areas_for_development="a",
        recommendations="r",
        figures=case_audit.figures(state),
        plan_id=None,
        plan_actions=(),
    )
    figures = pack_figures(
        [
            *stream(
                "thematic-2027-01-11-neglect",
                ("2027-01-11", opened),
                ("2027-01-11", sample),
                ("2027-02-08", closed),
                ("2027-02-22", published),
            ),
            *stream(
                "dip-2027-02-15-plans",
                ("2027-02-15", dip_audit.EVENTS.started(**audit_started("Plans", "2027-02-15"))),
            ),
        ],
        SINCE,
        UNTIL,
    )
    assert [(a.audit_id, a.kind, a.phase) for a in figures.audits_opened] == [
        ("dip-2027-02-15-plans", "dip audit", "sampling"),
        ("thematic-2027-01-11-neglect", "thematic review", "sampling"),
    ]
    assert [(a.audit_id, a.phase) for a in figures.audits_closed] == [("thematic-2027-01-11-neglect", "complete")]
    assert [(a.audit_id, a.focus) for a in figures.audits_in_progress] == [("dip-2027-02-15-plans", "Plans")]
    markdown = pack_markdown(date(2027, 3, 8), figures)
    assert "- Closed (findings published): 1: thematic-2027-01-11-neglect (thematic review on Neglect, complete)" in (
        markdown
    )
