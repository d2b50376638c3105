"""What auditors see: events in words, an item as it stood at a moment, the engine cross-check, evidence.

Pure functions, no I/O and no clock reads: the CLI reads the audit log, the
directory and Temporal's history, and hands them here.

- `describe` says what an event changed, in one line, from its type and payload.
- `parse_moment` reads an `--as-of` time; `as_of` keeps the events that had
  happened by then (by business time: when it happened, not when it was stored),
  and `rebuild` folds them with the item's own reducer: the workflow's fold.
- `engine_differences` compares the events the workflow asked the audit log to
  append (from Temporal's history) with what the log holds.
- `summary_html`, `sha256_hex` and `check_manifest` make and check an evidence bundle.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any, Literal

from domain.audit_chain import StoredEvent, StreamHead, StreamReport, canonical_json, check_stream, stored_time
from domain.events import NewEvent, RecordedEvent, fold
from domain.items import kind_of_event
from domain.kinds import Kind
from domain.wording import local
from domain.working_days import LONDON

NO_CHILD_NAMED = "Case numbers only: this evidence names no child."
TIME_BASIS = "business_time"
"""`--as-of` compares with each event's business time: when it happened in the workflow, so 'as it stood'."""

# --- times ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Moment:
    """An `--as-of` time: the period it names (a day, a minute, a second or an instant)."""

    text: str
    start: datetime
    end: datetime  # the last instant of the period: 'as it stood at 09:00' includes all of 09:00

    @property
    def exact(self) -> bool:
        return self.start == self.end


_MOMENT = re.compile(
    r"(?P<date>\d{4}-\d{2}-\d{2})"
    r"(?:[T ](?P<hour>\d{2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:\.(?P<fraction>\d{1,6}))?)?)?"
    r"\s*(?P<zone>Z|UTC|GMT|BST|[+-]\d{2}:?\d{2})?"
)
_ZONES = {"Z": UTC, "UTC": UTC, "GMT": UTC, "BST": timezone(timedelta(hours=1))}


def parse_moment(text: str) -> Moment:
    """Read YYYY-MM-DD[ HH:MM[:SS[.ffffff]]][ zone]; ValueError with a one-line reason.

    Without a zone the time is Europe/London local time. A date means the whole day,
    a time to the minute or second the whole minute or second: the moment used is
    the end of that period, so 'as it stood at 09:00' includes what happened at 09:00.
    """
    match = _MOMENT.fullmatch(text.strip())
    if match is None:
        raise ValueError(
            f"{text!r} is not a time: use YYYY-MM-DD, 'YYYY-MM-DD HH:MM[:SS]' (London time)"
            " or an ISO 8601 time with an offset"
        )
    try:
        day = date.fromisoformat(match["date"])
        hour = int(match["hour"] or 0)
        minute = int(match["minute"] or 0)
        second = int(match["second"] or 0)
        micro = int((match["fraction"] or "0").ljust(6, "0"))
        clock = time(hour, minute, second, micro)
    except ValueError as exc:
        raise ValueError(f"{text!r} is not a real time: {exc}") from None
    zone_text = match["zone"]
    if zone_text is None:
        zone: Any = LONDON
    elif zone_text in _ZONES:
        zone = _ZONES[zone_text]
    else:
        digits = zone_text.replace(":", "")
        offset = timedelta(hours=int(digits[1:3]), minutes=int(digits[3:5]))
        zone = timezone(offset if digits[0] == "+" else -offset)
    start = datetime.combine(day, clock, zone)
    if match["hour"] is None:
        # A London day is 23 or 25 hours long at a clock change: take its real end.
        end = datetime.combine(day + timedelta(days=1), time(0), zone).astimezone(UTC) - timedelta(microseconds=1)
        return Moment(text, start.astimezone(UTC), end)
    if match["second"] is None:
        length = timedelta(minutes=1)
    elif match["fraction"] is None:
        length = timedelta(seconds=1)
    else:
        length = timedelta(microseconds=1)
    start_utc = start.astimezone(UTC)
    return Moment(text, start_utc, start_utc + length - timedelta(microseconds=1))


def moment_problem(moment: Moment, now: datetime, opened_at: datetime | None, item_id: str) -> str | None:
    """Why `moment` cannot be replayed (in the future, or before the item existed), or None."""
    if moment.start > now:
        return f"{moment.text} is in the future (it is now {local(now)}): nothing is known about it yet"
    if opened_at is not None and moment.end < opened_at:
        return f"{item_id} did not exist yet at {moment.text}: its first event is at {local(opened_at)}"
    return None


# --- replay -----------------------------------------------------------------------------------


def as_of(events: Sequence[RecordedEvent], moment: datetime | None) -> list[RecordedEvent]:
    """The events that had happened by `moment` (business time), in version order; all if None."""
    if moment is None:
        return list(events)
    return [e for e in events if e.business_time <= moment]


def rebuild(kind: Kind, events: Sequence[NewEvent]) -> Any:
    """The item's state from its events, through its workflow's own reducer."""
    if kind.evolve is None:
        raise ValueError(f"a {kind.name} has no state to rebuild: its history is all there is")
    return fold(kind.evolve, kind.events, events)


def state_lines(value: Any, indent: str = "  ") -> list[str]:
    """A state (as JSON data) as indented 'key: value' lines a person can read."""
    lines: list[str] = []

    def walk(node: Any, prefix: str, depth: int) -> None:
        pad = indent * depth
        if isinstance(node, Mapping):
            if not node:
                lines.append(f"{pad}{prefix}-")
                return
            if prefix:
                lines.append(f"{pad}{prefix.rstrip()}")
                depth += 1
            for key, item in node.items():
                walk(item, f"{key}: ", depth)
        elif isinstance(node, list | tuple):
            if not node:
                lines.append(f"{pad}{prefix}-")
            elif all(not isinstance(i, Mapping | list | tuple) for i in node):
                lines.append(f"{pad}{prefix}{', '.join(_scalar(i) for i in node)}")
            else:
                lines.append(f"{pad}{prefix.rstrip()}")
                for i, item in enumerate(node, start=1):
                    walk(item, f"[{i}] ", depth + 1)
        else:
            lines.append(f"{pad}{prefix}{_scalar(node)}")

    walk(value, "", 0)
    return lines


def _scalar(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


# --- events in words --------------------------------------------------------------------------


def describe(event_type: str, payload: Mapping[str, Any], limit: int | None = None) -> str:
    """What the event changed, in one line; a payload this code does not recognise is shown as it is."""
    kind = kind_of_event(event_type)
    words = kind.words.get(event_type) if kind is not None else None
    try:
        text = words(payload) if words is not None else _raw(event_type, payload)
    except (KeyError, TypeError, ValueError, AttributeError):
        text = _raw(event_type, payload)
    text = " ".join(text.split())
    if limit is not None and len(text) > limit:
        text = text[: limit - 3].rstrip() + "..."
    return text


def _raw(event_type: str, payload: Mapping[str, Any]) -> str:
    return f"{event_type}: {canonical_json(dict(payload))}"


def history_entry(event: RecordedEvent) -> dict[str, Any]:
    """One event as `qa audit history --json` shows it."""
    return {
        "version": event.version,
        "business_time": event.business_time.isoformat(),
        "recorded_at": event.recorded_at.isoformat(),
        "actor": event.actor,
        "event_type": event.event_type,
        "what": describe(event.event_type, event.payload),
        "event_id": str(event.event_id),
        "request_id": event.request_id,
        "payload": event.payload,
    }


# --- the cross-check with the engine ----------------------------------------------------------

DifferenceKind = Literal[
    "missing_from_log",  # the workflow recorded it (Temporal's history) but the log does not hold it
    "differs_from_engine",  # the log holds another event at that version than the workflow recorded
    "not_in_engine",  # the log holds an event that no append the workflow scheduled carried
    "no_engine_history",  # the engine holds no history for an item the log says is a workflow's
    "archive_altered",  # the engine's history as archived at its seal no longer matches the seal (domain.seals)
]


@dataclass(frozen=True, slots=True)
class Difference:
    stream_id: str
    version: int
    kind: DifferenceKind
    detail: str

    def describe(self) -> str:
        return f"{self.stream_id} v{self.version}: {self.kind}: {self.detail}"

    def as_json(self) -> dict[str, Any]:
        return {"stream_id": self.stream_id, "version": self.version, "kind": self.kind, "detail": self.detail}


def _fields_differing(engine: NewEvent, logged: NewEvent) -> list[str]:
    fields = []
    if engine.event_id != logged.event_id:
        fields.append("event id")
    if engine.event_type != logged.event_type:
        fields.append("type")
    if canonical_json(engine.payload) != canonical_json(logged.payload):
        fields.append("payload")
    if engine.actor != logged.actor:
        fields.append("actor")
    if engine.business_time != logged.business_time:
        fields.append("business time")
    if engine.request_id != logged.request_id:
        fields.append("request id")
    return fields


def engine_differences(
    stream_id: str,
    logged: Sequence[NewEvent],
    recorded: Sequence[NewEvent],
    carried: Sequence[NewEvent],
    checked_from: int = 1,
) -> list[Difference]:
    """Every difference between the log's events of `stream_id` and what its workflow recorded.

    `recorded`: the events of appends the workflow completed (in Temporal's history);
    `carried`: those of every append it scheduled, completed or not (an append in
    flight may already be in the log). Compared: version, event id, type, payload,
    actor, business time and request id. Events before version `checked_from` were recorded by
    runs the engine no longer holds, so only later ones must be in its history.
    """
    recorded = [e for e in recorded if e.stream_id == stream_id]
    carried_ids = {e.event_id for e in carried if e.stream_id == stream_id} | {e.event_id for e in recorded}
    by_version = {e.version: e for e in logged}
    differences: list[Difference] = []
    differing: set[int] = set()
    for engine in sorted(recorded, key=lambda e: e.version):
        held = by_version.get(engine.version)
        if held is None:
            differences.append(
                Difference(
                    stream_id,
                    engine.version,
                    "missing_from_log",
                    f"the workflow recorded {engine.event_type} ({engine.event_id}) at"
                    f" {local(engine.business_time)}; the audit log does not hold it",
                )
            )
            continue
        fields = _fields_differing(engine, held)
        if fields:
            differing.add(engine.version)
            differences.append(
                Difference(
                    stream_id,
                    engine.version,
                    "differs_from_engine",
                    f"the log's {held.event_type} differs from what the workflow recorded in: {', '.join(fields)}",
                )
            )
    for held in logged:
        if held.version in differing or held.event_id in carried_ids or held.version < checked_from:
            continue
        differences.append(
            Difference(
                stream_id,
                held.version,
                "not_in_engine",
                f"the log holds {held.event_type} ({held.event_id}) by {held.actor} at {local(held.business_time)},"
                " which no append of the workflow carried",
            )
        )
    return sorted(differences, key=lambda d: (d.version, d.kind))


# --- evidence bundles -------------------------------------------------------------------------

BUNDLE_FILES = ("events.json", "temporal-history.json", "verification.json", "state.json", "summary.html")
MANIFEST = "manifest.json"


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def stored(event: RecordedEvent) -> StoredEvent:
    """An event as read back from a bundle, ready for the chain check."""
    return StoredEvent(
        stream_id=event.stream_id,
        version=event.version,
        event_id=event.event_id,
        event_type=event.event_type,
        actor=event.actor,
        business_time=stored_time(event.business_time),
        recorded_at=stored_time(event.recorded_at),
        payload_text=canonical_json(event.payload),
        prev_hash=bytes.fromhex(event.prev_hash),
        hash=bytes.fromhex(event.hash),
        request_id=event.request_id,
    )


def chain_of(stream_id: str, events: Sequence[RecordedEvent], head: Mapping[str, Any] | None) -> StreamReport:
    """The hash chain of a bundle's events, against the head the log had when it was exported."""
    stream_head = None if head is None else StreamHead(stream_id, int(head["version"]), bytes.fromhex(head["hash"]))
    return check_stream(stream_id, [stored(e) for e in events], stream_head)


def check_manifest(manifest: Any, digests: Mapping[str, str | None], present: Iterable[str]) -> str | None:
    """Why a bundle's files do not match its manifest, or None.

    `digests`: each expected file's SHA-256 as found on disk (None: missing or unreadable);
    `present`: every file name in the bundle's folder.
    """
    if not isinstance(manifest, Mapping) or not isinstance(manifest.get("files"), Mapping):
        return "its manifest.json lists no files"
    listed = manifest["files"]
    if set(listed) != set(BUNDLE_FILES):
        return f"its manifest lists {', '.join(sorted(listed)) or 'nothing'}, not {', '.join(BUNDLE_FILES)}"
    extra = sorted(set(present) - {*BUNDLE_FILES, MANIFEST})
    if extra:
        return f"it holds {', '.join(extra)}, which its manifest does not list"
    for name in BUNDLE_FILES:
        found = digests.get(name)
        if found is None:
            return f"{name} is missing or unreadable"
        if found != listed[name]:
            return f"{name} was altered: its SHA-256 is {found}, the manifest says {listed[name]}"
    return None


def summary_html(
    *,
    item_id: str,
    kind: str,
    cases: Sequence[str],
    exported_at: datetime,
    exported_by: str,
    events: Sequence[RecordedEvent],
    status: str | None,
    verdict: str,
    differences: Sequence[str],
) -> str:
    """A short, human-readable page for the bundle (every text escaped)."""
    e = html.escape
    rows = "\n".join(
        f"<tr><td>{event.version}</td><td>{e(local(event.business_time))}</td>"
        f"<td>{e(local(event.recorded_at))}</td><td>{e(event.actor)}</td>"
        f"<td>{e(describe(event.event_type, event.payload))}</td></tr>"
        for event in events
    )
    problems = "".join(f"<li>{e(d)}</li>" for d in differences)
    facts = [
        ("Item", item_id),
        ("Kind", kind),
        ("Case numbers", ", ".join(cases) or "none"),
        ("Status", status or "-"),
        ("Events", str(len(events))),
        ("Verification", verdict),
        ("Exported", f"{local(exported_at)} by {exported_by}"),
    ]
    fact_rows = "\n".join(f"<tr><th>{e(k)}</th><td>{e(v)}</td></tr>" for k, v in facts)
    return f"""<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Evidence: {e(item_id)}</title>
<style>body{{font-family:sans-serif;max-width:60rem;margin:2rem auto}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:.3rem .5rem;text-align:left;vertical-align:top}}</style></head>
<body>
<h1>Evidence bundle: {e(item_id)}</h1>
<p><strong>{e(NO_CHILD_NAMED)}</strong></p>
<table>
{fact_rows}
</table>
{f"<h2>Problems found</h2><ul>{problems}</ul>" if problems else ""}
<h2>History</h2>
<p>Business time is when it happened in the workflow; recorded is the audit log's own clock. Times are Europe/London.</p>
<table>
<tr><th>v</th><th>business time</th><th>recorded</th><th>by</th><th>what changed</th></tr>
{rows}
</table>
<p>Files: {", ".join(e(n) for n in BUNDLE_FILES)}; their SHA-256 digests are in {MANIFEST}.
Check with <code>qa audit check-bundle DIR</code>.</p>
</body>
</html>
"""


def dump(value: Any) -> bytes:
    """The JSON text of a bundle file."""
    return (json.dumps(value, indent=2, ensure_ascii=False, default=str) + "\n").encode("utf-8")
