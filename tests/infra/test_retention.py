"""After Temporal's retention: a closed item reads, shows its status and verifies as it did, for years.

On the dev server, as retention would, the engine's history of a closed item is deleted. Its reads
come from PostgreSQL; its cross-check with the engine comes from the history archived and sealed
(`qa audit seal`) while the engine still held it, and an archive changed afterwards is caught.
"""

from __future__ import annotations

import asyncio
import json

from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.workflowservice.v1 import DeleteWorkflowExecutionRequest
from temporalio.service import RPCError, RPCStatusCode

from tests.clock import now
from tests.infra import test_cli_cpr
from tests.infra.test_cli_cpr import as_superuser, example_authority, ok, refused

stack = test_cli_cpr.stack  # the CLI's stack fixture, on the dev server
AUDITOR = ("--as", "audrey.auditor")


async def dropped_by_the_engine(env, workflow_id: str) -> None:
    """What the namespace's retention does to a closed workflow: its history is deleted."""
    await env.client.workflow_service.delete_workflow_execution(
        DeleteWorkflowExecutionRequest(
            namespace=env.client.namespace, workflow_execution=WorkflowExecution(workflow_id=workflow_id)
        )
    )
    for _ in range(600):  # deletion is asynchronous
        try:
            await env.client.get_workflow_handle(workflow_id).describe()
        except RPCError as exc:
            if exc.status == RPCStatusCode.NOT_FOUND:
                return
            raise
        await asyncio.sleep(0.1)
    raise AssertionError(f"{workflow_id} was never deleted")


async def test_a_closed_item_reads_and_verifies_after_the_engine_dropped_its_history(stack, capsys, database):
    await example_authority(capsys)
    start = ("deadline", "start", "--title", "CPR review 1234567", "--owner", "sam.reviewer")
    deadline_id = await ok(capsys, *start, "--start", now().date().isoformat(), "--days", "5", "--as", "qa.officer")
    deadline_id = deadline_id.strip()
    await ok(capsys, "deadline", "done", deadline_id, "--as", "sam.reviewer", "--note", "review uploaded")
    await stack.client.get_workflow_handle(deadline_id).result()
    still_open = await ok(capsys, *start, "--start", now().date().isoformat(), "--days", "9", "--as", "qa.officer")
    still_open = still_open.strip()
    shown = await ok(capsys, "deadline", "show", deadline_id, "--json")
    status = await ok(capsys, "status", deadline_id, "--json")
    history = await ok(capsys, "audit", "history", deadline_id, *AUDITOR, "--json")

    assert await refused(capsys, "audit", "seal", "--as", "sam.reviewer") == (
        "refused: sam.reviewer cannot seal the engine's histories: the directory does not list them as a qa_officer or head_of_qa or auditor"
    )
    sealed = json.loads(await ok(capsys, "audit", "seal", *AUDITOR, "--json"))
    assert sealed == {"sealed": [deadline_id], "already_sealed": 0, "still_open": [still_open], "lost": []}
    again = json.loads(await ok(capsys, "audit", "seal", *AUDITOR, "--json"))
    assert (again["sealed"], again["already_sealed"]) == ([], 1)

    await dropped_by_the_engine(stack, deadline_id)
    # Every read answers as before: they come from PostgreSQL.
    assert await ok(capsys, "deadline", "show", deadline_id, "--json") == shown
    assert await ok(capsys, "status", deadline_id, "--json") == status
    assert await ok(capsys, "audit", "history", deadline_id, *AUDITOR, "--json") == history
    # The cross-check with the engine still holds, against the history sealed while it had it.
    verified = json.loads(await ok(capsys, "audit", "verify", "--json"))
    assert verified["ok"] is True, verified
    seal_history = json.loads(await ok(capsys, "audit", "history", f"seal-{deadline_id}", *AUDITOR, "--json"))
    [seal] = seal_history["events"]
    assert seal["event_type"] == "seal.engine_history_sealed" and seal["payload"]["appended"] == 2
    # Too late to seal what the engine no longer holds; sealed before, it is not asked again.
    assert json.loads(await ok(capsys, "audit", "seal", deadline_id, *AUDITOR, "--json"))["already_sealed"] == 1

    # An archive rewritten by a superuser, after it was sealed, is caught...
    await as_superuser(
        database, "UPDATE engine_histories SET history = history || ' ' WHERE workflow_id = $1", deadline_id
    )
    code_out = json.loads((await test_cli_cpr.qa(capsys, "audit", "verify", deadline_id, "--json"))[1])
    assert code_out["ok"] is False
    assert [(b["kind"], b["stream_id"]) for b in code_out["breaks"]] == [("archive_altered", deadline_id)]
