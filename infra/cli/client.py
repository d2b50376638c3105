"""The CLI as a client of the server (`qa serve`, which `qa up` runs): signed in, it acts through it.

Signed in means holding a token: `--token` or `QA_TOKEN` (scripts), else the one
`qa login` kept in the user's config directory. Signed in, the items people start, the
steps they take on them and the reads of them go to the server, which proves who is asking and
records that person as the actor; `--as` may then be left out, and naming anyone
else is refused. Not signed in, a command runs in process on the host's own
credentials, as an administrator of the host may.
"""

from __future__ import annotations

import json
import os
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from infra.application.errors import AppError, NotSignedIn
from infra.application.services import settings

if TYPE_CHECKING:
    from domain.kinds import Kind

TOKEN: ContextVar[str | None] = ContextVar("token", default=None)
"""The token given with `qa --token TOKEN ...`, for this command only."""

CHANGE_TIMEOUT_SECONDS = 150.0  # longer than the server waits for a start or a change (infra.application.items)


@dataclass(frozen=True, slots=True)
class Credentials:
    server_url: str
    token: str
    staff_id: str | None = None  # known if `qa login` kept it


def credentials() -> Credentials | None:
    """The token this command runs with and the server it goes to, or None: not signed in."""
    s = settings()
    token = TOKEN.get() or s.token
    if token:
        return Credentials(s.require_server_url(), token)
    kept = _kept(s.credentials_file)
    if kept is None:
        return None
    return Credentials(
        s.server_url.rstrip("/") if s.server_url else kept["server_url"], kept["token"], kept["staff_id"]
    )


def _kept(path: Path) -> dict[str, str] | None:
    try:
        kept = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        raise AppError(f"{path}: not the sign-in `qa login` keeps; `qa logout` and sign in again") from None
    if not isinstance(kept, dict) or not all(isinstance(kept.get(k), str) for k in ("server_url", "token", "staff_id")):
        raise AppError(f"{path}: not the sign-in `qa login` keeps; `qa logout` and sign in again")
    return kept


def keep(server_url: str, token: str, staff_id: str, expires_at: str) -> Path:
    """Keep a sign-in for the next commands, readable by its owner only (replacing any before)."""
    path = settings().credentials_file
    path.parent.mkdir(parents=True, exist_ok=True)
    draft = path.with_name(f".{path.name}.{os.getpid()}")
    descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        json.dump({"server_url": server_url, "token": token, "staff_id": staff_id, "expires_at": expires_at}, file)
    os.replace(draft, path)
    return path


def forget() -> bool:
    """Forget the kept sign-in; whether there was one."""
    path = settings().credentials_file
    existed = path.exists()
    path.unlink(missing_ok=True)
    return existed


async def call(
    method: str,
    path: str,
    *,
    body: Any = None,
    creds: Credentials | None = None,
    server_url: str | None = None,
    headers: dict[str, str] | None = None,
    asked: str | None = None,
) -> Any:
    """One request to the server, its answer as JSON; its refusal as the one line (and exit code) it gave.

    `asked`: the change's request id; a connection lost after the request was sent leaves its outcome
    unknown (exit code 3), said with that id.
    """
    import httpx

    from infra.application.items import unknown_outcome

    url = (creds.server_url if creds else server_url) or settings().require_server_url()
    sent = dict(headers or {})
    if creds is not None:
        sent["Authorization"] = f"Bearer {creds.token}"
    try:
        async with httpx.AsyncClient(base_url=url, timeout=CHANGE_TIMEOUT_SECONDS) as http:
            response = await http.request(method, path, json=body, headers=sent)
    except httpx.ConnectError:
        raise AppError(f"cannot reach the server at {url}: is `qa up` running?") from None
    except httpx.TransportError as exc:
        if asked is not None:
            raise unknown_outcome(f"the connection to the server at {url} was lost", asked) from None
        raise AppError(f"the server at {url} did not answer: {type(exc).__name__}") from None
    try:
        answer = response.json()
    except ValueError:
        answer = None
    if response.status_code >= 400:
        if not isinstance(answer, dict) or not isinstance(answer.get("error"), str):
            raise AppError(f"the server at {url} answered {response.status_code} {response.reason_phrase}")
        code = answer.get("exit_code", 1)
        if response.status_code == 401:
            raise NotSignedIn(answer["error"], code)
        raise AppError(answer["error"], code if isinstance(code, int) else 1)
    return answer


async def whoami(creds: Credentials) -> str:
    """The staff id the token proves (as the server says)."""
    return creds.staff_id or (await call("GET", "/api/me", creds=creds))["staff_id"]


async def change(item_id: str, kind: Kind, update, request) -> Any:  # type: ignore[no-untyped-def]
    """A step on an item (infra.application.items.change): through the server, signed in."""
    from temporalio import workflow

    from infra.application import items
    from infra.application.requests import SEEN, request_id

    creds = credentials()
    if creds is None:
        return await items.change(item_id, kind, update, request)
    step, _ = workflow._UpdateDefinition.get_name_and_result_type(update)
    asked = request_id()
    headers = {"Idempotency-Key": asked}
    if SEEN.get() is not None:
        headers["X-Seen-Version"] = str(SEEN.get())
    values = request.model_dump(mode="json", exclude={"seen"})
    answer = await call("POST", f"/api/items/{item_id}/{step}", body=values, creds=creds, headers=headers, asked=asked)
    return kind.state_type.model_validate(answer["state"])


async def recorded(kind: Kind, item_id: str) -> Any:
    """An item's state (infra.application.items.recorded): through the server, signed in, which checks
    that the signed-in person may read it and logs the read."""
    from infra.application import items

    creds = credentials()
    if creds is None:
        return await items.recorded(kind, item_id)
    answer = await call("GET", f"/api/items/{items.checked_id(item_id)}", creds=creds)
    if answer["kind"] != kind.name:
        raise AppError(f"{item_id} is a {answer['kind']}, not a {kind.name}")
    return kind.state_type.model_validate(answer["state"])


async def start_opened(kind: Kind, workflow, request, item_id: str, *, taken: str, refusable: bool) -> Any:  # type: ignore[no-untyped-def]
    """A new item, once open (infra.application.items.start_opened): through the server, signed in."""
    from temporalio import workflow as temporal_workflow

    from infra.application import items

    creds = credentials()
    if creds is None:
        return await items.start_opened(kind, workflow, request, item_id, taken=taken, refusable=refusable)
    body = {
        "workflow_type": temporal_workflow._Definition.from_class(workflow).name,
        "request": request.model_dump(mode="json"),
        "taken": taken,
        "refusable": refusable,
    }
    answer = await call("PUT", f"/api/items/{items.checked_id(item_id)}", body=body, creds=creds)
    return kind.state_type.model_validate(answer["state"])


async def perform(name: str, actor: str, **values: Any) -> Any:
    """The application's command `name` (infra.application.commands) on `values`: through the server, signed
    in, as the signed-in person; not signed in, in this process as `actor`. Bad values are refused here."""
    from infra.application import commands
    from infra.application.requests import request_id

    creds = credentials()
    if creds is None:
        return await commands.perform(name, values, actor)
    found, ask = commands.asked(name, values)
    asked = request_id() if found.changes else None
    answer = await call(
        "POST",
        f"/api/commands/{name}",
        body=ask.model_dump(mode="json"),
        creds=creds,
        headers={"Idempotency-Key": asked} if asked else None,
        asked=asked,
    )
    # As JSON: the types that cross the wire in their own encoding (bytes in base64) read back the same.
    return found.output.validate_json(json.dumps(answer["result"]))
