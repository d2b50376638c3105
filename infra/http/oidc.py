"""Signing in through the council's identity provider (OpenID Connect, with authlib).

`qa login --browser` opens `/sign-in/oidc` with the port of a listener of its own on
the loopback address and the SHA-256 of a verifier only it knows (RFC 8252 and 7636).
The server sends the browser to the provider (authorisation code flow with PKCE,
state and nonce, kept in a signed session cookie); back at `/sign-in/oidc/callback`
authlib checks the ID token (signature by the provider's keys, issuer, audience,
nonce), and the claim `QA_OIDC_STAFF_CLAIM` names the member of staff. The browser
is then sent to the CLI's listener with a one-time code, which the CLI exchanges for
a token with its verifier: the token never appears in a URL.
"""

from __future__ import annotations

import base64
import re

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field

from infra.application.errors import AppError, NotSignedIn
from infra.http.pages import problem_page
from infra.logging import get_logger
from infra.settings import Settings

log = get_logger("infra.http.oidc")

_CHALLENGE = re.compile(r"[A-Za-z0-9_-]{43}")  # base64url of a SHA-256, unpadded


async def _web_session(staff_id: str, target: str, source: str, secure: bool) -> Response:
    """The provider proved `staff_id`: a browser session for them (the same one-time code and exchange the CLI's
    sign-in takes, with a verifier made and kept here), then on to where they were going."""
    import hashlib
    import secrets

    from domain.sign_in import TOKEN_LIFETIME
    from infra.application.sign_in import exchange, provider_signed_in
    from infra.http.pages import start_session

    verifier = secrets.token_urlsafe(48)
    try:
        code = await provider_signed_in(staff_id, hashlib.sha256(verifier.encode()).digest(), source)
        issued = await exchange(code, verifier, source, TOKEN_LIFETIME)
    except NotSignedIn as exc:
        return problem_page(str(exc), 403, "Sign-in refused")
    return start_session(RedirectResponse(target, status_code=303), issued.secret, secure)


class Handoff(BaseModel):
    code: str = Field(min_length=1, max_length=200)
    verifier: str = Field(min_length=43, max_length=128)


def session_secret(settings: Settings) -> str:
    """What signs browser sessions: QA_SESSION_SECRET (every server of one deployment the same), else a
    secret of this QA_HOME's, made once."""
    import secrets

    from infra.home import create_secret_file

    if settings.session_secret:
        return settings.session_secret
    path = settings.home / "session-secret"
    if not path.exists():
        create_secret_file(path, secrets.token_urlsafe(48).encode())
    return path.read_text().strip()


def add_oidc(app: FastAPI, settings: Settings) -> None:
    """The identity provider's sign-in, on `app`; nothing if no provider is set."""
    if not settings.oidc_issuer:
        return
    from authlib.integrations.starlette_client import OAuth, OAuthError
    from starlette.middleware.sessions import SessionMiddleware

    from infra.http.server import client_address

    if not (settings.oidc_client_id and settings.oidc_client_secret):
        raise AppError("QA_OIDC_ISSUER is set: set QA_OIDC_CLIENT_ID and QA_OIDC_CLIENT_SECRET too")
    secure = (settings.server_url or "").startswith("https://")
    app.add_middleware(
        SessionMiddleware,
        secret_key=session_secret(settings),
        session_cookie="qa_sign_in",
        max_age=600,  # long enough to sign in at the provider, no longer
        same_site="lax",  # sent on the provider's redirect back, a top-level navigation
        https_only=secure,
    )
    oauth = OAuth()
    oauth.register(
        "provider",
        client_id=settings.oidc_client_id,
        client_secret=settings.oidc_client_secret,
        server_metadata_url=f"{settings.oidc_issuer.rstrip('/')}/.well-known/openid-configuration",
        client_kwargs={"scope": "openid profile email", "code_challenge_method": "S256"},
    )
    claim = settings.oidc_staff_claim

    @app.get("/sign-in/oidc", tags=["sign-in"], include_in_schema=False)
    async def start(request: Request, cli_port: int, cli_challenge: str) -> Response:
        """Off to the identity provider, for the CLI listening on `cli_port` with `cli_challenge`."""
        if not 1024 <= cli_port <= 65535 or not _CHALLENGE.fullmatch(cli_challenge):
            return problem_page("This sign-in link is not one qa login makes.", 400, "Sign-in refused")
        request.session["cli"] = {"port": cli_port, "challenge": cli_challenge}
        back = f"{settings.server_url.rstrip('/')}/sign-in/oidc/callback" if settings.server_url else None
        return await oauth.provider.authorize_redirect(request, back or str(request.url_for("oidc_callback")))

    @app.get("/sign-in/oidc/web", tags=["sign-in"], include_in_schema=False)
    async def start_web(request: Request, next: str = "/my-work") -> Response:  # noqa: A002 - the page's name
        """Off to the identity provider, for a person signing in to the web pages; back to `next` after."""
        from infra.http.pages import local_path

        request.session["web"] = {"next": local_path(next)}
        back = f"{settings.server_url.rstrip('/')}/sign-in/oidc/callback" if settings.server_url else None
        return await oauth.provider.authorize_redirect(request, back or str(request.url_for("oidc_callback")))

    @app.get("/sign-in/oidc/callback", name="oidc_callback", include_in_schema=False)
    async def callback(request: Request) -> Response:
        from infra.application.sign_in import provider_signed_in

        cli = request.session.pop("cli", None)
        web = request.session.pop("web", None)
        if cli is None and web is None:
            return problem_page(
                "This sign-in was not started here, or took too long: start it again.", 400, "Sign-in refused"
            )
        try:
            token = await oauth.provider.authorize_access_token(request)
        except OAuthError as exc:
            log.warning("identity provider sign-in refused", error=exc.error)
            return problem_page(f"The identity provider's answer did not hold: {exc.error}.", 400, "Sign-in refused")
        staff_id = (token.get("userinfo") or {}).get(claim)
        if staff_id is None:  # not in the ID token (some providers keep profile claims to the userinfo endpoint)
            try:
                staff_id = (await oauth.provider.userinfo(token=token)).get(claim)
            except Exception as exc:  # noqa: BLE001 - any failure there leaves the claim unknown, and says so
                log.warning("identity provider userinfo failed", error=type(exc).__name__)
        if not isinstance(staff_id, str) or not staff_id.strip():
            return problem_page(
                f"The identity provider gave no {claim} to match the staff directory.", 400, "Sign-in refused"
            )
        if web is not None:
            return await _web_session(staff_id.strip(), web["next"], client_address(request), secure)
        challenge = base64.urlsafe_b64decode(cli["challenge"] + "=")
        try:
            code = await provider_signed_in(staff_id.strip(), challenge, client_address(request))
        except NotSignedIn as exc:
            return problem_page(str(exc), 403, "Sign-in refused")
        return RedirectResponse(f"http://127.0.0.1:{cli['port']}/signed-in?code={code}", status_code=303)

    @app.post("/api/sign-in/handoff", tags=["sign-in"])
    async def handoff(body: Handoff, request: Request) -> dict[str, str]:
        """A token for the one-time code the identity provider's sign-in handed to the CLI, with its verifier."""
        from domain.sign_in import TOKEN_LIFETIME
        from infra.application.sign_in import exchange

        issued = await exchange(body.code, body.verifier, client_address(request), TOKEN_LIFETIME)
        return {"token": issued.secret, "staff_id": issued.staff_id, "expires_at": issued.expires_at.isoformat()}
