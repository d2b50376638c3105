"""Deliberately non-deterministic changes to every workflow, for the tests that must catch them.

For each workflow the worker registers there are two changed versions, registered under its
own workflow type name: the workflow with one command added at the top of its run, either a
timer (`<Workflow>TimerFirst`) or an activity (`<Workflow>ActivityFirst`). A workflow already
running has no such command in its history, so replaying that history on the changed code must
fail. `changed(workflow_type, first_command)` picks the version whose added command is of a
different kind from the history's first one: the replayer tells timers apart by their order,
not their duration, so a timer added in front of a recorded timer would go unnoticed.

The classes are built here, at module level, because the sandboxed workflow runner imports a
workflow class again by its module and name.
"""

from __future__ import annotations

import functools
from datetime import timedelta

from temporalio import workflow

# The sandbox imports this module again for each replay: the worker's wiring (asyncpg, the
# activities) must come through from outside it, never be imported again inside it, where a
# native extension imported twice corrupts the process (it crashed the next test).
with workflow.unsafe.imports_passed_through():
    from workflows.registry import WORKFLOWS

TIMER = "EVENT_TYPE_TIMER_STARTED"
ACTIVITY = "EVENT_TYPE_ACTIVITY_TASK_SCHEDULED"

# An activity no worker has: replay never runs it, and a live run would never find it.
CHANGED_ACTIVITY = "tests.a_command_the_history_does_not_have"


async def _a_timer() -> None:
    await workflow.sleep(timedelta(seconds=1))


async def _an_activity() -> None:
    await workflow.execute_activity(CHANGED_ACTIVITY, start_to_close_timeout=timedelta(seconds=1))


# The recorded first command's kind, and the one added in front of it for each.
ADDED = {TIMER: ("ActivityFirst", _an_activity), ACTIVITY: ("TimerFirst", _a_timer)}


def workflow_type(cls: type) -> str:
    return workflow._Definition.must_from_class(cls).name


def _changed(genuine: type, suffix: str, add_command) -> type:
    # The genuine run's signature and type hints (through __wrapped__) carry over, so the
    # input decodes as it does for the genuine workflow and the only difference is the command.
    @functools.wraps(genuine.run)
    async def run(self, *args):
        await add_command()  # the change: a new command where the history has another
        return await genuine.run(self, *args)

    # Temporal wants the run method defined on the class itself, and wraps named it the genuine one's.
    name = f"{genuine.__name__}{suffix}"
    run.__module__, run.__qualname__ = __name__, f"{name}.run"
    cls = type(name, (genuine,), {"run": workflow.run(run), "__module__": __name__, "__qualname__": name})
    return workflow.defn(name=workflow_type(genuine))(cls)


# A test may have swapped a changed version into the worker's list (to replay an engine history on
# it), and the sandbox then imports this module again against that list: build from the genuine one.
GENUINE = tuple(w.__mro__[1] if w.__module__ == __name__ else w for w in WORKFLOWS)

CHANGED: dict[tuple[str, str], type] = {
    (workflow_type(genuine), first): _changed(genuine, suffix, add_command)
    for genuine in GENUINE
    for first, (suffix, add_command) in ADDED.items()
}
globals().update({cls.__name__: cls for cls in CHANGED.values()})


def changed(workflow_type: str, first_command: str) -> type:
    """The changed version of `workflow_type` that adds, in front of a history whose first
    command event is `first_command`, a command of another kind."""
    return CHANGED[(workflow_type, TIMER if first_command == TIMER else ACTIVITY)]
