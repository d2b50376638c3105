"""Every item's workflow, and how they run: what the worker registers and what a replay checks against.

The worker (worker.main) and the engine's replay checks (infra.engine_history, the
recorded histories in the tests) take the same list and the same sandbox from here.
"""

from __future__ import annotations

import importlib
import pkgutil

from temporalio import workflow
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter
from temporalio.worker import Replayer
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

import workflows
from domain import items


def item_workflows() -> list[type]:
    """Each declared kind's workflow (domain.items), found by its name in the `workflows` package.

    A kind whose workflow is not there, or a workflow no kind declares, stops the
    worker before it starts: an item must never be started that nothing runs.
    """
    defined: dict[str, type] = {}
    for module in pkgutil.iter_modules(workflows.__path__):
        loaded = importlib.import_module(f"workflows.{module.name}")
        for value in vars(loaded).values():
            # The SDK has no public reader of a class's workflow name; this is the one it uses itself.
            definition = workflow._Definition.from_class(value) if isinstance(value, type) else None
            if definition is not None and definition.name is not None and value.__module__ == loaded.__name__:
                defined[definition.name] = value
    declared = [k.workflow_type for k in items.KINDS if k.workflow_type is not None]
    missing = sorted(set(declared) - set(defined))
    undeclared = sorted(set(defined) - set(declared))
    if missing or undeclared:
        raise RuntimeError(f"workflows declared by no kind: {undeclared}; kinds with no workflow: {missing}")
    return [defined[name] for name in declared]


WORKFLOWS = item_workflows()


def people_starts() -> dict[str, tuple[type, type]]:
    """The workflows a person starts by asking (their input names them as `started_by`), by workflow type:
    each with its class and its input's type. The others are started by the engine (a review by its
    cycle, a calendar's entries by its installation) or through a command of their own (a deadline,
    a dispute, a staff concern), which names its person otherwise."""
    found = {}
    for w in WORKFLOWS:
        definition = workflow._Definition.from_class(w)
        [argument] = definition.arg_types
        if definition.name is not None and "started_by" in getattr(argument, "model_fields", {}):
            found[definition.name] = (w, argument)
    return found


def people_updates(workflow_type: str) -> dict[str, tuple[object, type]]:
    """The updates of the workflow `workflow_type` that a person makes, by name: each with its method and
    its request's type, which names the person acting (`actor`). Those without one are the engine's own
    (`opened`, which answers a start), never a person's to call."""
    by_type = {workflow._Definition.from_class(w).name: w for w in WORKFLOWS}
    found = by_type.get(workflow_type)
    if found is None:
        return {}
    return {
        name: (update.fn, update.arg_types[0])
        for name, update in workflow._Definition.from_class(found).updates.items()
        if name is not None
        and len(update.arg_types) == 1
        and "actor" in getattr(update.arg_types[0], "model_fields", {})
    }


# Deterministic and side-effect free, so safe to share with the sandbox
# instead of re-importing them for every workflow run.
PASSTHROUGH = ("domain", "pydantic", "pydantic_core", "annotated_types", "typing_inspection")


def workflow_runner() -> SandboxedWorkflowRunner:
    return SandboxedWorkflowRunner(restrictions=SandboxRestrictions.default.with_passthrough_modules(*PASSTHROUGH))


def replayer(data_converter: DataConverter = pydantic_data_converter) -> Replayer:
    """A replayer of today's workflow code, as the worker runs it (`data_converter`: the worker's,
    with its payload codec, for histories whose payloads are encrypted)."""
    return Replayer(workflows=WORKFLOWS, data_converter=data_converter, workflow_runner=workflow_runner())
