"""A cached calendar is always the one that would be built: same years, closure days file and holidays release."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from domain.bank_holidays import calendar_for
from infra.calendar_source import holidays_release, load_calendar, read_closure_days

START = date(2027, 3, 22)


def built(start: date, closures: Path):
    return calendar_for(start, [c.day for c in read_closure_days(closures)])


def test_the_installed_holidays_release_is_found_without_importing_it():
    assert holidays_release() is not None and holidays_release().startswith("holidays-")


def test_a_cached_calendar_is_the_built_one_and_follows_the_closure_file(tmp_path: Path):
    closures, cache = tmp_path / "closure_days.csv", tmp_path / "cache"
    assert load_calendar(START, closures, cache) == built(START, closures)  # no file: bank holidays only
    assert load_calendar(START, closures, cache) == built(START, closures)  # now from the cache
    assert len(list(cache.iterdir())) == 1

    closures.write_text("date,reason\n2027-04-20,Council closure day\n", encoding="utf-8")
    calendar = load_calendar(START, closures, cache)
    assert date(2027, 4, 20) in calendar.closed_days and calendar == built(START, closures)
    assert load_calendar(START, closures, cache) == calendar
    assert load_calendar(date(2029, 1, 2), closures, cache) == built(date(2029, 1, 2), closures)
    assert len(list(cache.iterdir())) == 3


def test_an_unreadable_cache_entry_is_built_again(tmp_path: Path):
    closures, cache = tmp_path / "closure_days.csv", tmp_path / "cache"
    calendar = load_calendar(START, closures, cache)
    [entry] = cache.iterdir()
    entry.write_text("{not json", encoding="utf-8")
    assert load_calendar(START, closures, cache) == calendar
    assert load_calendar(START, closures, cache) == calendar
