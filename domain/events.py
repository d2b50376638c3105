"""Domain events and the envelope they are recorded in.

A workflow decides on a `DomainEvent`, wraps it in a `NewEvent` (stream, version,
id, actor, business time) and asks the audit log to append it. The log adds the
database's recorded time and the hash chain, giving a `RecordedEvent`. The same
reducer folds domain events in the workflow and, from the log, for auditors.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import Any, ClassVar, NamedTuple, TypeVar
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from domain.frozen import Frozen

SYSTEM_ACTOR = "qa-engine"
"""The actor of what the engine does on its own: timers firing, escalations."""

CALENDAR_ACTOR = "qa-engine:calendar"
"""The actor of what the QA calendar's schedules start on their day: a service, recorded as itself, never a
person (not a staff id's shape, so nobody can be imported under it)."""


class StartedBy(Frozen):
    """Who starts an item that a person, or the QA calendar on its day, starts."""

    started_by: str = Field(min_length=1)  # the person; for the calendar, its installer, whose item it is
    scheduled_by: str | None = None  # the calendar entry that started it, if one did (workflows.common.opener)


def owner(event: BaseModel, meta: EventMeta) -> str:
    """Whose item an opening event opens: its actor, or, if the QA calendar opened it, the person it
    opened it for (the event's `owner`)."""
    return getattr(event, "owner", None) or meta.actor


class DomainEvent(BaseModel):
    """Base of every event type; subclasses set `event_type` and their own fields."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    event_type: ClassVar[str]

    def payload(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


E = TypeVar("E", bound=DomainEvent)


def member(base: type[E], event_type: str) -> type[E]:
    """`base` recorded as `event_type`: one kind's member of an event family several kinds share.

    E.g. every item with duties records `DutySet` under its own prefix ("spotlight.duty_set"),
    so its stream holds its own kind's events only. The class is named from the type
    (`SpotlightDutySet`); only `event_type` is recorded.
    """
    name = "".join(word.capitalize() for word in event_type.replace(".", "_").split("_"))
    return type(name, (base,), {"event_type": event_type, "__module__": base.__module__, "__qualname__": name})


class NewEvent(Frozen):
    """An event a workflow wants recorded; appending it twice is harmless."""

    stream_id: str = Field(min_length=1, max_length=200)
    version: int = Field(ge=1)
    event_id: UUID
    event_type: str = Field(min_length=1, max_length=100)
    actor: str = Field(min_length=1, max_length=200)
    business_time: AwareDatetime
    payload: dict[str, Any]
    request_id: str | None = Field(default=None, min_length=1, max_length=100)
    """The id of the person's request that recorded it (the Temporal update id), or None: a timer's."""


def envelopes(
    stream_id: str,
    after: int,
    events: Iterable[DomainEvent],
    actor: str,
    business_time: datetime,
    new_id: Callable[[], UUID],
    request_id: str | None = None,
) -> tuple[NewEvent, ...]:
    """`events` as the next versions of `stream_id` after version `after`, each with an id from `new_id`.

    A workflow passes `workflow.uuid4` (its ids replay), a writer outside workflows `uuid.uuid4`;
    `request_id` is the person's request they answer, if any.
    """
    return tuple(
        NewEvent(
            stream_id=stream_id,
            version=after + offset,
            event_id=new_id(),
            event_type=event.event_type,
            actor=actor,
            business_time=business_time,
            payload=event.payload(),
            request_id=request_id,
        )
        for offset, event in enumerate(events, start=1)
    )


class RecordedEvent(NewEvent):
    """An event as the audit log holds it."""

    position: int
    recorded_at: datetime
    prev_hash: str
    hash: str


class EventRegistry:
    """Maps recorded event types back to their domain classes, for replay."""

    def __init__(self, *classes: type[DomainEvent]) -> None:
        self._classes = {cls.event_type: cls for cls in classes}
        if len(self._classes) != len(classes):
            raise ValueError("two event classes share an event_type")

    def decode(self, event_type: str, payload: dict[str, Any]) -> DomainEvent:
        try:
            cls = self._classes[event_type]
        except KeyError:
            raise ValueError(f"unknown event type {event_type!r}") from None
        # The validator itself: a replay decodes every event, and model_validate adds a call to each.
        return cls.__pydantic_validator__.validate_python(payload)

    def __contains__(self, event_type: str) -> bool:
        return event_type in self._classes

    def __iter__(self) -> Iterator[str]:
        """The event types it decodes."""
        return iter(self._classes)


class EventMeta(NamedTuple):
    """Who recorded an event and when it happened, as the reducer sees it.

    A plain tuple, not a model: a replay makes one per event, from an envelope already validated.
    """

    version: int
    actor: str
    business_time: datetime


def fold(reducer: Any, registry: EventRegistry, events: Iterable[NewEvent], state: Any = None) -> Any:
    """Rebuild a state from recorded events: the same reducer the workflow runs."""
    for event in events:
        meta = EventMeta(event.version, event.actor, event.business_time)
        state = reducer(state, registry.decode(event.event_type, event.payload), meta)
    return state
