"""The layers keep to their jobs: the tables are reached through infra.store alone, the CLI only adapts."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).parents[2]
TABLES = (
    "audit_events|audit_streams|staff|case_snapshots|cases|notifications|access_log|schema_migrations"
    "|accounts|invitations|tokens|sign_ins|sign_in_handoffs"
)
SQL = re.compile(rf"\b(?:FROM|INTO|UPDATE|JOIN|TABLE)\s+(?:{TABLES})\b")
# The store; the migrations and the database's set-up; the benchmarks' baselines, which are plain
# SQL beside the store on purpose; and the tests, which tamper with the tables to prove the checks.
ALLOWED = ("infra/store/", "infra/db.py", "infra/embedded.py", "bench/", "tests/", "mutants/")


def product_files() -> list[Path]:
    return [
        p for p in ROOT.rglob("*.py") if ".venv" not in p.parts and not str(p.relative_to(ROOT)).startswith(ALLOWED)
    ]


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


# Parsed at collection, before any test starts Temporal: on CPython 3.11.7 an ast.parse after
# Temporal's runtime threads have run can fail with "AST constructor recursion depth mismatch".
IMPORTS = {path: _imports(path) for path in ROOT.joinpath("infra").rglob("*.py")}


def imported(path: Path) -> set[str]:
    return IMPORTS[path]


def test_no_sql_against_the_engines_tables_outside_the_store():
    found = {
        f"{path.relative_to(ROOT)}: {match}" for path in product_files() for match in SQL.findall(path.read_text())
    }
    assert product_files() and not found, sorted(found)


def test_the_store_holds_the_statements_the_check_looks_for():
    # Else the check above would pass on any tree: it must know a statement when it sees one.
    assert SQL.search((ROOT / "infra/store/audit_log.py").read_text())
    assert SQL.search((ROOT / "infra/store/outbox.py").read_text())


def test_the_cli_calls_the_application_and_infra_never_wires_the_worker():
    cli = sorted((ROOT / "infra/cli").glob("*.py"))
    infra = sorted((ROOT / "infra").rglob("*.py"))
    assert cli and infra
    # The CLI parses, calls infra.application and prints: no table, no activity, no worker wiring.
    wrong = {
        f"{path.name}: {module}"
        for path in cli
        for module in imported(path)
        if module.split(".")[0] in ("activities", "worker") or module.startswith("infra.store")
    }
    # The worker is its own process (`python -m worker`); infra starts it, never imports it.
    wrong |= {f"{path}: {module}" for path in infra for module in imported(path) if module.split(".")[0] == "worker"}
    assert not wrong, sorted(wrong)
