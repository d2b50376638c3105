"""Workflow code must replay identically forever: it may not pull in the holiday tables."""

from __future__ import annotations

import subprocess
import sys

from workflows.registry import WORKFLOWS


def test_workflow_modules_never_import_the_holiday_library():
    modules = sorted({w.__module__ for w in WORKFLOWS})
    probe = (
        f"import sys; import {', '.join(modules)}; "
        "leaked = sorted(m for m in sys.modules if m == 'holidays' or m.startswith('holidays.')); "
        "print(leaked); sys.exit(1 if leaked else 0)"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.returncode == 0, f"workflow code imports {done.stdout.strip()}"
