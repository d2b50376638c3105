"""`qa login --browser` through a real OpenID Connect provider (panva's oidc-provider on the machine's node).

The provider (tests/oidc/provider.mjs, installed by `npm ci --prefix tests/oidc`) signs in
whoever is named at its login form; the test is the browser, following every redirect and
submitting the provider's own forms. The server checks the ID token with authlib and hands the
CLI a one-time code for its token: the staff id is the claim settings name, and a person the
directory does not list, or a claim the provider does not give, signs nobody in.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import queue
import re
import shutil
import webbrowser
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.infra.test_cli_cpr import ok, qa, refused, stack, started_cycle
from tests.infra.test_pages import browser
from tests.infra.test_server import answering, free_port, rows, serving, token

__all__ = ["browser", "stack"]  # the fixtures, used by name

PROVIDER = Path(__file__).parents[1] / "oidc"


@contextlib.asynccontextmanager
async def identity_provider(tmp_path: Path, redirect_uri: str) -> AsyncIterator[str]:
    node = shutil.which("node")
    assert node, "the OIDC test needs node (the machine's Node.js)"
    assert (PROVIDER / "node_modules" / "oidc-provider").is_dir(), "run `npm ci --prefix tests/oidc` first"
    port = free_port()
    env = {
        **os.environ,
        "PORT": str(port),
        "CLIENT_ID": "qa-engine",
        "CLIENT_SECRET": "a client secret of the test's",
        "REDIRECT_URI": redirect_uri,
    }
    issuer = f"http://127.0.0.1:{port}"
    command = [node, str(PROVIDER / "provider.mjs")]
    async with answering(command, env, tmp_path / "provider.log", f"{issuer}/.well-known/openid-configuration"):
        yield issuer


@pytest.fixture
async def oidc_server(stack, monkeypatch, tmp_path) -> AsyncIterator[str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    async with identity_provider(tmp_path, f"{url}/sign-in/oidc/callback") as issuer:
        settings = {
            "QA_OIDC_ISSUER": issuer,
            "QA_OIDC_CLIENT_ID": "qa-engine",
            "QA_OIDC_CLIENT_SECRET": "a client secret of the test's",
            "QA_SERVER_URL": url,
        }
        async with serving(monkeypatch, tmp_path, port, **settings):
            yield url


FORM = re.compile(r'<form[^>]*action="([^"]+)"[^>]*method="post"', re.IGNORECASE)
HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')


async def browse(address: str, login: str) -> httpx.Response:
    """What a person's browser does: open the address, sign in at the provider's form as `login`, consent,
    and follow every redirect to the end (the CLI's listener, or a page that refuses)."""
    async with httpx.AsyncClient(follow_redirects=True, timeout=30) as browser:
        page = await browser.get(address)
        for _ in range(3):  # the provider's login form, then its consent form
            form = FORM.search(page.text)
            if form is None:
                return page
            fields = dict(HIDDEN.findall(page.text))
            if fields.get("prompt") == "login":
                fields |= {"login": login, "password": "whatever the provider asks"}
            page = await browser.post(str(page.url.join(form[1])), data=fields)
        return page


async def sign_in_through_the_browser(capsys, monkeypatch, login: str) -> tuple[int, str, str, httpx.Response]:
    """`qa login --browser`, with the test as the browser it opens."""
    opened: queue.Queue[str] = queue.Queue()
    monkeypatch.setattr(webbrowser, "open", lambda address: opened.put(address) or True)
    command = asyncio.create_task(qa(capsys, "login", "--browser"))
    address = await asyncio.to_thread(opened.get, timeout=30)
    page = await browse(address, login)
    if page.text != "Signed in: you can close this window.":  # nothing will reach its listener: wake it
        port = re.search(r"cli_port=([0-9]+)", address)[1]  # type: ignore[index]
        async with httpx.AsyncClient() as http:
            await http.get(f"http://127.0.0.1:{port}/signed-in", params={"code": "none came"})
    code, out, err = await command
    return code, out, err, page


def started_elsewhere(server: str) -> str:
    """A sign-in as `qa login --browser` starts one, for a CLI that will never hear back (the refusals)."""
    return f"{server}/sign-in/oidc?cli_port={free_port()}&cli_challenge={'c' * 43}"


async def test_a_person_signs_in_through_the_identity_provider(oidc_server, capsys, monkeypatch, database):
    await token(capsys, "qa.officer")
    await started_cycle(capsys)

    code, out, err, page = await sign_in_through_the_browser(capsys, monkeypatch, "sam.reviewer")
    assert page.text == "Signed in: you can close this window."
    assert code == 0, err
    assert out.startswith("signed in as sam.reviewer until ")
    assert await ok(capsys, "whoami") == "sam.reviewer (Sam Patel (ISRO)): reviewer\n"
    [issued] = await rows(database, "SELECT method, issued_by FROM tokens WHERE staff_id = 'sam.reviewer'")
    assert tuple(issued) == ("oidc", "the identity provider")
    attempts = await rows(database, "SELECT method, succeeded, detail FROM sign_ins WHERE staff_id = 'sam.reviewer'")
    assert [tuple(a) for a in attempts] == [("oidc", True, "signed in at the identity provider")]

    # The one-time code cannot be used again, nor by anyone without the CLI's verifier.
    async with httpx.AsyncClient(base_url=oidc_server) as http:
        again = await http.post("/api/sign-in/handoff", json={"code": "guessed", "verifier": "v" * 43})
    assert (again.status_code, again.json()["error"]) == (
        401,
        "that sign-in code is not one, was used already or has expired: `qa login --browser` again",
    )
    await ok(capsys, "logout")


async def test_the_provider_signs_in_nobody_the_directory_does_not_list(oidc_server, capsys, database):
    await token(capsys, "qa.officer")
    await started_cycle(capsys)
    page = await browse(started_elsewhere(oidc_server), "left.last.year")
    assert page.status_code == 403
    assert "the identity provider signed in left.last.year, who is not active in the staff directory" in page.text
    page = await browse(started_elsewhere(oidc_server), "guest@partner.example")
    assert page.status_code == 400
    assert "The identity provider gave no preferred_username to match the staff directory." in page.text
    # A sign-in link not made by `qa login` is refused before the provider is asked.
    async with httpx.AsyncClient(base_url=oidc_server) as http:
        forged = await http.get("/sign-in/oidc", params={"cli_port": 80, "cli_challenge": "x"})
    assert forged.status_code == 400
    attempts = await rows(database, "SELECT staff_id, succeeded FROM sign_ins WHERE method = 'oidc'")
    assert [tuple(a) for a in attempts] == [("left.last.year", False)]
    assert await refused(capsys, "whoami") == "not signed in: `qa login`"


async def test_a_person_signs_in_to_the_web_pages_through_the_identity_provider(oidc_server, browser, capsys, database):
    """In a real browser: the sign-in page's button, the provider's own forms, and back where they were going,
    signed in; a person the directory does not list is refused there too."""
    await token(capsys, "qa.officer")
    await started_cycle(capsys)
    context = await browser.new_context()
    page = await context.new_page()

    async def through_the_provider(login: str) -> None:
        await page.goto(f"{oidc_server}/my-work")
        await page.click("a:text('Sign in with your council account')")
        for _ in range(3):  # the provider's login form, then its consent form
            if page.url.startswith(oidc_server):
                return
            if await page.locator("input[name=login]").count():
                await page.fill("input[name=login]", login)
                await page.fill("input[name=password]", "whatever the provider asks")
            await page.click("button[type=submit]")
            await page.wait_for_load_state()

    await through_the_provider("sam.reviewer")
    assert page.url == f"{oidc_server}/my-work"
    assert "Signed in as sam.reviewer" in await page.inner_text("header")
    [issued] = await rows(database, "SELECT method FROM tokens WHERE staff_id = 'sam.reviewer'")
    assert issued["method"] == "oidc"

    await context.clear_cookies()
    await through_the_provider("left.last.year")
    assert "who is not active in the staff directory" in await page.inner_text("body")
