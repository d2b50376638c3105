"""The worker runs exactly the declared kinds' workflows: found by name, none forgotten, none stray."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from domain import items
from tests.domain.test_kinds import SPOT_CHECK
from workflows.registry import item_workflows

WORKFLOWS_PACKAGE = Path(__file__).parents[2] / "workflows"


def _defined_names() -> set[str]:
    """Every `@workflow.defn(name=<module>.KIND.workflow_type)` in the package, read from its source."""
    names = set()
    for path in WORKFLOWS_PACKAGE.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            for decorator in getattr(node, "decorator_list", ()):
                if isinstance(decorator, ast.Call) and ast.unparse(decorator.func) == "workflow.defn":
                    (name,) = decorator.keywords
                    names.add(ast.unparse(name.value))
    return names


# Read at collection, before any test starts Temporal (see tests/infra/test_layers.py).
DEFINED = _defined_names()


def test_the_worker_runs_one_workflow_per_declared_kind_each_named_by_its_declaration():
    declared = [k for k in items.KINDS if k.workflow_type is not None]
    found = item_workflows()
    assert [w.__temporal_workflow_definition.name for w in found] == [k.workflow_type for k in declared]
    # Each names itself from its kind's declaration, never by a second copy of the string.
    assert len(DEFINED) == len(declared) == 14
    assert all(name.endswith(".KIND.workflow_type") for name in DEFINED)


def test_a_kind_without_its_workflow_or_a_workflow_without_its_kind_stops_the_worker(monkeypatch):
    monkeypatch.setattr(items, "KINDS", (*items.KINDS, SPOT_CHECK))
    with pytest.raises(RuntimeError, match=r"kinds with no workflow: \['SpotCheck'\]$"):
        item_workflows()
    monkeypatch.setattr(items, "KINDS", tuple(k for k in items.KINDS if k.name != "deadline" and k is not SPOT_CHECK))
    with pytest.raises(
        RuntimeError, match=r"^workflows declared by no kind: \['Deadline'\]; kinds with no workflow: \[\]$"
    ):
        item_workflows()
