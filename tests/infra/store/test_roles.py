"""The database's roles: the application's login cannot change who works here behind the directory's back.

The server, the worker and every command but the directory's imports log in as qa_app: it reads the
staff directory and the open-cases snapshots and writes neither (migration 0013). Only the
directory's own login (qa_directory) changes them, through the import, which records its audit event
in the same transaction.
"""

from __future__ import annotations

import asyncpg
import pytest

from domain.directory import parse_staff_csv
from infra.store.audit_log import AuditLog
from infra.store.directory import Directory
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
