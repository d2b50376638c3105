"""What a kind of item declares about itself, once, beside its events.

Each `domain/<kind>.py` ends with `KIND = Kind(...)`; `domain.items.KINDS` lists
them. Everything else that differs by kind is derived from that list: the audit
views (events in words, the people an item names, its case numbers), the QAPM
pack's duty lines, `qa status`, the access rules, and the worker's workflows.
A declaration that leaves an event without words, or words for an event it does
not hold, is refused at import: a forgotten kind fails loudly, not by a manager
silently losing read access or the pack silently skipping an item.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import re
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from domain.events import EventRegistry

Words = Callable[[Mapping[str, Any]], str]
"""What an event of this kind changed, in one line, from its recorded payload."""


@functools.cache
def _returned(evolve: Callable[..., Any]) -> type:
    return typing.get_type_hints(evolve)["return"]


@functools.cache
def _fingerprint(evolve: Callable[..., Any]) -> str:
    source = inspect.getsource(inspect.getmodule(evolve))  # type: ignore[arg-type]
    return hashlib.sha256(source.encode("utf-8")).hexdigest()[:16]


def _nobody(state: Any) -> set[str]:
    return set()


def _no_cases(state: Any) -> list[str]:
    return []


@dataclass(frozen=True, slots=True)
class Kind:
    name: str  # in words: "review", "CPR cycle"
    prefix: str  # every event type of this kind starts with it, e.g. "review."
    events: EventRegistry  # the opening event first: it starts every stream of the kind
    words: Mapping[str, Words]  # by event type: every event of `events`, and nothing else
    evolve: Callable[..., Any] | None = None  # the reducer; None: nothing to rebuild (the directory's imports)
    workflow_type: str | None = None  # the Temporal workflow that records it, if any
    show: tuple[str, ...] = ()  # the CLI command that shows one item: `qa status ID` runs it
    people: Callable[[Any], set[str]] = _nobody  # the staff an item names: their managers may read it
    case_numbers: Callable[[Any], list[str]] = _no_cases  # the cases it is about (never a child's name)
    duty_title: str | None = None  # how the QAPM pack names its duties, if it has any
    restricted: bool = False  # staff concerns: see domain.staff_concern.may_read
    # Roles that read every item of the kind, beyond the audit rule (domain.audit_access): a meeting's attendees.
    read_by: frozenset[str] = frozenset()
    # The event types after which an item of this kind is no longer open: nothing more is awaited of it
    # (its state's `ended`). The audit log keeps its open items by them (infra.store.audit_log), so the
    # reads of open work cost what the open items cost, not the whole history. Empty: no event type alone
    # ends it (an action plan lives on; a dispute ends on a decision, whatever stage records it), so
    # every item of the kind is kept, and readers go by its state.
    closing: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # One word and a dot: no kind's prefix can start another's, so an event type names one kind.
        if not re.fullmatch(r"[a-z_]+\.", self.prefix):
            raise ValueError(f"a kind's prefix is lower-case letters and underscores, then a dot, not {self.prefix!r}")
        types = set(self.events)
        strays = sorted(t for t in types if not t.startswith(self.prefix))
        if strays:
            raise ValueError(f"the {self.name}'s events {strays} do not start with {self.prefix!r}")
        unsaid = sorted(types - set(self.words))
        if unsaid:
            raise ValueError(f"the {self.name}'s events {unsaid} have no words")
        unknown = sorted(set(self.words) - types)
        if unknown:
            raise ValueError(f"the {self.name} has words for {unknown}, which are not its events")
        if any(t.endswith(".duty_set") for t in types) and not self.duty_title:
            raise ValueError(f"a {self.name} has duties (domain.duties): say how the QAPM pack names them")
        if (self.workflow_type is None) != (self.evolve is None) or (self.workflow_type is None) != (not self.show):
            raise ValueError(f"a {self.name} has a workflow, a reducer and a show command, or none of them")
        if strays := sorted(set(self.closing) - types):
            raise ValueError(f"the {self.name} closes on {strays}, which are not its events")

    @property
    def state_type(self) -> type:
        """The state its reducer returns (its return annotation)."""
        return _returned(self.evolve)

    @property
    def fingerprint(self) -> str:
        """Changes whenever its reducer's module does: a state cached by an older reducer is not used."""
        return _fingerprint(self.evolve)

    @property
    def replayable(self) -> bool:
        return self.evolve is not None

    @property
    def opening(self) -> str:
        """The event type every item of this kind is opened with."""
        return next(iter(self.events))
