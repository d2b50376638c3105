"""The application's commands beyond an item's own steps: typed input, the person asking, typed result.

An item's steps and starts go through its workflow's updates (infra.application.items);
everything else a person asks (their inbox, what is overdue, raising a dispute or a
concern, the audit record, the QA calendar) is a command here: an async function
`(ask: Input, actor: str) -> Output`, registered by name with `@command`. Who may run it
is the command's own check (the table of action x role, the access rule), made inside
it, so it holds whichever door the request came by:

- the server runs it at `POST /api/commands/NAME` as the signed-in person (`perform_as`);
- the CLI, signed in, asks the server; not signed in (an administrator on the host,
  holding the database's login), it runs it in process as `--as` names.

Its input and result cross the wire as JSON through their own types, so both doors give
the same typed values.
"""

from __future__ import annotations

import importlib
import typing
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from pydantic import BaseModel, TypeAdapter

from infra.application.errors import AppError, typed

# Where the commands are declared: imported when the table is first needed.
MODULES = (
    "infra.application.inbox",
    "infra.application.alerts",
    "infra.application.status",
    "infra.application.concerns",
    "infra.application.disputes",
    "infra.application.deadlines",
    "infra.application.cycles",
    "infra.application.annual",
    "infra.application.calendar",
    "infra.application.audit",
    "infra.application.seals",
    "infra.application.checkpoints",
    "infra.application.documents",
    "infra.application.directory",
)


class Nothing(BaseModel):
    """The input of a command that takes no values."""


@dataclass(frozen=True, slots=True)
class Command:
    name: str
    run: Callable[[Any, str], Awaitable[Any]]
    changes: bool  # it records something: asked with a request id, recorded once

    @property
    def input(self) -> type[BaseModel]:
        return _hints(self.run)["ask"]

    @property
    def output(self) -> TypeAdapter[Any]:
        return _adapter(self.run)


_COMMANDS: dict[str, Command] = {}


def command(name: str, *, changes: bool = False) -> Callable[[Callable[..., Awaitable[Any]]], Any]:
    """Register `fn(ask: Input, actor: str) -> Output` as the command `name`."""

    def register(fn: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        assert name not in _COMMANDS, f"two commands named {name!r}"
        _COMMANDS[name] = Command(name, fn, changes)
        return fn

    return register


@cache
def _hints(fn: Callable[..., Any]) -> dict[str, Any]:
    return typing.get_type_hints(fn)


@cache
def _adapter(fn: Callable[..., Any]) -> TypeAdapter[Any]:
    return TypeAdapter(_hints(fn)["return"])


def commands() -> dict[str, Command]:
    """Every command by name."""
    for module in MODULES:
        importlib.import_module(module)
    return _COMMANDS


def find(name: str) -> Command:
    found = commands().get(name)
    if found is None:
        raise AppError(f"there is no command {name!r}", 2)
    return found


def asked(name: str, values: dict[str, Any]) -> tuple[Command, BaseModel]:
    """The command `name` and its typed input from `values`: values it does not take, or that do not fit it,
    are bad input (exit 2), refused before anything runs."""
    found = find(name)
    unknown = sorted(set(values) - set(found.input.model_fields))
    if unknown:
        raise AppError(f"{name} takes no {', '.join(unknown)}", 2)
    return found, typed(found.input, **values)


async def perform(name: str, values: dict[str, Any], actor: str) -> Any:
    """Run the command `name` on `values` in this process as `actor`; its typed result."""
    found, ask = asked(name, values)
    return await found.run(ask, actor)


async def perform_as(name: str, values: dict[str, Any], actor: str) -> Any:
    """Run the command `name` on `values` (JSON) as `actor`, the signed-in person; its result as JSON."""
    found, ask = asked(name, values)
    return found.output.dump_python(await found.run(ask, actor), mode="json")
