"""The CLI's answers and refusals: one line, a non-zero exit, never a traceback, nothing changed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from infra.cli.main import main


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in (
        "QA_DATABASE_URL",
        "QA_ADMIN_DATABASE_URL",
        "QA_DIRECTORY_DATABASE_URL",
        "QA_TEMPORAL_ADDRESS",
        "QA_CLOSURE_DAYS_FILE",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("QA_HOME", str(tmp_path))
    return tmp_path


def qa(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_due_prints_the_local_end_of_the_nth_working_day(capsys):
    assert qa(capsys, "calendar", "due", "2027-03-22", "20") == (0, "2027-04-21T23:59:59+01:00\n", "")


def test_due_json_is_machine_readable(capsys):
    code, out, _ = qa(capsys, "calendar", "due", "2027-03-22", "20", "--json")
    data = json.loads(out)
    assert code == 0
    assert {k: data[k] for k in ("start", "working_days", "due_date", "due_at")} == {
        "start": "2027-03-22",
        "working_days": 20,
        "due_date": "2027-04-21",
        "due_at": "2027-04-21T23:59:59+01:00",
    }
    assert len(data["calendar_digest"]) == 64


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("2027-02-30", "3"), "start date '2027-02-30' is not a real date"),
        (("27-03-22", "3"), "start date '27-03-22' is not a date: expected YYYY-MM-DD"),
        (("2027-03-22", "-1"), "working days must be between 0 and 260, got -1"),
        (("2027-03-22", "261"), "working days must be between 0 and 260, got 261"),
        (("2027-03-22", "2.5"), "working days '2.5' is not a whole number"),
        (("2027-03-22", "\u0665"), "working days '\u0665' is not a whole number"),
        (("2027-03-22",), "Missing argument 'WORKING_DAYS'."),
        (
            ("9999-12-31", "5"),
            "start date 9999-12-31 is outside the dates the engine works with (2000-01-01 to 2200-12-31)",
        ),
        (
            ("1800-01-01", "5"),
            "start date 1800-01-01 is outside the dates the engine works with (2000-01-01 to 2200-12-31)",
        ),
        (
            ("\u0662\u0660\u0662\u0667-03-22", "5"),
            "start date '\u0662\u0660\u0662\u0667-03-22' is not a date: expected YYYY-MM-DD",
        ),
    ],
)
def test_due_refuses_bad_input_in_one_line(capsys, args, message):
    code, out, err = qa(capsys, "calendar", "due", *args)
    assert code == 2 and out == ""
    assert err == f"qa: {message}\n"


def test_closure_days_move_deadlines_and_are_kept_as_data(capsys, isolated_home):
    # Mon 20 Dec 2027: 27 and 28 Dec are the Christmas and Boxing Day substitutes, 3 Jan the New Year's one.
    assert qa(capsys, "calendar", "due", "2027-12-20", "6")[1] == "2027-12-30T23:59:59+00:00\n"
    assert qa(capsys, "calendar", "close", "2027-12-29", "--reason", "Council closure day")[0] == 0
    assert qa(capsys, "calendar", "due", "2027-12-20", "6")[1] == "2027-12-31T23:59:59+00:00\n"
    code, out, _ = qa(capsys, "calendar", "closures", "--json")
    assert json.loads(out) == [{"date": "2027-12-29", "reason": "Council closure day"}]
    assert (isolated_home / "closure_days.csv").read_text() == "date,reason\n2027-12-29,Council closure day\n"

    before = (isolated_home / "closure_days.csv").read_text()
    assert qa(capsys, "calendar", "close", "2027-12-29", "--reason", "again") == (
        1,
        "",
        "qa: 2027-12-29 is already a closure day\n",
    )
    assert (
        qa(capsys, "calendar", "close", "2027-12-32", "--reason", "x")[2]
        == "qa: closure day '2027-12-32' is not a real date\n"
    )
    assert (isolated_home / "closure_days.csv").read_text() == before


def test_a_broken_closure_days_file_is_named_with_its_line(capsys, isolated_home):
    path = isolated_home / "closure_days.csv"
    path.write_text("date,reason\n2027-12-29,Council closure\n2027-12-30\n")
    code, out, err = qa(capsys, "calendar", "due", "2027-12-20", "6")
    assert code == 1 and out == ""
    assert err.startswith(f"qa: {path} line 3:") and err.count("\n") == 1


def test_no_arguments_prints_help(capsys):
    code, out, _ = qa(capsys)
    assert code == 0 and "calendar" in out and "audit" in out


def test_unknown_command_is_one_line(capsys):
    assert qa(capsys, "calender") == (
        2,
        "",
        "qa: No such command 'calender'. (Did you mean one of: 'alert', 'calendar'?)\n",
    )


def test_the_printed_year_is_appendix_1_cell_for_cell(capsys):
    code, out, err = qa(capsys, "calendar", "plan", "--year", "2027", "--file-only")
    assert (code, err) == (0, "")
    closed = "No core QA activity due to holiday period"
    assert [" ".join(line.split()) for line in out.splitlines()[1:14]] == [
        "month CPR (service) Team Spotlight GPC CSLT QAPM Thematic other",
        "Jan Family Wellbeing - yes yes yes - -",
        "Feb - CDT - - - yes -",
        "Mar CiC - Family Support + Safeguarding Children in Care yes - yes - -",
        "Apr - Front Door - yes - yes -",
        "May Care Leavers Family Support and Safeguarding yes - yes - -",
        "Jun - Family Wellbeing - - - yes -",
        "Jul Children with Disabilities YOS yes yes yes - -",
        f"Aug {closed}",
        "Sep CiC - Corporate Parenting Fostering yes - yes - -",
        "Oct - Quality and Assurance - yes - yes -",
        "Nov Children in Need Care Leavers yes - yes - Practice Week",
        f"Dec {closed}",
    ]


def test_a_malformed_calendar_is_one_line_and_leaves_the_calendar_in_force(capsys, tmp_path):
    before = qa(capsys, "calendar", "plan", "--year", "2027", "--file-only", "--json")[1]
    bad = tmp_path / "bad.csv"
    bad.write_text("month,activity,subject,day\nJan,qapm,,\n13,gpc,,\n")
    assert qa(capsys, "calendar", "load", str(bad)) == (
        2,
        "",
        f"qa: {bad} line 3: unknown month '13' (expected Jan to Dec, or 1 to 12)\n",
    )
    assert qa(capsys, "calendar", "plan", "--year", "2027", "--file-only", "--json")[1] == before
    assert (
        qa(capsys, "calendar", "plan", "--year", "twenty", "--file-only")[2]
        == "qa: --year must be a year such as 2027, not 'twenty'\n"
    )


def test_a_calendar_install_with_no_children_to_sample_is_refused_before_anything_is_asked(capsys):
    assert qa(capsys, "calendar", "install", "--year", "2027", "--sample", "0", "--as", "qa.officer") == (
        2,
        "",
        "qa: --sample is 1 to 200 children, not 0\n",
    )


@pytest.mark.parametrize(
    "args", [("audit", "verify"), ("overdue",), ("inbox", "--as", "priya.practitioner"), ("db", "migrate")]
)
def test_a_database_that_cannot_be_reached_is_named_in_one_line_without_its_password(capsys, monkeypatch, args):
    monkeypatch.setenv("QA_DATABASE_URL", "postgresql://qa_engine:s3cret@127.0.0.1:9/qa")
    code, out, err = qa(capsys, *args)
    assert (code, out) == (1, "")
    assert err.startswith("qa: cannot reach the database qa at 127.0.0.1:9: ") and err.count("\n") == 1
    assert "s3cret" not in err


def test_a_worker_names_the_service_it_cannot_reach_in_one_line(tmp_path):
    """`qa worker` (as `qa up` runs it, or a service manager on another host): no traceback, exit 1."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "QA_HOME": str(tmp_path), "QA_DATABASE_URL": "postgresql://qa_engine:s3cret@127.0.0.1:9/qa"}
    env["QA_TEMPORAL_ADDRESS"] = "127.0.0.1:9"
    done = subprocess.run([sys.executable, "-m", "worker"], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1, done.stderr
    assert done.stderr.startswith("qa worker: cannot reach the database qa at 127.0.0.1:9: "), done.stderr
    assert done.stderr.count("\n") == 1 and "s3cret" not in done.stderr


def test_a_worker_with_its_database_but_no_temporal_says_so_in_one_line(tmp_path, database):
    import os
    import subprocess
    import sys

    env = {**os.environ, "QA_HOME": str(tmp_path), "QA_DATABASE_URL": database.app_url}
    env |= {"QA_ADMIN_DATABASE_URL": database.admin_url, "QA_TEMPORAL_ADDRESS": "127.0.0.1:9"}
    done = subprocess.run([sys.executable, "-m", "worker"], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1, done.stderr
    assert done.stderr.startswith("qa worker: cannot reach Temporal at 127.0.0.1:9: "), done.stderr
    assert done.stderr.count("\n") == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("deadline", "show", "deadline-1\nverified: all chains intact"),
            "'deadline-1\\nverified: all chains intact' is not an item id: item ids are letters, digits, '.', '_',"
            " ':' and '-' (e.g. cpr-2027-11-01-children-in-need)",
        ),
        (
            ("audit", "history", "plan-team-x\x1b[2J", "--as", "ade.auditor"),
            "'plan-team-x\\x1b[2J' is not an item id: item ids are letters, digits, '.', '_', ':' and '-'"
            " (e.g. cpr-2027-11-01-children-in-need)",
        ),
        (
            ("inbox", "--as", "sam.reviewer\r\nqa.officer"),
            "--as 'sam.reviewer\\r\\nqa.officer' is not a staff id: use lowercase letters, digits, '.', '_' or '-'"
            " (e.g. sam.reviewer)",
        ),
    ],
)
def test_ids_with_control_characters_are_refused_before_anything_is_read(capsys, monkeypatch, args, message):
    """An id or a person is never echoed raw: a control character could forge a line of the output."""
    monkeypatch.setenv("QA_DATABASE_URL", "postgresql://qa_engine@127.0.0.1:9/qa")  # nothing is reached
    assert qa(capsys, *args) == (2, "", f"qa: {message}\n")
