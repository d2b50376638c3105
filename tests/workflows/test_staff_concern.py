"""A practice concern about a member of staff: its own workflow and stream, never the child's review record."""

from __future__ import annotations

import asyncio
import base64
import json
import uuid
from datetime import date

import pytest
from temporalio.api.common.v1 import Payload
from temporalio.client import WorkflowExecutionStatus, WorkflowFailureError, WorkflowHandle, WorkflowUpdateFailedError

from domain import staff_concern
from domain.cpr_cycle import AllocateReviewer
from domain.events import fold
from domain.staff_concern import CONCERN_EVENTS, RESPONSE_WORKING_DAYS, RaiseConcern, RespondToConcern
from domain.working_days import LONDON
from infra.calendar_source import load_calendar
from infra.cli.main import main
from infra.codec import payload_keys
from infra.settings import Settings
from infra.store.access_log import AccessLog
from infra.store.audit_log import AuditLog
from tests.codec_keys import TEST_PAYLOAD_KEYS
from tests.workflows.conftest import eventually, inbox
from workflows.cpr_cycle import CprCycleWorkflow, CycleInput
from workflows.review import ReviewWorkflow
from workflows.staff_concern import StaffConcernWorkflow

SUBJECT = "Respond to a practice concern about priya.practitioner"


async def start_concern(env, settings, concern: str, **kw) -> WorkflowHandle:
    request = RaiseConcern(about="priya.practitioner", raised_by="sam.reviewer", concern=concern, **kw)
    return await env.client.start_workflow(
        StaffConcernWorkflow.run, request, id=f"concern-{uuid.uuid4()}", task_queue=settings.task_queue
    )


async def raised(handle: WorkflowHandle):
    async def probe():
        return await handle.query(StaffConcernWorkflow.state)

    return await eventually(probe)


async def refused(handle: WorkflowHandle, request: RespondToConcern) -> str:
    with pytest.raises(WorkflowUpdateFailedError) as failure:
        await handle.execute_update(StaffConcernWorkflow.respond, request)
    return failure.value.cause.message


def history_text(history) -> str:
    """Everything a workflow history holds, payloads decoded (base64 in its JSON) and decrypted with the
    tests' key (infra.codec): what anyone holding the key could read in it."""
    parts: list[str] = []
    keys = payload_keys(Settings(payload_keys=TEST_PAYLOAD_KEYS))

    def walk(node) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("data"), str):
                metadata = {k: base64.b64decode(v) for k, v in node.get("metadata", {}).items()}
                payload = keys.decrypt(Payload(metadata=metadata, data=base64.b64decode(node["data"])))
                parts.append(payload.data.decode("utf-8", "replace"))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)
        elif isinstance(node, str):
            parts.append(node)

    walk(json.loads(history.to_json()))
    return "\n".join(parts)


async def test_a_concern_reaches_the_line_manager_who_alone_responds(
    time_skipping_env, worker, settings, example_authority, app_pool, keep_history
):
    handle = await start_concern(time_skipping_env, settings, "visits were repeatedly late and not recorded")
    state = await raised(handle)
    assert (state.about, state.manager, state.raised_by, state.status, state.context) == (
        "priya.practitioner",
        "nadia.manager",
        "sam.reviewer",
        "open",
        None,
    )
    start = state.raised_at.astimezone(LONDON).date()
    calendar = load_calendar(start, closure_days_path=settings.closure_days_path)
    assert state.respond_by == calendar.due_at(start, RESPONSE_WORKING_DAYS)

    [task] = (await inbox(app_pool, "nadia.manager")).to_do
    assert (task.item_id, task.task_key, task.subject, task.due_at) == (handle.id, "respond", SUBJECT, state.respond_by)
    assert "late" not in task.body  # the concern itself stays in its restricted stream
    assert not (await inbox(app_pool, "priya.practitioner")).to_do

    log = AuditLog(app_pool)
    before = await log.read_stream(handle.id)
    assert [e.event_type for e in before] == ["concern.raised"]
    for actor in ("sam.reviewer", "hana.hos", "priya.practitioner", "audrey.auditor"):
        assert await refused(handle, RespondToConcern(actor=actor, response="no further action")) == (
            f"only nadia.manager, the line manager this concern was raised with, can respond to it; {actor} cannot"
        )
    blank = await refused(handle, RespondToConcern(actor="nadia.manager", response=" "))
    assert blank.startswith("say what was done")
    assert await log.read_stream(handle.id) == before

    responded = await handle.execute_update(
        StaffConcernWorkflow.respond, RespondToConcern(actor="nadia.manager", response="discussed in supervision")
    )
    assert (responded.status, responded.response, responded.responded_by) == (
        "responded",
        "discussed in supervision",
        "nadia.manager",
    )
    final = await handle.result()
    assert final == responded == await handle.query(StaffConcernWorkflow.state)
    assert fold(staff_concern.evolve, CONCERN_EVENTS, await log.read_stream(handle.id)) == final
    assert not (await inbox(app_pool, "nadia.manager")).to_do
    assert all(r.ok for r in await log.verify())
    await keep_history(handle, "staff_concern_raised_then_responded")


async def test_a_directory_change_before_start_fails_the_concern_with_nothing_recorded(
    time_skipping_env, worker, settings, example_authority, app_pool
):
    # `qa concern raise` refuses this before starting; only a race with a staff import gets here.
    request = RaiseConcern(about="dana.director", raised_by="sam.reviewer", concern="missed the panel")
    handle = await time_skipping_env.client.start_workflow(
        StaffConcernWorkflow.run, request, id=f"concern-{uuid.uuid4()}", task_queue=settings.task_queue
    )
    with pytest.raises(WorkflowFailureError) as failure:
        await handle.result()
    assert failure.value.cause.message == (
        "dana.director has no line manager in the staff directory: there is nobody to raise it with"
    )
    assert await AuditLog(app_pool).read_stream(handle.id) == []


# --- through the CLI, from a real review ------------------------------------------------------


@pytest.fixture
def cli(time_skipping_env, settings, database, monkeypatch):
    """`qa ...` against the test server and database, run in a thread (it has its own event loop)."""
    for name in ("QA_ADMIN_DATABASE_URL", "QA_DIRECTORY_DATABASE_URL", "QA_CLOSURE_DAYS_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("QA_HOME", str(settings.home))
    monkeypatch.setenv("QA_DATABASE_URL", database.app_url)
    monkeypatch.setenv("QA_TEMPORAL_ADDRESS", time_skipping_env.client.service_client.config.target_host)
    monkeypatch.setenv("QA_TASK_QUEUE", settings.task_queue)

    async def qa(capsys, *args: str) -> tuple[int, str, str]:
        code = await asyncio.to_thread(main, list(args))
        out, err = capsys.readouterr()
        return code, out, err

    return qa


async def open_review(env, settings) -> tuple[WorkflowHandle, WorkflowHandle]:
    """A CPR cycle of one case, allocated to sam.reviewer, and its review once opened."""
    cycle = await env.client.start_workflow(
        CprCycleWorkflow.run,
        CycleInput(
            service="Children in Need",
            start=date(2027, 11, 1),
            sample_size=1,
            seed="cpr-2027-11",
            started_by="qa.officer",
        ),
        id=f"cpr-2027-11-{settings.task_queue}",
        task_queue=settings.task_queue,
    )

    async def sampled():
        state = await cycle.query(CprCycleWorkflow.state)
        return state if state is not None and state.phase == "reviewing" else None

    case = (await eventually(sampled)).cases[0]
    state = await cycle.execute_update(
        CprCycleWorkflow.allocate,
        AllocateReviewer(actor="qa.officer", case_number=case.case_number, reviewer="sam.reviewer"),
    )
    review = env.client.get_workflow_handle_for(ReviewWorkflow.run, state.case(case.case_number).review_id)

    async def opened():
        return await review.query(ReviewWorkflow.state)

    await eventually(opened)
    return cycle, review


async def stop(*handles: WorkflowHandle) -> None:
    for handle in handles:
        if (await handle.describe()).status == WorkflowExecutionStatus.RUNNING:
            await handle.terminate()


async def test_a_concern_from_a_review_leaves_no_trace_on_it(
    time_skipping_env, worker, settings, example_authority, app_pool, cli, capsys, keep_history
):
    cycle, review = await open_review(time_skipping_env, settings)
    opened = await review.query(ReviewWorkflow.state)
    log = AuditLog(app_pool)
    review_events = await log.read_stream(review.id)
    text = f"chronology not kept up to date ({uuid.uuid4().hex})"

    code, out, err = await cli(
        capsys,
        "concern",
        "raise",
        "--about",
        opened.practitioner,
        "--concern",
        text,
        "--review",
        review.id,
        "--as",
        "sam.reviewer",
    )
    assert (code, err) == (0, "")
    concern_id = out.strip()
    assert concern_id.startswith("concern-") and str(uuid.UUID(concern_id.removeprefix("concern-"))) in concern_id
    concern = time_skipping_env.client.get_workflow_handle_for(StaffConcernWorkflow.run, concern_id)
    state = await raised(concern)
    assert (state.about, state.manager, state.context, state.concern) == (
        opened.practitioner,
        opened.team_manager,
        review.id,
        text,
    )

    # The manager is told, naming the staff member and neither the case nor the review.
    [task] = [t for t in (await inbox(app_pool, opened.team_manager)).to_do if t.item_id == concern_id]
    assert task.subject == f"Respond to a practice concern about {opened.practitioner}"
    for secret in (opened.case_number, review.id, text):
        assert secret not in task.subject and secret not in task.body

    # Who may read it: the manager and those above, the raiser, auditors; not the practitioner's peers.
    for reader in (opened.team_manager, "hana.hos", "sam.reviewer", "audrey.auditor"):
        code, out, err = await cli(capsys, "concern", "show", concern_id, "--as", reader, "--json")
        assert (code, err) == (0, ""), reader
        assert json.loads(out) == {"id": concern_id, **state.model_dump(mode="json")}
    peer = "dan.practitioner" if opened.practitioner != "dan.practitioner" else "priya.practitioner"
    for reader in (peer, opened.practitioner, "qa.officer", "nobody.here"):
        code, out, err = await cli(capsys, "concern", "show", concern_id, "--as", reader)
        assert (code, out) == (1, "")
        assert err == f"qa: refused: {staff_concern.reading_refused(concern_id)}\n"
    # Every read of its content, allowed or refused, is in the access log, in order.
    read = await AccessLog(app_pool).entries(item_id=concern_id)
    assert [(e.reader, e.command, e.allowed) for e in read] == [
        *((r, "concern show", True) for r in (opened.team_manager, "hana.hos", "sam.reviewer", "audrey.auditor")),
        *((r, "concern show", False) for r in (peer, opened.practitioner, "qa.officer", "nobody.here")),
    ]

    code, out, err = await cli(
        capsys, "concern", "respond", concern_id, "--response", "no further action", "--as", "hana.hos"
    )
    assert (code, out) == (1, "")
    assert err.startswith(f"qa: refused: only {opened.team_manager}, the line manager this concern was raised with")
    code, out, err = await cli(
        capsys, "concern", "respond", concern_id, "--response", "discussed in supervision", "--as", opened.team_manager
    )
    assert (code, out, err) == (0, f"{concern_id}: responded by {opened.team_manager}: discussed in supervision\n", "")
    final = await concern.result()
    code, out, _ = await cli(capsys, "concern", "show", concern_id, "--as", opened.team_manager)
    assert code == 0 and f"  response  discussed in supervision ({opened.team_manager}," in out
    code, _, err = await cli(
        capsys, "concern", "respond", concern_id, "--response", "again", "--as", opened.team_manager
    )
    assert (code, err) == (1, f"qa: refused: {opened.team_manager} already responded to this concern\n")

    # Its own stream, and nowhere else: not in the review's stream, nor any other.
    assert concern_id != review.id and not review.id.startswith("concern-")
    assert fold(staff_concern.evolve, CONCERN_EVENTS, await log.read_stream(concern_id)) == final
    assert await log.read_stream(review.id) == review_events
    assert await review.query(ReviewWorkflow.state) == opened
    async with app_pool.acquire() as conn:
        carrying = await conn.fetch(
            "SELECT DISTINCT stream_id FROM audit_events WHERE payload::text LIKE '%' || $1 || '%'"
            " OR event_type LIKE 'concern.%'",
            text,
        )
    assert [row["stream_id"] for row in carrying] == [concern_id]

    # ... nor in the Temporal history of the review (or its cycle): not the text, the id, or an event.
    review_history = history_text(await review.fetch_history())
    assert opened.case_number in review_history  # the decoding sees payloads
    cycle_history = history_text(await cycle.fetch_history())
    for secret in (text, concern_id, "concern.raised", "concern.responded", "StaffConcern"):
        assert secret not in review_history and secret not in cycle_history
    assert text in history_text(await concern.fetch_history())

    await keep_history(concern, "staff_concern_from_a_review")
    await stop(cycle, review)


async def test_the_cli_refuses_a_concern_that_cannot_go_anywhere_before_starting_it(
    time_skipping_env, worker, settings, example_authority, app_pool, cli, capsys
):
    cases = [
        (("--about", "dana.director", "--as", "sam.reviewer"), 1, "refused: dana.director has no line manager"),
        (("--about", "nobody.here", "--as", "sam.reviewer"), 1, "refused: nobody.here is not in the staff directory"),
        (("--about", "priya.practitioner", "--as", "nobody.here"), 1, "refused: nobody.here is not in the staff"),
        (("--about", "priya.practitioner", "--as", "priya.practitioner"), 1, "refused: a practice concern is raised"),
        (
            ("--about", "priya.practitioner", "--as", "sam.reviewer", "--review", "cpr-2027-11-review-LCS-000000"),
            1,
            "refused: there is no review 'cpr-2027-11-review-LCS-000000'",
        ),
    ]
    for args, expected_code, message in cases:
        code, out, err = await cli(capsys, "concern", "raise", "--concern", "late visits", *args)
        assert (code, out) == (expected_code, ""), args
        assert err.startswith(f"qa: {message}") and err.count("\n") == 1, err
    code, out, err = await cli(
        capsys, "concern", "raise", "--concern", "  ", "--about", "priya.practitioner", "--as", "sam.reviewer"
    )
    assert (code, out, err) == (2, "", "qa: --concern cannot be empty\n")
    code, _, err = await cli(capsys, "concern", "show", "cpr-2027-11-review-LCS-000000", "--as", "nadia.manager")
    assert (code, err) == (
        2,
        "qa: 'cpr-2027-11-review-LCS-000000' is not a concern id (they look like concern-<uuid>)\n",
    )
    missing = f"concern-{uuid.uuid4()}"
    code, _, err = await cli(capsys, "concern", "show", missing, "--as", "nadia.manager")
    assert code == 1 and err.startswith(f"qa: no concern with id {missing!r}")

    # Nothing started, nothing recorded, nobody told.
    async with app_pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM audit_events WHERE stream_id LIKE 'concern-%'") == 0
    assert not (await inbox(app_pool, "nadia.manager")).to_do
