"""`qa audit seal`: archive and seal the Temporal history of every closed workflow (domain.seals).

Run it daily (or after items close), well within the namespace's retention: a workflow's history
sealed before Temporal drops it keeps `qa audit verify`'s cross-check with the engine for years.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import BaseModel

from infra.application.commands import command
from infra.application.directory import require
from infra.application.errors import AppError
from infra.application.services import database, settings, temporal_client


@dataclass
class Sealing:
    sealed: list[str] = field(default_factory=list)  # sealed now
    open: list[str] = field(default_factory=list)  # still running: sealed once closed
    already: int = 0  # sealed before
    lost: list[str] = field(default_factory=list)  # the engine no longer holds every run: too late to seal
    checkpoint: dict = field(default_factory=dict)  # the checkpoint signed after sealing


class Sealed(BaseModel):
    item_id: str | None = None  # one workflow's, or every closed one not sealed yet


@command("audit.seal", changes=True)
async def sealed(ask: Sealed, actor: str) -> Sealing:
    return await seal(ask.item_id, actor)


async def seal(workflow_id: str | None, actor: str) -> Sealing:
    """Seal `workflow_id`, or every closed workflow not sealed yet."""
    from datetime import UTC, datetime

    from temporalio.client import WorkflowExecutionStatus

    from domain.audit_chain import canonical_json
    from domain.items import kind_of_event
    from infra.application.checkpoints import make_checkpoint
    from infra.codec import payload_keys
    from infra.engine_history import NoHistory, fetch_runs, runs_events
    from infra.store.audit_log import AuditLog
    from infra.store.engine_archive import ArchivedRun, EngineArchive

    # It writes to the audit log: only those who keep the record.
    await require("seal", actor)
    outcome = Sealing()
    async with database(max_size=2) as pool:
        log = AuditLog(pool)
        archive = EngineArchive(pool, log)
        done = await archive.sealed()
        streams = [
            sid
            for sid, first in await log.opening_events(workflow_id)
            if (kind := kind_of_event(first)) is not None and kind.workflow_type is not None
        ]
        if workflow_id is not None and not streams:
            raise AppError(f"no workflow's audit record has the id {workflow_id!r}", 1)
        client = await temporal_client()
        keys = payload_keys(settings())
        for stream_id in streams:
            if stream_id in done:
                outcome.already += 1
                continue
            try:
                runs = await fetch_runs(client, stream_id)
            except NoHistory:
                outcome.lost.append(stream_id)
                continue
            latest = await client.get_workflow_handle(stream_id).describe()
            if latest.status == WorkflowExecutionStatus.RUNNING:
                outcome.open.append(stream_id)
                continue
            if not runs.complete:
                outcome.lost.append(stream_id)
                continue
            archived = [ArchivedRun(h.run_id, len(h.events), canonical_json(h.to_json_dict())) for h in runs.histories]
            appended = len(runs_events(runs.histories, keys).carried)
            if await archive.seal(stream_id, latest.workflow_type, archived, appended, actor, datetime.now(UTC)):
                outcome.sealed.append(stream_id)
            else:
                outcome.already += 1
        # And every stream's head signed, the seals' included (domain.checkpoints).
        outcome.checkpoint = await make_checkpoint(pool, actor)
    return outcome
