from __future__ import annotations

from datetime import time

import pytest

from infra.settings import Settings, SettingsError


def test_settings_come_from_qa_variables(tmp_path):
    s = Settings.from_env(
        {"QA_HOME": str(tmp_path), "QA_TEMPORAL_PORT": "17233", "QA_TASK_QUEUE": "qa-test", "OTHER": "x"}
    )
    assert (s.home, s.temporal_port, s.task_queue) == (tmp_path, 17233, "qa-test")
    assert s.closure_days_path == tmp_path / "closure_days.csv"


def test_a_malformed_setting_is_named(tmp_path):
    with pytest.raises(SettingsError, match="^QA_TEMPORAL_PORT: "):
        Settings.from_env({"QA_HOME": str(tmp_path), "QA_TEMPORAL_PORT": "seven"})


def test_the_alert_window_and_working_day_come_from_settings(tmp_path):
    s = Settings.from_env(
        {
            "QA_HOME": str(tmp_path),
            "QA_ALERT_WINDOW_HOURS": "1.5",
            "QA_WORKING_DAY_OPENS": "08:30",
            "QA_WORKING_DAY_CLOSES": "16:30",
        }
    )
    assert (s.alert_window_hours, s.working_day_opens, s.working_day_closes) == (1.5, time(8, 30), time(16, 30))
    assert (Settings(home=tmp_path).alert_window_hours, Settings(home=tmp_path).working_day_opens) == (2, time(9))
    with pytest.raises(SettingsError, match="^QA_WORKING_DAY_OPENS must be before QA_WORKING_DAY_CLOSES "):
        Settings.from_env({"QA_HOME": str(tmp_path), "QA_WORKING_DAY_OPENS": "18:00"})
    with pytest.raises(SettingsError, match="^QA_ALERT_WINDOW_HOURS: "):
        Settings.from_env({"QA_HOME": str(tmp_path), "QA_ALERT_WINDOW_HOURS": "0"})


def test_an_explicit_database_wins_and_a_missing_one_says_what_to_do(tmp_path):
    assert (
        Settings.from_env({"QA_HOME": str(tmp_path), "QA_DATABASE_URL": "postgresql://x/y"}).require_database_url()
        == "postgresql://x/y"
    )
    with pytest.raises(SettingsError, match="start the stack with `qa up`"):
        Settings.from_env({"QA_HOME": str(tmp_path)}).require_database_url()


def test_a_stale_stack_file_is_ignored(tmp_path):
    s = Settings.from_env({"QA_HOME": str(tmp_path)})
    s.stack_file.parent.mkdir(parents=True)
    s.stack_file.write_text(
        '{"pid": 999999999, "database_url": "a", "admin_database_url": "b",'
        ' "temporal_address": "c", "temporal_ui_url": "d"}'
    )
    assert s.running_stack() is None
