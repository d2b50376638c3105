"""A practice concern's rules: who it goes to, who may respond, who may read it."""

from __future__ import annotations

from datetime import datetime

import pytest

from domain import review, staff_concern
from domain.directory import Role, StaffMember, management_chain
from domain.errors import Refusal
from domain.events import EventMeta, NewEvent, fold
from domain.staff_concern import (
    CONCERN_EVENTS,
    ConcernRaised,
    ConcernResponded,
    RaiseConcern,
    RespondToConcern,
    check_raise,
    check_respond,
    is_concern_stream,
    may_read,
)
from domain.working_days import LONDON

T0 = datetime(2027, 11, 8, 10, tzinfo=LONDON)
DUE = datetime(2027, 11, 15, 23, 59, 59, tzinfo=LONDON)


def member(staff_id: str, *roles: Role, manager: str | None = None, active: bool = True) -> StaffMember:
    return StaffMember(
        staff_id=staff_id,
        display_name=staff_id.title(),
        roles=frozenset(roles or (Role.PRACTITIONER,)),
        team="Children in Need",
        line_manager=manager,
        active=active,
    )


STAFF = {
    m.staff_id: m
    for m in (
        member("dana.director", Role.REVIEWER),
        member("hana.hos", Role.HEAD_OF_SERVICE, manager="dana.director"),
        member("nadia.manager", Role.TEAM_MANAGER, manager="hana.hos"),
        member("tom.manager", Role.TEAM_MANAGER, manager="hana.hos"),
        member("priya.practitioner", manager="nadia.manager"),
        member("dan.practitioner", manager="nadia.manager"),
        member("amy.practitioner", manager="tom.manager"),
        member("sam.reviewer", Role.REVIEWER, manager="quinn.hoqa"),
        member("quinn.hoqa", Role.HEAD_OF_QA, manager="dana.director"),
        member("qa.officer", Role.QA_OFFICER, manager="quinn.hoqa"),
        member("audrey.auditor", Role.AUDITOR),
        member("old.auditor", Role.AUDITOR, active=False),
        member("gone.practitioner", manager="nadia.manager", active=False),
        member("orphan.practitioner", manager="left.manager"),
        member("left.manager", Role.TEAM_MANAGER, active=False),
    )
}


def raise_(about: str = "priya.practitioner", raised_by: str = "sam.reviewer", **kw) -> str:
    request = RaiseConcern(about=about, raised_by=raised_by, concern=kw.pop("concern", "late visits"), **kw)
    return check_raise(request, STAFF.get(about), management_chain(STAFF, about), STAFF.get(raised_by))


def events(*pairs: tuple[str, object]) -> list[NewEvent]:
    return [
        NewEvent(
            stream_id="concern-1",
            version=version,
            event_id=f"00000000-0000-0000-0000-{version:012d}",
            event_type=event.event_type,
            actor=actor,
            business_time=T0,
            payload=event.payload(),
        )
        for version, (actor, event) in enumerate(pairs, start=1)
    ]


RAISED = (
    "sam.reviewer",
    ConcernRaised(
        about="priya.practitioner",
        manager="nadia.manager",
        concern="visits were repeatedly late",
        context="cpr-2027-11-review-LCS-100234",
        respond_by=DUE,
        calendar_digest="d" * 64,
    ),
)
OPEN = fold(staff_concern.evolve, CONCERN_EVENTS, events(RAISED))


# --- raising ----------------------------------------------------------------------------------


def test_a_concern_goes_to_the_line_manager():
    assert raise_() == "nadia.manager"
    assert raise_(about="amy.practitioner", raised_by="nadia.manager") == "tom.manager"
    assert raise_(about="nadia.manager", context="cpr-2027-11-review-LCS-100234") == "hana.hos"


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"raised_by": "nobody"}, "nobody is not in the staff directory: only active staff may raise a concern"),
        ({"raised_by": "old.auditor"}, "old.auditor is no longer active in the staff directory"),
        ({"about": "nobody"}, "nobody is not in the staff directory"),
        ({"about": "gone.practitioner"}, "gone.practitioner is no longer active in the staff directory"),
        ({"about": "sam.reviewer"}, "a practice concern is raised about someone else, not about yourself"),
        (
            {"about": "dana.director"},
            "dana.director has no line manager in the staff directory: there is nobody to raise it with",
        ),
        (
            {"about": "orphan.practitioner"},
            "orphan.practitioner's line manager left.manager is no longer active: update the staff directory first",
        ),
        ({"concern": "   "}, "the concern cannot be empty"),
        ({"context": "review 1 of 2"}, "'review 1 of 2' is not a review id"),
    ],
)
def test_a_concern_that_cannot_go_anywhere_is_refused(kw, message):
    with pytest.raises(Refusal) as refusal:
        raise_(**kw)
    assert str(refusal.value) == message


# --- the stream -------------------------------------------------------------------------------


def test_the_stream_folds_to_the_concern_and_its_response():
    assert (OPEN.version, OPEN.status, OPEN.manager, OPEN.raised_by, OPEN.raised_at) == (
        1,
        "open",
        "nadia.manager",
        "sam.reviewer",
        T0,
    )
    assert OPEN.context == "cpr-2027-11-review-LCS-100234" and OPEN.respond_by == DUE
    done = fold(
        staff_concern.evolve,
        CONCERN_EVENTS,
        events(RAISED, ("nadia.manager", ConcernResponded(response="discussed in supervision"))),
    )
    assert (done.version, done.status, done.response, done.responded_by, done.responded_at) == (
        2,
        "responded",
        "discussed in supervision",
        "nadia.manager",
        T0,
    )


def test_a_stream_out_of_order_is_not_a_concern():
    meta = EventMeta(version=1, actor="nadia.manager", business_time=T0)
    with pytest.raises(ValueError, match="concern.responded cannot follow version 0"):
        staff_concern.evolve(None, ConcernResponded(response="x"), meta)
    done = staff_concern.evolve(OPEN, ConcernResponded(response="x"), meta._replace(version=2))
    with pytest.raises(ValueError, match="cannot follow version 2"):
        staff_concern.evolve(done, ConcernResponded(response="again"), meta._replace(version=3))


def test_concern_events_are_no_review_events():
    assert not {"concern.raised", "concern.responded"} & {
        cls.event_type for cls in (review.ReviewOpened, review.SafeguardingAlertRaised)
    }
    assert "concern.raised" not in review.REVIEW_EVENTS and "concern.responded" not in review.REVIEW_EVENTS
    assert is_concern_stream("concern-6f1d8a52-3c47-4b0e-9d2a-4e8b7c1f0a93")
    assert not is_concern_stream("cpr-2027-11-review-LCS-100234")


# --- responding -------------------------------------------------------------------------------


def test_only_the_manager_responds_once_with_what_was_done():
    check_respond(OPEN, RespondToConcern(actor="nadia.manager", response="no further action"))
    for actor in ("hana.hos", "sam.reviewer", "priya.practitioner", "audrey.auditor"):
        with pytest.raises(Refusal) as refusal:
            check_respond(OPEN, RespondToConcern(actor=actor, response="no further action"))
        assert str(refusal.value) == (
            f"only nadia.manager, the line manager this concern was raised with, can respond to it; {actor} cannot"
        )
    with pytest.raises(Refusal, match="say what was done"):
        check_respond(OPEN, RespondToConcern(actor="nadia.manager", response="  "))
    with pytest.raises(Refusal, match="still being raised"):
        check_respond(None, RespondToConcern(actor="nadia.manager", response="x"))
    done = staff_concern.evolve(
        OPEN, ConcernResponded(response="x"), EventMeta(version=2, actor="nadia.manager", business_time=T0)
    )
    with pytest.raises(Refusal, match="nadia.manager already responded to this concern"):
        check_respond(done, RespondToConcern(actor="nadia.manager", response="again"))


# --- reading ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reader", "allowed"),
    [
        ("nadia.manager", True),  # the manager it was raised with
        ("hana.hos", True),  # her manager
        ("dana.director", True),  # the top of the chain
        ("sam.reviewer", True),  # who raised it
        ("audrey.auditor", True),
        ("priya.practitioner", False),  # the person it is about
        ("dan.practitioner", False),  # a peer: same manager
        ("tom.manager", False),  # a peer of the manager
        ("amy.practitioner", False),
        ("quinn.hoqa", False),  # Head of QA, but not in this chain
        ("qa.officer", False),
        ("old.auditor", False),  # no longer active
    ],
)
def test_only_managers_the_raiser_and_auditors_may_read(reader, allowed):
    assert may_read(STAFF[reader], OPEN, management_chain(STAFF, OPEN.manager)) is allowed


def test_nobody_reads_once_inactive_and_the_subject_never_does():
    chain = management_chain(STAFF, OPEN.manager)
    assert not may_read(STAFF["nadia.manager"].model_copy(update={"active": False}), OPEN, chain)
    assert not may_read(STAFF["sam.reviewer"].model_copy(update={"active": False}), OPEN, chain)
    subject_auditor = STAFF["priya.practitioner"].model_copy(update={"roles": frozenset({Role.AUDITOR})})
    assert not may_read(subject_auditor, OPEN, chain)
