"""Signed checkpoints catch what the hash chain cannot: a superuser's rewrite of a directory stream."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import asyncpg
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from domain.audit_chain import canonical_json, event_hash
from domain.checkpoints import signed_text
from tests.infra import test_cli_cpr
from tests.infra.test_cli_cpr import example_authority, ok, qa, refused

skipping_stack = test_cli_cpr.skipping_stack  # the CLI's stack fixture: the commands here need only the database
AUDITOR = ("--as", "audrey.auditor")


async def rewrite_the_staff_import(database) -> None:
    """A superuser changes the staff import's payload and recomputes its hash and the stream's head:
    the chain verifies again, and no workflow records this stream for the engine to contradict."""
    conn = await asyncpg.connect(database.admin_url)
    try:
        row = await conn.fetchrow("SELECT * FROM audit_events WHERE stream_id = 'directory-staff' AND version = 1")
        payload = json.loads(row["payload"]) | {"deactivated": ["priya.practitioner"]}
        text = canonical_json(payload)
        digest = event_hash(
            prev_hash=bytes(row["prev_hash"]),
            stream_id=row["stream_id"],
            version=1,
            event_id=row["event_id"],
            event_type=row["event_type"],
            actor=row["actor"],
            business_time=row["business_time"],
            recorded_at=row["recorded_at"],
            payload_text=text,
            request_id=row["request_id"],
        )
        async with conn.transaction():
            await conn.execute("SET LOCAL session_replication_role = replica")
            await conn.execute(
                "UPDATE audit_events SET payload = $1::json, hash = $2 WHERE stream_id = 'directory-staff'"
                " AND version = 1",
                text,
                digest,
            )
            head = await conn.fetchval("SELECT version FROM audit_streams WHERE stream_id = 'directory-staff'")
            assert head == 1
            await conn.execute("UPDATE audit_streams SET hash = $1 WHERE stream_id = 'directory-staff'", digest)
    finally:
        await conn.close()


async def test_a_rewritten_directory_stream_departs_from_the_checkpoint_an_auditor_kept(
    skipping_stack, capsys, database, tmp_path: Path
):
    await example_authority(capsys)
    kept, public = tmp_path / "checkpoint.json", tmp_path / "qa-engine.pub"
    assert await refused(capsys, "audit", "checkpoint", "export", "--out", str(kept), "--as", "sam.reviewer") == (
        "refused: sam.reviewer cannot make or export checkpoints: the directory does not list them as a qa_officer or head_of_qa or auditor"
    )
    assert (await ok(capsys, "audit", "checkpoint", "export", "--out", str(kept), *AUDITOR)).startswith(
        f"{kept}: 2 streams, 2 events, issued "
    )
    public.write_text(await ok(capsys, "audit", "checkpoint", "public-key"))
    assert public.read_text().startswith("-----BEGIN PUBLIC KEY-----")
    checked = json.loads(
        await ok(capsys, "audit", "checkpoint", "verify", str(kept), "--public-key", str(public), "--json")
    )
    assert (checked["ok"], checked["signature"]) == (True, "holds under the key given")

    await rewrite_the_staff_import(database)
    # The chain cannot see it: the forger recomputed every hash it covers.
    assert json.loads(await ok(capsys, "audit", "verify", "directory-staff", "--json"))["ok"] is True
    # The checkpoint can: the log no longer holds the event it signed.
    code, out, _ = await qa(capsys, "audit", "checkpoint", "verify", str(kept), "--public-key", str(public))
    assert code == 1
    assert (
        "DEPARTS directory-staff: v1 is not the event the checkpoint signed: the stream was rewritten after it" in out
    )
    assert out.rstrip().endswith("the log departs from the checkpoint")

    # A checkpoint edited to match the forgery, and signed again with another key, fails under the auditors' key.
    forged = json.loads(kept.read_text())
    forged["checkpoint"]["heads"] = [
        [sid, version, digest] for sid, version, digest in forged["checkpoint"]["heads"] if sid != "directory-staff"
    ]
    forged["checkpoint"]["streams"] = 1
    other = Ed25519PrivateKey.generate()
    forged["signature"] = base64.b64encode(other.sign(signed_text(forged["checkpoint"]))).decode()
    forged["public_key"] = (
        other.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    forgery = tmp_path / "forged.json"
    forgery.write_text(json.dumps(forged))
    assert await refused(capsys, "audit", "checkpoint", "verify", str(forgery), "--public-key", str(public)) == (
        f"{forgery}: its signature does not hold under the public key given: the checkpoint is not to be trusted"
    )
    # Without the auditors' key it checks against the key in the file, and says so.
    unchecked = json.loads(await ok(capsys, "audit", "checkpoint", "verify", str(forgery), "--json"))
    assert unchecked["signature"] == "holds under the key in the file"
    assert await refused(capsys, "audit", "checkpoint", "verify", str(tmp_path / "none.json"), code=2) == (
        f"cannot read {tmp_path / 'none.json'}: No such file or directory"
    )
