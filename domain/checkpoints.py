"""Signed checkpoints of the audit log: every stream's head at a moment, signed with a key kept outside it.

The hash chain catches an event changed in place; the engine cross-check catches a workflow's
stream rewritten whole. Neither catches a superuser who rewrites a stream that no workflow records
(the directory's imports, the seals) and recomputes its chain and head. A checkpoint does, as a
signed tree head does in certificate transparency: it lists every stream's newest version and hash
when it was made, and is signed (Ed25519) with a key the database never sees. An auditor keeps a
checkpoint file and the public key; later, the log must still hold, at each listed version, the
very event whose hash the checkpoint names, and its chain must still verify up to there.

Pure: the signing and the check of a signature are `infra.checkpoints`'.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from domain.audit_chain import canonical_json, utc_text

FORMAT = "qa-engine audit checkpoint v1"


@dataclass(frozen=True, slots=True)
class Head:
    stream_id: str
    version: int
    hash: str  # hex


def body(issued_at: datetime, heads: Iterable[Head]) -> dict:
    """What is signed: the format, the moment and every head, in stream order."""
    ordered = sorted(heads, key=lambda h: h.stream_id)
    return {
        "format": FORMAT,
        "issued_at": utc_text(issued_at),
        "streams": len(ordered),
        "events": sum(h.version for h in ordered),
        "heads": [[h.stream_id, h.version, h.hash] for h in ordered],
    }


def signed_text(checkpoint: Mapping) -> bytes:
    """The bytes the signature covers: the body's canonical JSON."""
    return canonical_json(dict(checkpoint)).encode("utf-8")


def heads_of(checkpoint: Mapping) -> list[Head]:
    return [Head(str(sid), int(version), str(digest)) for sid, version, digest in checkpoint["heads"]]


def departures(checkpoint: Mapping, held: Mapping[tuple[str, int], str], head_versions: Mapping[str, int]) -> list[str]:
    """How the log departs from a checkpoint, one sentence per stream (none: it holds everything signed).

    `held`: the hash the log holds now for each (stream, version) the checkpoint lists;
    `head_versions`: each stream's head version now. The chain itself is `verify`'s to check.
    """
    found = []
    for head in heads_of(checkpoint):
        now = held.get((head.stream_id, head.version))
        if head_versions.get(head.stream_id, 0) < head.version:
            found.append(
                f"{head.stream_id}: the checkpoint signed v{head.version}, the log now ends at"
                f" v{head_versions.get(head.stream_id, 0)}: events were removed"
            )
        elif now is None:
            found.append(f"{head.stream_id}: v{head.version}, signed in the checkpoint, is not in the log")
        elif now != head.hash:
            found.append(
                f"{head.stream_id}: v{head.version} is not the event the checkpoint signed: the stream was"
                " rewritten after it"
            )
    return found


def describe(checkpoint: Mapping) -> str:
    return f"{checkpoint['streams']} streams, {checkpoint['events']} events, issued {checkpoint['issued_at']}"


def check_body(checkpoint: object) -> str | None:
    """Why a checkpoint's body is malformed (None if it is not)."""
    if not isinstance(checkpoint, Mapping) or checkpoint.get("format") != FORMAT:
        return f"not a {FORMAT}"
    heads = checkpoint.get("heads")
    if not isinstance(heads, Sequence) or any(
        not (isinstance(h, Sequence) and len(h) == 3 and isinstance(h[1], int)) for h in heads
    ):
        return "its heads are not [stream, version, hash] triples"
    return None
