"""`qa audit`: what auditors use.

- `verify`: the hash chains, and a cross-check of every workflow's audit stream with
  the events its Temporal history says it recorded.
- `history`, `replay`, `export` read an item's record: only for those
  `domain.audit_access` allows, and every such read (allowed or refused) is written
  to the access log (`access-log` shows it to auditors).
- `determinism` replays an item's Temporal history on today's workflow code.
- `check-bundle` re-checks an evidence bundle from its files alone.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from infra.cli.common import (
    AS_OPTION,
    JSON_OPTION,
    CliError,
    app,
    database,
    emit,
    fail,
    person,
    run,
    temporal_client,
)

# How many Temporal histories `verify` fetches at once.
ENGINE_CONCURRENCY = 8


@app.group("audit")
def audit_app() -> None:
    """The audit log, for auditors: history, replay, verification, determinism and evidence bundles."""


# --- verify -----------------------------------------------------------------------------------


@audit_app.command("verify")
@click.argument("stream", required=False)
@click.option("--all", "all_streams", is_flag=True, help="Verify every item (the default).")
@click.option(
    "--chains-only", is_flag=True, help="Only the hash chains: skip the cross-check with Temporal's histories."
)
@JSON_OPTION
def audit_verify(stream: str | None, all_streams: bool, chains_only: bool, as_json: bool) -> None:
    """Recompute the hash chains (of one item, STREAM, or all) and report each first broken link; then
    cross-check each workflow's stream with the events its Temporal history recorded, and report each difference."""
    if stream and all_streams:
        fail("give an item id or --all, not both")
    reports, differences, cross_checked = run(_verify(stream, engine=not chains_only))
    breaks = [r.first_break for r in reports if r.first_break]
    data = {
        "ok": not breaks and not differences,
        "streams": len(reports),
        "events": sum(r.events for r in reports),
        "breaks": [
            *({"stream_id": b.stream_id, "version": b.version, "kind": b.kind, "detail": b.detail} for b in breaks),
            *(d.as_json() for d in differences),
        ],
    }

    def human() -> None:
        for b in breaks:
            click.echo(f"BROKEN {b.describe()}")
        for d in differences:
            click.echo(f"DIFFERS {d.describe()}")
        verdict = "all chains intact" if not breaks else f"{len(breaks)} broken"
        click.echo(f"verified {data['streams']} items, {data['events']} events: {verdict}")
        if cross_checked is not None:
            agree = "every event matches" if not differences else _count(len(differences), "difference")
            click.echo(f"cross-checked {_count(cross_checked, 'workflow')} with Temporal's histories: {agree}")

    emit(data, as_json, human)
    if not data["ok"]:
        raise SystemExit(1)


async def _verify(stream: str | None, *, engine: bool):  # type: ignore[no-untyped-def]
    from infra.store.audit_log import AuditLog

    async with database(max_size=4) as pool:
        log = AuditLog(pool)
        reports = await log.verify(stream)
        if stream and not reports:
            raise CliError(f"no audit record for {stream!r}", 1)
        if not engine:
            return reports, [], None
        differences, checked = await _cross_check(log, stream, reports)
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


async def _cross_check(log, stream: str | None, reports):  # type: ignore[no-untyped-def]
    """Each workflow stream against its Temporal history; with --all, also workflows the log never heard of."""
    from domain.audit_views import Difference

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
            return await _stream_differences(client, log, stream_id, quiet_if_unknown=stream_id in emptied)

    results = await asyncio.gather(*(one(s) for s in sorted(checked)))
    return [d for result in results for d in result], len(checked)


async def _stream_differences(client, log, stream_id: str, *, quiet_if_unknown: bool = False):  # type: ignore[no-untyped-def]
    """The differences between the log's stream and its workflow's history (every run of it).

    The log is read before the history, so every event in it was scheduled by then;
    an append that completed after that read is looked for once more.
    """
    from domain.audit_views import Difference
    from infra.engine_history import NoHistory

    logged = await log.read_stream(stream_id)
    try:
        runs = await _fetch(client, stream_id)
    except NoHistory:
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


def compare(stream_id: str, logged, runs):  # type: ignore[no-untyped-def]
    """The log's events of a stream against every run of its workflow the engine holds."""
    from domain.audit_views import Difference, engine_differences
    from infra.engine_history import runs_events

    engine = runs_events(runs.histories)
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
        raise CliError(f"Temporal refused the history of {workflow_id}: {exc.message}") from None


# --- reading an item: access checked and logged -----------------------------------------------


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


async def read_item(pool, item_id: str, reader: str, command: str, detail: str = "") -> Item:  # type: ignore[no-untyped-def]
    """The item's events if `reader` may read them; the read (or refusal) is recorded in the access log first."""
    from domain.audit_access import audit_refusal
    from domain.items import kind_of_stream
    from infra.store.access_log import AccessLog
    from infra.store.audit_log import AuditLog
    from infra.store.directory import Directory

    log = AuditLog(pool)
    access = AccessLog(pool)
    events = await log.read_stream(item_id)
    if not events:
        await access.record(reader, item_id, command, False, "no audit record for this id")
        raise CliError(f"no audit record for {item_id!r}", 1)
    kind = kind_of_stream(item_id, (e.event_type for e in events))
    state = _full_state(kind, events)
    staff = {m.staff_id: m for m in await Directory(pool, log).all_staff()}
    refusal = audit_refusal(reader, item_id, kind, state, staff)
    await access.record(reader, item_id, command, refusal is None, refusal or detail)
    if refusal is not None:
        raise CliError(f"refused: {refusal}", 1)
    return Item(item_id, kind, events, state)


def _count(n: int, what: str) -> str:
    return f"{n} {what}{'' if n == 1 else 's'}"


def _kind_name(kind) -> str:  # type: ignore[no-untyped-def]
    return kind.name if kind is not None else "stream"


# --- history ----------------------------------------------------------------------------------


@audit_app.command("history")
@click.argument("item_id")
@AS_OPTION
@JSON_OPTION
def audit_history(item_id: str, actor: str, as_json: bool) -> None:
    """An item's events in order: business time, recorded time, who, and what changed."""
    from domain.audit_views import describe, history_entry, local

    item = run(_history(item_id, person(actor)))
    data = {
        "id": item_id,
        "kind": _kind_name(item.kind),
        "events": [history_entry(e) for e in item.events],
    }

    def human() -> None:
        click.echo(
            f"{item_id}: {_kind_name(item.kind)}, {_count(len(item.events), 'event')}"
            " (Europe/London; business time = when it happened, recorded = when the log stored it)"
        )
        for e in item.events:
            click.echo(
                f"  v{e.version:<3} {local(e.business_time)}  recorded {local(e.recorded_at)}  {e.actor}:"
                f" {describe(e.event_type, e.payload, limit=160)}"
            )

    emit(data, as_json, human)


async def _history(item_id: str, reader: str) -> Item:
    async with database(max_size=2) as pool:
        return await read_item(pool, item_id, reader, "history")


# --- replay -----------------------------------------------------------------------------------


@audit_app.command("replay")
@click.argument("item_id")
@click.option(
    "--as-of",
    "as_of",
    default=None,
    metavar="TIME",
    help="The moment (business time): YYYY-MM-DD, 'YYYY-MM-DD HH:MM[:SS]' London time, or ISO 8601 with an offset."
    " A date or a time to the minute or second means the end of it. Default: now.",
)
@AS_OPTION
@JSON_OPTION
def audit_replay(item_id: str, as_of: str | None, actor: str, as_json: bool) -> None:
    """An item's state rebuilt from the audit log alone, through its workflow's own reducer, as it stood at TIME."""
    from domain.audit_views import TIME_BASIS, local, parse_moment, state_lines

    moment = None
    if as_of is not None:
        try:
            moment = parse_moment(as_of)
        except ValueError as exc:
            fail(f"--as-of: {exc}")
    item, applied, state = run(_replay(item_id, person(actor), moment))
    data = {
        "id": item_id,
        "kind": _kind_name(item.kind),
        "as_of": moment.end.isoformat() if moment else None,
        "time": TIME_BASIS,
        "version": applied[-1].version,
        "events": len(applied),
        "events_total": len(item.events),
        "state": state.model_dump(mode="json"),
    }

    def human() -> None:
        when = f"as it stood at {local(moment.end)} (business time)" if moment else "as it stands now"
        click.echo(
            f"{item_id}: {_kind_name(item.kind)} {when}, rebuilt from {len(applied)} of {len(item.events)} events"
            f" (to v{applied[-1].version})"
        )
        for line in state_lines(data["state"]):
            click.echo(f"  {line}")

    emit(data, as_json, human)


async def _replay(item_id: str, reader: str, moment):  # type: ignore[no-untyped-def]
    from domain.audit_views import as_of, moment_problem, rebuild
    from infra.store.audit_log import AuditLog

    detail = f"as of {moment.end.isoformat()} (given {moment.text!r})" if moment else "current state"
    async with database(max_size=2) as pool:
        item = await read_item(pool, item_id, reader, "replay", detail)
        now = await AuditLog(pool).now()
    if item.kind is None or not item.kind.replayable:
        raise CliError(
            f"{item_id} is a {_kind_name(item.kind)}: it has no state to rebuild; see `qa audit history {item_id}`", 1
        )
    if moment is not None:
        problem = moment_problem(moment, now, item.events[0].business_time, item_id)
        if problem is not None:
            raise CliError(problem, 2)
    applied = as_of(item.events, moment.end if moment else None)
    # read_item has folded every event already (the access check reads the state): fold again
    # only for an earlier moment, or to say why the stream does not fold.
    state = item.state if len(applied) == len(item.events) else None
    if state is None:
        try:
            state = rebuild(item.kind, applied)
        except Exception as exc:  # noqa: BLE001 - a tampered payload: say so in one line
            raise CliError(
                f"cannot rebuild {item_id} from its audit log: {' '.join(str(exc).split())[:300]}", 1
            ) from None
    return item, applied, state


# --- determinism ------------------------------------------------------------------------------


@audit_app.command("determinism")
@click.argument("item_id")
def audit_determinism(item_id: str) -> None:
    """Replay ITEM_ID's Temporal history on the current workflow code: a change that would break it is reported."""
    events = run(_determinism(item_id))
    click.echo(f"{item_id}: its {events} history events replay on the current workflow code: deterministic")


async def _determinism(item_id: str) -> int:
    from infra.engine_history import NoHistory, replay_failure

    client = await temporal_client()
    try:
        runs = await _fetch(client, item_id)
    except NoHistory:
        raise CliError(f"the engine holds no history for {item_id!r}", 1) from None
    failed = await replay_failure(runs)
    if failed is not None:
        number, failure = failed
        run_text = f" (run {number} of {len(runs.histories)})" if len(runs.histories) > 1 else ""
        raise CliError(f"{item_id} is NOT deterministic on the current workflow code{run_text}: {_reason(failure)}", 1)
    return sum(len(h.events) for h in runs.histories)


def _reason(failure: Exception) -> str:
    """The core's own message from a replay failure (it arrives wrapped in a debug dump), on one line."""
    text = str(failure)
    found = re.search(r'message: "((?:[^"\\]|\\.)*)"', text)
    reason = found.group(1) if found else f"{type(failure).__name__}: {text}"
    return " ".join(reason.split())[:400]


# --- export and check-bundle ------------------------------------------------------------------


@audit_app.command("export")
@click.argument("item_id")
@click.option("--out", "out_dir", required=True, help="A new (or empty) folder for the bundle.")
@AS_OPTION
def audit_export(item_id: str, out_dir: str, actor: str) -> None:
    """An evidence bundle: events, Temporal history, verification, replayed state, an HTML summary, and a
    manifest of their SHA-256 digests. Exit 1 if the verification found a problem (the bundle still records it)."""
    from domain.audit_views import MANIFEST, sha256_hex

    out = Path(out_dir)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        fail(f"{out} already exists and is not an empty folder: export into a new one")
    manifest, verification = run(_export(item_id, person(actor), out))
    manifest_sha256 = sha256_hex((out / MANIFEST).read_bytes())
    click.echo(f"{out}: evidence bundle for {item_id} ({_count(manifest['head']['version'], 'event')})")
    for name, digest in manifest["files"].items():
        click.echo(f"  {name:<22} sha256 {digest}")
    click.echo(f"  {MANIFEST:<22} sha256 {manifest_sha256} (keep it: it vouches for the digests above)")
    if not verification["ok"]:
        fail(f"{item_id} did not verify: see {out / 'verification.json'}", 1)
    click.echo("  verification: hash chain intact; every event matches the engine's history")


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


async def _export(item_id: str, reader: str, out: Path):  # type: ignore[no-untyped-def]
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

    async with database(max_size=2) as pool:
        item = await read_item(pool, item_id, reader, "export", f"to {out}")
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
                "kind": _kind_name(kind),
                "version": events[-1].version if events else 0,
                "state": state.model_dump(mode="json") if state is not None else None,
            }
        ),
        "summary.html": summary_html(
            item_id=item_id,
            kind=_kind_name(kind),
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
        "kind": _kind_name(kind),
        "exported_at": exported_at.isoformat(),
        "exported_by": reader,
        "head": head,
        "note": NO_CHILD_NAMED,
        "algorithm": "SHA-256",
        "files": {name: sha256_hex(files[name]) for name in BUNDLE_FILES},
    }
    out.mkdir(parents=True, exist_ok=True)
    for name in BUNDLE_FILES:
        (out / name).write_bytes(files[name])
    (out / MANIFEST).write_bytes(dump(manifest))
    return manifest, verification


def _status(state) -> str | None:  # type: ignore[no-untyped-def]
    if state is None:
        return None
    for field in ("status", "phase"):
        value = getattr(state, field, None)
        if value is not None:
            return str(value)
    return None


@audit_app.command("check-bundle")
@click.argument("bundle_dir")
@JSON_OPTION
def audit_check_bundle(bundle_dir: str, as_json: bool) -> None:
    """Re-check an evidence bundle from its files alone: the manifest's digests, the events' hash chain,
    the replayed state and the cross-check with the engine's history it holds."""
    data = check_bundle(Path(bundle_dir))

    def human() -> None:
        click.echo(
            f"{bundle_dir}: intact evidence bundle for {data['item_id']}: {data['files']} files match their SHA-256;"
            f" {data['events']} events, hash chain intact to v{data['head_version']}"
        )
        click.echo(f"  manifest sha256 {data['manifest_sha256']}")
        click.echo(f"  state: {data['state']}; engine: {data['engine']}")
        click.echo(
            f"  verification it records: {'ok' if data['verified'] else 'PROBLEMS FOUND (see verification.json)'}"
        )

    emit(data, as_json, human)


def _bad(path: Path, why: str) -> CliError:
    return CliError(f"{path} is not an intact evidence bundle: {why}", 1)


def check_bundle(path: Path) -> dict[str, Any]:
    """What `qa audit check-bundle` finds; CliError (exit 1) for an unreadable or altered bundle."""
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


# --- the access log ---------------------------------------------------------------------------


@audit_app.command("access-log")
@click.argument("item_id", required=False)
@AS_OPTION
@JSON_OPTION
def audit_access_log(item_id: str | None, actor: str, as_json: bool) -> None:
    """Who read which item's audit record, with which command, when, and whether it was allowed (auditors only)."""
    from domain.audit_views import local

    entries = run(_access_log(item_id, person(actor)))

    def human() -> None:
        if not entries:
            click.echo("no reads recorded")
        for e in entries:
            verdict = "allowed" if e.allowed else "REFUSED"
            detail = f"  ({e.detail})" if e.detail else ""
            click.echo(f"{local(e.accessed_at)}  {e.reader}  {e.command}  {e.item_id}  {verdict}{detail}")

    emit([e.as_json() for e in entries], as_json, human)


async def _access_log(item_id: str | None, reader: str):  # type: ignore[no-untyped-def]
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
            raise CliError(f"refused: {refusal}", 1)
        return await access.entries(item_id)
