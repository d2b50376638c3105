"""The codec endpoint over real HTTP (uvicorn): the Web UI's origin decodes, others do not, each decode logged."""

from __future__ import annotations

import asyncio
import base64
import json
import socket
import urllib.error
import urllib.request

from temporalio.api.common.v1 import Payload

from infra.codec import ENCODING
from infra.http.codec import serve
from infra.store.access_log import AccessLog
from tests.codec_keys import CONVERTER

UI = "http://127.0.0.1:8233"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def call(url: str, method: str = "POST", body: dict | None = None, **headers: str) -> tuple[int, dict, bytes]:
    request = urllib.request.Request(
        url, method=method, data=None if body is None else json.dumps(body).encode(), headers=headers
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, dict(answer.headers), answer.read()
    except urllib.error.HTTPError as refused:
        return refused.code, dict(refused.headers), refused.read()


async def running(port: int, token: str | None) -> asyncio.Task:
    task = asyncio.create_task(serve("127.0.0.1", port, [UI], token, own_signals=False))
    for _ in range(100):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return task
        except OSError:
            await asyncio.sleep(0.05)
    raise AssertionError("the codec endpoint did not start")


async def test_the_web_ui_sees_payloads_decrypted_and_every_decode_is_logged(database, app_pool, monkeypatch):
    monkeypatch.setenv("QA_DATABASE_URL", database.app_url)
    [sealed] = await CONVERTER.payload_codec.encode(
        [Payload(metadata={"encoding": b"json/plain"}, data=b'{"summary":"feels safe at home"}')]
    )
    assert sealed.metadata["encoding"] == ENCODING
    body = {
        "payloads": [
            {
                "metadata": {k: base64.b64encode(v).decode() for k, v in sealed.metadata.items()},
                "data": base64.b64encode(sealed.data).decode(),
            }
        ]
    }
    port = free_port()
    task = await running(port, token="s3cret-token")
    url = f"http://127.0.0.1:{port}"
    try:
        headers = {"Content-Type": "application/json", "X-Namespace": "default", "Origin": UI}
        # Without the token: refused, and nothing decoded.
        status, _, _ = await asyncio.to_thread(call, f"{url}/decode", body=body, **headers)
        assert status == 401
        status, answered, text = await asyncio.to_thread(
            call, f"{url}/decode", body=body, Authorization="Bearer s3cret-token", **headers
        )
        assert status == 200 and answered["access-control-allow-origin"] == UI
        [decoded] = json.loads(text)["payloads"]
        assert base64.b64decode(decoded["data"]) == b'{"summary":"feels safe at home"}'
        assert base64.b64decode(decoded["metadata"]["encoding"]) == b"json/plain"
        # A browser page from another origin is not let through by the browser (no CORS grant).
        status, answered, _ = await asyncio.to_thread(
            call,
            f"{url}/decode",
            method="OPTIONS",
            Origin="https://elsewhere.example",
            **{"Access-Control-Request-Method": "POST"},
        )
        assert "access-control-allow-origin" not in answered
        status, _, text = await asyncio.to_thread(
            call, f"{url}/decode", body={"payloads": "x"}, Authorization="Bearer s3cret-token", **headers
        )
        assert status == 400
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    [logged] = [e for e in await AccessLog(app_pool).entries(None) if e.command == "codec decode"]
    assert (logged.reader, logged.item_id, logged.detail) == (
        "codec token holder",
        "namespace:default",
        "1 payloads decoded",
    )
