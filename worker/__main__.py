"""`python -m worker`: one worker process (see worker.main.main)."""

import os
import sys

from worker.main import main

code = main()
# Temporal's Rust runtime threads can abort CPython's finalisation (temporalio/sdk-python#300), printing
# a fatal error into the stderr it shares with `qa up`: once our output is flushed, skip it, as `qa` does.
sys.stdout.flush()
sys.stderr.flush()
os._exit(code)
