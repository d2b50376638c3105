"""`qa inbox --as PERSON`: what a person has to do and what they were told, for people and for machines."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from domain.notifications import Notification, notification_id
from infra.cli.main import main
from infra.store.outbox import Outbox
from tests.clock import EXAMPLES

REVIEW = "cpr-2027-03/review-1234567"


@pytest.fixture(autouse=True)
def environment(database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    for name in ("QA_TEMPORAL_ADDRESS", "QA_CLOSURE_DAYS_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("QA_HOME", str(tmp_path))
    monkeypatch.setenv("QA_DATABASE_URL", database.app_url)
    monkeypatch.setenv("QA_ADMIN_DATABASE_URL", database.admin_url)
    monkeypatch.setenv("QA_DIRECTORY_DATABASE_URL", database.directory_url)
    assert main(["staff", "import", str(EXAMPLES / "staff.csv"), "--as", "qa.officer"]) == 0
    capsys.readouterr()


def qa(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def post(database, *notifications: Notification) -> None:
    """Rows go in through the outbox, as a workflow's activity would put them."""
    from infra.db import create_pool

    async def go() -> None:
        pool = await create_pool(database.app_url, max_size=1)
        try:
            for n in notifications:
                await Outbox(pool).post(n)
        finally:
            await pool.close()

    asyncio.run(go())


def note(recipient: str, kind: str, subject: str, **kw) -> Notification:
    return Notification(
        notification_id=notification_id(REVIEW, kind, recipient, subject),
        recipient=recipient,
        kind=kind,
        item_id=REVIEW,
        subject=subject,
        **kw,
    )


def test_inbox_lists_tasks_by_due_date_then_what_was_told(database, capsys):
    # Tue 23 Apr 2024 23:59:59 BST: long past, so overdue whenever the test runs
    overdue = datetime(2024, 4, 23, 22, 59, 59, tzinfo=UTC)
    ahead = datetime.now(UTC) + timedelta(days=400)
    post(
        database,
        note("sam.reviewer", "task", "Record your grade for review 1234567", task_key="grade", due_at=ahead),
        note(
            "sam.reviewer", "task", "Record your reflection for review 1234567", task_key="reflection", due_at=overdue
        ),
        note("sam.reviewer", "escalation", "Reflection for review 1234567 is overdue"),
        note("nadia.manager", "info", "Not for Sam"),
    )

    code, out, err = qa(capsys, "inbox", "--as", "sam.reviewer")
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[0] == "To do"
    assert lines[1] == (
        f"  due Tue 23 Apr 2024 23:59 BST  Record your reflection for review 1234567  [{REVIEW}]  OVERDUE"
    )
    assert "Record your grade" in lines[2] and "OVERDUE" not in lines[2]
    assert lines[3] == "Told (last 30 days)"
    assert "escalation" in lines[4] and "Reflection for review 1234567 is overdue" in lines[4]
    assert [line.split()[6] for line in lines[4:]] == ["escalation", "task", "task"]
    assert "Not for Sam" not in out

    code, out, _ = qa(capsys, "inbox", "--as", "sam.reviewer", "--json")
    data = json.loads(out)
    assert code == 0 and data["recipient"] == "sam.reviewer"
    assert [(t["task_key"], t["overdue"]) for t in data["to_do"]] == [("reflection", True), ("grade", False)]
    assert data["to_do"][0]["due_at"] == "2024-04-23T22:59:59Z"
    assert data["to_do"][0]["due_local"] == "2024-04-23T23:59:59+01:00"
    assert [e["kind"] for e in data["told"]] == ["escalation", "task", "task"]


def test_an_inbox_with_only_messages_says_there_is_nothing_to_do(database, capsys):
    post(database, note("hana.hos", "alert", "Safeguarding: case 1234567"))
    code, out, _ = qa(capsys, "inbox", "--as", "hana.hos")
    lines = out.splitlines()
    assert code == 0 and lines[:3] == ["To do", "  nothing", "Told (last 30 days)"]
    assert "alert" in lines[3] and "Safeguarding: case 1234567" in lines[3]


def test_an_empty_inbox_says_so(capsys):
    assert qa(capsys, "inbox", "--as", "rosa.reviewer") == (
        0,
        "rosa.reviewer has nothing to do and was told nothing in the last 30 days\n",
        "",
    )
    code, out, _ = qa(capsys, "inbox", "--as", "rosa.reviewer", "--json")
    data = json.loads(out)
    assert code == 0 and (data["to_do"], data["told"]) == ([], [])


def test_an_inbox_is_read_by_its_person_their_managers_the_qa_team_and_auditors_and_each_read_is_logged(
    database, capsys
):
    post(database, note("sam.reviewer", "info", "Sam's own business"))
    # Sam's line manager (quinn.hoqa), the one above (alex.assistant), the QA officer and the auditor may.
    for reader in ("quinn.hoqa", "alex.assistant", "qa.officer", "audrey.auditor"):
        code, out, _ = qa(capsys, "inbox", "sam.reviewer", "--as", reader, "--json")
        assert code == 0 and [e["subject"] for e in json.loads(out)["told"]] == ["Sam's own business"]
    # A colleague, a manager elsewhere, someone the directory does not list: refused, and nothing shown.
    assert qa(capsys, "inbox", "sam.reviewer", "--as", "rosa.reviewer") == (
        1,
        "",
        "qa: refused: rosa.reviewer may not read sam.reviewer's inbox: it is open to them, their managers,"
        " the QA team and auditors\n",
    )
    assert qa(capsys, "inbox", "sam.reviewer", "--as", "nadia.manager")[0] == 1
    assert qa(capsys, "inbox", "--as", "nobody") == (
        1,
        "",
        "qa: refused: nobody is not an active member of staff in the directory\n",
    )
    code, out, _ = qa(capsys, "audit", "access-log", "sam.reviewer", "--as", "audrey.auditor", "--json")
    reads = [(e["reader"], e["command"], e["allowed"]) for e in json.loads(out)]
    assert reads == [
        ("quinn.hoqa", "inbox", True),
        ("alex.assistant", "inbox", True),
        ("qa.officer", "inbox", True),
        ("audrey.auditor", "inbox", True),
        ("rosa.reviewer", "inbox", False),
        ("nadia.manager", "inbox", False),
        ("audrey.auditor", "access-log", True),
    ]


def test_inbox_needs_a_person(capsys):
    code, out, err = qa(capsys, "inbox")
    assert (code, out) == (2, "") and err == "qa: say who is acting with --as, or sign in with `qa login`\n"
    assert qa(capsys, "inbox", "--as", "  ") == (2, "", "qa: --as needs a person's user name\n")
