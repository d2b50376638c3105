"""The staff directory and open-cases snapshots in PostgreSQL.

Imports are audited writes from outside workflows: the change and its audit event
(stream "directory-staff" or "directory-cases") commit together or not at all.
A refused import changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import asyncpg

from domain.directory import (
    CasesSnapshotImported,
    OpenCase,
    Role,
    StaffImported,
    StaffMember,
    cases_imported,
    cases_problem,
    management_chain,
    may_import,
    staff_imported,
    staff_problem,
)
from infra.store.audit_log import AuditLog

STAFF_STREAM = "directory-staff"
CASES_STREAM = "directory-cases"

# Imports of staff and of cases take these advisory locks (staff exclusively, cases
# shared on the staff lock) so that a cases import never checks practitioners
# against a directory that is changing under it.
_STAFF_LOCK = 0x51A_D1_57AF
_CASES_LOCK = 0x51A_D1_CA5E


class DirectoryRefusal(Exception):
    """An import refused before anything was recorded; the message is for the person who asked."""


def _member(row: asyncpg.Record) -> StaffMember:
    return StaffMember(
        staff_id=row["staff_id"],
        display_name=row["display_name"],
        roles=frozenset(Role(role) for role in row["roles"]),
        team=row["team"],
        line_manager=row["line_manager"],
        active=row["active"],
        email=row["email"],
        job=row["job"],
    )


def _case(row: asyncpg.Record) -> OpenCase:
    return OpenCase(
        case_number=row["case_number"],
        system=row["system"],
        service=row["service"],
        team=row["team"],
        practitioner=row["practitioner"],
        support_began=row["support_began"],
    )


def _roles(member: StaffMember) -> list[str]:
    return sorted(role.value for role in member.roles)


def _job(member: StaffMember) -> str | None:
    return member.job.value if member.job else None


def _aware(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("the business time of an import must carry a time zone")
    return at


_STAFF_COLUMNS = "staff_id, display_name, roles, team, line_manager, active, email, job"
_CASE_COLUMNS = "case_number, system, service, team, practitioner, support_began"


async def _staff(conn: asyncpg.Connection) -> dict[str, StaffMember]:
    rows = await conn.fetch(f"SELECT {_STAFF_COLUMNS} FROM staff ORDER BY staff_id")
    return {row["staff_id"]: _member(row) for row in rows}


class Directory:
    """Who works here, in which roles and under whom; and which cases are open."""

    def __init__(self, pool: asyncpg.Pool, log: AuditLog) -> None:
        self._pool = pool
        self._log = log

    async def import_staff(self, members: Sequence[StaffMember], actor: str, at: datetime) -> StaffImported:
        """Make members the directory: add, update, and make inactive whoever is missing; returns the diff.

        The actor must be an active qa_officer in the directory, or, for the very first
        import, a qa_officer in members.
        """
        _aware(at)
        problem = staff_problem(members)
        if problem is not None:
            raise DirectoryRefusal(problem[1])
        if not any(member.has(Role.QA_OFFICER) for member in members):
            raise DirectoryRefusal("the staff file lists no qa_officer: nobody could import the directory again")
        async with self._pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", _STAFF_LOCK)
            current = await _staff(conn)
            refusal = may_import(actor, current, members)
            if refusal is not None:
                raise DirectoryRefusal(refusal)
            event = staff_imported(current, members)
            listed = {member.staff_id: member for member in members}
            await conn.executemany(
                "INSERT INTO staff (staff_id, display_name, roles, team, line_manager, email, job, active)"
                " VALUES ($1, $2, $3, $4, $5, $6, $7, true)",
                [
                    (m.staff_id, m.display_name, _roles(m), m.team, m.line_manager, m.email, _job(m))
                    for m in (listed[staff_id] for staff_id in event.added)
                ],
            )
            await conn.executemany(
                "UPDATE staff SET display_name = $2, roles = $3, team = $4, line_manager = $5, email = $6, job = $7,"
                " active = true WHERE staff_id = $1",
                [
                    (m.staff_id, m.display_name, _roles(m), m.team, m.line_manager, m.email, _job(m))
                    for m in (listed[staff_id] for staff_id in event.changed)
                ],
            )
            if event.deactivated:
                await conn.execute(
                    "UPDATE staff SET active = false WHERE staff_id = ANY($1::text[])", event.deactivated
                )
            await self._log.append_next(conn, STAFF_STREAM, actor, at, [event])
        return event

    async def import_cases(self, cases: Sequence[OpenCase], actor: str, at: datetime) -> CasesSnapshotImported:
        """Keep cases as a new snapshot of the open cases; returns what was recorded.

        Every practitioner must be an active member of staff holding the practitioner role.
        """
        _aware(at)
        if not cases:
            raise DirectoryRefusal("no cases to import")
        numbers = [case.case_number for case in cases]
        if len(set(numbers)) != len(numbers):
            repeated = next(n for n in numbers if numbers.count(n) > 1)
            raise DirectoryRefusal(f"case {repeated} is listed twice")
        async with self._pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock_shared($1)", _STAFF_LOCK)
            await conn.execute("SELECT pg_advisory_xact_lock($1)", _CASES_LOCK)
            current = await _staff(conn)
            refusal = may_import(actor, current, None)
            if refusal is not None:
                raise DirectoryRefusal(refusal)
            problem = cases_problem(cases, current)
            if problem is not None:
                raise DirectoryRefusal(problem)
            provisional = cases_imported(0, cases)
            snapshot_id = await conn.fetchval(
                "INSERT INTO case_snapshots (imported_by, digest, rows) VALUES ($1, $2, $3) RETURNING snapshot_id",
                actor,
                provisional.digest,
                provisional.rows,
            )
            await conn.copy_records_to_table(
                "cases",
                columns=["snapshot_id", *_CASE_COLUMNS.split(", ")],
                records=[
                    (
                        snapshot_id,
                        c.case_number,
                        c.system,
                        c.service,
                        c.team,
                        c.practitioner,
                        c.support_began,
                    )
                    for c in cases
                ],
            )
            event = provisional.model_copy(update={"snapshot_id": snapshot_id})
            await self._log.append_next(conn, CASES_STREAM, actor, at, [event])
        return event

    async def staff_member(self, staff_id: str) -> StaffMember | None:
        async with self._pool.acquire() as conn:
            row = await conn.fetchrow(f"SELECT {_STAFF_COLUMNS} FROM staff WHERE staff_id = $1", staff_id)
        return None if row is None else _member(row)

    async def empty(self) -> bool:
        """Whether no staff file was ever imported (the first import's rule, and the first token's)."""
        return not await self._pool.fetchval("SELECT EXISTS (SELECT FROM staff)")

    async def all_staff(self) -> list[StaffMember]:
        """Everyone the directory has ever held, active or not, by staff id."""
        async with self._pool.acquire() as conn:
            return list((await _staff(conn)).values())

    async def management_chain(self, staff_id: str) -> list[StaffMember]:
        """staff_id's line manager, their manager, ... up the chain."""
        async with self._pool.acquire() as conn:
            return management_chain(await _staff(conn), staff_id)

    async def latest_cases(self, service: str | None = None) -> tuple[int | None, list[OpenCase]]:
        """The newest snapshot's id and its cases (of one service, if given), by case number.

        (None, []) before the first cases import.
        """
        async with self._pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
            snapshot_id = await conn.fetchval("SELECT max(snapshot_id) FROM case_snapshots")
            if snapshot_id is None:
                return None, []
            return snapshot_id, await _snapshot_cases(conn, snapshot_id, service)

    async def snapshot_cases(self, snapshot_id: int, service: str | None = None) -> list[OpenCase]:
        """The cases of any snapshot, kept as imported (empty for an unknown snapshot)."""
        async with self._pool.acquire() as conn:
            return await _snapshot_cases(conn, snapshot_id, service)


async def _snapshot_cases(conn: asyncpg.Connection, snapshot_id: int, service: str | None) -> list[OpenCase]:
    rows = await conn.fetch(
        f"SELECT {_CASE_COLUMNS} FROM cases WHERE snapshot_id = $1 AND ($2::text IS NULL OR service = $2)"
        " ORDER BY case_number",
        snapshot_id,
        service,
    )
    return [_case(row) for row in rows]
