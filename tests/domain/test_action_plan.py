"""Action plan rules: SMART actions, who may change a plan, the cadence, and the reducer."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from domain.action_plan import (
    ActionAdded,
    AddAction,
    AddFromFinding,
    CloseAction,
    MeetingHeld,
    PlanStarted,
    ProgressRecorded,
    RecordProgress,
    SmartAction,
    check_add,
    check_add_from_finding,
    check_close,
    check_progress,
    evolve,
    first_nominal_meeting,
    nominal_meeting,
    parse_actions,
)
from domain.errors import Refusal
from domain.events import EventMeta
from domain.files import FileError

TODAY = date(2027, 1, 11)
AT = datetime(2027, 1, 11, 10, tzinfo=UTC)
END = datetime(2027, 2, 15, 23, 59, 59, tzinfo=UTC)


def meta(version: int, actor: str = "nadia.manager") -> EventMeta:
    return EventMeta(version=version, actor=actor, business_time=AT)


def plan():
    state = evolve(
        None,
        PlanStarted(
            kind="team",
            team="Children in Need",
            owner="nadia.manager",
            first_nominal=date(2027, 2, 15),
            next_meeting_on=date(2027, 2, 15),
            next_meeting_at=END,
            calendar_digest="d",
        ),
        meta(1),
    )
    return evolve(
        state,
        ActionAdded(
            action_id="A1",
            action="a",
            support="s",
            responsible="priya.practitioner",
            by_when=date(2027, 3, 1),
            evidence="e",
        ),
        meta(2),
    )


def full(**overrides) -> AddAction:
    fields = dict(
        actor="nadia.manager", action="a", support="s", responsible="p", by_when=date(2027, 3, 1), evidence="e"
    )
    return AddAction(**(fields | overrides))


@pytest.mark.parametrize(
    ("missing", "named"),
    [
        ({"action": ""}, "the action"),
        ({"support": " "}, "the support needed"),
        ({"responsible": ""}, "the person responsible"),
        ({"by_when": None}, "by when"),
        ({"evidence": ""}, "how completion will be shown"),
    ],
)
def test_each_missing_smart_part_is_named(missing, named):
    with pytest.raises(Refusal) as refusal:
        check_add(plan(), full(**missing), TODAY)
    assert str(refusal.value) == f"the action is not SMART: it needs {named}"


def test_all_missing_parts_are_named_in_order():
    with pytest.raises(Refusal, match="needs the action, the support needed, the person responsible, by when, how"):
        check_add(plan(), AddAction(actor="nadia.manager"), TODAY)


def test_by_when_must_be_in_the_future_and_only_the_owner_adds():
    with pytest.raises(Refusal, match="by when must be a date in the future"):
        check_add(plan(), full(by_when=TODAY), TODAY)
    with pytest.raises(Refusal, match=r"only the plan's owner \(nadia.manager\) can add actions"):
        check_add(plan(), full(actor="hana.hos"), TODAY)
    check_add(plan(), full(), TODAY)


def test_a_finding_needs_its_source():
    request = AddFromFinding(**full(actor="qa.officer").model_dump())
    with pytest.raises(Refusal, match="the finding the action comes from"):
        check_add_from_finding(plan(), request, TODAY)
    check_add_from_finding(plan(), request.model_copy(update={"source": "cpr-2027-11"}), TODAY)


def test_done_needs_evidence_and_a_done_or_closed_action_no_longer_changes():
    state = plan()
    with pytest.raises(Refusal, match="the evidence that the action is done"):
        check_progress(state, RecordProgress(actor="nadia.manager", action_id="A1", status="done"))
    done = evolve(state, ProgressRecorded(action_id="A1", status="done", evidence="audit"), meta(3))
    assert done.action("A1").completion_evidence == "audit" and not done.open_actions
    with pytest.raises(Refusal, match="was recorded done"):
        check_close(done, CloseAction(actor="nadia.manager", action_id="A1", reason="x"))


def test_meetings_are_counted_from_the_first_without_drift():
    assert first_nominal_meeting("team", date(2027, 1, 4)) == date(2027, 2, 15)
    assert first_nominal_meeting("service-wide", date(2027, 1, 4)) == date(2027, 4, 4)
    assert nominal_meeting("team", date(2027, 2, 15), 3) == date(2027, 5, 10)
    assert nominal_meeting("service-wide", date(2027, 11, 30), 2) == date(2028, 2, 29)  # clamped to month end
    assert nominal_meeting("service-wide", date(2027, 11, 30), 5) == date(2028, 11, 30)


def test_a_meeting_closes_the_cycle_and_sets_the_next():
    state = evolve(
        plan(),
        MeetingHeld(
            number=1,
            held_on=date(2027, 2, 15),
            reviewed=("A1",),
            not_reviewed=(),
            next_meeting_on=date(2027, 3, 30),
            next_meeting_at=datetime(2027, 3, 30, 23, 59, 59, tzinfo=UTC),
            calendar_digest="d",
        ),
        meta(3, "qa-engine"),
    )
    assert (state.cycle, state.next_meeting_on, state.not_reviewed_this_cycle) == (2, date(2027, 3, 30), ("A1",))
    assert (state.next_moment.kind, state.next_moment.action_id) == ("action", "A1")  # due 1 March, first


def test_actions_from_csv_and_a_bad_date_named_by_its_line():
    [action] = parse_actions("action,support,responsible,by_when,evidence\nA,S,priya.practitioner,2027-09-30,E\n", "a")
    assert action == SmartAction(
        action="A", support="S", responsible="priya.practitioner", by_when=date(2027, 9, 30), evidence="E"
    )
    with pytest.raises(FileError, match=r"^a line 2: by_when '30/09/2027' is not a YYYY-MM-DD date$"):
        parse_actions("action,support,responsible,by_when,evidence\nA,S,R,30/09/2027,E\n", "a")
    with pytest.raises(FileError, match=r"^a: no actions$"):
        parse_actions("action,support,responsible,by_when,evidence\n", "a")
