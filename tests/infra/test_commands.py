"""The application's commands beyond an item's steps (infra.application.commands), through the real server.

Signed in, the CLI runs them on the server as the signed-in person: the person recorded, the table of
action x role (or the item's own access rule) deciding who may, each read of content in the access log
with who read it, and naming anyone else refused with nothing recorded.
"""

from __future__ import annotations

import json
from datetime import date

import httpx

from domain.permissions import FRAMEWORK
from domain.staff_concern import reading_refused
from infra.application.commands import commands
from tests.infra.test_cli_cpr import CASE, REVIEW, event_count, ok, qa, refused, stack, started_cycle
from tests.infra.test_server import rows, server, token

__all__ = ["server", "stack"]  # the fixtures, used by name


def test_every_command_has_typed_input_and_result_that_cross_the_wire():
    found = commands()
    assert {"inbox", "overdue", "dispute.raise", "concern.raise", "audit.export", "calendar.install"} <= set(found)
    for name, command in found.items():
        assert command.input.model_json_schema()["type"] == "object", name
        assert command.output is not None, name
    # Each framework-wide action is one some command asks the table about, and says what it is in words.
    assert all(entry.what and not entry.what.endswith(".") for entry in FRAMEWORK.values())


async def test_people_run_commands_as_themselves_through_the_server(server, capsys, database, tmp_path):
    officer = await token(capsys, "qa.officer")
    await started_cycle(capsys)
    sam, priya, nadia, audrey = [
        await token(capsys, who) for who in ("sam.reviewer", "priya.practitioner", "nadia.manager", "audrey.auditor")
    ]
    assert (
        await ok(
            capsys,
            "--token",
            officer,
            "cpr",
            "allocate",
            REVIEW.split("-review-")[0],
            CASE,
            "--reviewer",
            "sam.reviewer",
        )
    ).strip() == REVIEW
    [allocated] = await rows(
        database, "SELECT actor FROM audit_events WHERE event_type = 'cycle.reviewer_allocated' ORDER BY position"
    )
    assert allocated["actor"] == "qa.officer"

    # Framework-wide reads: by the table of action x role.
    assert await refused(capsys, "--token", sam, "overdue") == (
        "refused: sam.reviewer cannot see what is overdue across the framework: the directory does not list them as a"
        " qa_officer or head_of_qa or auditor"
    )
    assert json.loads(await ok(capsys, "--token", audrey, "overdue", "--json")) == {"reviews": [], "duties": []}
    listed = json.loads(await ok(capsys, "--token", officer, "cpr", "list", "--json"))
    assert [c["id"] for c in listed] == [REVIEW.split("-review-")[0]]

    # An inbox: one's own, or as a manager of its person; each read logged with its reader.
    own = json.loads(await ok(capsys, "--token", sam, "inbox", "--json"))
    assert own["recipient"] == "sam.reviewer" and any(t["item_id"] == REVIEW for t in own["to_do"])
    assert json.loads(await ok(capsys, "--token", nadia, "inbox", "priya.practitioner", "--json"))["recipient"] == (
        "priya.practitioner"
    )
    assert await refused(capsys, "--token", priya, "inbox", "sam.reviewer") == (
        "refused: priya.practitioner may not read sam.reviewer's inbox: it is open to them, their managers,"
        " the QA team and auditors"
    )
    reads = await rows(database, "SELECT reader, allowed FROM access_log WHERE command = 'inbox' ORDER BY access_id")
    assert [tuple(r) for r in reads] == [
        ("sam.reviewer", True),
        ("nadia.manager", True),
        ("priya.practitioner", False),
    ]

    # A deadline set through the server is set by the signed-in person; naming anyone else is refused.
    before = await event_count(database)
    deadline = ("deadline", "start", "--title", "Case notes", "--owner", "priya.practitioner", "--days", "3")
    deadline += ("--start", date.today().isoformat())
    assert await refused(capsys, "--token", sam, *deadline, "--as", "qa.officer") == (
        "refused: you are signed in as sam.reviewer, so you cannot act as qa.officer"
    )
    assert await event_count(database) == before
    deadline_id = (await ok(capsys, "--token", sam, *deadline)).strip()
    shown = json.loads(await ok(capsys, "--token", priya, "deadline", "show", deadline_id, "--json"))
    assert (shown["owner"], shown["set_by"]) == ("priya.practitioner", "sam.reviewer")

    # A practice concern: raised by the signed-in person, read by its manager, never by the person it is about.
    concern_id = (
        await ok(capsys, "--token", sam, "concern", "raise", "--about", "priya.practitioner", "--concern", "late")
    ).strip()
    assert await refused(capsys, "--token", priya, "concern", "show", concern_id) == (
        f"refused: {reading_refused(concern_id)}"
    )
    assert json.loads(await ok(capsys, "--token", nadia, "concern", "show", concern_id, "--json"))["raised_by"] == (
        "sam.reviewer"
    )
    responded = await ok(capsys, "--token", nadia, "concern", "respond", concern_id, "--response", "supervision")
    assert responded.strip() == f"{concern_id}: responded by nadia.manager: supervision"

    # The record keepers' seal, made on the server (whose login appends to seal streams alone).
    sealed = json.loads(await ok(capsys, "--token", audrey, "audit", "seal", concern_id, "--json"))
    assert sealed["sealed"] == [concern_id]
    [seal] = await rows(database, "SELECT actor FROM audit_events WHERE stream_id = $1", f"seal-{concern_id}")
    assert seal["actor"] == "audrey.auditor"
    assert (await ok(capsys, "--token", audrey, "audit", "checkpoint", "make")).startswith("checkpoint signed: ")
    assert await refused(capsys, "--token", priya, "audit", "checkpoint", "make") == (
        "refused: priya.practitioner cannot make or export checkpoints: the directory does not list them as a"
        " qa_officer or head_of_qa or auditor"
    )

    # The audit record: an auditor's history and evidence bundle, made on the server and checked here.
    history = json.loads(await ok(capsys, "--token", audrey, "audit", "history", REVIEW, "--json"))
    assert history["kind"] == "review" and history["events"][0]["actor"] == "qa.officer"
    out = tmp_path / "bundle"
    assert (await ok(capsys, "--token", audrey, "audit", "export", REVIEW, "--out", str(out))).startswith(
        f"{out}: evidence bundle for {REVIEW}"
    )
    assert "intact evidence bundle" in await ok(capsys, "audit", "check-bundle", str(out))
    assert await refused(capsys, "--token", sam, "audit", "access-log") == (
        "refused: sam.reviewer is not an active auditor: only auditors may read the access log"
    )
    reads = json.loads(await ok(capsys, "--token", audrey, "audit", "access-log", REVIEW, "--json"))
    assert [(r["reader"], r["command"]) for r in reads][-3:] == [
        ("audrey.auditor", "history"),
        ("audrey.auditor", "export"),
        ("audrey.auditor", "access-log"),
    ]


async def test_the_commands_door_refuses_the_unknown_the_malformed_and_the_anonymous(server, capsys):
    officer = await token(capsys, "qa.officer")
    await started_cycle(capsys)
    signed_in = {"Authorization": f"Bearer {officer}"}
    async with httpx.AsyncClient(base_url=server) as http:
        anonymous = await http.post("/api/commands/overdue", json={})
        assert (anonymous.status_code, anonymous.json()["exit_code"]) == (401, 1)
        unknown = await http.post("/api/commands/launch", json={}, headers=signed_in)
        assert (unknown.status_code, unknown.json()) == (400, {"error": "there is no command 'launch'", "exit_code": 2})
        extra = await http.post("/api/commands/inbox", json={"person": "sam.reviewer", "also": 1}, headers=signed_in)
        assert (extra.status_code, extra.json()["error"]) == (400, "inbox takes no also")
        wrong = await http.post("/api/commands/cycles", json={"closed_too": "often"}, headers=signed_in)
        assert (wrong.status_code, wrong.json()["exit_code"]) == (400, 2)
        assert wrong.json()["error"].startswith("closed_too: ")
        paths = (await http.get("/openapi.json")).json()["paths"]
        assert "/api/commands/{name}" in paths
        # Only the QA calendar starts an item as its own: a person cannot claim one of its entries did.
        claimed = {"service": "Care Leavers", "start": "2027-11-01", "sample_size": 2, "scheduled_by": "calendar-x"}
        start = {"workflow_type": "CprCycle", "request": claimed, "taken": "taken"}
        spoofed = await http.put("/api/items/cpr-2027-11-01-care-leavers", json=start, headers=signed_in)
        assert (spoofed.status_code, spoofed.json()["error"]) == (
            409,
            "refused: only the QA calendar starts an item as scheduled by one of its entries",
        )


async def test_a_scheduled_spotlight_is_arranged_through_the_server_by_the_qa_team(stack, server, capsys):
    import asyncio
    import os

    from domain.calendar_entry import EntryInput
    from tests.infra.test_cli_cpr import cycle_authority
    from tests.workflows.test_calendar_entry import PLAN
    from workflows.calendar_entry import CalendarEntryWorkflow

    officer = await token(capsys, "qa.officer")
    await cycle_authority(capsys)
    sam = await token(capsys, "sam.reviewer")
    # As its schedule would start it: it asks the QA team to arrange the spotlight.
    entry = EntryInput(
        planned=PLAN["2027-03-spotlight-children-in-care"],
        installed_by="qa.officer",
        sample_size=3,
        calendar_digest="t",
    )
    entry_id = f"calendar-spotlight-{os.environ['QA_TASK_QUEUE']}"
    await stack.client.start_workflow(
        CalendarEntryWorkflow.run, entry, id=entry_id, task_queue=os.environ["QA_TASK_QUEUE"]
    )
    for _ in range(100):
        code, out, _ = await qa(capsys, "--token", officer, "calendar", "entry", entry_id, "--json")
        if code == 0 and json.loads(out)["duties"]:
            break
        await asyncio.sleep(0.1)
    members = ("--member", "tom.manager", "--member", "sam.reviewer", "--member", "maya.moderator")
    arrange = ("calendar", "arrange", entry_id, "--lead", "fatima.hos", *members)
    assert await refused(capsys, "--token", sam, *arrange) == (
        "refused: sam.reviewer cannot arrange a spotlight: the directory does not list them as a qa_officer or"
        " head_of_qa"
    )
    assert (await ok(capsys, "--token", officer, *arrange)).strip() == (
        "spotlight-2027-03-15-children-in-care: started for 2027-03-15, led by fatima.hos"
    )
    arranged = json.loads(await ok(capsys, "--token", officer, "calendar", "entry", entry_id, "--json"))
    assert (arranged["arranged"]["arranged_by"], arranged["arranged"]["lead"]) == ("qa.officer", "fatima.hos")
    spotlight = json.loads(
        await ok(capsys, "--token", officer, "spotlight", "show", "spotlight-2027-03-15-children-in-care", "--json")
    )
    assert (spotlight["lead"], spotlight["started_by"]) == ("fatima.hos", "qa.officer")
