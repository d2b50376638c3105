"""`qa serve`: the engine's HTTP server, the one door that holds the database's and Temporal's credentials.

Every request but the health checks, the metrics and signing in carries a bearer
token (infra.application.sign_in); the person it proves is the actor of every change
and the reader of every read: a request naming anyone else is refused. Changes are
the items' own updates, whose validators decide who may do what and when; reads go
through the access rule (domain.audit_access) and into the access log. Errors are
one line, `{"error": ..., "exit_code": ...}`, the exit code a `qa` command gives.

Several servers may run against one PostgreSQL and one Temporal: a server keeps
nothing of its own between requests.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

from fastapi import Depends, FastAPI, Header, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from pydantic import BaseModel, Field

from infra.application.errors import AppError, IdTaken, NotSignedIn
from infra.logging import get_logger
from infra.settings import Settings

log = get_logger("infra.http.server")

READY_TIMEOUT_SECONDS = 2.0


def _status(error: AppError) -> int:
    if isinstance(error, NotSignedIn):
        return 401
    if isinstance(error, IdTaken):
        return 409
    return {2: 400, 3: 503}.get(error.code, 409)


def _wants_a_page(request: Request) -> bool:
    """A browser asking for a page (not the API, which answers JSON)."""
    return not request.url.path.startswith("/api/") and "text/html" in request.headers.get("accept", "")


def _error(message: str, code: int, status: int) -> JSONResponse:
    return JSONResponse({"error": message, "exit_code": code}, status_code=status)


class SignIn(BaseModel):
    staff_id: str = Field(min_length=1, max_length=200)
    password: str = Field(min_length=1, max_length=1_000)


class AcceptInvitation(BaseModel):
    code: str = Field(min_length=1, max_length=200)
    password: str = Field(min_length=1, max_length=1_000)


class Invite(BaseModel):
    staff_id: str = Field(min_length=1, max_length=200)


class Invitation(BaseModel):
    staff_id: str
    code: str | None  # shown once (only its digest is kept); None: it was e-mailed to the person alone
    expires_at: str
    sent_to: str | None = None  # the address the code was e-mailed to
    not_sent: str | None = None  # why it could not be e-mailed to the address the directory gives


class Token(BaseModel):
    token: str
    staff_id: str
    expires_at: str


class StartItem(BaseModel):
    workflow_type: str = Field(min_length=1, max_length=100)  # which kind of item, e.g. CprCycle
    request: dict[str, Any]  # its start's values, `started_by` the signed-in person (or left out)
    taken: str = Field(min_length=1, max_length=500)  # the one line if the id was ever used
    refusable: bool = False  # the id may be used again after a start its workflow refused


class Me(BaseModel):
    staff_id: str
    display_name: str | None
    roles: list[str]


class ItemRead(BaseModel):
    id: str
    kind: str
    state: dict[str, Any]  # the kind's state, its `version` the last event it folds


def client_address(request: Request) -> str:
    """Where a request came from, as the sign-in log keeps it (its failures hold back that address)."""
    return request.client.host if request.client else ""


def _bearer(authorization: str | None) -> str:
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotSignedIn("not signed in: send `Authorization: Bearer TOKEN` (`qa login`, or `qa auth token`)")
    return token.strip()


async def signed_in(authorization: str | None = Header(default=None)) -> str:
    """The staff id the request's bearer token proves."""
    from infra.application.sign_in import authenticate

    return await authenticate(_bearer(authorization))


def _request_context(idempotency_key: str | None, seen_version: str | None) -> None:
    from infra.application.requests import REQUEST_ID, SEEN, check_request_id, check_seen

    if idempotency_key is not None:
        REQUEST_ID.set(check_request_id(idempotency_key))
    if seen_version is not None:
        SEEN.set(check_seen(seen_version))


def create_app(settings: Settings) -> FastAPI:
    """The server's application: it opens its pool and Temporal client at start, and shares them."""
    from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
    from prometheus_client.exposition import CONTENT_TYPE_LATEST

    registry = CollectorRegistry()
    requests_total = Counter(
        "qa_http_requests", "HTTP requests served", ["method", "route", "status"], registry=registry
    )
    latency = Histogram("qa_http_request_seconds", "Time to answer a request", ["method", "route"], registry=registry)
    sdk_metrics: dict[str, str] = {}

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        from infra.application.services import shared
        from infra.db import create_pool
        from infra.temporal import connect, metrics_runtime

        runtime, sdk_metrics["url"] = metrics_runtime()
        # No floor of idle connections: asyncpg would retry one with a traceback each time PostgreSQL is away.
        # Its own login (qa_server): it records nothing behind the workflows' back (migration 0014).
        pool = await create_pool(settings.require_server_database_url(), min_size=0, max_size=10)
        try:
            client = await connect(settings, runtime=runtime)
            async with shared(pool, client):
                log.info("server ready", temporal=settings.require_temporal_address())
                yield
        finally:
            await pool.close()

    app = FastAPI(
        title="qa-engine",
        version="1",
        description="The Quality Assurance Framework engine: items, their steps and their record.",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )

    @app.middleware("http")
    async def measure(request: Request, call_next):  # type: ignore[no-untyped-def]
        started = time.perf_counter()
        response = await call_next(request)
        route = request.scope.get("route")
        path = getattr(route, "path", "unmatched")
        latency.labels(request.method, path).observe(time.perf_counter() - started)
        requests_total.labels(request.method, path, str(response.status_code)).inc()
        return response

    @app.exception_handler(AppError)
    async def refused(request: Request, exc: AppError) -> Response:
        if _wants_a_page(request):  # a page that could not be made, in words, as a page
            from infra.http.pages import problem_page

            return problem_page(str(exc), _status(exc))
        return _error(str(exc), exc.code, _status(exc))

    @app.exception_handler(RequestValidationError)
    async def malformed(request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"] if p != "body")
        return _error(f"{where}: {first['msg']}" if where else first["msg"], 2, 400)

    @app.exception_handler(Exception)
    async def failed(request: Request, exc: Exception) -> Response:
        log.exception("request failed", path=request.url.path)
        if _wants_a_page(request):
            from infra.http.pages import problem_page

            return problem_page("The server failed to answer: its log has the details. Nothing was recorded.", 500)
        return _error("the server failed to answer: its log has the details", 1, 500)

    # --- the stack's health ----------------------------------------------------------------------------

    @app.get("/healthz", tags=["health"])
    async def healthz() -> dict[str, str]:
        """Liveness: the process answers."""
        return {"status": "ok"}

    @app.get("/readyz", tags=["health"])
    async def readyz() -> JSONResponse:
        """Readiness: PostgreSQL and Temporal both answer."""
        import asyncio

        from infra.application.services import Shared

        problems = []
        try:
            await asyncio.wait_for(Shared.pool.fetchval("SELECT 1"), READY_TIMEOUT_SECONDS)
        except Exception as exc:  # noqa: BLE001 - any failure means not ready, and says which
            problems.append(f"PostgreSQL: {type(exc).__name__}")
        try:
            healthy = await asyncio.wait_for(
                Shared.client.service_client.check_health(timeout=timedelta(seconds=READY_TIMEOUT_SECONDS)),
                READY_TIMEOUT_SECONDS,
            )
            if not healthy:
                problems.append("Temporal: not serving")
        except Exception as exc:  # noqa: BLE001
            problems.append(f"Temporal: {type(exc).__name__}")
        if problems:
            return JSONResponse({"status": "not ready", "problems": problems}, status_code=503)
        return JSONResponse({"status": "ready"})

    @app.get("/metrics", tags=["health"], response_class=PlainTextResponse)
    async def metrics() -> PlainTextResponse:
        """Prometheus: the server's requests and latencies, then the Temporal SDK's own metrics."""
        text = generate_latest(registry).decode()
        if "url" in sdk_metrics:
            import httpx

            with contextlib.suppress(httpx.HTTPError):
                async with httpx.AsyncClient(timeout=READY_TIMEOUT_SECONDS) as http:
                    text += (await http.get(sdk_metrics["url"])).text
        return PlainTextResponse(text, media_type=CONTENT_TYPE_LATEST)

    # --- signing in ------------------------------------------------------------------------------------

    @app.post("/api/sign-in", tags=["sign-in"])
    async def sign_in(body: SignIn, request: Request) -> Token:
        """A bearer token for the person whose password this is (rate-limited; every attempt is logged)."""
        from domain.sign_in import TOKEN_LIFETIME
        from infra.application.sign_in import password_sign_in

        issued = await password_sign_in(body.staff_id.strip(), body.password, client_address(request), TOKEN_LIFETIME)
        return Token(token=issued.secret, staff_id=issued.staff_id, expires_at=issued.expires_at.isoformat())

    @app.post("/api/invitations", tags=["sign-in"])
    async def invitation(body: Invite, by: str = Depends(signed_in)) -> Invitation:
        """A one-time code for a member of staff to set their password with (the QA team only)."""
        from infra.application.sign_in import invite

        invited = await invite(body.staff_id.strip(), by)
        return Invitation(
            staff_id=invited.staff_id,
            code=invited.code,
            expires_at=invited.expires_at.isoformat(),
            sent_to=invited.sent_to,
            not_sent=invited.not_sent,
        )

    @app.post("/api/invitations/accept", tags=["sign-in"])
    async def accept(body: AcceptInvitation, request: Request) -> dict[str, str]:
        """Set one's password with the invitation code the QA team gave (once)."""
        from infra.application.sign_in import accept_invitation

        return {"staff_id": await accept_invitation(body.code.strip(), body.password, client_address(request))}

    @app.post("/api/sign-out", tags=["sign-in"])
    async def sign_out(authorization: str | None = Header(default=None)) -> dict[str, bool]:
        """The token presented stops working."""
        from infra.application.sign_in import sign_out as revoke

        return {"signed_out": await revoke(_bearer(authorization))}

    @app.get("/api/me", tags=["sign-in"])
    async def me(staff_id: str = Depends(signed_in)) -> Me:
        """Who the token proves, as the directory holds them."""
        from infra.application.directory import staff_member

        member = await staff_member(staff_id)
        if member is None:
            return Me(staff_id=staff_id, display_name=None, roles=[])
        return Me(staff_id=staff_id, display_name=member.display_name, roles=sorted(r.value for r in member.roles))

    # --- items -----------------------------------------------------------------------------------------

    @app.get("/api/items/{item_id}", tags=["items"])
    async def read_item(item_id: str, reader: str = Depends(signed_in)) -> ItemRead:
        """An item as its audit record holds it, if the signed-in person may read it (the read is logged)."""
        from infra.application.items import read

        kind, state = await read(item_id, reader)
        return ItemRead(id=item_id, kind=kind.name, state=state.model_dump(mode="json"))

    @app.put("/api/items/{item_id}", tags=["items"])
    async def start_item(
        item_id: str,
        body: StartItem,
        actor: str = Depends(signed_in),
        idempotency_key: str | None = Header(default=None),
    ) -> ItemRead:
        """Start an item under this id as the signed-in person, and answer with it once it is open: refused
        if the id was ever used (an item's id is its audit stream, never reused)."""
        from infra.application.items import start_as

        _request_context(idempotency_key, None)
        kind, state = await start_as(
            item_id, body.workflow_type, body.request, actor, taken=body.taken, refusable=body.refusable
        )
        return ItemRead(id=item_id, kind=kind.name, state=state.model_dump(mode="json"))

    @app.post("/api/items/{item_id}/{step}", tags=["items"])
    async def change_item(
        item_id: str,
        step: str,
        values: dict[str, Any],
        actor: str = Depends(signed_in),
        idempotency_key: str | None = Header(default=None),
        x_seen_version: str | None = Header(default=None),
    ) -> ItemRead:
        """Record a step on an item as the signed-in person: the body is the step's request, less `actor`
        (or naming the signed-in person). `Idempotency-Key`: asked again with it, recorded once;
        `X-Seen-Version`: refused, with what changed, if the item moved on from that version."""
        from infra.application.items import change_as

        _request_context(idempotency_key, x_seen_version)
        kind, state = await change_as(item_id, step, values, actor)
        return ItemRead(id=item_id, kind=kind.name, state=state.model_dump(mode="json"))

    # --- the application's other commands (infra.application.commands) ----------------------------------

    @app.post("/api/commands/{name}", tags=["commands"])
    async def run_command(
        name: str,
        values: dict[str, Any],
        actor: str = Depends(signed_in),
        idempotency_key: str | None = Header(default=None),
    ) -> dict[str, Any]:
        """Run the command NAME as the signed-in person: the body is its input; the answer, `{"result": ...}`.
        Who may run it is the command's own check, the same as in the CLI."""
        from infra.application.commands import perform_as

        _request_context(idempotency_key, None)
        return {"result": await perform_as(name, values, actor)}

    from infra.http.oidc import add_oidc
    from infra.http.pages import add_pages

    add_oidc(app, settings)
    add_pages(app, settings)
    return app


def server(settings: Settings, host: str, port: int, *, own_signals: bool = True):  # type: ignore[no-untyped-def]
    """The server, to run with `.serve()`: until Ctrl-C or SIGTERM, or, inside `qa up` (`own_signals=False`),
    until told to stop (`should_exit`), leaving the signals to `qa up`, which stops its parts in order."""
    import uvicorn

    class Server(uvicorn.Server):
        def capture_signals(self):  # type: ignore[no-untyped-def, override]
            return super().capture_signals() if own_signals else contextlib.nullcontext()

    config = uvicorn.Config(create_app(settings), host=host, port=port, log_level="warning", access_log=False)
    return Server(config)
