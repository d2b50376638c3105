"""Closed workflows' Temporal histories, archived in PostgreSQL and sealed in the audit log (domain.seals)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from domain.seals import EngineHistorySealed, SealedRun, seal_stream
from infra.store.audit_log import AuditLog


@dataclass(frozen=True, slots=True)
class ArchivedRun:
    run_id: str
    events: int
    history: str  # canonical JSON of the run's history

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.history.encode("utf-8")).hexdigest()


class EngineArchive:
    def __init__(self, pool: asyncpg.Pool, log: AuditLog) -> None:
        self._pool = pool
        self._log = log

    async def seal(
        self,
        workflow_id: str,
        workflow_type: str,
        runs: Sequence[ArchivedRun],
        appended: int,
        actor: str,
        at: datetime,
    ) -> bool:
        """Archive every run (oldest first) and record the seal, together or not at all; False if the
        workflow was sealed already (by this or another sealer)."""
        seal = EngineHistorySealed(
            workflow_id=workflow_id,
            workflow_type=workflow_type,
            runs=[SealedRun(run_id=r.run_id, events=r.events, sha256=r.sha256) for r in runs],
            appended=appended,
        )
        try:
            async with self._pool.acquire() as conn, conn.transaction():
                return await self._seal(conn, workflow_id, runs, seal, actor, at)
        except asyncpg.UniqueViolationError:  # another sealer archived it first, in a transaction of its own
            return False

    async def _seal(
        self,
        conn: asyncpg.Connection,
        workflow_id: str,
        runs: Sequence[ArchivedRun],
        seal: EngineHistorySealed,
        actor: str,
        at: datetime,
    ) -> bool:
        if await conn.fetchval("SELECT version FROM audit_streams WHERE stream_id = $1", seal_stream(workflow_id)):
            return False
        await conn.executemany(
            "INSERT INTO engine_histories (workflow_id, run_id, run_number, history, sha256) VALUES ($1, $2, $3, $4, $5)",
            [(workflow_id, r.run_id, n, r.history, bytes.fromhex(r.sha256)) for n, r in enumerate(runs, start=1)],
        )
        await self._log.append_next(conn, seal_stream(workflow_id), actor, at, [seal])
        return True

    async def runs(self, workflow_id: str) -> list[ArchivedRun]:
        """The archived runs of a workflow, oldest first (none if it was never sealed)."""
        async with self._pool.acquire() as conn:
            rows = await conn.fetch(
                "SELECT run_id, history FROM engine_histories WHERE workflow_id = $1 ORDER BY run_number", workflow_id
            )
        return [ArchivedRun(row["run_id"], _event_count(row["history"]), row["history"]) for row in rows]

    async def sealed(self) -> set[str]:
        """The ids of the workflows sealed so far."""
        async with self._pool.acquire() as conn:
            rows = await conn.fetch("SELECT DISTINCT workflow_id FROM engine_histories")
        return {row["workflow_id"] for row in rows}


def _event_count(history: str) -> int:
    return len(json.loads(history).get("events", []))
