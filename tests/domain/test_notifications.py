"""Notifications as data: what a task must carry, what other kinds must not, stable ids."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from domain.notifications import (
    MAX_BODY,
    MAX_SUBJECT,
    Inbox,
    Notification,
    fit_body,
    fit_subject,
    is_overdue,
    notification_id,
)

DUE = datetime(2027, 4, 21, 22, 59, 59, tzinfo=UTC)


def make(**overrides) -> Notification:
    values = {
        "notification_id": uuid.uuid4(),
        "recipient": "sam.reviewer",
        "kind": "task",
        "item_id": "cpr-2027-03/review-1234567",
        "task_key": "reflection",
        "subject": "Record your reflection for review 1234567",
        "due_at": DUE,
    }
    values.update(overrides)
    return Notification(**values)


def test_a_task_carries_its_key_and_due_moment():
    task = make()
    assert task.kind == "task" and task.task_key == "reflection" and task.due_at == DUE
    assert task.body == ""


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"task_key": None}, "a task needs a task_key"),
        ({"due_at": None}, "a task needs a due_at"),
        ({"kind": "alert"}, "only a task has a task_key, not a alert"),
        ({"due_at": datetime(2027, 4, 21, 23, 59, 59)}, "timezone"),
        ({"kind": "memo"}, "Input should be"),
        ({"recipient": ""}, "at least 1 character"),
        ({"subject": "two\nlines"}, "a subject is one line"),
        ({"child_name": "x"}, "Extra inputs are not permitted"),
    ],
)
def test_malformed_notifications_are_refused(overrides, message):
    with pytest.raises(ValidationError, match=message):
        make(**overrides)


@pytest.mark.parametrize("kind", ["reminder", "escalation", "alert", "info"])
def test_other_kinds_have_no_task_key_but_may_name_a_deadline(kind):
    assert make(kind=kind, task_key=None).due_at == DUE
    assert make(kind=kind, task_key=None, due_at=None).due_at is None


def test_notifications_are_frozen():
    with pytest.raises(ValidationError):
        make().subject = "changed"  # type: ignore[misc]


def test_ids_are_deterministic_and_distinct():
    a = notification_id("review-1", "reflection", "task", "sam")
    assert a == notification_id("review-1", "reflection", "task", "sam")
    assert a.version == 5
    assert len({a, notification_id("review-1", "reflection", "task", "pat"), notification_id("review-1")}) == 3
    # the separator keeps ("a", "bc") and ("ab", "c") apart
    assert notification_id("a", "bc") != notification_id("ab", "c")


def test_a_task_due_at_the_end_of_the_day_is_overdue_only_after_it():
    assert not is_overdue(DUE, DUE)
    assert is_overdue(DUE, DUE + timedelta(seconds=1))
    assert not is_overdue(DUE, DUE - timedelta(days=1))


def test_an_inbox_with_nothing_is_empty():
    assert Inbox(recipient="sam", as_of=DUE, to_do=(), told=()).empty


def test_a_subject_that_fits_is_left_exactly_as_it_is():
    # A replayed workflow recomputes its notifications: one already stored must come out the same.
    for subject in ("Record your reflection for review 1234567", "a\ttab  and  spaces", "x" * MAX_SUBJECT):
        assert fit_subject(subject) == subject


def test_a_subject_from_long_or_multiline_recorded_text_is_one_shortened_line():
    assert fit_subject("Action: visit\r\n  weekly\nand record") == "Action: visit weekly and record"
    long = fit_subject("Overdue: action A1 " + "plan " * 100)
    assert len(long) <= MAX_SUBJECT and long.endswith("…") and long.startswith("Overdue: action A1 plan")
    make(subject=long)  # the outbox takes it


def test_a_body_over_the_limit_is_shortened_and_says_where_the_whole_text_is():
    assert fit_body("short", "review-1") == "short"
    assert fit_body("y" * MAX_BODY, "review-1") == "y" * MAX_BODY
    body = fit_body("concern " * 2000, "cpr-2027-11-01-children-in-need-review-LCS-100701")
    assert len(body) <= MAX_BODY
    assert body.startswith("concern concern") and "…\n\n[shortened: the whole text is in the record of " in body
    assert body.endswith("cpr-2027-11-01-children-in-need-review-LCS-100701]")
    make(body=body)
