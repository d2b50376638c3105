"""Each kind of item is declared once (domain.kinds), and every layer derives what it needs from the list.

A new kind of case audit is its declaration and one line in `domain.items.KINDS`:
shown here with a small "spot check", seen in the audit views, the access rules and
the QAPM pack without another line anywhere (`qa overdue`: tests/infra/test_cli_kinds.py).
"""

from __future__ import annotations

from datetime import datetime

import pytest

from domain import audit_views, case_audit, deadline, duties, items, review, thematic
from domain.audit_access import audit_refusal
from domain.chasing import ChaseStep
from domain.events import EventRegistry
from domain.kinds import Kind
from domain.qapm_pack import LoggedEvent, pack_figures
from domain.working_days import LONDON
from tests.domain.test_audit_views import STAFF
from tests.domain.test_case_audit import meta, started

SPOT_EVENTS = case_audit.AuditEvents.family("spot_check")
SPOT_CHECK = case_audit.kind("spot check", SPOT_EVENTS, "SpotCheck", ("spot-check", "show"), "Spot check duties")


@pytest.fixture
def spot_check_declared(monkeypatch: pytest.MonkeyPatch) -> Kind:
    """The one line a new kind adds: its declaration in the list of kinds."""
    monkeypatch.setattr(items, "KINDS", (*items.KINDS, SPOT_CHECK))
    return SPOT_CHECK


def spot_check_events() -> list:
    """A spot check of two listed cases, its reviewer's duty given and gone overdue."""
    due = datetime(2027, 6, 1, 23, 59, 59, tzinfo=LONDON)
    return [
        *started(SPOT_EVENTS),
        SPOT_EVENTS.reviewer_allocated(case_number="LCS-100318", reviewer="sam.reviewer"),
        SPOT_EVENTS.duties.given(key="case-LCS-100318", owner="sam.reviewer", what="answer", due_at=due, chase=()),
        SPOT_EVENTS.duties.chased(
            key="case-LCS-100318", step=ChaseStep(kind="overdue", level=0, at=due), recipients=("sam.reviewer",)
        ),
    ]


# --- the declaration refuses what would fail silently later --------------------------------------


def test_a_declaration_refuses_an_event_without_words_words_for_no_event_and_a_stray_prefix():
    words = deadline.KIND.words
    without = dict(words)
    del without["deadline.met"]
    with pytest.raises(ValueError, match=r"^the deadline's events \['deadline.met'\] have no words$"):
        Kind("deadline", "deadline.", deadline.DEADLINE_EVENTS, without, deadline.evolve, "Deadline", ("d", "show"))
    extra = {**words, "deadline.forgotten": lambda p: "?"}
    with pytest.raises(ValueError, match=r"has words for \['deadline.forgotten'\], which are not its events"):
        Kind("deadline", "deadline.", deadline.DEADLINE_EVENTS, extra, deadline.evolve, "Deadline", ("d", "show"))
    with pytest.raises(ValueError, match=r"not 'deadline.met.'$"):
        Kind("deadline", "deadline.met.", deadline.DEADLINE_EVENTS, words, deadline.evolve, "Deadline", ("d", "show"))
    with pytest.raises(ValueError, match=r"do not start with 'deadlines.'"):
        Kind("deadline", "deadlines.", deadline.DEADLINE_EVENTS, words, deadline.evolve, "Deadline", ("d", "show"))


def test_a_declaration_with_duties_names_them_for_the_pack_and_a_workflow_comes_with_its_reducer_and_view():
    family = duties.family("chore")
    with pytest.raises(ValueError, match=r"^a chore has duties \(domain.duties\): say how the QAPM pack names them$"):
        Kind("chore", "chore.", EventRegistry(*family), family.words)
    with pytest.raises(ValueError, match=r"^a deadline has a workflow, a reducer and a show command, or none of them$"):
        Kind("deadline", "deadline.", deadline.DEADLINE_EVENTS, deadline.KIND.words, deadline.evolve, "Deadline")


def test_the_list_refuses_two_kinds_sharing_a_name_a_prefix_or_a_workflow():
    with pytest.raises(ValueError, match=r"two kinds share a workflow_type"):
        items._distinct(
            (
                SPOT_CHECK,
                case_audit.kind("other", case_audit.AuditEvents.family("other"), "SpotCheck", ("o", "show"), "O"),
            )
        )
    shadowed = case_audit.kind("spot", case_audit.AuditEvents.family("spot"), "Spot", ("s", "show"), "S")
    assert shadowed.prefix == "spot."  # not a prefix of "spot_check.": the dot ends it
    items._distinct((SPOT_CHECK, shadowed))
    with pytest.raises(ValueError, match=r"two kinds share a prefix"):
        items._distinct((SPOT_CHECK, case_audit.kind("other", SPOT_EVENTS, "Other", ("o", "show"), "O")))
    with pytest.raises(ValueError, match=r"two kinds share a name"):
        items._distinct((review.KIND, review.KIND))


def test_every_kind_puts_every_one_of_its_events_in_words_and_each_event_type_names_one_kind():
    for kind in items.KINDS:
        assert set(kind.words) == set(kind.events), kind.name
        for event_type in kind.events:
            assert items.kind_of_event(event_type) is kind
    # A payload the words cannot read is shown as it is, never lost.
    assert audit_views.describe("review.graded", {"grade": "good"}) == 'review.graded: {"grade":"good"}'


def test_the_family_factory_keeps_the_recorded_event_types():
    assert [cls.event_type for cls in thematic.KIND.events._classes.values()] == [
        "thematic.started",
        "thematic.sample_taken",
        "thematic.reviewer_allocated",
        "thematic.answers_recorded",
        "thematic.case_submitted",
        "thematic.reviews_closed",
        "thematic.findings_published",
        "thematic.reviewer_reallocated",
        "thematic.duty_set",
        "thematic.duty_chased",
        "thematic.duty_done",
    ]
    assert thematic.EVENTS.started.__name__ == "ThematicStarted"
    assert issubclass(thematic.EVENTS.duties.given, duties.DutySet)


# --- a new kind, seen everywhere from its one line -----------------------------------------------


def test_a_new_kind_of_case_audit_is_seen_in_the_audit_views_and_the_access_rules(spot_check_declared):
    events = spot_check_events()
    assert items.kind_of_stream("spot-1", [e.event_type for e in events]) is spot_check_declared
    words = [audit_views.describe(e.event_type, e.payload()) for e in events]
    assert words[0].startswith("started on Neglect plans from 2027-05-24: ")
    assert words[-1] == "case-LCS-100318 overdue: sam.reviewer told"
    state = None
    for version, event in enumerate(events, start=1):
        state = spot_check_declared.evolve(state, event, meta(version))
    assert items.people(spot_check_declared, state) >= {"qa.officer", "sam.reviewer", "priya.practitioner"}
    assert items.case_numbers(spot_check_declared, state) == ["LCS-100318", "LCS-100701"]
    # priya.practitioner's line manager may read it: she is named in it.
    assert audit_refusal("nadia.manager", "spot-1", spot_check_declared, state, STAFF) is None
    assert audit_refusal("nadia.manager", "spot-1", spot_check_declared, None, STAFF) is not None


def test_a_new_kind_of_case_audit_is_in_the_qapm_pack(spot_check_declared):
    logged = [LoggedEvent("spot-1", e, meta(v)) for v, e in enumerate(spot_check_events(), start=1)]
    since = datetime(2027, 5, 1, tzinfo=LONDON)
    figures = pack_figures(logged, since, datetime(2027, 7, 1, tzinfo=LONDON))
    assert [(a.audit_id, a.kind) for a in figures.audits_opened] == [("spot-1", "spot check")]
    assert [(d.what, d.missed) for d in figures.deadlines] == [("Spot check duties", 1)]
