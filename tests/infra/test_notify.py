"""E-mail through GOV.UK Notify (infra.delivery.NotifySender), with notifications-python-client making its real
requests.

No Notify is reachable from the machines the suite runs on, so the service's side is a small endpoint here
that does what Notify's API does with a request to send an e-mail: it checks the API key's token with the
same library Notify itself checks it with (notifications_python_client.authentication), takes
`/v2/notifications/email` and answers as Notify documents (201, or an error with its message). Everything
on our side (the client, the delivery process, the queue in PostgreSQL) is the real thing.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from notifications_python_client.authentication import decode_jwt_token, get_token_issuer

from infra.delivery import NotifySender, deliver_due, sender_for
from infra.settings import Settings, SettingsError
from infra.store.deliveries import Deliveries
from infra.store.outbox import Outbox
from tests.infra.test_delivery import ADDRESSES, ITEM, addressed_staff, note

SERVICE = str(uuid.uuid4())
SECRET = str(uuid.uuid4())
TEMPLATE = str(uuid.uuid4())


class Notify(BaseHTTPRequestHandler):
    """GOV.UK Notify's side of a request to send an e-mail."""

    received: list[dict] = []
    refusing = False

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        token = self.headers.get("Authorization", "").removeprefix("Bearer ")
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        try:
            assert get_token_issuer(token) == SERVICE
            decode_jwt_token(token, SECRET)
        except Exception:
            return self._answer(403, {"errors": [{"error": "AuthError", "message": "Invalid token: signature"}]})
        if self.path != "/v2/notifications/email" or body.get("template_id") != TEMPLATE:
            return self._answer(400, {"errors": [{"error": "BadRequestError", "message": "Template not found"}]})
        if Notify.refusing:
            return self._answer(500, {"errors": [{"error": "Exception", "message": "Internal server error"}]})
        Notify.received.append(body)
        self._answer(201, {"id": str(uuid.uuid4()), "reference": body.get("reference"), "content": {}})

    def _answer(self, status: int, payload: dict) -> None:
        data = json.dumps({**payload, "status_code": status}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def notify() -> Iterator[Settings]:
    Notify.received, Notify.refusing = [], False
    server = ThreadingHTTPServer(("127.0.0.1", 0), Notify)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield Settings(
            notify_api_key=f"qa_engine_test-{SERVICE}-{SECRET}",
            notify_template_id=TEMPLATE,
            notify_base_url=f"http://127.0.0.1:{server.server_address[1]}",
        )
    finally:
        server.shutdown()
        server.server_close()


async def test_every_kind_goes_through_notify_once_by_its_template(app_pool, directory_pool, notify):
    await addressed_staff(directory_pool)
    kinds = ("task", "reminder", "escalation", "alert", "info")
    posted = [note(who, kind) for kind in kinds for who in ("sam.reviewer", "nadia.manager", "priya.practitioner")]
    await Outbox(app_pool, mail=True).post_many(posted)
    deliveries, sender = Deliveries(app_pool), sender_for(notify)
    assert isinstance(sender, NotifySender)
    assert await deliver_due(deliveries, sender) == 10  # priya has no address
    assert await deliver_due(deliveries, sender) == 0
    got = sorted((m["email_address"], m["personalisation"]["subject"]) for m in Notify.received)
    assert got == sorted((ADDRESSES[who], f"{kind} 0 about case LCS-100745") for kind in kinds for who in ADDRESSES)
    by_reference = {m["reference"]: m for m in Notify.received}
    sent = next(n for n in posted if n.recipient == "sam.reviewer" and n.kind == "task")
    body = by_reference[str(sent.notification_id)]["personalisation"]["body"]
    assert f"Item: {ITEM}" in body and "Due: 2027-11-29T23:59:59+00:00" in body
    assert await deliveries.failed() == []


async def test_what_notify_refuses_is_tried_again_and_a_digest_goes_as_one(
    app_pool, directory_pool, admin_conn, notify
):
    await addressed_staff(directory_pool)
    deliveries, sender = Deliveries(app_pool), sender_for(notify)
    await Outbox(app_pool, mail=True).post(note("nadia.manager", "alert"))
    Notify.refusing = True
    assert await deliver_due(deliveries, sender) == 0
    [row] = await admin_conn.fetch("SELECT state, attempts, last_error FROM deliveries")
    assert (row["state"], row["attempts"]) == ("queued", 1)
    assert row["last_error"] == "GOV.UK Notify answered 500: Internal server error"
    Notify.refusing = False
    await admin_conn.execute("UPDATE deliveries SET next_attempt_at = now()")
    assert await deliver_due(deliveries, sender) == 1

    await deliveries.choose("sam.reviewer", True)
    await Outbox(app_pool, mail=True).post_many([note("sam.reviewer", "task", 1), note("sam.reviewer", "info", 2)])
    assert await deliver_due(deliveries, sender, datetime.now(UTC) + timedelta(seconds=1)) == 2
    digest = Notify.received[-1]
    assert digest["personalisation"]["subject"] == "Your Quality Assurance digest: 2 messages"
    assert digest["reference"].startswith("digest.") and digest["email_address"] == ADDRESSES["sam.reviewer"]

    # A key Notify does not know: refused, with Notify's reason, for the QA team.
    wrong = sender_for(notify.model_copy(update={"notify_api_key": f"qa_engine_test-{SERVICE}-{uuid.uuid4()}"}))
    await Outbox(app_pool, mail=True).post(note("nadia.manager", "alert", 9))
    assert await deliver_due(deliveries, wrong) == 0
    last = await admin_conn.fetchval("SELECT last_error FROM deliveries WHERE state = 'queued'")
    assert last == "GOV.UK Notify answered 403: Invalid token: signature"


def test_one_way_to_send_e_mail_is_chosen_in_settings(notify):
    assert sender_for(Settings()) is None
    with pytest.raises(SettingsError, match="^choose one way to send e-mail: QA_SMTP_HOST or QA_NOTIFY_API_KEY"):
        sender_for(notify.model_copy(update={"smtp_host": "mail.council.example", "smtp_from": "qa@council.example"}))
    with pytest.raises(SettingsError, match="^GOV.UK Notify needs QA_NOTIFY_API_KEY and QA_NOTIFY_TEMPLATE_ID"):
        sender_for(notify.model_copy(update={"notify_template_id": None}))
    with pytest.raises(SettingsError, match="^QA_NOTIFY_API_KEY is not a GOV.UK Notify API key"):
        sender_for(notify.model_copy(update={"notify_api_key": "short"}))
    assert sender_for(notify).through.startswith("GOV.UK Notify (http://127.0.0.1:")


def test_qa_deliver_with_no_way_to_send_e_mail_says_which_settings_and_sends_nothing(monkeypatch, tmp_path, capsys):
    from infra.cli.main import main

    for name in ("QA_SMTP_HOST", "QA_NOTIFY_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("QA_HOME", str(tmp_path))
    code = main(["deliver"])
    assert (code, capsys.readouterr().err) == (
        1,
        "qa: no way to send e-mail is set: QA_SMTP_HOST (a mail server) or QA_NOTIFY_API_KEY (GOV.UK Notify)\n",
    )
