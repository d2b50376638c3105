"""`qa audit`: what auditors use (infra.application.audit does the work; this parses and prints).

- `verify`: the hash chains, and a cross-check of every workflow's audit stream with
  the events its Temporal history says it recorded.
- `history`, `replay`, `export` read an item's record: only for those
  `domain.audit_access` allows, and every such read (allowed or refused) is written
  to the access log (`access-log` shows it to auditors).
- `determinism` replays an item's Temporal history on today's workflow code.
- `check-bundle` re-checks an evidence bundle from its files alone.
"""

from __future__ import annotations

from pathlib import Path

import click

from infra.cli.client import perform
from infra.cli.common import AS_OPTION, JSON_OPTION, READER_OPTION, app, emit, fail, run


@app.group("audit")
def audit_app() -> None:
    """The audit log, for auditors: history, replay, verification, determinism and evidence bundles."""


@audit_app.command("verify")
@click.argument("stream", required=False)
@click.option("--all", "all_streams", is_flag=True, help="Verify every item (the default).")
@click.option(
    "--chains-only", is_flag=True, help="Only the hash chains: skip the cross-check with Temporal's histories."
)
@READER_OPTION
@JSON_OPTION
def audit_verify(stream: str | None, all_streams: bool, chains_only: bool, actor: str, as_json: bool) -> None:
    """Recompute the hash chains (of one item, STREAM, or all) and report each first broken link; then
    cross-check each workflow's stream with the events its Temporal history recorded, and report each difference."""
    if stream and all_streams:
        fail("give an item id or --all, not both")
    found = run(perform("audit.verify", actor, stream=stream, engine=not chains_only))
    reports, differences, cross_checked = found.reports, found.differences, found.cross_checked
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


@audit_app.command("history")
@click.argument("item_id")
@AS_OPTION
@JSON_OPTION
def audit_history(item_id: str, actor: str, as_json: bool) -> None:
    """An item's events in order: business time, recorded time, who, and what changed."""
    from domain.audit_views import describe, history_entry, local

    item = run(perform("audit.history", actor, item_id=item_id))
    data = {
        "id": item_id,
        "kind": item.kind,
        "events": [history_entry(e) for e in item.events],
    }

    def human() -> None:
        click.echo(
            f"{item_id}: {item.kind}, {_count(len(item.events), 'event')}"
            " (Europe/London; business time = when it happened, recorded = when the log stored it)"
        )
        for e in item.events:
            click.echo(
                f"  v{e.version:<3} {local(e.business_time)}  recorded {local(e.recorded_at)}  {e.actor}:"
                f" {describe(e.event_type, e.payload, limit=160)}"
            )

    emit(data, as_json, human)


@audit_app.command("seal")
@click.argument("item_id", required=False)
@AS_OPTION
@JSON_OPTION
def audit_seal(item_id: str | None, actor: str, as_json: bool) -> None:
    """Archive in PostgreSQL, and seal in the audit log, the Temporal history of ITEM_ID (or of every closed
    workflow not sealed yet), so that `verify` can cross-check it after Temporal's retention drops it.
    Run it daily, well within the namespace's retention."""
    from domain.checkpoints import describe

    done = run(perform("audit.seal", actor, item_id=item_id))
    data = {"sealed": done.sealed, "already_sealed": done.already, "still_open": done.open, "lost": done.lost}

    def human() -> None:
        for sealed in done.sealed:
            click.echo(f"sealed {sealed}")
        click.echo(
            f"{_count(len(done.sealed), 'workflow')} sealed now, {done.already} before;"
            f" {len(done.open)} still open (sealed once closed)"
        )
        for lost in done.lost:
            click.echo(f"TOO LATE {lost}: the engine no longer holds all of its history; it cannot be sealed")
        click.echo(f"checkpoint signed: {describe(done.checkpoint)}")

    emit(data, as_json, human)
    if done.lost:
        raise SystemExit(1)


@audit_app.group("checkpoint")
def checkpoint_app() -> None:
    """Signed checkpoints of every stream's head: made at each seal, kept by auditors, checked later."""


@checkpoint_app.command("make")
@AS_OPTION
def checkpoint_make(actor: str) -> None:
    """Sign every stream's head now (Ed25519, with the key outside the database)."""
    from domain.checkpoints import describe

    click.echo(f"checkpoint signed: {describe(run(perform('checkpoint.make', actor)))}")


@checkpoint_app.command("export")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="The file to write.")
@AS_OPTION
def checkpoint_export(out: Path, actor: str) -> None:
    """Write the newest signed checkpoint to a file, for an auditor to keep."""
    import json

    from domain.checkpoints import describe

    exported = run(perform("checkpoint.export", actor))
    try:
        out.write_text(json.dumps(exported, indent=1) + "\n", encoding="utf-8")
    except OSError as exc:
        fail(f"cannot write {out}: {exc.strerror}", 1)
    click.echo(f"{out}: {describe(exported['checkpoint'])}")


@checkpoint_app.command("public-key")
def checkpoint_public_key() -> None:
    """The public key that checks this installation's checkpoints (PEM), to give to the auditors."""
    from infra.application.checkpoints import public_key

    click.echo(public_key(), nl=False)


@checkpoint_app.command("verify")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--public-key",
    "public_key_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The auditors' copy of the public key (without it, the key in the file is used, and said so).",
)
@JSON_OPTION
def checkpoint_verify(file: Path, public_key_file: Path | None, as_json: bool) -> None:
    """Check that the log still holds every event a checkpoint signed, and that its chains still verify."""
    from domain.checkpoints import describe
    from infra.application.checkpoints import check

    checked = run(check(file, public_key_file))
    data = {
        "ok": checked.ok,
        "checkpoint": describe(checked.checkpoint),
        "signature": "holds under the key given" if checked.key_given else "holds under the key in the file",
        "departures": checked.departures,
        "broken_chains": checked.broken,
    }

    def human() -> None:
        click.echo(f"checkpoint: {data['checkpoint']}; its signature {data['signature']}")
        for departure in checked.departures:
            click.echo(f"DEPARTS {departure}")
        for broken in checked.broken:
            click.echo(f"BROKEN {broken}")
        click.echo(
            "the log holds every event the checkpoint signed" if checked.ok else "the log departs from the checkpoint"
        )

    emit(data, as_json, human)
    if not checked.ok:
        raise SystemExit(1)


@audit_app.command("request")
@click.argument("request_id")
@AS_OPTION
@JSON_OPTION
def audit_request(request_id: str, actor: str, as_json: bool) -> None:
    """What the request REQUEST_ID recorded (a command that said its outcome was unknown names it).
    Exits 1 if it recorded nothing: asking again with `qa --request-id REQUEST_ID ...` is then safe."""
    from domain.audit_views import describe, history_entry, local

    items = run(perform("audit.request", actor, request_id=request_id))
    data = {
        "request_id": request_id,
        "recorded": bool(items),
        "items": [{"id": i.item_id, "events": [history_entry(e) for e in i.events]} for i in items],
    }

    if not items and not as_json:
        fail(f"request {request_id} recorded nothing", 1)

    def human() -> None:
        for item in items:
            click.echo(f"request {request_id} recorded {_count(len(item.events), 'event')} on {item.item_id}:")
            for e in item.events:
                click.echo(
                    f"  v{e.version:<3} {local(e.business_time)}  {e.actor}: {describe(e.event_type, e.payload, limit=160)}"
                )

    emit(data, as_json, human)
    if not items:
        raise SystemExit(1)


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
    replayed = run(perform("audit.replay", actor, item_id=item_id, as_of=as_of))
    data = {
        "id": item_id,
        "kind": replayed.kind,
        "as_of": moment.end.isoformat() if moment else None,
        "time": TIME_BASIS,
        "version": replayed.version,
        "events": replayed.events,
        "events_total": replayed.events_total,
        "state": replayed.state,
    }

    def human() -> None:
        when = f"as it stood at {local(moment.end)} (business time)" if moment else "as it stands now"
        click.echo(
            f"{item_id}: {replayed.kind} {when}, rebuilt from {replayed.events} of {replayed.events_total} events"
            f" (to v{replayed.version})"
        )
        for line in state_lines(data["state"]):
            click.echo(f"  {line}")

    emit(data, as_json, human)


@audit_app.command("determinism")
@click.argument("item_id")
@READER_OPTION
def audit_determinism(item_id: str, actor: str) -> None:
    """Replay ITEM_ID's Temporal history on the current workflow code: a change that would break it is reported."""
    events = run(perform("audit.determinism", actor, item_id=item_id))
    click.echo(f"{item_id}: its {events} history events replay on the current workflow code: deterministic")


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
    bundle = run(perform("audit.export", actor, item_id=item_id, to=str(out)))
    manifest, verification = bundle.manifest, bundle.verification
    try:
        out.mkdir(parents=True, exist_ok=True)
        for name, content in bundle.files.items():
            (out / name).write_bytes(content)
    except OSError as exc:
        fail(f"cannot write the bundle into {out}: {exc.strerror}", 1)
    manifest_sha256 = sha256_hex(bundle.files[MANIFEST])
    click.echo(f"{out}: evidence bundle for {item_id} ({_count(manifest['head']['version'], 'event')})")
    for name, digest in manifest["files"].items():
        click.echo(f"  {name:<22} sha256 {digest}")
    click.echo(f"  {MANIFEST:<22} sha256 {manifest_sha256} (keep it: it vouches for the digests above)")
    if not verification["ok"]:
        fail(f"{item_id} did not verify: see {out / 'verification.json'}", 1)
    click.echo("  verification: hash chain intact; every event matches the engine's history")


@audit_app.command("check-bundle")
@click.argument("bundle_dir")
@JSON_OPTION
def audit_check_bundle(bundle_dir: str, as_json: bool) -> None:
    """Re-check an evidence bundle from its files alone: the manifest's digests, the events' hash chain,
    the replayed state and the cross-check with the engine's history it holds."""
    from infra.application.audit import check_bundle

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


@audit_app.command("access-log")
@click.argument("item_id", required=False)
@AS_OPTION
@JSON_OPTION
def audit_access_log(item_id: str | None, actor: str, as_json: bool) -> None:
    """Who read which item's audit record, with which command, when, and whether it was allowed (auditors only)."""
    from domain.audit_views import local

    entries = run(perform("audit.access_log", actor, item_id=item_id))

    def human() -> None:
        if not entries:
            click.echo("no reads recorded")
        for e in entries:
            verdict = "allowed" if e.allowed else "REFUSED"
            detail = f"  ({e.detail})" if e.detail else ""
            click.echo(f"{local(e.accessed_at)}  {e.reader}  {e.command}  {e.item_id}  {verdict}{detail}")

    emit([e.as_json() for e in entries], as_json, human)


def _count(n: int, what: str) -> str:
    return f"{n} {what}{'' if n == 1 else 's'}"
