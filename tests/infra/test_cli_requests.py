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

    assert await refused(capsys, "--request-id", "two words", *add, code=2) == (
        "request id 'two words' is not one: use up to 100 letters, digits, '.', '_', ':' or '-'"
    )
