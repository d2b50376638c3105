"""What a CPR cycle or a case audit checks before it starts: who may start it, and whether its sample can be drawn.

The workflow checks both again when it starts; asked here first, a person is refused
in one line at once, with no item started.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from infra.application.errors import AppError
from infra.application.services import database


async def sample_cases(started_by: str, noun: str) -> tuple[int, list[Any]]:
    """The newest open-cases snapshot's id and cases, for a QA officer about to start a `noun` on a sample.

    Anyone the directory does not list as an active QA officer is refused in one line,
    as is a start before any open cases were imported.
    """
    from domain.directory import Role
    from infra.store.audit_log import AuditLog
    from infra.store.directory import Directory

    async with database() as pool:
        directory = Directory(pool, AuditLog(pool))
        member = await directory.staff_member(started_by)
        if member is None or not member.active or Role.QA_OFFICER not in member.roles:
            raise AppError(
                f"refused: {started_by} cannot start a {noun}:"
                f" the directory does not list them as a {Role.QA_OFFICER.value}"
            )
        snapshot_id, cases = await directory.latest_cases()
    if snapshot_id is None:
        raise AppError("refused: no open cases were imported yet: run `qa cases import`")
    return snapshot_id, cases


def check_draw(cases: list[Any], start: date, size: int, where: str) -> None:
    """Refuse a sample the workflow's draw could not take from `cases` (only its size matters, not the seed)."""
    from domain import sampling

    candidates = [sampling.Candidate(case_number=c.case_number, support_began=c.support_began) for c in cases]
    try:
        sampling.draw(candidates, on=start, size=size, seed="check")
    except ValueError as exc:
        raise AppError(f"refused: {where}: {exc}") from None
