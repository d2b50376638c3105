"""A change asked twice with one request id is recorded once; each new request is its own."""

from __future__ import annotations

import json

from infra.store.audit_log import AuditLog
from tests.infra import test_cli_cpr
from tests.infra.test_cli_cpr import example_authority, ok, refused

PLAN = "plan-team-children-in-need"
AS_OWNER = ("--as", "nadia.manager")
skipping_stack = test_cli_cpr.skipping_stack  # the CPR tests' stack fixture, on the time-skipping server


async def test_a_retried_request_is_answered_again_and_recorded_once(skipping_stack, capsys, app_pool):
    await example_authority(capsys)
    await ok(capsys, "plan", "start", "--team", "Children in Need", "--owner", "nadia.manager", *AS_OWNER)
    add = (
        *("plan", "add", PLAN, "--action", "every plan has timescales", "--support", "a workshop"),
        *("--responsible", "priya.practitioner", "--by", "2027-06-30", "--evidence", "dip audit 9/10", *AS_OWNER),
    )
    first = await ok(capsys, "--request-id", "script-7:add-1", *add)
    # The script retries (it never saw the answer): the same answer, nothing recorded again.
    assert await ok(capsys, "--request-id", "script-7:add-1", *add) == first
    assert first.startswith(f"{PLAN}: action A1 added")
    # Its next request is a new one, even for the same words.
    assert (await ok(capsys, "--request-id", "script-7:add-2", *add)).startswith(f"{PLAN}: action A2 added")
    # Without an id, each command is its own request.
    assert (await ok(capsys, *add)).startswith(f"{PLAN}: action A3 added")
    added = [e for e in await AuditLog(app_pool).read_stream(PLAN) if e.event_type == "plan.action_added"]
    assert [e.payload["action_id"] for e in added] == ["A1", "A2", "A3"]
    shown = json.loads(await ok(capsys, "plan", "show", PLAN, "--json"))
    assert [a["action_id"] for a in shown["actions"]] == ["A1", "A2", "A3"]

    # Each event carries the request that recorded it, under the hash chain: a script that never
    # saw its answer can ask what its request recorded.
    assert [e.request_id for e in added[:2]] == ["script-7:add-1", "script-7:add-2"]
    assert added[2].request_id is not None
    assert (await ok(capsys, "audit", "verify", PLAN)).startswith("verified 1 items")
    confirmed = json.loads(await ok(capsys, "audit", "request", "script-7:add-1", *AS_OWNER, "--json"))
    assert confirmed["recorded"] is True
    [item] = confirmed["items"]
    assert item["id"] == PLAN
    assert [(e["event_type"], e["payload"]["action_id"]) for e in item["events"]] == [("plan.action_added", "A1")]
    assert (await ok(capsys, "audit", "request", "script-7:add-2", *AS_OWNER)).startswith(
        f"request script-7:add-2 recorded 1 event on {PLAN}:"
    )
    # Someone else learns of it only if they may read the plan's record, and the read is logged.
    assert await refused(capsys, "audit", "request", "script-7:add-1", "--as", "priya.practitioner") == (
        "refused: priya.practitioner may not read the audit record of plan-team-children-in-need: it is open to"
        " auditors; the QA team (qa_officer, head_of_qa); and team managers or heads of service the item names"
        " or who manage someone it names"
    )
    assert await refused(capsys, "audit", "request", "script-7:never-sent", *AS_OWNER) == (
        "request script-7:never-sent recorded nothing"
    )

    assert await refused(capsys, "--request-id", "two words", *add, code=2) == (
        "request id 'two words' is not one: use up to 100 letters, digits, '.', '_', ':' or '-'"
    )


async def test_a_change_decided_on_an_older_version_is_refused_with_what_changed_since(
    skipping_stack, capsys, app_pool
):
    await example_authority(capsys)
    await ok(capsys, "plan", "start", "--team", "Children in Need", "--owner", "nadia.manager", *AS_OWNER)
    seen = str(json.loads(await ok(capsys, "plan", "show", PLAN, "--json"))["version"])
    add = (
        *("plan", "add", PLAN, "--action", "every plan has timescales", "--support", "a workshop"),
        *("--responsible", "priya.practitioner", "--by", "2027-06-30", "--evidence", "dip audit 9/10", *AS_OWNER),
    )
    assert (await ok(capsys, "--seen", seen, *add)).startswith(f"{PLAN}: action A1 added")
    # A second person decided on the same version: told what happened since, and nothing recorded.
    later = int(seen) + 1
    assert await refused(capsys, "--seen", seen, *add) == (
        f"refused: it changed after you read it: you saw version {seen}, it is at version {later} now;"
        f" read it again and decide; v{later} by nadia.manager: action A1 added for priya.practitioner,"
        " by 2027-06-30: every plan has timescales (support: a workshop; shown by: dip audit 9/10)"
    )
    added = [e for e in await AuditLog(app_pool).read_stream(PLAN) if e.event_type == "plan.action_added"]
    assert len(added) == 1
    assert (await ok(capsys, "--seen", str(later), *add)).startswith(f"{PLAN}: action A2 added")
    assert await refused(capsys, "--seen", "-1", *add, code=2) == (
        "version '-1' is not one: give the item's version as `qa ... show ID --json` says it"
    )
