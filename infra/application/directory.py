"""The staff directory and the open-cases snapshots: imports (audited) and reads.

An import is refused, with nothing changed, unless the directory lists the importer
as an active QA officer (or, for the very first staff import, the file does); see
infra.store.directory.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, TypeVar

from pydantic import BaseModel

from domain.directory import OpenCase, StaffMember
from infra.application.commands import Nothing, command
from infra.application.errors import AppError
from infra.application.services import database, settings

T = TypeVar("T")


async def _with_directory(use: Callable[[Any], Awaitable[T]], *, importing: bool = False) -> T:
    """`use` on the directory; `importing`, through the directory's own login (qa_directory, migration
    0013), the only one that may change it: the application's, which the server and every other command
    use, may only read it."""
    from infra.store.audit_log import AuditLog
    from infra.store.directory import Directory, DirectoryRefusal

    url = settings().require_directory_database_url() if importing else None
    async with database(url=url) as pool:
        try:
            return await use(Directory(pool, AuditLog(pool)))
        except DirectoryRefusal as exc:
            raise AppError(f"refused: {exc}") from None


async def import_staff(members: Sequence[Any], actor: str) -> tuple[Any, str]:
    """Make `members` the staff directory; returns what changed (domain.directory.StaffImported) and the
    audit stream it was recorded on."""
    from infra.store.directory import STAFF_STREAM

    staff = await _with_directory(lambda d: d.import_staff(members, actor, datetime.now(UTC)), importing=True)
    return staff, STAFF_STREAM


async def import_cases(cases: Sequence[Any], actor: str):  # type: ignore[no-untyped-def]
    """Keep `cases` as a new open-cases snapshot; returns it (domain.directory.CasesSnapshotImported)."""
    return await _with_directory(lambda d: d.import_cases(cases, actor, datetime.now(UTC)), importing=True)


class CasesOf(BaseModel):
    service: str | None = None  # only this service's; None: every one


@command("staff")
async def staff(ask: Nothing, reader: str) -> list[StaffMember]:
    """Everyone in the staff directory, including those no longer active."""
    await require("staff", reader)
    return await _with_directory(lambda d: d.all_staff())


@command("cases")
async def cases(ask: CasesOf, reader: str) -> tuple[int | None, list[OpenCase]]:
    """The newest open-cases snapshot's id and its cases (of a service); the read is logged."""
    from infra.application.status import logged

    await require("cases", reader)
    await logged(reader, "*", "cases list")
    return await _with_directory(lambda d: d.latest_cases(ask.service))


AS_HOST: ContextVar[bool] = ContextVar("as_host", default=False)
"""Set by the CLI for a read run in process with no person named: by the host's administrator, who holds
the database's login (infra.application.sign_in.host_administrator). Never set by the server."""


async def require(action: str, staff_id: str) -> None:
    """Refuse `staff_id`, in one line, unless the table of action x role lets them do `action`
    (domain.permissions); the host's administrator, reading in process, may."""
    from domain.permissions import may

    if AS_HOST.get():
        return
    refusal = may(action).refusal(staff_id, await staff_member(staff_id))
    if refusal is not None:
        raise AppError(f"refused: {refusal}")


async def staff_member(staff_id: str) -> Any:
    """The directory's entry for `staff_id` (domain.directory.StaffMember), or None."""
    return await _with_directory(lambda d: d.staff_member(staff_id))
