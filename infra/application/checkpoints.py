"""Signed checkpoints (domain.checkpoints): made at each seal and on demand, exported, checked by auditors."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from infra.application.commands import Nothing, command
from infra.application.directory import require
from infra.application.errors import AppError
from infra.application.services import database, settings


async def make_checkpoint(pool, actor: str) -> dict:  # type: ignore[no-untyped-def]
    """Sign every stream's head now, keep the checkpoint, and return its body."""
    from datetime import UTC, datetime

    from domain import checkpoints
    from infra.checkpoints import public_pem, sign, signing_key
    from infra.store.checkpoints import Checkpoints

    store = Checkpoints(pool)
    body = checkpoints.body(datetime.now(UTC), await store.heads())
    key = signing_key(settings())
    text = checkpoints.signed_text(body)
    await store.keep(actor, text.decode(), sign(key, text), public_pem(key))
    return body


@command("checkpoint.make", changes=True)
async def make(ask: Nothing, actor: str) -> dict[str, Any]:
    """Sign every stream's head now; the checkpoint's body."""
    await require("checkpoint", actor)
    async with database() as pool:
        return await make_checkpoint(pool, actor)


@command("checkpoint.export")
async def export(ask: Nothing, actor: str) -> dict[str, Any]:
    """The newest checkpoint (made now if there is none), signed, for an auditor to keep."""
    from infra.store.checkpoints import Checkpoints

    await require("checkpoint", actor)
    async with database() as pool:
        newest = await Checkpoints(pool).newest()
        if newest is None:
            await make_checkpoint(pool, actor)
            newest = await Checkpoints(pool).newest()
    assert newest is not None
    return {
        "checkpoint": json.loads(newest.body),
        "signature": newest.signature,
        "public_key": newest.public_key,
        "made_by": newest.made_by,
    }


def public_key() -> str:
    from infra.checkpoints import public_pem, signing_key

    return public_pem(signing_key(settings()))


@dataclass(frozen=True, slots=True)
class Checked:
    checkpoint: dict
    key_given: bool  # checked with the auditors' own public key, not the one in the file
    departures: list[str]  # how the log departs from it; empty: it holds everything signed
    broken: list[str]  # streams whose chain no longer verifies

    @property
    def ok(self) -> bool:
        return not self.departures and not self.broken


async def check(path: Path, public_key_path: Path | None) -> Checked:
    """The log against a checkpoint file an auditor kept, its signature checked with their public key."""
    from domain import checkpoints
    from infra.checkpoints import signature_holds
    from infra.store.audit_log import AuditLog
    from infra.store.checkpoints import Checkpoints

    try:
        exported = json.loads(path.read_text(encoding="utf-8"))
        body, signature, embedded = exported["checkpoint"], exported["signature"], exported["public_key"]
    except OSError as exc:
        raise AppError(f"cannot read {path}: {exc.strerror}", 2) from None
    except (ValueError, KeyError, TypeError):
        raise AppError(f"{path} is not a checkpoint file (from `qa audit checkpoint export`)", 2) from None
    if (problem := checkpoints.check_body(body)) is not None:
        raise AppError(f"{path}: {problem}", 2)
    key = embedded
    if public_key_path is not None:
        try:
            key = public_key_path.read_text(encoding="utf-8")
        except OSError as exc:
            raise AppError(f"cannot read {public_key_path}: {exc.strerror}", 2) from None
    if not signature_holds(key, checkpoints.signed_text(body), signature):
        whose = "the public key given" if public_key_path is not None else "the public key in the file"
        raise AppError(f"{path}: its signature does not hold under {whose}: the checkpoint is not to be trusted", 1)
    heads = checkpoints.heads_of(body)
    async with database(max_size=2) as pool:
        held, versions = await Checkpoints(pool).held(heads)
        reports = await AuditLog(pool).verify()
    listed = {h.stream_id for h in heads}
    broken = [r.first_break.describe() for r in reports if r.first_break is not None and r.stream_id in listed]
    return Checked(body, public_key_path is not None, checkpoints.departures(body, held, versions), broken)
