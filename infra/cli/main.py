"""The `qa` entry point: every failure a person can cause ends in one line and a non-zero exit."""

from __future__ import annotations

import contextvars
import logging
import os
import sys
from typing import NoReturn

import click

# Each module adds its commands to the root group when one of them is asked for (infra.cli.lazy),
# so a command starts without importing every other command's module.
from infra.application.errors import AppError
from infra.cli.common import app


def main(argv: list[str] | None = None) -> int:
    # The Temporal SDK's own warnings (a connection retried, a busy server) are not a person's concern:
    # the command's one line says what came of it. The worker and the server keep them in their logs.
    logging.getLogger("temporalio").setLevel(logging.CRITICAL)
    try:
        # In a context of its own: what one command sets for its request (its id) ends with it.
        contextvars.copy_context().run(app.main, args=argv, prog_name="qa", standalone_mode=False)
    except SystemExit as exc:
        return int(exc.code or 0)
    except click.exceptions.Abort:
        click.echo("qa: interrupted", err=True)
        return 130
    except click.exceptions.NoArgsIsHelpError as exc:
        click.echo(exc.ctx.get_help() if exc.ctx else exc.format_message())
        return 0
    except click.ClickException as exc:
        click.echo(f"qa: {exc.format_message()}", err=True)
        return exc.exit_code
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except AppError as exc:
        click.echo(f"qa: {exc}", err=True)
        return exc.code
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # noqa: BLE001 - the last line of defence against a traceback
        known = _known_error(exc)
        if known is None:
            raise
        click.echo(f"qa: {known}", err=True)
        return 1
    return 0


def _known_error(exc: Exception) -> str | None:
    """Errors from settings, files, the database and the calendar that a person can act on."""
    from domain.closures import ClosureFileError
    from domain.working_days import CalendarRangeError
    from infra.settings import SettingsError

    if isinstance(exc, (SettingsError, ClosureFileError, CalendarRangeError)):
        return str(exc)
    if isinstance(exc, (OSError, UnicodeDecodeError)):
        return f"{exc}"
    if type(exc).__module__.startswith("asyncpg"):
        return f"database: {exc}"
    if type(exc).__name__ in ("MigrationError", "EmbeddedError"):
        return str(exc)
    return None


def entry() -> NoReturn:
    """The `qa` console script."""
    code = main()
    if "temporalio.bridge" in sys.modules:
        # Temporal's Rust runtime threads can abort CPython's finalisation
        # (temporalio/sdk-python#300): once our output is flushed, skip it.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)


if __name__ == "__main__":
    entry()
