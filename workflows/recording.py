"""Recording domain events from inside a workflow: append first, then fold.

A workflow's state is only ever the fold of events the audit log holds, so a
query can never show something the log does not. Appends are serialised by a
lock, which also lets a handler re-check its rule against the newest state
just before it records (a timer may have fired while it waited).
"""

from __future__ import annotations

import asyncio
import functools
import inspect
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from datetime import timedelta
from typing import Any, Generic, TypeVar

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ApplicationError

from domain.errors import Refusal
from domain.events import DomainEvent, EventMeta, envelopes
from domain.requests import MAX_REQUEST_ID, REQUEST_ID_CHARACTERS, is_request_id

with workflow.unsafe.imports_passed_through():
    from activities.recording import AppendEvents, AuditActivities

S = TypeVar("S")

# Recording must eventually succeed: retry for as long as it takes, unless the
# log says the append contradicts what it holds (a bug, never a glitch).
APPEND_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=1),
    non_retryable_error_types=["AuditConflict"],
)
APPEND_TIMEOUT = timedelta(seconds=30)


H = TypeVar("H", bound=Callable[..., Any])

SEEN: ContextVar[int | None] = ContextVar("seen", default=None)
"""The version of the item the person behind the running update saw (None: as it is now)."""


def recorded_update(rule: Callable[..., None], *context: Callable[[], object]) -> Callable[[H], H]:
    """A workflow update whose validator refuses, before anything is recorded, what `rule` refuses.

    `rule(state, request, *context)`: `context` is what the rule judges by besides the item's state
    and the request (e.g. the workflow's time), read when the validator runs. The validator only
    reads (EventRecorder.validate); the handler applies its rule once more just before it records.
    The workflow keeps its recorder in `_recorder`; the update keeps the handler's name.
    A request that names the version its person saw (domain.requests.ChangeRequest.seen) is
    refused if the item has moved on since, in the validator and again when it records.

    While an append is in flight the log may already hold events the state has not folded yet
    (a person who has just read the log acts on them): the validator then leaves the judgement
    to the handler, which waits for the state to catch up before its rule is applied. A refusal
    is then the handler's, still before anything is recorded.
    """

    def register(handler: H) -> H:
        @functools.wraps(handler)
        async def handle(self: Any, request: Any) -> Any:
            # In this handler's own task: its first recording is checked against the version the person saw.
            SEEN.set(getattr(request, "seen", None))
            await workflow.wait_condition(lambda: not self._recorder.appending)
            return await handler(self, request)

        def validate(self: Any, request: Any) -> None:
            check_request_id()
            if self._recorder.appending:
                return
            self._recorder.check_seen(getattr(request, "seen", None))
            self._recorder.validate(rule, request, *(read() for read in context))

        # The SDK requires a validator's parameters to be the handler's, annotations and all.
        validate.__signature__ = inspect.signature(handler).replace(return_annotation=None)  # type: ignore[attr-defined]
        update = workflow.update(handle)
        update.validator(validate)  # type: ignore[attr-defined]
        return update  # type: ignore[return-value]

    return register


def check_request_id() -> None:
    """Refuse an update whose id cannot be recorded as its request's id (domain.requests)."""
    update = workflow.current_update_info()
    if update is not None and not is_request_id(update.id):
        raise ApplicationError(
            f"the request id {update.id[:120]!r} is not one: use up to {MAX_REQUEST_ID} {REQUEST_ID_CHARACTERS}",
            type="Refused",
            non_retryable=True,
        )


def request_id() -> str | None:
    """The id of the person's request being handled (its update's id), or None outside an update."""
    update = workflow.current_update_info()
    return None if update is None else update.id


def refused(refusal: Refusal) -> ApplicationError:
    """The error a person sees when an update is refused."""
    return ApplicationError(str(refusal), type="Refused", non_retryable=True)


STALE = "Stale"
"""The error type of a change refused because the item moved on after its person read it."""


def check(rule: Callable[..., None], *args: object) -> None:
    """Run a domain rule in a validator or handler, turning a Refusal into a clean rejection."""
    try:
        rule(*args)
    except Refusal as exc:
        raise refused(exc) from None


class EventRecorder(Generic[S]):
    def __init__(
        self,
        stream_id: str,
        reducer: Callable[[S | None, DomainEvent, EventMeta], S],
        state: S | None = None,
        version: int = 0,
    ) -> None:
        self.stream_id = stream_id
        self.state = state
        self.version = version
        self._reducer = reducer
        self._lock = asyncio.Lock()

    @property
    def appending(self) -> bool:
        """An append is in flight: the log may hold events the state has not folded yet."""
        return self._lock.locked()

    def validate(self, rule: Callable[..., None], *args: object) -> None:
        """Validator side of `record(rule=...)`: refuse early what the rules refuse.

        Before the opening event is recorded there is nothing to judge against;
        the update is then accepted and its handler waits for the opening event
        and checks the rule there, so a caller who acts at once is not refused.
        """
        if self.state is not None:
            check(rule, self.state, *args)

    def check_seen(self, seen: int | None) -> None:
        """Refuse a change decided on version `seen` once the item has moved past it."""
        if seen is not None and self.version != seen:
            raise ApplicationError(
                f"it changed after you read it: you saw version {seen}, it is at version {self.version} now;"
                " read it again and decide",
                seen,
                type=STALE,
                non_retryable=True,
            )

    async def record(
        self,
        actor: str,
        *events: DomainEvent,
        rule: Callable[[S], None] | None = None,
    ) -> S:
        """Append `events` to the audit log, then fold them into the state.

        `rule`, if given, is checked against the state as it is once this call
        holds the lock; a Refusal then records nothing.
        """
        return await self.record_built(actor, lambda _: events, rule=rule)

    async def record_built(
        self,
        actor: str,
        build: Callable[[S], Sequence[DomainEvent]],
        rule: Callable[[S], None] | None = None,
    ) -> S:
        """Like `record`, for events that depend on the state (a next number, a list to notify).

        `build` runs under the lock, after the rule, so two concurrent updates
        never build their events from the same state.
        """
        if rule is not None:
            await workflow.wait_condition(lambda: self.state is not None)
        async with self._lock:
            seen = SEEN.get()
            if seen is not None:
                SEEN.set(None)  # the request's later recordings follow from its first
                self.check_seen(seen)
            if rule is not None:
                check(rule, self.state)
            events = build(self.state)  # type: ignore[arg-type]
            if not events:
                assert self.state is not None
                return self.state
            now = workflow.now()
            new = envelopes(self.stream_id, self.version, events, actor, now, workflow.uuid4, request_id())
            await workflow.execute_activity_method(
                AuditActivities.append_events,
                AppendEvents(events=new),
                start_to_close_timeout=APPEND_TIMEOUT,
                retry_policy=APPEND_RETRY,
            )
            state = self.state
            for recorded, event in zip(new, events, strict=True):
                state = self._reducer(state, event, EventMeta(version=recorded.version, actor=actor, business_time=now))
            self.state = state
            self.version = new[-1].version
            assert state is not None
            return state
