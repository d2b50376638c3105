"""What the engine tells people: tasks with due dates, reminders, escalations, alerts, notes.

Pure data. Workflows build `Notification`s and hand them to the outbox activity
(`activities.notifications`); a person reads theirs as an `Inbox`.

Subjects and bodies name the item and the case number (from LCS or EHM), never a
child: notifications may be delivered beyond the case record (e-mail, chat).
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from domain.frozen import Frozen

NotificationKind = Literal["task", "reminder", "escalation", "alert", "info"]
"""`task`: something to do by `due_at`, open until closed; `reminder`: a deadline is near;
`escalation`: a deadline was missed; `alert`: needs attention at once (e.g. safeguarding);
`info`: for the record."""

NOTIFICATION_KINDS: tuple[NotificationKind, ...] = ("task", "reminder", "escalation", "alert", "info")

_NAMESPACE = uuid.UUID("6f1d8a52-3c47-5b0e-9d2a-4e8b7c1f0a93")


def notification_id(item_id: str, *parts: str) -> UUID:
    """A notification id that is the same every time a workflow (re)computes it.

    `parts` must tell this notification apart from every other one of the item,
    e.g. `notification_id(review_id, "reflection", "task", practitioner)`.
    """
    return uuid.uuid5(_NAMESPACE, "\x1f".join((item_id, *parts)))


MAX_SUBJECT = 300
MAX_BODY = 10_000
_LINE_BREAKS = re.compile(r"\s*[\r\n]+\s*")


def fit_subject(subject: str) -> str:
    """A subject built from recorded text, made to fit: one line, at most MAX_SUBJECT characters
    (shortened with an ellipsis). A subject that already fits is returned as it is, so a
    notification a workflow recomputes on replay is the one it stored."""
    line = _LINE_BREAKS.sub(" ", subject).strip() if "\n" in subject or "\r" in subject else subject
    return line if len(line) <= MAX_SUBJECT else line[: MAX_SUBJECT - 1].rstrip() + "…"


def fit_body(body: str, item_id: str) -> str:
    """A body built from recorded text, made to fit MAX_BODY; shortened, it says where the whole text is."""
    if len(body) <= MAX_BODY:
        return body
    note = f"\n\n[shortened: the whole text is in the record of {item_id}]"
    return body[: MAX_BODY - len(note) - 1].rstrip() + "…" + note


class Notification(BaseModel):
    """One thing told to one person; a task also asks them to do something by `due_at`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    notification_id: UUID
    recipient: str = Field(min_length=1, max_length=200)
    kind: NotificationKind
    item_id: str = Field(min_length=1, max_length=200)
    subject: str = Field(min_length=1, max_length=MAX_SUBJECT)
    body: str = Field(default="", max_length=MAX_BODY)
    due_at: AwareDatetime | None = None
    task_key: str | None = Field(default=None, min_length=1, max_length=100)

    @model_validator(mode="after")
    def _task_fields(self) -> Notification:
        if "\n" in self.subject or "\r" in self.subject:
            raise ValueError("a subject is one line")
        if self.kind == "task":
            if self.task_key is None:
                raise ValueError("a task needs a task_key (which task of the item it is)")
            if self.due_at is None:
                raise ValueError("a task needs a due_at")
        elif self.task_key is not None:
            raise ValueError(f"only a task has a task_key, not a {self.kind}")
        return self


class InboxTask(Frozen):
    """An open task, as its recipient sees it."""

    notification_id: UUID
    item_id: str
    task_key: str
    subject: str
    body: str
    due_at: AwareDatetime
    created_at: AwareDatetime
    overdue: bool


class InboxEntry(Frozen):
    """Something a person was told (a task given to them included)."""

    notification_id: UUID
    kind: NotificationKind
    item_id: str
    task_key: str | None
    subject: str
    body: str
    due_at: AwareDatetime | None
    created_at: AwareDatetime
    sent_at: AwareDatetime | None
    closed_at: AwareDatetime | None


class Inbox(Frozen):
    """What a person has to do (open tasks, soonest due first) and what they were told lately (newest first)."""

    recipient: str
    as_of: AwareDatetime
    to_do: tuple[InboxTask, ...]
    told: tuple[InboxEntry, ...]

    @property
    def empty(self) -> bool:
        return not self.to_do and not self.told


def is_overdue(due_at: datetime, now: datetime) -> bool:
    """Due at 23:59:59 means done by then: overdue only once that moment has passed."""
    return now > due_at
