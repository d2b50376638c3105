"""The table of action x role (domain.permissions), walked whole through the real server.

One member of staff for each role, each signed in with their own token, asks every step of every
kind on an item of that kind, and to start every item people start: the table's refusal exactly when the table says so, and nothing
recorded either way. The steps carry no values, so a step the table lets through stops at its
missing values (exit code 2), or, needing none, at the item's workflow, which is not there.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import httpx

from domain.directory import Role
from domain.events import NewEvent
from domain.items import KINDS, kind_of_workflow
from domain.permissions import ACTIONS
from infra.store.audit_log import AuditLog
from tests.infra.test_cli_cpr import event_count, ok, refused, stack
from tests.infra.test_server import server, token
from workflows.registry import people_starts, people_updates

__all__ = ["server", "stack"]  # the fixtures, used by name

PEOPLE = {role: f"only.{role.value.replace('_', '.')}" for role in Role}


def staff_file(folder: Path) -> Path:
    """One person per role, each holding that role alone."""
    rows = ["staff_id,display_name,roles,team,line_manager"]
    rows += [f"{person},Only {role.value},{role.value},Quality and Assurance," for role, person in PEOPLE.items()]
    path = folder / "one-per-role.csv"
    path.write_text("\n".join(rows) + "\n")
    return path


def starts() -> dict[str, str]:
    """The items people start, by action (`cycle.start`): each its workflow type."""
    return {f"{kind_of_workflow(w).prefix}start": w for w in people_starts()}


def test_the_table_names_every_step_people_take_and_nothing_else():
    steps = {f"{k.prefix}{step}" for k in KINDS if k.workflow_type for step in people_updates(k.workflow_type)}
    assert set(ACTIONS) == steps | set(starts())
    assert len(starts()) == 8
    assert all(entry.what and not entry.what.endswith(".") for entry in ACTIONS.values())


async def test_every_step_for_every_role_is_allowed_or_refused_as_the_table_says(server, capsys, database, tmp_path):
    await token(capsys, PEOPLE[Role.QA_OFFICER])  # the directory is empty: the first import's token
    await ok(capsys, "staff", "import", str(staff_file(tmp_path)), "--as", PEOPLE[Role.QA_OFFICER])
    tokens = {role: await token(capsys, person) for role, person in PEOPLE.items()}

    # An item of each kind: its opening, as the audit log keeps it (the table is judged before the workflow).
    items = {k.prefix: f"matrix-{k.prefix.rstrip('.')}" for k in KINDS if k.workflow_type}
    pool = await asyncpg.create_pool(database.app_url, min_size=1, max_size=2)
    try:
        await AuditLog(pool).append(
            [
                NewEvent(
                    stream_id=items[k.prefix],
                    version=1,
                    event_id=uuid.uuid4(),
                    event_type=k.opening,
                    actor="the matrix test",
                    business_time=datetime.now(UTC),
                    payload={},
                )
                for k in KINDS
                if k.workflow_type
            ]
        )
    finally:
        await pool.close()

    before = await event_count(database)
    walked = 0
    async with httpx.AsyncClient(base_url=server, timeout=30) as http:
        for action, entry in sorted(ACTIONS.items()):
            if action in starts():
                continue  # below
            prefix, step = action.split(".", 1)
            for role, person in PEOPLE.items():
                answer = await http.post(
                    f"/api/items/{items[prefix + '.']}/{step}",
                    json={},
                    headers={"Authorization": f"Bearer {tokens[role]}"},
                )
                body = answer.json()
                if not entry.roles or role in entry.roles:
                    # Let through: stopped by its missing values, or, a step that needs none, by the item's
                    # workflow, which this opening alone has not got.
                    missing = (answer.status_code, body["exit_code"]) == (400, 2) and "cannot" not in body["error"]
                    no_workflow = body == {"error": f"no item with id {items[prefix + '.']!r}", "exit_code": 1}
                    assert missing or no_workflow, (action, role, body)
                else:
                    named = " or ".join(r.value for r in entry.roles)
                    assert (answer.status_code, body) == (
                        409,
                        {
                            "error": f"refused: {person} cannot {entry.what}: the directory does not list them as a {named}",
                            "exit_code": 1,
                        },
                    ), (action, role)
                walked += 1
        # Starting an item: the same table, before anything is started.
        for n, (action, workflow_type) in enumerate(sorted(starts().items())):
            entry = ACTIONS[action]
            for role, person in PEOPLE.items():
                answer = await http.put(
                    f"/api/items/matrix-start-{n}-{role.value}",
                    json={"workflow_type": workflow_type, "request": {}, "taken": "started before"},
                    headers={"Authorization": f"Bearer {tokens[role]}"},
                )
                body = answer.json()
                if not entry.roles or role in entry.roles:
                    assert (answer.status_code, body["exit_code"]) == (400, 2), (action, role, body)
                    assert "cannot" not in body["error"], (action, role, body)
                else:
                    named = " or ".join(r.value for r in entry.roles)
                    refusal = f"refused: {person} cannot {entry.what}: the directory does not list them as a {named}"
                    assert (answer.status_code, body) == (409, {"error": refusal, "exit_code": 1}), (action, role, body)
                walked += 1
    assert walked == len(ACTIONS) * len(Role)
    assert await event_count(database) == before

    # Someone the directory no longer lists as active is refused whatever the step: their token stops working.
    leaver = PEOPLE[Role.AUDITOR]
    rows = [line for line in staff_file(tmp_path).read_text().splitlines() if not line.startswith(leaver)]
    (tmp_path / "without-the-auditor.csv").write_text("\n".join(rows) + "\n")
    await ok(capsys, "staff", "import", str(tmp_path / "without-the-auditor.csv"), "--as", PEOPLE[Role.QA_OFFICER])
    assert await refused(capsys, "--token", tokens[Role.AUDITOR], "deadline", "show", items["deadline."]) == (
        f"{leaver} is no longer an active member of staff"
    )
