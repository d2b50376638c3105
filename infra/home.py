"""Where the embedded stack's files are, from the environment alone.

For commands that must start fast (`qa calendar due`): `infra.settings` builds a
validated pydantic model of every setting, which costs more than the command.
These follow the same variables and defaults, and Settings uses default_home.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path


def default_home() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "qa-engine"


def _env(name: str, environ: Mapping[str, str] | None) -> str | None:
    value = (os.environ if environ is None else environ).get(name)
    return value or None  # as Settings.from_env: an empty variable is unset


def home(environ: Mapping[str, str] | None = None) -> Path:
    """QA_HOME, or the default data folder."""
    value = _env("QA_HOME", environ)
    return Path(value) if value else default_home()


def closure_days_path(environ: Mapping[str, str] | None = None) -> Path:
    """QA_CLOSURE_DAYS_FILE, or closure_days.csv in the home folder (Settings.closure_days_path)."""
    value = _env("QA_CLOSURE_DAYS_FILE", environ)
    return Path(value) if value else home(environ) / "closure_days.csv"


def qa_calendar_path(environ: Mapping[str, str] | None = None) -> Path:
    """The QA calendar in force, once `qa calendar load` has put one there (else the default)."""
    return home(environ) / "qa_calendar.csv"


def create_secret_file(path: Path, data: bytes) -> None:
    """Write a key file readable by its owner only, once: in full under a name of its own, then linked into
    place, so a process racing to read it finds no file or the whole file, and the first link wins."""
    import secrets  # here, not at the top: the commands that must start fast import this module

    path.parent.mkdir(parents=True, exist_ok=True)
    draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
        os.link(draft, path)
    except FileExistsError:
        pass
    finally:
        draft.unlink(missing_ok=True)
