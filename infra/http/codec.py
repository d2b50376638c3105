"""The codec endpoint: the Temporal Web UI shows decrypted payloads to those allowed (infra.codec).

The Web UI posts a namespace's payloads to `/decode` (and `/encode`) as Temporal's remote codec
protocol defines: `{"payloads": [{"metadata": {key: base64}, "data": base64}]}`. Only the Web UI's
own origin may call it from a browser (CORS); with `QA_CODEC_TOKEN` set, only a caller presenting
it as a bearer token (the UI's "pass access token", or a proxy in front) is answered. It listens on
127.0.0.1 by default. Every decode is written to the access log: who (the token's holder or the
origin), which namespace, how many payloads.
"""

from __future__ import annotations

import base64
import hmac
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.middleware.cors import CORSMiddleware
from temporalio.api.common.v1 import Payload

from infra.codec import PayloadKeyError, PayloadKeys

MAX_PAYLOADS = 1_000  # a history page holds far fewer; a bigger request is not the Web UI's


def _payloads(body: Any) -> list[Payload]:
    try:
        items = body["payloads"]
        if not isinstance(items, list) or len(items) > MAX_PAYLOADS:
            raise ValueError
        return [
            Payload(
                metadata={k: base64.b64decode(v, validate=True) for k, v in item.get("metadata", {}).items()},
                data=base64.b64decode(item.get("data", ""), validate=True),
            )
            for item in items
        ]
    except (KeyError, TypeError, ValueError, AttributeError):
        raise HTTPException(400, 'the body is not {"payloads": [...]} of base64 metadata and data') from None


def _json(payloads: list[Payload]) -> dict:
    return {
        "payloads": [
            {
                "metadata": {k: base64.b64encode(v).decode() for k, v in p.metadata.items()},
                "data": base64.b64encode(p.data).decode(),
            }
            for p in payloads
        ]
    }


def codec_app(keys: PayloadKeys, ui_origins: list[str], token: str | None, log_read) -> FastAPI:  # type: ignore[no-untyped-def]
    """The endpoint for the Web UI at `ui_origins`; `log_read(who, namespace, count)` records each decode."""
    app = FastAPI(title="qa-engine codec endpoint", openapi_url=None, docs_url=None, redoc_url=None)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=ui_origins,
        allow_methods=["POST"],
        allow_headers=["content-type", "x-namespace", "authorization"],
        allow_credentials=True,
    )

    def caller(request: Request) -> str:
        if token is not None:
            given = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
            if not hmac.compare_digest(given.encode(), token.encode()):
                raise HTTPException(401, "a bearer token is needed to decode payloads")
            return "codec token holder"
        return f"web UI at {request.headers.get('origin', 'an unknown origin')}"

    @app.post("/decode")
    async def decode(request: Request) -> dict:
        who = caller(request)
        payloads = _payloads(await request.json())
        try:
            decoded = keys.decrypt_all(payloads)
        except PayloadKeyError as exc:
            raise HTTPException(422, str(exc)) from None
        await log_read(who, request.headers.get("x-namespace", "?"), len(payloads))
        return _json(decoded)

    @app.post("/encode")
    async def encode(request: Request) -> dict:
        caller(request)
        return _json([keys.encrypt(p) for p in _payloads(await request.json())])

    return app


async def serve(host: str, port: int, ui_origins: list[str], token: str | None, *, own_signals: bool = True) -> None:
    """Run the endpoint until Ctrl-C or SIGTERM; inside `qa up` (`own_signals=False`) until cancelled,
    leaving the signals to `qa up`, which stops its parts in order."""
    import contextlib

    import uvicorn

    from infra.application.codec import codec_keys, codec_reads

    class Server(uvicorn.Server):
        def capture_signals(self):  # type: ignore[no-untyped-def, override]
            return super().capture_signals() if own_signals else contextlib.nullcontext()

    async with codec_reads() as log_read:
        app = codec_app(codec_keys(), ui_origins, token, log_read)
        server = Server(uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="off"))
        await server.serve()
