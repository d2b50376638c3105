"""`qa plan` in process, on the time-skipping server with the production worker and a real PostgreSQL."""

from __future__ import annotations

import json

from domain import action_plan
from domain.events import fold
from infra.store.audit_log import AuditLog
from tests.infra import test_cli_cpr
from tests.infra.test_cli_cpr import example_authority, ok, refused

PLAN = "plan-team-children-in-need"
AS_OWNER = ("--as", "nadia.manager")
skipping_stack = test_cli_cpr.skipping_stack  # the CPR tests' stack fixture, on the time-skipping server


async def test_a_team_plan_driven_through_the_cli(skipping_stack, capsys, app_pool):
    await example_authority(capsys)
    start = ("plan", "start", "--team", "Children in Need", "--owner", "nadia.manager", "--first-meeting", "2027-02-15")
    assert await refused(capsys, "plan", "start", "--team", "Care Leavers", "--owner", "nadia.manager", *AS_OWNER) == (
        "refused: nadia.manager cannot own the Care Leavers team's plan: the directory lists them in Children in Need"
    )
    out = await ok(capsys, *start, *AS_OWNER)
    assert out.splitlines()[:4] == [
        f"{PLAN}: the Children in Need team action plan",
        "  owner           nadia.manager",
        "  reviewed        every 6 weeks in a team meeting",
        "  next meeting    2027-02-15 (meeting 1)",
    ]
    assert await refused(capsys, *start, *AS_OWNER) == f"refused: {PLAN} already exists; see `qa plan show {PLAN}`"
    assert await refused(capsys, "plan", "start", "--owner", "x", *AS_OWNER, code=2) == (
        "say which plan: --team TEAM or --service-wide (one of them)"
    )

    add = ("plan", "add", PLAN, "--action", "every plan has timescales", "--support", "a workshop")
    assert await refused(capsys, *add, *AS_OWNER) == (
        "refused: the action is not SMART: it needs the person responsible, by when, how completion will be shown"
    )
    full = (*add, "--responsible", "priya.practitioner", "--by", "2027-06-30", "--evidence", "dip audit 9/10")
    assert await ok(capsys, *full, *AS_OWNER) == (
        f"{PLAN}: action A1 added: priya.practitioner, by 2027-06-30\n  next meeting 2027-02-15; 1 open actions\n"
    )
    await ok(capsys, *full, "--source", "cpr-2027-11-01-children-in-need", "--as", "qa.officer")
    assert await refused(capsys, "plan", "progress", PLAN, "A1", "--status", "done", *AS_OWNER) == (
        "refused: the evidence that the action is done cannot be empty"
    )
    await ok(capsys, "plan", "progress", PLAN, "a1", "--status", "done", "--evidence", "audit: 9/10", *AS_OWNER)
    await ok(capsys, "plan", "change", PLAN, "A2", "--by", "2027-09-30", "--reason", "audit moved", *AS_OWNER)
    assert await refused(capsys, "plan", "close-action", PLAN, "A2", "--reason", "x", "--as", "qa.officer") == (
        "refused: only the plan's owner (nadia.manager) can close actions on the Children in Need team action plan"
    )
    await ok(capsys, "plan", "close-action", PLAN, "A2", "--reason", "superseded", *AS_OWNER)

    shown = json.loads(await ok(capsys, "plan", "show", PLAN, "--json"))
    assert [(a["action_id"], a["status"], a["closed_reason"]) for a in shown["actions"]] == [
        ("A1", "done", None),
        ("A2", "not-started", "superseded"),
    ]
    assert shown["actions"][1]["source"] == "cpr-2027-11-01-children-in-need"
    assert await refused(capsys, "plan", "show", "no-such-plan") == "no item with id 'no-such-plan'"

    # The owner records the review meeting, with who attended; nobody else can, and the engine never does.
    meeting = ("plan", "meeting", PLAN, "--attended", "nadia.manager", "--attended", "priya.practitioner")
    assert await refused(capsys, *meeting, "--as", "priya.practitioner") == (
        "refused: only the plan's owner (nadia.manager) records its review meeting"
    )
    assert (await ok(capsys, *meeting, *AS_OWNER)).startswith(f"{PLAN}: meeting 1 recorded as held on ")
    assert "recorded by nadia.manager, attended by nadia.manager, priya.practitioner" in await ok(
        capsys, "plan", "show", PLAN
    )
    shown = json.loads(await ok(capsys, "plan", "show", PLAN, "--json"))

    log = AuditLog(app_pool)
    events = await log.read_stream(PLAN)
    assert fold(action_plan.evolve, action_plan.PLAN_EVENTS, events).model_dump(mode="json") == {
        k: v for k, v in shown.items() if k != "id"
    }
    assert all(r.ok for r in await log.verify(PLAN))
    handle = skipping_stack.client.get_workflow_handle(PLAN)
    await handle.terminate()
