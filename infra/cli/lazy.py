"""The root group loads a command's module only when that command is asked for.

`qa calendar due` then imports `infra.cli.calendar` alone, not every module (and
what they import); `qa --help` and unknown names still load them all. A module
whose name is the command's (calendar, cpr, review, ...) is tried first; the
others (staff and cases in directory, db in database, up and worker in services,
...) are found by loading every module, so a new module needs no registration.
"""

from __future__ import annotations

import importlib
import pkgutil

import click

_PACKAGE = "infra.cli"
_NOT_COMMANDS = {"main", "common", "lazy", "client"}


def _modules() -> list[str]:
    package = importlib.import_module(_PACKAGE)
    return sorted(m.name for m in pkgutil.iter_modules(package.__path__) if m.name not in _NOT_COMMANDS)


class LazyGroup(click.Group):
    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in _modules():
            importlib.import_module(f"{_PACKAGE}.{cmd_name}")
        if cmd_name not in self.commands:
            self.load_all()
        return super().get_command(ctx, cmd_name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        self.load_all()
        return super().list_commands(ctx)

    def load_all(self) -> None:
        for name in _modules():
            importlib.import_module(f"{_PACKAGE}.{name}")
