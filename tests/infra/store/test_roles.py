"""The database's roles: nobody changes who works here, or the record, behind the directory's or the workflows' back.

The worker and the commands run on the host log in as qa_app: it reads the staff directory and the
open-cases snapshots and writes neither (migration 0013). Only the directory's own login
(qa_directory) changes them, through the import, which records its audit event in the same
transaction. The server logs in as qa_server (migration 0014): it reads, keeps its access log and
sign-ins, and writes to the audit log only the record keepers' seals, on seal streams; it cannot add,
send or close a notification, or append to any item's record: people's changes reach the record only
through the workflows.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import asyncpg
import pytest

from domain.directory import parse_staff_csv
from domain.events import NewEvent
from domain.notifications import Notification, notification_id
from domain.seals import seal_stream
from infra.store.audit_log import AuditLog
from infra.store.directory import Directory
from infra.store.outbox import Outbox
from tests.clock import EXAMPLES


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE staff SET roles = ARRAY['head_of_qa'] WHERE staff_id = 'sam.reviewer'",
        "INSERT INTO staff (staff_id, display_name, roles, team, line_manager, active)"
        " VALUES ('new.officer', 'New', ARRAY['qa_officer'], 'Quality and Assurance', NULL, true)",
        "UPDATE staff SET active = false WHERE staff_id = 'qa.officer'",
        "INSERT INTO case_snapshots (imported_by, digest, rows) VALUES ('qa.officer', 'x', 0)",
    ],
)
async def test_the_applications_login_cannot_change_the_directory(app_pool, directory_pool, statement):
    await Directory(directory_pool, AuditLog(directory_pool)).import_staff(
        parse_staff_csv((EXAMPLES / "staff.csv").read_text()), "qa.officer", await AuditLog(app_pool).now()
    )
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await app_pool.execute(statement)
    [sam] = await app_pool.fetch("SELECT roles FROM staff WHERE staff_id = 'sam.reviewer'")
    assert sam["roles"] == ["reviewer"]


async def test_the_directorys_login_imports_and_records_it_and_nothing_else(directory_pool):
    log = AuditLog(directory_pool)
    await Directory(directory_pool, log).import_staff(
        parse_staff_csv((EXAMPLES / "staff.csv").read_text()), "qa.officer", await log.now()
    )
    assert [e.event_type for e in await log.read_stream("directory-staff")] == ["directory.staff_imported"]
    # Beyond the directory, it may do what the application may, no more: no owner's rights.
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await directory_pool.execute("DELETE FROM audit_events")
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await directory_pool.execute("UPDATE notifications SET recipient = 'someone.else'")


def _event(stream_id: str, event_type: str) -> NewEvent:
    return NewEvent(
        stream_id=stream_id,
        version=1,
        event_id=uuid.uuid4(),
        event_type=event_type,
        actor="sam.reviewer",
        business_time=datetime.now(UTC),
        payload={"note": "written behind the workflow's back"},
    )


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE notifications SET closed_at = now()",
        "UPDATE notifications SET sent_at = now()",
        "INSERT INTO notifications (notification_id, recipient, kind, item_id, subject, body)"
        " VALUES (gen_random_uuid(), 'sam.reviewer', 'info', 'x', 'forged', 'forged')",
        "INSERT INTO documents (item_id, name, media_type, content, sha256) VALUES ('x', 'r.md', 'text/markdown', '', '')",
        "UPDATE staff SET roles = ARRAY['head_of_qa'] WHERE staff_id = 'sam.reviewer'",
        "INSERT INTO open_items (stream_id, kind) VALUES ('x', 'review')",
    ],
)
async def test_the_servers_login_cannot_touch_the_outbox_the_documents_or_the_directory(
    app_pool, server_pool, statement
):
    note = Notification(
        notification_id=notification_id("cpr-x", "task", "sam.reviewer", "Grade"),
        recipient="sam.reviewer",
        kind="task",
        item_id="cpr-x",
        task_key="grade",
        subject="Grade",
        due_at=datetime.now(UTC),
    )
    await Outbox(app_pool).post(note)
    before = [tuple(r) for r in await app_pool.fetch("SELECT * FROM notifications")]
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await server_pool.execute(statement)
    assert [tuple(r) for r in await app_pool.fetch("SELECT * FROM notifications")] == before


async def test_the_servers_login_appends_to_seal_streams_alone(app_pool, server_pool):
    await AuditLog(app_pool).append([_event("cpr-2027-review-1", "review.opened")])
    # An item's record: refused by the row-level policy, its stream's head too, nothing written.
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await AuditLog(server_pool).append([_event("cpr-2027-review-2", "review.opened")])
    # A head it may not move is not there for it to move (a row-level policy hides rather than refuses).
    moved = "UPDATE audit_streams SET version = 9 WHERE stream_id = 'cpr-2027-review-1'"
    assert await server_pool.execute(moved) == "UPDATE 0"
    assert await app_pool.fetchval("SELECT version FROM audit_streams WHERE stream_id = 'cpr-2027-review-1'") == 1
    assert await app_pool.fetchval("SELECT count(*) FROM audit_events") == 1
    # A seal's record: allowed, chained like any other; and it reads the whole log and keeps its access log.
    sealed = seal_stream("cpr-2027-review-1")
    assert (await AuditLog(server_pool).append([_event(sealed, "seal.engine_history_sealed")])).appended == 1
    assert [e.stream_id for e in await AuditLog(server_pool).read_stream(sealed)] == [sealed]
    assert len(await AuditLog(server_pool).read_stream("cpr-2027-review-1")) == 1
    await server_pool.execute(
        "INSERT INTO access_log (reader, item_id, command, allowed, detail) VALUES ('sam.reviewer', 'x', 'show', true, '')"
    )
