"""What auditors see, without I/O: times, events in words, the engine cross-check, bundles, who may read."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from domain import review, staff_concern
from domain.audit_access import audit_refusal
from domain.audit_views import (
    BUNDLE_FILES,
    as_of,
    check_manifest,
    describe,
    engine_differences,
    local,
    moment_problem,
    parse_moment,
)
from domain.cpr_cycle import KIND as CYCLE
from domain.directory import KIND as DIRECTORY
from domain.directory import parse_staff_csv
from domain.events import NewEvent, RecordedEvent
from domain.items import kind_of_stream
from domain.review import KIND as REVIEW
from domain.staff_concern import KIND as CONCERN
from domain.working_days import LONDON

STAFF = {
    m.staff_id: m
    for m in parse_staff_csv((Path(__file__).resolve().parents[2] / "examples/authority/staff.csv").read_text())
}
T0 = datetime(2027, 11, 8, 10, tzinfo=UTC)


# --- times ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        # a date: the whole London day (GMT in November)
        ("2027-11-08", datetime(2027, 11, 8, 0, tzinfo=UTC), datetime(2027, 11, 8, 23, 59, 59, 999999, tzinfo=UTC)),
        # the day the clocks go forward is 23 hours long
        (
            "2027-03-28",
            datetime(2027, 3, 28, 0, tzinfo=UTC),
            datetime(2027, 3, 28, 22, 59, 59, 999999, tzinfo=UTC),
        ),
        # London time in summer is BST
        (
            "2027-07-01 09:00",
            datetime(2027, 7, 1, 8, 0, tzinfo=UTC),
            datetime(2027, 7, 1, 8, 0, 59, 999999, tzinfo=UTC),
        ),
        (
            "2027-07-01T09:00:05",
            datetime(2027, 7, 1, 8, 0, 5, tzinfo=UTC),
            datetime(2027, 7, 1, 8, 0, 5, 999999, tzinfo=UTC),
        ),
        (
            "2027-07-01 09:00:05 BST",
            datetime(2027, 7, 1, 8, 0, 5, tzinfo=UTC),
            datetime(2027, 7, 1, 8, 0, 5, 999999, tzinfo=UTC),
        ),
        (
            "2027-07-01 09:00:05 GMT",
            datetime(2027, 7, 1, 9, 0, 5, tzinfo=UTC),
            datetime(2027, 7, 1, 9, 0, 5, 999999, tzinfo=UTC),
        ),
        (
            "2027-07-01T09:00:05.25Z",
            datetime(2027, 7, 1, 9, 0, 5, 250000, tzinfo=UTC),
            datetime(2027, 7, 1, 9, 0, 5, 250000, tzinfo=UTC),
        ),
        (
            "2027-07-01T09:00:05.123456+02:00",
            datetime(2027, 7, 1, 7, 0, 5, 123456, tzinfo=UTC),
            datetime(2027, 7, 1, 7, 0, 5, 123456, tzinfo=UTC),
        ),
    ],
)
def test_a_moment_is_the_end_of_the_period_it_names(text, start, end):
    moment = parse_moment(text)
    assert (moment.start, moment.end) == (start, end)


@pytest.mark.parametrize("text", ["yesterday", "2027-13-01", "2027-02-30", "2027-07-01 25:00", "2027-07-01 9:00"])
def test_a_time_that_is_not_one_is_refused(text):
    with pytest.raises(ValueError, match="is not a"):
        parse_moment(text)


def test_a_moment_in_the_future_or_before_the_item_is_refused():
    now = datetime(2027, 11, 8, 12, tzinfo=UTC)
    assert moment_problem(parse_moment("2027-11-08"), now, T0, "x") is None  # today, so far
    assert moment_problem(parse_moment("2027-11-09"), now, T0, "x") == (
        "2027-11-09 is in the future (it is now 2027-11-08 12:00:00 GMT): nothing is known about it yet"
    )
    assert moment_problem(parse_moment("2027-11-07"), now, T0, "x") == (
        "x did not exist yet at 2027-11-07: its first event is at 2027-11-08 10:00:00 GMT"
    )
    assert moment_problem(parse_moment("2027-11-08 10:00"), now, T0, "x") is None  # the minute it opened


def test_local_times_say_which_clock():
    assert local(datetime(2027, 7, 1, 8, 0, 5, tzinfo=UTC)) == "2027-07-01 09:00:05 BST"
    assert local(datetime(2027, 12, 1, 8, 0, 5, tzinfo=UTC)) == "2027-12-01 08:00:05 GMT"


def recorded(stream: str, version: int, at: datetime, event_type: str = "review.submitted", **payload) -> RecordedEvent:
    return RecordedEvent(
        stream_id=stream,
        version=version,
        event_id=uuid.uuid5(uuid.NAMESPACE_URL, f"{stream}/{version}"),
        event_type=event_type,
        actor="sam.reviewer",
        business_time=at,
        payload=payload,
        position=version,
        recorded_at=at + timedelta(milliseconds=5),
        prev_hash="00" * 32,
        hash="00" * 32,
    )


def test_as_of_keeps_what_had_happened_by_business_time():
    events = [recorded("r", v, T0 + timedelta(minutes=v)) for v in (1, 2, 3)]
    assert [e.version for e in as_of(events, T0 + timedelta(minutes=2))] == [1, 2]
    assert [e.version for e in as_of(events, None)] == [1, 2, 3]


# --- events in words ----------------------------------------------------------------------------


def test_events_in_words_and_a_payload_this_code_does_not_know():
    assert describe("review.voice_recorded", {"whose": "family", "obtained": False, "summary": "declined"}) == (
        "the family's voice recorded as not obtained: declined"
    )
    assert describe(
        "review.chased",
        {"step": {"kind": "escalation", "level": 2, "at": "2027-12-02T09:00:00Z"}, "recipients": ["hana.hos"]},
    ) == ("escalated to level 2: hana.hos told the review is overdue")
    assert describe(
        "dispute.escalated", {"from_stage": "moderator", "to_stage": "head_of_qa", "reason": "window passed"}
    ) == (
        "passed from stage 2 (independent moderation and a three-way conversation) to stage 3 (decision of the"
        " Head of QA): window passed"
    )
    report = {"grades": {"Good": 1}, "agreed": 1, "moderated": 1, "markdown_sha256": "a" * 64, "html_sha256": "b" * 64}
    assert describe("cycle.report_published", report).endswith("HTML SHA-256 bbbbbbbbbbbb...")  # recorded before plans
    assert describe("cycle.report_published", report | {"plan_id": "plan-x", "plan_actions": ["A1", "A2"]}).endswith(
        "...; actions A1, A2 added to plan-x"
    )
    assert describe("review.graded", {"softened": True}) == 'review.graded: {"softened":true}'
    assert describe("something.else", {"n": 1}) == 'something.else: {"n":1}'
    assert describe("review.conversation_recorded", {"summary": "a\nlong " * 50}, limit=40).endswith("...")


def test_kinds_come_from_the_events_and_a_concern_from_its_id():
    assert kind_of_stream("x", ["review.voice_recorded"]) is REVIEW  # even with its opening event gone
    assert kind_of_stream("x", ["cycle.started"]) is CYCLE
    assert kind_of_stream("directory-staff", ["directory.staff_imported"]) is DIRECTORY
    assert kind_of_stream("concern-1", ["review.opened"]) is CONCERN
    assert kind_of_stream("x", ["test.happened"]) is None


# --- the engine cross-check ---------------------------------------------------------------------


def new(stream: str, version: int, **payload) -> NewEvent:
    return NewEvent(
        stream_id=stream,
        version=version,
        event_id=uuid.uuid5(uuid.NAMESPACE_URL, f"{stream}/{version}"),
        event_type="review.submitted",
        actor="sam.reviewer",
        business_time=T0 + timedelta(minutes=version),
        payload=payload,
    )


def kinds(differences) -> list[tuple[str, int]]:
    return [(d.kind, d.version) for d in differences]


def test_the_log_and_the_engine_agree():
    engine = [new("r", v) for v in (1, 2, 3)]
    assert (
        engine_differences("r", [recorded("r", v, T0 + timedelta(minutes=v)) for v in (1, 2, 3)], engine, engine) == []
    )


def test_each_difference_with_the_engine_is_reported():
    engine = [new("r", v) for v in (1, 2, 3)]
    logged = [new("r", 1), new("r", 2, softened=True), new("r", 4)]
    assert kinds(engine_differences("r", logged, engine, engine)) == [
        ("differs_from_engine", 2),
        ("missing_from_log", 3),
        ("not_in_engine", 4),
    ]
    [differs] = [d for d in engine_differences("r", logged, engine, engine) if d.kind == "differs_from_engine"]
    assert differs.detail.endswith("differs from what the workflow recorded in: payload")


def test_an_append_still_in_flight_is_no_difference():
    done, in_flight = [new("r", 1)], [new("r", 1), new("r", 2)]
    assert engine_differences("r", [new("r", 1)], done, in_flight) == []  # not yet in the log
    assert engine_differences("r", [new("r", 1), new("r", 2)], done, in_flight) == []  # already in it


def test_other_streams_events_are_not_this_streams():
    assert engine_differences("r", [], [new("other", 1)], [new("other", 1)]) == []


# --- bundles ----------------------------------------------------------------------------------


def test_a_manifest_must_list_every_file_and_match_it():
    digests = {name: "a" * 64 for name in BUNDLE_FILES}
    manifest = {"files": dict(digests)}
    present = [*BUNDLE_FILES, "manifest.json"]
    assert check_manifest(manifest, digests, present) is None
    assert check_manifest({"files": {}}, digests, present).startswith("its manifest lists nothing")
    assert check_manifest([], digests, present) == "its manifest.json lists no files"
    assert check_manifest(manifest, digests, [*present, "extra.txt"]) == (
        "it holds extra.txt, which its manifest does not list"
    )
    assert check_manifest(manifest, {**digests, "state.json": None}, present) == "state.json is missing or unreadable"
    assert check_manifest(manifest, {**digests, "events.json": "b" * 64}, present).startswith("events.json was altered")


# --- who may read -------------------------------------------------------------------------------


def review_state() -> review.ReviewState:
    return review.ReviewState(
        version=1,
        cycle_id="cpr-1",
        case_number="LCS-100701",
        service="Children in Need",
        team="Children in Need",
        practitioner="priya.practitioner",
        reviewer="sam.reviewer",
        team_manager="nadia.manager",
        head_of_service="hana.hos",
        opened_at=T0,
        due_at=T0 + timedelta(days=28),
    )


@pytest.mark.parametrize(
    ("reader", "allowed"),
    [
        ("audrey.auditor", True),
        ("qa.officer", True),
        ("quinn.hoqa", True),
        ("nadia.manager", True),  # named: the team manager
        ("hana.hos", True),  # named, and above the practitioner
        ("kofi.manager", False),  # a manager of someone else
        ("fatima.hos", False),
        ("sam.reviewer", False),  # a party, not a manager
        ("priya.practitioner", False),
        ("alex.assistant", False),  # above them all, but not in a manager's role
        ("nobody.known", False),
    ],
)
def test_who_may_read_a_review(reader, allowed):
    refusal = audit_refusal(reader, "cpr-1-review-LCS-100701", REVIEW, review_state(), STAFF)
    assert (refusal is None) == allowed, refusal


def test_a_manager_above_someone_the_item_names_may_read_it():
    state = review_state().model_copy(update={"team_manager": "someone.else", "head_of_service": "someone.else"})
    assert audit_refusal("nadia.manager", "r", REVIEW, state, STAFF) is None  # priya.practitioner's line manager
    assert audit_refusal("hana.hos", "r", REVIEW, state, STAFF) is None  # nadia.manager's


def test_inactive_staff_read_nothing():
    gone = {**STAFF, "audrey.auditor": STAFF["audrey.auditor"].model_copy(update={"active": False})}
    assert audit_refusal("audrey.auditor", "r", REVIEW, review_state(), gone) == (
        "audrey.auditor is not an active member of staff in the directory"
    )


def test_a_concern_is_read_only_as_staff_concern_may_read_allows():
    concern = staff_concern.ConcernState(
        version=1,
        about="priya.practitioner",
        manager="nadia.manager",
        raised_by="sam.reviewer",
        raised_at=T0,
        concern="late visits",
        respond_by=T0 + timedelta(days=7),
    )
    for reader in ("nadia.manager", "hana.hos", "sam.reviewer", "audrey.auditor"):
        assert audit_refusal(reader, "concern-1", CONCERN, concern, STAFF) is None, reader
    for reader in ("priya.practitioner", "qa.officer", "quinn.hoqa", "kofi.manager"):
        assert audit_refusal(reader, "concern-1", CONCERN, concern, STAFF) == staff_concern.reading_refused(
            "concern-1"
        ), reader


def test_the_directory_imports_are_for_auditors_and_the_qa_team():
    assert audit_refusal("qa.officer", "directory-staff", DIRECTORY, None, STAFF) is None
    assert audit_refusal("audrey.auditor", "directory-staff", DIRECTORY, None, STAFF) is None
    assert audit_refusal("nadia.manager", "directory-staff", DIRECTORY, None, STAFF) is not None


def test_times_are_london_times():
    assert parse_moment("2027-11-08 10:00").start == datetime(2027, 11, 8, 10, tzinfo=LONDON)
