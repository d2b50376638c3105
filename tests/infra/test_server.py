"""`qa serve` as its own process, against a real PostgreSQL, Temporal dev server and worker.

People sign in (a token the host's administrator mints, or a password set from an
invitation) and act through the server with the CLI: the signed-in person is the
actor recorded, naming anyone else is refused with nothing recorded, and every read
of an item is authorised and in the access log with who read it.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import httpx
import pytest

from tests.infra.test_cli_cpr import CASE, CYCLE, REVIEW, YEAR, event_count, ok, qa, refused, stack, started_cycle
from tests.infra.test_stack import free_port

QA = str(Path(sys.executable).with_name("qa"))
__all__ = ["stack"]  # the fixture, used by name


@contextlib.asynccontextmanager
async def answering(command: list[str], env: dict[str, str], log: Path, ready: str) -> AsyncIterator[None]:
    """`command` running, its output in `log`, once `ready` answers 200 (within 30 s); stopped afterwards."""
    with log.open("w") as output:
        process = subprocess.Popen(command, env=env, stdout=output, stderr=output)
        try:
            async with httpx.AsyncClient() as http:
                for _ in range(150):
                    with contextlib.suppress(httpx.TransportError):
                        if (await http.get(ready)).status_code == 200:
                            break
                    assert process.poll() is None, log.read_text()
                    await asyncio.sleep(0.2)
                else:
                    raise AssertionError(f"{command[0]} did not answer {ready} within 30 s: {log.read_text()}")
            yield
        finally:
            process.terminate()
            process.wait(timeout=30)


@contextlib.asynccontextmanager
async def serving(monkeypatch, tmp_path: Path, port: int | None = None, **env: str) -> AsyncIterator[str]:
    """`qa serve` on `port` (or a free one), with `env` on top of the stack's; the CLI pointed at it."""
    url = f"http://127.0.0.1:{port or free_port()}"
    command = [QA, "serve", "--port", url.rsplit(":", 1)[1]]
    async with answering(command, {**os.environ, **env}, tmp_path / "server.log", f"{url}/readyz"):
        monkeypatch.setenv("QA_SERVER_URL", url)
        monkeypatch.setenv("QA_CONFIG_DIR", str(tmp_path / "config"))  # where `qa login` keeps its token
        yield url


@pytest.fixture
async def server(stack, monkeypatch, tmp_path) -> AsyncIterator[str]:
    """`qa serve` pointed at the stack the CLI uses; the CLI pointed at it."""
    async with serving(monkeypatch, tmp_path) as url:
        yield url


async def token(capsys, staff_id: str) -> str:
    """A token the host's administrator mints (`qa auth token`): alone on stdout, so `$(qa auth token X)` is it."""
    code, out, err = await qa(capsys, "auth", "token", staff_id)
    assert code == 0 and err.startswith(f"token for {staff_id}, valid until "), err
    [minted] = out.splitlines()
    return minted


async def rows(database, query: str, *args: object) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(database.admin_url)
    try:
        return await conn.fetch(query, *args)
    finally:
        await conn.close()


async def test_people_act_and_read_as_themselves_through_the_server(server, capsys, database):
    async with httpx.AsyncClient(base_url=server) as http:
        assert (await http.get("/healthz")).json() == {"status": "ok"}
        assert (await http.get("/readyz")).json() == {"status": "ready"}
        paths = (await http.get("/openapi.json")).json()["paths"]
        assert {"/api/sign-in", "/api/me", "/api/items/{item_id}", "/api/items/{item_id}/{step}"} <= set(paths)
        # Nothing but health, metrics and signing in answers without a token.
        anonymous = await http.get(f"/api/items/{REVIEW}")
        assert (anonymous.status_code, anonymous.json()["exit_code"]) == (401, 1)

    # While the directory is empty the host's administrator may mint a token for anyone: the importer.
    officer = await token(capsys, "qa.officer")
    await started_cycle(capsys)
    assert await refused(capsys, "auth", "token", "not.staff") == "refused: not.staff is not in the staff directory"
    assert await refused(capsys, "auth", "token", "sam.reviewer", "--expires", "1y", code=2) == (
        "--expires: a lifetime is a whole number of minutes, hours or days, e.g. 30m, 8h or 7d, not '1y'"
    )
    await ok(capsys, "--token", officer, "cpr", "allocate", CYCLE, CASE, "--reviewer", "sam.reviewer")
    sam, priya, lee = [await token(capsys, who) for who in ("sam.reviewer", "priya.practitioner", "lee.reviewer")]

    # Items people start go through the server too: started by the signed-in person, if the table lets them.
    care_leavers = ("cpr", "start", "--service", "Care Leavers", "--start", f"{YEAR}-11-01", "--sample", "2")
    assert await refused(capsys, "--token", sam, *care_leavers) == (
        "refused: sam.reviewer cannot start a CPR cycle: the directory does not list them as a qa_officer"
    )
    started = await ok(capsys, "--token", officer, *care_leavers, "--seed", "care")
    assert started.startswith(f"cpr-{YEAR}-11-01-care-leavers: Care Leavers, started by qa.officer")
    [opened] = await rows(
        database,
        "SELECT actor, request_id FROM audit_events WHERE stream_id = $1 AND version = 1",
        f"cpr-{YEAR}-11-01-care-leavers",
    )
    assert opened["actor"] == "qa.officer"
    thematic = ("thematic", "start", "--focus", "Neglect", "--start", f"{YEAR}-11-01", "--sample", "2", "--json")
    assert await refused(capsys, "--token", sam, *thematic) == (
        "refused: sam.reviewer cannot start a thematic review: the directory does not list them as a qa_officer"
    )
    audit = json.loads(await ok(capsys, "--token", officer, *thematic, "--seed", "neglect"))
    assert (audit["started_by"], len(audit["cases"])) == ("qa.officer", 2)
    # Only its digest is kept: the token itself signs nobody in from a copy of the table.
    kept = await rows(
        database, "SELECT staff_id, method FROM tokens WHERE token_hash = $1", hashlib.sha256(sam.encode()).digest()
    )
    assert [tuple(r) for r in kept] == [("sam.reviewer", "minted")]
    assert not await rows(database, "SELECT 1 FROM tokens WHERE token_hash = $1", sam.encode())

    # Signed in, --as may be left out: the signed-in person acts, and is the actor recorded.
    out = await ok(
        capsys, "--token", sam, "--request-id", "voice-1", "review", "voice", REVIEW, "--child", "--summary", "heard"
    )
    assert out.startswith(f"{REVIEW}: the child's voice was recorded")
    [voice] = await rows(
        database,
        "SELECT actor, request_id FROM audit_events WHERE stream_id = $1 AND event_type = 'review.voice_recorded'",
        REVIEW,
    )
    assert tuple(voice) == ("sam.reviewer", "voice-1")

    # Naming anyone else, or a step that is not theirs: refused, and nothing recorded.
    before = await event_count(database)
    family = ("review", "voice", REVIEW, "--family", "--summary", "x")
    assert await refused(capsys, "--token", sam, *family, "--as", "qa.officer") == (
        "refused: you are signed in as sam.reviewer, so you cannot act as qa.officer"
    )
    assert await refused(capsys, "--token", lee, *family) == (
        f"refused: only the reviewer (sam.reviewer) can record the family's voice for case {CASE}"
    )
    assert await refused(capsys, "--token", "qa_not-a-token", *family) == (
        "not signed in, or the sign-in has expired: `qa login`"
    )
    # Commands that still run in process take the signed-in person too, and name nobody else.
    assert await refused(
        capsys, "--token", sam, "cases", "import", "examples/authority/cases.csv", "--as", "qa.officer"
    ) == ("refused: you are signed in as sam.reviewer, so you cannot act as qa.officer")
    assert await event_count(database) == before

    # The same step through the API: a step the kind does not have, or a field it does not take, is bad input.
    async with httpx.AsyncClient(base_url=server, headers={"Authorization": f"Bearer {sam}"}) as http:
        wrong = await http.post(f"/api/items/{REVIEW}/approve", json={})
        assert (wrong.status_code, wrong.json()["exit_code"]) == (400, 2)
        assert wrong.json()["error"].startswith(
            "a review has no step 'approve': its steps are acknowledge_alert, complete_action, conclude, extend"
        )
        extra = await http.post(
            f"/api/items/{REVIEW}/record_voice", json={"whose": "family", "summary": "x", "child_name": "x"}
        )
        assert (extra.status_code, extra.json()["error"]) == (400, "a review's record_voice takes no child_name")
        other = await http.post(
            f"/api/items/{REVIEW}/record_voice", json={"whose": "family", "summary": "x", "actor": "qa.officer"}
        )
        assert (other.status_code, other.json()) == (
            409,
            {"error": "refused: you are signed in as sam.reviewer, so you cannot act as qa.officer", "exit_code": 1},
        )
    assert await event_count(database) == before

    # Reads: the people the review names read it; anyone else is refused; each read is in the access log.
    assert (await ok(capsys, "--token", priya, "review", "show", REVIEW)).startswith(f"{REVIEW}: case {CASE}")
    assert await refused(capsys, "--token", lee, "review", "show", REVIEW) == (
        f"refused: lee.reviewer may not read {REVIEW}: it is open to the staff it names, auditors; the QA team"
        " (qa_officer, head_of_qa); and team managers or heads of service the item names or who manage someone it names"
    )
    reads = await rows(
        database, "SELECT reader, command, allowed FROM access_log WHERE item_id = $1 ORDER BY access_id", REVIEW
    )
    assert [tuple(r) for r in reads][-2:] == [("priya.practitioner", "show", True), ("lee.reviewer", "show", False)]

    async with httpx.AsyncClient(base_url=server) as http:
        metrics = (await http.get("/metrics")).text
    assert 'qa_http_requests_total{method="POST",route="/api/items/{item_id}/{step}",status="200"} 1.0' in metrics
    assert "temporal_request" in metrics  # the Temporal SDK's own, through the runtime's telemetry


async def test_an_invitation_sets_a_password_and_wrong_ones_are_held_back(server, capsys, database):
    officer = await token(capsys, "qa.officer")
    await started_cycle(capsys)
    await ok(capsys, "--token", officer, "cpr", "allocate", CYCLE, CASE, "--reviewer", "sam.reviewer")
    out = await ok(capsys, "--token", officer, "auth", "invite", "priya.practitioner")
    code = out.split()[1]
    assert await refused(capsys, "--token", await token(capsys, "sam.reviewer"), "auth", "invite", "lee.reviewer") == (
        "refused: sam.reviewer cannot invite staff to sign in: the directory does not list them as a qa_officer or head_of_qa"
    )

    async def accept(password: str) -> tuple[int, str]:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(sys, "stdin", _Stdin(password))
            got, _, err = await qa(capsys, "auth", "accept", code, "--password-stdin")
        return got, err

    assert await accept("short") == (2, "qa: a password has at least 12 characters\n")
    assert (await accept("priya's long passphrase"))[0] == 0
    assert await accept("priya's long passphrase") == (
        1,
        "qa: that invitation code is not one, was used already or has expired: ask the QA team\n",
    )
    [account] = await rows(database, "SELECT password_hash FROM accounts WHERE staff_id = 'priya.practitioner'")
    assert account["password_hash"].startswith("$argon2id$")

    async def login(password: str) -> tuple[int, str]:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(sys, "stdin", _Stdin(password))
            got, _, err = await qa(capsys, "login", "--user", "priya.practitioner", "--password-stdin")
        return got, err

    for _ in range(5):
        assert await login("a wrong guess of hers") == (1, "qa: wrong user name or password\n")
    held, err = await login("priya's long passphrase")
    assert held == 1 and err.startswith("qa: too many failed sign-ins: try again after "), err
    attempts = await rows(
        database, "SELECT succeeded, detail FROM sign_ins WHERE staff_id = 'priya.practitioner' AND method = 'password'"
    )
    assert [tuple(a) for a in attempts] == [(False, "wrong user name or password")] * 5 + [
        (False, "held back: too many failures")
    ]

    # Once the window has passed (its failures aged by a superuser), the right password signs her in and is kept.
    await rows(database, "ALTER TABLE sign_ins DISABLE TRIGGER sign_ins_append_only")
    await rows(database, "UPDATE sign_ins SET attempted_at = attempted_at - interval '16 minutes'")
    await rows(database, "ALTER TABLE sign_ins ENABLE TRIGGER sign_ins_append_only")
    assert await login("priya's long passphrase") == (0, "")
    assert await ok(capsys, "whoami") == "priya.practitioner (Priya Nair (Social Worker)): practitioner\n"
    assert (await ok(capsys, "review", "show", REVIEW)).startswith(f"{REVIEW}: case {CASE}")
    assert await ok(capsys, "logout") == "signed out\n"
    assert await refused(capsys, "whoami") == "not signed in: `qa login`"


class _Stdin:
    """A standard input holding one line, as a script pipes a password in."""

    def __init__(self, line: str) -> None:
        self.line = f"{line}\n"

    def readline(self) -> str:
        line, self.line = self.line, ""
        return line
