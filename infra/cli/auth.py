"""`qa login`, `qa logout`, `qa whoami` and `qa auth`: who the CLI acts as, proven to the server.

A person signs in once (`qa login`) with the password they set from the QA team's
invitation (`qa auth accept CODE`); the token is kept for the next commands. A
script passes a token with `--token` or `QA_TOKEN`. An administrator of the host,
who holds the database's administrator login, mints tokens with `qa auth token`.
"""

from __future__ import annotations

import click

from infra.application.services import settings
from infra.cli.common import app, fail, run

PASSWORD_STDIN = click.option(
    "--password-stdin", is_flag=True, help="Read the password from the first line of standard input (scripts)."
)


def _password(from_stdin: bool, prompt: str, *, confirm: bool) -> str:
    """The password, asked for on the terminal (twice to set one) or read from stdin: never an argument,
    which the shell's history and the process list would keep."""
    if from_stdin:
        import sys

        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            fail("--password-stdin: standard input had no password on its first line")
        return password
    return click.prompt(prompt, hide_input=True, confirmation_prompt="Again" if confirm else False)


@app.command("login")
@click.option("--user", "staff_id", help="Your user name (staff id); asked for if left out.")
@click.option("--server", "server_url", help="The server's address (else QA_SERVER_URL, else `qa up`'s).")
@PASSWORD_STDIN
@click.option("--browser", is_flag=True, help="Sign in through the council's identity provider, in a browser.")
@click.option("--no-open", is_flag=True, help="With --browser: print the address to open, do not open it.")
def login(staff_id: str | None, server_url: str | None, password_stdin: bool, browser: bool, no_open: bool) -> None:
    """Sign in (your password, or --browser: the council's identity provider); the next `qa` commands act
    as you until the sign-in expires."""
    from infra.cli.client import call, keep

    url = (server_url or settings().require_server_url()).rstrip("/")
    if browser:
        answer = _browser_sign_in(url, open_browser=not no_open)
    else:
        staff_id = (staff_id or click.prompt("User name")).strip()
        password = _password(password_stdin, "Password", confirm=False)
        answer = run(call("POST", "/api/sign-in", body={"staff_id": staff_id, "password": password}, server_url=url))
    kept = keep(url, answer["token"], answer["staff_id"], answer["expires_at"])
    click.echo(f"signed in as {answer['staff_id']} until {answer['expires_at']} (kept in {kept})")


BROWSER_WAIT_SECONDS = 300  # time enough to sign in at the identity provider


def _browser_sign_in(url: str, *, open_browser: bool) -> dict:
    """The identity provider's sign-in (infra.http.oidc): a listener on the loopback address takes the
    one-time code the browser brings back, exchanged for a token with a verifier only this process knows."""
    import base64
    import hashlib
    import queue
    import secrets
    import threading
    import webbrowser
    from http.server import BaseHTTPRequestHandler, HTTPServer
    from urllib.parse import parse_qs, urlencode, urlparse

    from infra.cli.client import call

    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    codes: queue.Queue[str] = queue.Queue()

    class Back(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the standard library's name
            given = parse_qs(urlparse(self.path).query).get("code", [""])[0]
            done = urlparse(self.path).path == "/signed-in" and given
            self.send_response(200 if done else 400)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.end_headers()
            self.wfile.write(b"Signed in: you can close this window." if done else b"Not a sign-in.")
            if done:
                codes.put(given)

        def log_message(self, *args: object) -> None:  # the terminal is for the person, not the access log
            pass

    listener = HTTPServer(("127.0.0.1", 0), Back)
    threading.Thread(target=listener.serve_forever, daemon=True).start()
    try:
        query = urlencode({"cli_port": listener.server_port, "cli_challenge": challenge})
        address = f"{url}/sign-in/oidc?{query}"
        click.echo(f"sign in at the identity provider: {address}", err=True)
        if open_browser:
            webbrowser.open(address)
        try:
            code = codes.get(timeout=BROWSER_WAIT_SECONDS)
        except queue.Empty:
            fail(f"no sign-in came back within {BROWSER_WAIT_SECONDS // 60} minutes: `qa login --browser` again", 1)
    finally:
        listener.shutdown()
        listener.server_close()
    return run(call("POST", "/api/sign-in/handoff", body={"code": code, "verifier": verifier}, server_url=url))


@app.command("logout")
def logout() -> None:
    """Sign out: the kept token stops working on the server and is forgotten here."""
    from infra.application.errors import AppError
    from infra.cli.client import call, credentials, forget

    creds = credentials()
    if creds is None:
        click.echo("not signed in")
        return
    try:
        run(call("POST", "/api/sign-out", creds=creds))
    except AppError as exc:  # the server gone or the token already expired: it is forgotten all the same
        click.echo(f"the server did not revoke the token ({exc}); forgetting it here", err=True)
    forget()
    click.echo("signed out")


@app.command("whoami")
def whoami() -> None:
    """Who the CLI acts as: the signed-in person, as the server knows them."""
    from infra.cli.client import call, credentials

    creds = credentials()
    if creds is None:
        fail("not signed in: `qa login`", 1)
    me = run(call("GET", "/api/me", creds=creds))
    roles = ", ".join(me["roles"]) or "no roles yet (the directory is empty)"
    click.echo(f"{me['staff_id']} ({me['display_name'] or 'not in the directory'}): {roles}")


@app.group("auth")
def auth_app() -> None:
    """Tokens and invitations: how people come to sign in."""


@auth_app.command("token")
@click.argument("staff_id")
@click.option("--expires", "lifetime", default="8h", show_default=True, help="How long it works: 30m, 8h, 7d ...")
def auth_token(staff_id: str, lifetime: str) -> None:
    """Mint a bearer token for STAFF_ID, for scripts and tests (an administrator of the host only).

    It takes the database's administrator login, which `qa up` keeps for the host's
    administrator alone. While the directory is empty, a token may be minted for anyone:
    the QA officer who imports the first staff file. The token is the last line printed.
    """
    from domain.errors import Refusal
    from domain.sign_in import parse_lifetime
    from infra.application.sign_in import mint
    from infra.cli.common import person

    try:
        life = parse_lifetime(lifetime)
    except Refusal as exc:
        fail(f"--expires: {exc}")
    issued = run(mint(person(staff_id, "STAFF_ID"), life))
    click.echo(f"token for {issued.staff_id}, valid until {issued.expires_at.isoformat()}:", err=True)
    click.echo(issued.secret)


@auth_app.command("invite")
@click.argument("staff_ids", nargs=-1, required=True)
def auth_invite(staff_ids: tuple[str, ...]) -> None:
    """Invite members of staff to set a password (the QA team, signed in): one code each, used once,
    for 14 days. With a mail server set, the code goes by e-mail to each person whose staff record gives an
    address, and to them alone; the others' codes are printed, to give in person."""
    from infra.cli.client import call, credentials
    from infra.cli.common import person

    creds = credentials()
    if creds is None:
        fail("inviting staff takes a signed-in member of the QA team: `qa login`", 1)
    for staff_id in staff_ids:
        answer = run(call("POST", "/api/invitations", body={"staff_id": person(staff_id, "STAFF_ID")}, creds=creds))
        if answer.get("sent_to"):
            click.echo(
                f"{answer['staff_id']}: the code was e-mailed to {answer['sent_to']} (until {answer['expires_at']})"
            )
            continue
        unsent = (
            f"; it could not be e-mailed ({answer['not_sent']}): give it in person" if answer.get("not_sent") else ""
        )
        click.echo(
            f"{answer['staff_id']}: {answer['code']} (until {answer['expires_at']}; `qa auth accept CODE`){unsent}"
        )


@auth_app.command("accept")
@click.argument("code")
@click.option("--server", "server_url", help="The server's address (else QA_SERVER_URL, else `qa up`'s).")
@PASSWORD_STDIN
def auth_accept(code: str, server_url: str | None, password_stdin: bool) -> None:
    """Set your password with the invitation CODE the QA team gave you (asked for twice, never echoed)."""
    from infra.cli.client import call

    url = (server_url or settings().require_server_url()).rstrip("/")
    password = _password(password_stdin, "New password", confirm=True)
    answer = run(
        call("POST", "/api/invitations/accept", body={"code": code.strip(), "password": password}, server_url=url)
    )
    click.echo(f"password set for {answer['staff_id']}: sign in with `qa login --user {answer['staff_id']}`")
