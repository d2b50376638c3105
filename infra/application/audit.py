"""What auditors ask of the record: verification, an item's history and replayed state, evidence bundles.

- `verify`: the hash chains, and a cross-check of every workflow's audit stream with
  the events its Temporal history says it recorded.
- `history`, `replay`, `export_bundle` read an item's record: only for those
  `domain.audit_access` allows, and every such read (allowed or refused) is written
  to the access log first (`read_item`); `access_log` shows it to auditors.
- `determinism` replays an item's Temporal history on today's workflow code.
- `check_bundle` re-checks an evidence bundle from its files alone.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from domain.audit_chain import StreamReport
from domain.audit_views import Difference
from domain.events import RecordedEvent
from infra.application.commands import command
from infra.application.directory import require
from infra.application.errors import AppError
from infra.application.services import database, settings, temporal_client
from infra.store.access_log import AccessEntry

# How many Temporal histories `verify` fetches at once.
ENGINE_CONCURRENCY = 8


class Verifying(BaseModel):
    stream: str | None = None  # one item's, or every one
    engine: bool = True  # also cross-check each workflow's stream with its Temporal history


class Verification(BaseModel):
    reports: list[StreamReport]  # each stream's chain
    differences: list[Difference]  # from the engine's histories
    cross_checked: int | None  # how many workflows were (None: not asked)


class ItemAsk(BaseModel):
    item_id: str


class ReplayAsk(BaseModel):
    item_id: str
    as_of: str | None = None  # the moment, as a person gives it (domain.audit_views.parse_moment); None: now


class History(BaseModel):
    kind: str  # in words
    events: list[RecordedEvent]


class Replayed(BaseModel):
    kind: str
    events_total: int
    version: int  # the last event folded
    events: int  # how many were folded
    state: dict[str, Any]


class RequestAsk(BaseModel):
    request_id: str


class Outcome(BaseModel):
    item_id: str
    events: list[RecordedEvent]  # what the request recorded on it


class AccessAsk(BaseModel):
    item_id: str | None = None  # one item's reads, or every read


class ExportAsk(BaseModel):
    item_id: str
    to: str = ""  # where the reader will keep it, for the access log


class Bundle(BaseModel):
    model_config = ConfigDict(ser_json_bytes="base64", val_json_bytes="base64")

    files: dict[str, bytes]  # by name, the manifest among them
    manifest: dict[str, Any]
    verification: dict[str, Any]


@command("audit.verify")
async def verified(ask: Verifying, reader: str) -> Verification:
    """The hash chains, and the cross-check with the engine: for those who keep and check the record."""
    await require("verify", reader)
    reports, differences, checked = await verify(ask.stream, engine=ask.engine)
    return Verification(reports=reports, differences=differences, cross_checked=checked)


@command("audit.history")
async def history_of(ask: ItemAsk, reader: str) -> History:
    item = await history(ask.item_id, reader)
    return History(kind=kind_name(item.kind), events=item.events)


@command("audit.replay")
async def replayed(ask: ReplayAsk, reader: str) -> Replayed:
    from domain.audit_views import parse_moment

    moment = None
    if ask.as_of is not None:
        try:
            moment = parse_moment(ask.as_of)
        except ValueError as exc:
            raise AppError(f"--as-of: {exc}", 2) from None
    item, applied, state = await replay(ask.item_id, reader, moment)
    return Replayed(
        kind=kind_name(item.kind),
        events_total=len(item.events),
        version=applied[-1].version,
        events=len(applied),
        state=state.model_dump(mode="json"),
    )


@command("audit.request")
async def outcome_of(ask: RequestAsk, reader: str) -> list[Outcome]:
    return [Outcome(item_id=i.item_id, events=i.events) for i in await request_outcome(ask.request_id, reader)]


@command("audit.access_log")
async def reads(ask: AccessAsk, reader: str) -> list[AccessEntry]:
    return await access_log(ask.item_id, reader)


@command("audit.determinism")
async def deterministic(ask: ItemAsk, reader: str) -> int:
    """How many history events replayed on today's workflow code; refused if they do not."""
    await require("determinism", reader)
    return await determinism(ask.item_id)


@command("audit.export")
async def exported(ask: ExportAsk, reader: str) -> Bundle:
    return await bundle(ask.item_id, reader, ask.to)


async def verify(stream: str | None, *, engine: bool):  # type: ignore[no-untyped-def]
    from infra.store.audit_log import AuditLog
    from infra.store.engine_archive import EngineArchive

    async with database(max_size=4) as pool:
        log = AuditLog(pool)
        reports = await log.verify(stream)
        if stream and not reports:
            raise AppError(f"no audit record for {stream!r}", 1)
        if not engine:
            return reports, [], None
        differences, checked = await _cross_check(log, EngineArchive(pool, log), stream, reports)
        return reports, differences, checked


async def _workflow_streams(log, stream: str | None, reports) -> list[str]:  # type: ignore[no-untyped-def]
    """The streams a workflow records: known by their events' kind; an emptied stream by its id alone."""
    from domain.items import kind_of_stream

    found = []
    for stream_id, first in await log.opening_events(stream):
        kind = kind_of_stream(stream_id, [first])
        if kind is not None and kind.workflow_type is not None:
            found.append(stream_id)
    emptied = [r.stream_id for r in reports if r.events == 0 and not r.stream_id.startswith("directory-")]
    return sorted({*found, *emptied})


async def _cross_check(log, archive, stream: str | None, reports):  # type: ignore[no-untyped-def]
    """Each workflow stream against its Temporal history; with --all, also workflows the log never heard of."""

    streams = await _workflow_streams(log, stream, reports)
    emptied = {r.stream_id for r in reports if r.events == 0}
    logged_streams = {r.stream_id for r in reports}
    if not streams:
        # Only the directory's imports (no workflow records them): nothing to ask the engine.
        return [], None
    from temporalio.service import RPCError

    client = await temporal_client()
    checked = set(streams)
    if stream is None:
        # Workflows whose whole stream is missing from the log (head and all) still show in the engine
        # (where it can list them: Temporal's test server cannot).
        try:
            async for execution in client.list_workflows():
                if execution.id not in logged_streams:
                    checked.add(execution.id)
                    emptied.add(execution.id)
        except RPCError:
            pass
    gate = asyncio.Semaphore(ENGINE_CONCURRENCY)

    async def one(stream_id: str) -> list[Difference]:
        async with gate:
            return await _stream_differences(client, log, archive, stream_id, quiet_if_unknown=stream_id in emptied)

    results = await asyncio.gather(*(one(s) for s in sorted(checked)))
    return [d for result in results for d in result], len(checked)


async def _stream_differences(client, log, archive, stream_id: str, *, quiet_if_unknown: bool = False):  # type: ignore[no-untyped-def]
    """The differences between the log's stream and its workflow's history (every run of it).

    The log is read before the history, so every event in it was scheduled by then;
    an append that completed after that read is looked for once more. A history the
    engine no longer holds is taken from the archive, if it was sealed (domain.seals).
    """
    from infra.engine_history import NoHistory

    logged = await log.read_stream(stream_id)
    try:
        runs = await _fetch(client, stream_id)
    except NoHistory:
        sealed = await _sealed_runs(log, archive, stream_id)
        if isinstance(sealed, Difference):
            return [sealed]
        if sealed is not None:
            return compare(stream_id, logged, sealed)
        if quiet_if_unknown:
            return []
        return [
            Difference(
                stream_id,
                logged[0].version if logged else 0,
                "no_engine_history",
                "the engine holds no history for this workflow (never started, or past the namespace's retention):"
                " its events cannot be cross-checked",
            )
        ]
    differences = compare(stream_id, logged, runs)
    if any(d.kind in ("missing_from_log", "differs_from_engine") for d in differences):
        differences = compare(stream_id, await log.read_stream(stream_id), runs)
    return differences


async def _sealed_runs(log, archive, stream_id: str):  # type: ignore[no-untyped-def]
    """The workflow's runs as archived when it was sealed; None if it never was; a Difference if the
    archive no longer matches the digests its seal recorded (under the hash chain)."""
    from temporalio.client import WorkflowHistory

    from domain.seals import EngineHistorySealed, seal_stream
    from infra.engine_history import Runs

    archived = await archive.runs(stream_id)
    if not archived:
        return None
    seal = await log.last_of_type(seal_stream(stream_id), EngineHistorySealed.event_type)
    sealed = {} if seal is None else {run["run_id"]: run["sha256"] for run in seal.payload["runs"]}
    if {run.run_id: run.sha256 for run in archived} != sealed:
        return Difference(
            stream_id,
            0,
            "archive_altered",
            f"its archived engine history does not match the digests sealed in {seal_stream(stream_id)}:"
            " it was changed after it was sealed",
        )
    histories = (WorkflowHistory.from_json(stream_id, json.loads(run.history)) for run in archived)
    return Runs(tuple(histories), complete=True)


def compare(stream_id: str, logged, runs):  # type: ignore[no-untyped-def]
    """The log's events of a stream against every run of its workflow the engine holds."""
    from domain.audit_views import engine_differences
    from infra.codec import PayloadKeyError, payload_keys
    from infra.engine_history import runs_events

    try:
        engine = runs_events(runs.histories, payload_keys(settings()))
    except PayloadKeyError as exc:
        raise AppError(f"cannot cross-check {stream_id} with the engine: {exc}") from None
    if runs.complete:
        return engine_differences(stream_id, logged, engine.recorded, engine.carried)
    versions = [e.version for e in engine.carried if e.stream_id == stream_id]
    checked_from = min(versions, default=max((e.version for e in logged), default=0) + 1)
    gone = Difference(
        stream_id,
        checked_from,
        "no_engine_history",
        "the engine no longer holds this workflow's runs before this version (past the namespace's retention):"
        " the events before it cannot be cross-checked",
    )
    return [gone, *engine_differences(stream_id, logged, engine.recorded, engine.carried, checked_from)]


async def _fetch(client, workflow_id: str):  # type: ignore[no-untyped-def]
    """Every run's Temporal history of the workflow; NoHistory if the engine has none; its other errors as one line."""
    from temporalio.service import RPCError

    from infra.engine_history import fetch_runs

    try:
        return await fetch_runs(client, workflow_id)
    except RPCError as exc:
        raise AppError(f"Temporal refused the history of {workflow_id}: {exc.message}") from None


@dataclass
class Item:
    item_id: str
    kind: Any  # domain.items.ItemKind | None
    events: list[Any]  # RecordedEvent
    state: Any  # the full fold, or None


def _full_state(kind, events) -> Any:  # type: ignore[no-untyped-def]
    from domain.audit_views import rebuild

    if kind is None or not kind.replayable:
        return None
    try:
        return rebuild(kind, events)
    except Exception:  # noqa: BLE001 - a stream that no longer folds is reported by replay, not here
        return None


async def read_item(pool, item_id: str, reader: str, command: str, detail: str = "", rule=None) -> Item:  # type: ignore[no-untyped-def]
    """The item's events if `reader` may read them by `rule` (domain.audit_access: the audit record's rule
    unless another is given); the read (or refusal) is recorded in the access log first."""
    from domain.audit_access import audit_refusal
    from domain.items import kind_of_stream
    from infra.application.directory import AS_HOST
    from infra.store.access_log import AccessLog
    from infra.store.audit_log import AuditLog
    from infra.store.directory import Directory

    log = AuditLog(pool)
    access = AccessLog(pool)
    events = await log.read_stream(checked_id(item_id))
    if not events:
        await access.record(reader, item_id, command, False, "no audit record for this id")
        raise AppError(f"no audit record for {item_id!r}", 1)
    kind = kind_of_stream(item_id, (e.event_type for e in events))
    state = _full_state(kind, events)
    staff = {m.staff_id: m for m in await Directory(pool, log).all_staff()}
    # The host's administrator, reading in process, holds the database's login: let in, and logged.
    refusal = None if AS_HOST.get() else (rule or audit_refusal)(reader, item_id, kind, state, staff)
    await access.record(reader, item_id, command, refusal is None, refusal or detail)
    if refusal is not None:
        raise AppError(f"refused: {refusal}", 1)
    return Item(item_id, kind, events, state)


def kind_name(kind) -> str:  # type: ignore[no-untyped-def]
    return kind.name if kind is not None else "stream"


def checked_id(item_id: str) -> str:
    from infra.application.items import checked_id

    return checked_id(item_id)


async def history(item_id: str, reader: str) -> Item:
    checked_id(item_id)
    async with database(max_size=2) as pool:
        return await read_item(pool, item_id, reader, "history")


async def replay(item_id: str, reader: str, moment):  # type: ignore[no-untyped-def]
    from domain.audit_views import as_of, moment_problem, rebuild
    from infra.store.audit_log import AuditLog

    checked_id(item_id)
    detail = f"as of {moment.end.isoformat()} (given {moment.text!r})" if moment else "current state"
    async with database(max_size=2) as pool:
        item = await read_item(pool, item_id, reader, "replay", detail)
        now = await AuditLog(pool).now()
    if item.kind is None or not item.kind.replayable:
        raise AppError(
            f"{item_id} is a {kind_name(item.kind)}: it has no state to rebuild; see `qa audit history {item_id}`", 1
        )
    if moment is not None:
        problem = moment_problem(moment, now, item.events[0].business_time, item_id)
        if problem is not None:
            raise AppError(problem, 2)
    applied = as_of(item.events, moment.end if moment else None)
    # read_item has folded every event already (the access check reads the state): fold again
    # only for an earlier moment, or to say why the stream does not fold.
    state = item.state if len(applied) == len(item.events) else None
    if state is None:
        try:
            state = rebuild(item.kind, applied)
        except Exception as exc:  # noqa: BLE001 - a tampered payload: say so in one line
            raise AppError(
                f"cannot rebuild {item_id} from its audit log: {' '.join(str(exc).split())[:300]}", 1
            ) from None
    return item, applied, state


async def determinism(item_id: str) -> int:
    from infra.engine_history import NoHistory, replay_failure

    client = await temporal_client()
    try:
        runs = await _fetch(client, item_id)
    except NoHistory:
        raise AppError(f"the engine holds no history for {item_id!r}", 1) from None
    from infra.codec import data_converter

    failed = await replay_failure(runs, data_converter(settings()))
    if failed is not None:
        number, failure = failed
        run_text = f" (run {number} of {len(runs.histories)})" if len(runs.histories) > 1 else ""
        raise AppError(f"{item_id} is NOT deterministic on the current workflow code{run_text}: {_reason(failure)}", 1)
    return sum(len(h.events) for h in runs.histories)


def _reason(failure: Exception) -> str:
    """The core's own message from a replay failure (it arrives wrapped in a debug dump), on one line."""
    text = str(failure)
    found = re.search(r'message: "((?:[^"\\]|\\.)*)"', text)
    reason = found.group(1) if found else f"{type(failure).__name__}: {text}"
    return " ".join(reason.split())[:400]


async def _snapshot(pool, item_id: str):  # type: ignore[no-untyped-def]
    """The stream's head and all its events, as one moment saw them.

    Appends move the head in the same transaction, so a head read unchanged before and
    after the events means no append came in between; an event past it is then a
    forgery the chain check will name, not an append in flight.
    """
    from infra.store.audit_log import AuditLog

    log = AuditLog(pool)

    async def head_now():  # type: ignore[no-untyped-def]
        head = await log.head(item_id)
        return {"version": head.version, "hash": head.hash.hex()} if head else {"version": 0, "hash": None}

    head = await head_now()
    while True:
        events = await log.read_stream(item_id)
        again = await head_now()
        if again == head:
            return head, events
        head = again


async def bundle(item_id: str, reader: str, to: str) -> Bundle:
    """An evidence bundle of `item_id`'s record for `reader` (the read is logged, with where it goes `to`)."""
    from domain.audit_views import (
        BUNDLE_FILES,
        MANIFEST,
        NO_CHILD_NAMED,
        Difference,
        as_of,
        chain_of,
        dump,
        sha256_hex,
        summary_html,
    )
    from domain.items import case_numbers
    from infra.engine_history import NoHistory, runs_json
    from infra.store.audit_log import AuditLog

    checked_id(item_id)
    async with database(max_size=2) as pool:
        item = await read_item(pool, item_id, reader, "export", f"to {to}" if to else "")
        kind = item.kind
        runs = None
        differences: list[Difference] = []
        client = await temporal_client() if kind is not None and kind.workflow_type else None
        for _ in range(3):
            head, events = await _snapshot(pool, item_id)
            if client is None:
                break
            try:
                runs = await _fetch(client, item_id)
            except NoHistory:
                differences = [
                    Difference(item_id, 0, "no_engine_history", "the engine holds no history for this workflow")
                ]
                break
            differences = compare(item_id, events, runs)
            if not any(d.kind == "missing_from_log" for d in differences):
                break
        exported_at = await AuditLog(pool).now()

    chain = chain_of(item_id, events, head if head["hash"] else None)
    state = _full_state(kind, as_of(events, None))
    verification = {
        "item_id": item_id,
        "ok": chain.ok and not differences,
        "chain": {
            "ok": chain.ok,
            "events": chain.events,
            "head": head,
            "first_break": None
            if chain.first_break is None
            else {
                "version": chain.first_break.version,
                "kind": chain.first_break.kind,
                "detail": chain.first_break.detail,
            },
        },
        "engine": {
            "checked": client is not None,
            "workflow_type": kind.workflow_type if kind is not None else None,
            "differences": [d.as_json() for d in differences],
        },
    }
    problems = [chain.first_break.describe()] if chain.first_break else []
    problems += [d.describe() for d in differences]
    files = {
        "events.json": dump([e.model_dump(mode="json") for e in events]),
        "temporal-history.json": dump(
            runs_json(runs)
            if runs is not None
            else {
                "workflow_id": item_id,
                "history": None,
                "note": "the engine holds no history for it" if client else "no workflow records this item",
            }
        ),
        "verification.json": dump(verification),
        "state.json": dump(
            {
                "id": item_id,
                "kind": kind_name(kind),
                "version": events[-1].version if events else 0,
                "state": state.model_dump(mode="json") if state is not None else None,
            }
        ),
        "summary.html": summary_html(
            item_id=item_id,
            kind=kind_name(kind),
            cases=case_numbers(kind, state) if kind is not None else [],
            exported_at=exported_at,
            exported_by=reader,
            events=events,
            status=_status(state),
            verdict="hash chain intact; every event matches the engine's history"
            if verification["ok"]
            else f"{len(problems)} problems found",
            differences=problems,
        ).encode("utf-8"),
    }
    assert set(files) == set(BUNDLE_FILES)
    manifest = {
        "item_id": item_id,
        "kind": kind_name(kind),
        "exported_at": exported_at.isoformat(),
        "exported_by": reader,
        "head": head,
        "note": NO_CHILD_NAMED,
        "algorithm": "SHA-256",
        "files": {name: sha256_hex(files[name]) for name in BUNDLE_FILES},
    }
    return Bundle(files={**files, MANIFEST: dump(manifest)}, manifest=manifest, verification=verification)


def _status(state) -> str | None:  # type: ignore[no-untyped-def]
    if state is None:
        return None
    for field in ("status", "phase"):
        value = getattr(state, field, None)
        if value is not None:
            return str(value)
    return None


def _bad(path: Path, why: str) -> AppError:
    return AppError(f"{path} is not an intact evidence bundle: {why}", 1)


def check_bundle(path: Path) -> dict[str, Any]:
    """What `qa audit check-bundle` finds; AppError (exit 1) for an unreadable or altered bundle."""
    from pydantic import ValidationError

    from domain.audit_views import (
        BUNDLE_FILES,
        MANIFEST,
        as_of,
        chain_of,
        check_manifest,
        sha256_hex,
    )
    from domain.events import RecordedEvent
    from domain.items import kind_of_stream

    if not path.is_dir():
        raise _bad(path, "no such folder")
    try:
        manifest = json.loads((path / MANIFEST).read_bytes())
    except (OSError, ValueError) as exc:
        raise _bad(path, f"{MANIFEST} cannot be read ({type(exc).__name__})") from None
    digests: dict[str, str | None] = {}
    contents: dict[str, bytes] = {}
    for name in BUNDLE_FILES:
        try:
            contents[name] = (path / name).read_bytes()
            digests[name] = sha256_hex(contents[name])
        except OSError:
            digests[name] = None
    problem = check_manifest(manifest, digests, os.listdir(path))
    if problem is not None:
        raise _bad(path, problem)

    try:
        item_id = str(manifest["item_id"])
        head = manifest["head"]
        events = [RecordedEvent.model_validate(e) for e in json.loads(contents["events.json"])]
        recorded = json.loads(contents["verification.json"])
        state_file = json.loads(contents["state.json"])
        history_file = json.loads(contents["temporal-history.json"])
    except (KeyError, TypeError, ValueError, ValidationError) as exc:
        raise _bad(path, f"its files cannot be read ({type(exc).__name__})") from None

    chain = chain_of(item_id, events, head if head.get("hash") else None)
    kind = kind_of_stream(item_id, (e.event_type for e in events))
    differences = []
    if history_file.get("history") is not None:
        from infra.engine_history import runs_from_json

        try:
            differences = compare(item_id, events, runs_from_json(history_file))
        except AppError as exc:
            raise _bad(path, f"temporal-history.json: {exc}") from None
        except Exception as exc:  # noqa: BLE001 - any malformed history is one line
            raise _bad(path, f"temporal-history.json cannot be read ({type(exc).__name__})") from None
    try:
        recorded_chain_ok = recorded["chain"]["ok"]
        recorded_differences = recorded["engine"]["differences"]
        recorded_ok = recorded["ok"]
    except (KeyError, TypeError):
        raise _bad(path, "verification.json cannot be read") from None
    if history_file.get("history") is not None:
        expected_differences = [d.as_json() for d in differences]
        if recorded_differences != expected_differences:
            raise _bad(path, "verification.json does not report what its events and engine history show")
    if recorded_chain_ok != chain.ok or recorded_ok != (chain.ok and not recorded_differences):
        raise _bad(path, "verification.json does not report what its events' hash chain shows")
    state = _full_state(kind, as_of(events, None))
    if (state.model_dump(mode="json") if state is not None else None) != state_file.get("state"):
        raise _bad(path, "state.json is not the state its events replay to")
    return {
        "ok": True,
        "item_id": item_id,
        "manifest_sha256": sha256_hex((path / MANIFEST).read_bytes()),
        "files": len(BUNDLE_FILES),
        "events": len(events),
        "head_version": head.get("version"),
        "verified": bool(recorded.get("ok")),
        "state": "replays from the events" if state is not None else "none (nothing to rebuild)",
        "engine": "the history it holds matches the events"
        if history_file.get("history") is not None and not differences
        else ("DIFFERS from the events" if differences else "no engine history"),
    }


async def request_outcome(asked: str, reader: str) -> list[Item]:
    """What request `asked` recorded, item by item: a command whose outcome was unknown, confirmed.

    The person who made the request sees its events; anyone else only items they may read
    (`read_item`, which records the read). Nothing recorded is an empty list.
    """
    from infra.application.requests import check_request_id
    from infra.store.audit_log import AuditLog

    check_request_id(asked)
    async with database(max_size=2) as pool:
        events = await AuditLog(pool).recorded_for(asked)
        items = []
        for item_id in dict.fromkeys(e.stream_id for e in events):
            own = [e for e in events if e.stream_id == item_id]
            if all(e.actor == reader for e in own):
                items.append(Item(item_id, None, own, None))
            else:
                item = await read_item(pool, item_id, reader, "request", f"request {asked}")
                items.append(Item(item_id, item.kind, own, None))
        return items


async def access_log(item_id: str | None, reader: str):  # type: ignore[no-untyped-def]
    from domain.directory import Role
    from infra.store.access_log import AccessLog
    from infra.store.audit_log import AuditLog
    from infra.store.directory import Directory

    async with database(max_size=2) as pool:
        access = AccessLog(pool)
        member = await Directory(pool, AuditLog(pool)).staff_member(reader)
        allowed = member is not None and member.active and member.has(Role.AUDITOR)
        refusal = "" if allowed else f"{reader} is not an active auditor: only auditors may read the access log"
        await access.record(reader, item_id or "*", "access-log", allowed, refusal)
        if not allowed:
            raise AppError(f"refused: {refusal}", 1)
        return await access.entries(item_id)
