"""Seals: what the engine recorded of a closed workflow, kept in the audit log for after its retention.

The cross-check with the engine (domain.audit_views.engine_differences) compares each workflow's
audit stream with the events its Temporal history says it appended. Temporal drops a closed
workflow's history after the namespace's retention; so once a workflow has closed, its history is
archived in PostgreSQL and sealed: one event in the stream `seal-<workflow id>` records each run's
history digest, under the hash chain. After retention, `verify` cross-checks the stream against the
archived history, once that history is shown to be the one sealed.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel

from domain.events import DomainEvent, EventRegistry
from domain.kinds import Kind

SEAL_PREFIX = "seal-"


def seal_stream(workflow_id: str) -> str:
    return f"{SEAL_PREFIX}{workflow_id}"


class SealedRun(BaseModel):
    run_id: str
    events: int  # how many history events the run holds
    sha256: str  # of the run's history as archived (its canonical JSON)


class EngineHistorySealed(DomainEvent):
    """A closed workflow's Temporal history, every run of it, archived and its digests recorded."""

    event_type: ClassVar[str] = "seal.engine_history_sealed"

    workflow_id: str
    workflow_type: str
    runs: list[SealedRun]  # oldest first
    appended: int  # how many audit events its appends carried


def sealed_digests(event: EngineHistorySealed) -> dict[str, str]:
    """Each sealed run's history digest, by run id."""
    return {run.run_id: run.sha256 for run in event.runs}


# Seals are written by `qa audit seal` (infra.application.seals): no workflow, no state to rebuild.
KIND = Kind(
    name="engine seal",
    prefix="seal.",
    events=EventRegistry(EngineHistorySealed),
    words={
        "seal.engine_history_sealed": lambda p: (
            f"the engine's history of {p['workflow_id']} archived and sealed: {len(p['runs'])} run(s),"
            f" {sum(r['events'] for r in p['runs'])} history events, {p['appended']} audit events appended"
        ),
    },
)
