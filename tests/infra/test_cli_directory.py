"""`qa staff` and `qa cases` in process, against a real PostgreSQL: imports, listings, one-line refusals."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import asyncpg
import pytest

from infra.cli.main import main

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "authority"
STAFF = str(EXAMPLES / "staff.csv")
CASES = str(EXAMPLES / "cases.csv")


@pytest.fixture(autouse=True)
def environment(database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("QA_TEMPORAL_ADDRESS", "QA_CLOSURE_DAYS_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("QA_HOME", str(tmp_path))
    monkeypatch.setenv("QA_DATABASE_URL", database.app_url)
    monkeypatch.setenv("QA_ADMIN_DATABASE_URL", database.admin_url)
    monkeypatch.setenv("QA_DIRECTORY_DATABASE_URL", database.directory_url)
    return tmp_path


def qa(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def counts(database) -> tuple[int, ...]:
    """Rows in the directory's tables and the audit log, to prove a refusal changed nothing."""

    async def go() -> tuple[int, ...]:
        conn = await asyncpg.connect(database.admin_url)
        try:
            tables = ("staff", "case_snapshots", "cases", "audit_events")
            return tuple([await conn.fetchval(f"SELECT count(*) FROM {table}") for table in tables])
        finally:
            await conn.close()

    return asyncio.run(go())


def test_import_and_list_the_example_authority(capsys):
    code, out, err = qa(capsys, "staff", "import", STAFF, "--as", "qa.officer")
    assert (code, err) == (0, "")
    assert out.startswith(f"imported 33 staff from {STAFF}: 33 added, 0 changed, 0 made inactive")

    code, out, _ = qa(capsys, "staff", "list", "--json")
    listed = json.loads(out)
    assert code == 0 and len(listed) == 33
    officer = next(m for m in listed if m["staff_id"] == "qa.officer")
    assert officer == {
        "staff_id": "qa.officer",
        "display_name": "Chris Lewis (QA Officer)",
        "roles": ["qa_officer"],
        "team": "Quality and Assurance",
        "line_manager": "quinn.hoqa",
        "active": True,
        "email": None,  # the example file gives no addresses: its people read their messages in the app
        "job": "qa_officer",
    }
    code, out, _ = qa(capsys, "staff", "list")
    assert code == 0 and len(out.splitlines()) == 33 and "sam.reviewer" in out

    code, out, err = qa(capsys, "cases", "import", CASES, "--as", "qa.officer", "--json")
    imported = json.loads(out)
    assert (code, err) == (0, "")
    assert (imported["snapshot_id"], imported["rows"], imported["by_service"]["Children in Need"]) == (1, 30, 9)

    code, out, _ = qa(capsys, "cases", "list", "--service", "Children in Need", "--json")
    data = json.loads(out)
    assert code == 0 and data["snapshot_id"] == 1 and len(data["cases"]) == 9
    assert data["cases"][0] == {
        "case_number": "LCS-100701",
        "system": "LCS",
        "service": "Children in Need",
        "team": "Children in Need",
        "practitioner": "priya.practitioner",
        "support_began": "2027-01-25",
    }
    code, out, _ = qa(capsys, "cases", "list")
    assert code == 0 and out.startswith("snapshot 1: 30 open cases\n") and len(out.splitlines()) == 31

    assert qa(capsys, "cases", "import", CASES, "--as", "qa.officer")[1].startswith(
        f"snapshot 2: 30 open cases from {CASES}"
    )
    code, out, _ = qa(capsys, "audit", "verify", "--json")
    assert code == 0 and json.loads(out)["ok"] and json.loads(out)["events"] == 3


def test_a_re_import_reports_who_left(capsys, tmp_path):
    assert qa(capsys, "staff", "import", STAFF, "--as", "qa.officer")[0] == 0
    smaller = tmp_path / "staff.csv"
    smaller.write_text("".join(line for line in open(STAFF) if not line.startswith("dan.practitioner,")))
    code, out, _ = qa(capsys, "staff", "import", str(smaller), "--as", "qa.officer")
    assert code == 0
    assert out.splitlines() == [
        f"imported 32 staff from {smaller}: 0 added, 0 changed, 1 made inactive (recorded on directory-staff)",
        "  inactive: dan.practitioner",
    ]
    assert "dan.practitioner" in qa(capsys, "staff", "list")[1].split("INACTIVE")[0].splitlines()[-1]


def test_empty_listings_say_what_to_do(capsys):
    assert qa(capsys, "staff", "list")[1].startswith("no staff yet")
    assert qa(capsys, "cases", "list")[1].startswith("no cases yet")
    assert json.loads(qa(capsys, "cases", "list", "--json")[1]) == {"snapshot_id": None, "cases": []}


def test_bad_input_is_one_line_and_changes_nothing(capsys, tmp_path, database):
    def refused(*args: str) -> tuple[int, str]:
        code, out, err = qa(capsys, *args)
        assert code != 0 and out == "" and err.startswith("qa: ") and err.count("\n") == 1, (code, out, err)
        return code, err.removeprefix("qa: ").rstrip("\n")

    assert refused("staff", "import", STAFF, "--as", "sam.reviewer") == (
        1,
        "refused: 'sam.reviewer' is not a qa_officer in the file:"
        " the first staff import must be made by a qa_officer it lists",
    )
    assert refused("cases", "import", CASES, "--as", "qa.officer") == (
        1,
        "refused: the staff directory is empty: import the staff file first",
    )
    assert counts(database) == (0, 0, 0, 0)

    assert qa(capsys, "staff", "import", STAFF, "--as", "qa.officer")[0] == 0
    before = counts(database)

    personal = tmp_path / "cases_with_names.csv"
    personal.write_text("case_number,system,service,team,practitioner,support_began,child_name\n")
    assert refused("cases", "import", str(personal), "--as", "qa.officer") == (
        2,
        f"{personal} line 1: column 'child_name' is refused:"
        " case records hold case numbers only, never names or other personal details",
    )
    broken = tmp_path / "staff.csv"
    broken.write_text("staff_id,display_name,roles,team,line_manager\nqa.officer,Chris,qa_officer;boss,QA,\n")
    code, message = refused("staff", "import", str(broken), "--as", "qa.officer")
    assert code == 2 and message.startswith(f"{broken} line 2: unknown role 'boss' (known roles: qa_officer,")
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes("case_number,system,service,team,practitioner,support_began\n£".encode("latin-1"))
    assert refused("cases", "import", str(latin1), "--as", "qa.officer") == (
        2,
        f"{latin1}: not UTF-8 text (save the CSV as UTF-8)",
    )
    code, message = refused("cases", "import", str(tmp_path / "missing.csv"), "--as", "qa.officer")
    assert code == 2 and "does not exist" in message
    code, message = refused("cases", "import", CASES)
    assert code == 2 and message == "say who is acting with --as, or sign in with `qa login`"
    assert refused("cases", "import", CASES, "--as", "sam.reviewer") == (
        1,
        "refused: 'sam.reviewer' is not a qa_officer: only an active qa_officer may import",
    )
    assert refused("staff", "import", STAFF, "--as", "nobody") == (
        1,
        "refused: 'nobody' is not in the staff directory: only an active qa_officer may import",
    )
    wrong_practitioner = tmp_path / "cases.csv"
    wrong_practitioner.write_text(
        "case_number,system,service,team,practitioner,support_began\n"
        "LCS-100234,LCS,Children in Need,Children in Need,sam.reviewer,2027-06-14\n"
    )
    assert refused("cases", "import", str(wrong_practitioner), "--as", "qa.officer") == (
        1,
        "refused: case LCS-100234: 'sam.reviewer' does not hold the practitioner role",
    )
    assert counts(database) == before


def test_no_database_is_one_line(capsys, monkeypatch):
    monkeypatch.delenv("QA_DATABASE_URL")
    monkeypatch.delenv("QA_ADMIN_DATABASE_URL")
    code, out, err = qa(capsys, "staff", "list")
    assert (code, out) == (1, "")
    assert err == "qa: no database: start the stack with `qa up` in another terminal, or set QA_DATABASE_URL\n"
