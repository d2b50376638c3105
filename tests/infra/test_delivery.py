"""E-mail delivery (`qa deliver`, infra.delivery) through a real SMTP server (aiosmtpd) and a real PostgreSQL.

Every kind of notification reaches everyone whose staff record gives an address, once; a mail server
that refuses is tried again with backoff and, after the last try, the message is listed for the QA
team; a delivery process killed mid-batch sends nothing twice, and the message it was sending is
listed as of unknown outcome.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from domain.directory import parse_staff_csv
from domain.notifications import Notification, notification_id
from infra.delivery import SmtpSender, deliver_due
from infra.settings import Settings
from infra.store.audit_log import AuditLog
from infra.store.deliveries import MAX_ATTEMPTS, UNKNOWN, Deliveries
from infra.store.directory import Directory
from infra.store.outbox import Outbox
from tests.clock import EXAMPLES
from tests.infra.test_cli_cpr import stack
from tests.infra.test_stack import free_port, stack_env

QA = str(Path(sys.executable).with_name("qa"))
__all__ = ["stack", "stack_env"]  # the fixtures, used by name
ITEM = "cpr-2027-11-01-children-in-need-review-LCS-100745"
ADDRESSES = {"sam.reviewer": "sam.patel@council.example", "nadia.manager": "nadia.ali@council.example"}


class Inbox:
    """The SMTP server's side: every message it accepted, or a refusal while `refusing`."""

    def __init__(self, delay: float = 0.0) -> None:
        self.received: list = []
        self.refusing = False
        self.delay = delay

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd's name
        if self.refusing:
            return "451 4.3.0 mailbox busy, try again later"
        self.received.append(message_from_bytes(envelope.content, policy=policy.default))
        await asyncio.sleep(self.delay)  # the message is in; the sender waits for the answer
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def settings_for(port: int) -> Settings:
    return Settings(smtp_host="127.0.0.1", smtp_port=port, smtp_from="qa@council.example", smtp_starttls=False)


async def addressed_staff(directory_pool) -> None:
    """The example authority, two of them with work addresses."""
    staff = [
        m.model_copy(update={"email": ADDRESSES.get(m.staff_id)})
        for m in parse_staff_csv((EXAMPLES / "staff.csv").read_text())
    ]
    await Directory(directory_pool, AuditLog(directory_pool)).import_staff(staff, "qa.officer", datetime.now(UTC))


def note(recipient: str, kind: str, n: int = 0) -> Notification:
    subject = f"{kind} {n} about case LCS-100745"
    return Notification(
        notification_id=notification_id(ITEM, kind, recipient, str(n)),
        recipient=recipient,
        kind=kind,
        item_id=ITEM,
        subject=subject,
        body=f"What to do about case LCS-100745 ({n})",
        **(
            {"task_key": f"step-{n}", "due_at": datetime(2027, 11, 29, 23, 59, 59, tzinfo=UTC)}
            if kind == "task"
            else {}
        ),
    )


async def test_every_kind_reaches_whoever_has_an_address_once(app_pool, directory_pool, smtp):
    inbox, port = smtp
    await addressed_staff(directory_pool)
    kinds = ("task", "reminder", "escalation", "alert", "info")
    posted = [note(who, kind) for kind in kinds for who in ("sam.reviewer", "nadia.manager", "priya.practitioner")]
    outbox = Outbox(app_pool, mail=True)
    await outbox.post_many(posted)
    await outbox.post_many(posted)  # an activity's retry: nothing new queued
    deliveries = Deliveries(app_pool)
    assert await deliver_due(deliveries, SmtpSender(settings_for(port))) == 10  # priya has no address
    assert await deliver_due(deliveries, SmtpSender(settings_for(port))) == 0
    got = sorted((m["To"], m["Subject"]) for m in inbox.received)
    assert got == sorted((ADDRESSES[who], f"{kind} 0 about case LCS-100745") for kind in kinds for who in ADDRESSES)
    first = inbox.received[0]
    assert first["From"] == "qa@council.example" and first["X-QA-Notification"]
    assert f"Item: {ITEM}" in first.get_content() and "LCS-100745" in first.get_content()
    assert len({m["Message-ID"] for m in inbox.received}) == 10
    assert await deliveries.failed() == []


async def test_a_refusing_mail_server_is_tried_again_then_the_message_is_listed(
    app_pool, directory_pool, smtp, admin_conn, monkeypatch, database, capsys, tmp_path
):
    inbox, port = smtp
    await addressed_staff(directory_pool)
    await Outbox(app_pool, mail=True).post(note("sam.reviewer", "alert"))
    deliveries, sender = Deliveries(app_pool), SmtpSender(settings_for(port))
    inbox.refusing = True
    assert await deliver_due(deliveries, sender) == 0
    [row] = await admin_conn.fetch(
        "SELECT state, attempts, next_attempt_at > now() AS later, last_error FROM deliveries"
    )
    assert (row["state"], row["attempts"], row["later"]) == ("queued", 1, True)
    assert row["last_error"] == "the mail server answered 451 4.3.0 mailbox busy, try again later"
    # Each backoff passed at once (as if waited): the tries run out, and it is listed.
    for _ in range(MAX_ATTEMPTS - 1):
        await admin_conn.execute("UPDATE deliveries SET next_attempt_at = now()")
        assert await deliver_due(deliveries, sender) == 0
    [failed] = await deliveries.failed()
    assert (failed.recipient, failed.address, failed.attempts) == ("sam.reviewer", ADDRESSES["sam.reviewer"], 6)
    assert failed.why == "the mail server answered 451 4.3.0 mailbox busy, try again later"
    assert inbox.received == []
    # The QA team sees it; nobody else may.
    from infra.cli.main import main

    monkeypatch.setenv("QA_HOME", str(tmp_path))
    monkeypatch.setenv("QA_DATABASE_URL", database.app_url)
    capsys.readouterr()  # the delivery's own log lines
    assert await asyncio.to_thread(main, ["notifications", "failed", "--as", "qa.officer", "--json"]) == 1
    listed = json.loads(capsys.readouterr().out)
    assert [(f["recipient"], f["attempts"]) for f in listed] == [("sam.reviewer", 6)]
    assert await asyncio.to_thread(main, ["notifications", "failed", "--as", "sam.reviewer"]) == 1
    assert "sam.reviewer cannot see the messages that did not go out" in capsys.readouterr().err


async def test_a_delivery_process_killed_mid_batch_sends_nothing_twice_and_lists_what_it_was_sending(
    app_pool, directory_pool, database, admin_conn, tmp_path
):
    inbox, port = Inbox(delay=0.3), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        await addressed_staff(directory_pool)
        posted = [note("sam.reviewer", "info", n) for n in range(12)]
        await Outbox(app_pool, mail=True).post_many(posted)
        env = {
            **os.environ,
            "QA_HOME": str(tmp_path),
            "QA_DATABASE_URL": database.app_url,
            "QA_SMTP_HOST": "127.0.0.1",
            "QA_SMTP_PORT": str(port),
            "QA_SMTP_FROM": "qa@council.example",
            "QA_SMTP_STARTTLS": "false",
        }
        process = subprocess.Popen([QA, "deliver"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while len(inbox.received) < 4 and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        os.kill(process.pid, signal.SIGKILL)  # mid-batch: a message is in the server, its answer not yet read
        process.wait(timeout=30)
        [left] = await admin_conn.fetch("SELECT notification_id FROM deliveries WHERE state = 'sending'")
        # Its lease runs out (as if five minutes passed): of unknown outcome, listed, never sent again.
        await admin_conn.execute(
            "UPDATE deliveries SET next_attempt_at = now() - interval '1 second' WHERE state = 'sending'"
        )
        again = subprocess.Popen([QA, "deliver"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                states = {
                    r["state"]: r["n"]
                    for r in await admin_conn.fetch("SELECT state, count(*) AS n FROM deliveries GROUP BY state")
                }
                if states.get("queued", 0) == 0 and states.get("sending", 0) == 1:
                    break
                await asyncio.sleep(0.1)
            assert states == {"sent": 11, "sending": 1}, states
        finally:
            again.send_signal(signal.SIGTERM)
            assert again.wait(timeout=30) == 0
    finally:
        controller.stop()
    ids = [m["X-QA-Notification"] for m in inbox.received]
    assert len(ids) == len(set(ids))  # nothing twice
    assert {str(n.notification_id) for n in posted} - set(ids) <= {str(left["notification_id"])}
    [unknown] = await Deliveries(app_pool).failed()
    assert (unknown.notification_id, unknown.why) == (left["notification_id"], UNKNOWN)


def test_qa_up_with_a_mail_server_emails_a_reviewer_their_task(stack_env, smtp, tmp_path):
    from domain.directory import render_staff_csv
    from domain.working_days import LONDON
    from infra.stack import example_cycle_start
    from tests.infra.test_stack import Stack

    inbox, port = smtp
    staff = tmp_path / "staff.csv"
    members = parse_staff_csv((EXAMPLES / "staff.csv").read_text())
    staff.write_text(render_staff_csv(m.model_copy(update={"email": ADDRESSES.get(m.staff_id)}) for m in members))
    env = {
        **stack_env,
        "QA_SMTP_HOST": "127.0.0.1",
        "QA_SMTP_PORT": str(port),
        "QA_SMTP_FROM": "qa@council.example",
        "QA_SMTP_STARTTLS": "false",
    }
    stack = Stack(env)
    try:
        assert f"messages:         by e-mail through the mail server 127.0.0.1:{port}" in stack.banner
        stack.qa("staff", "import", str(staff), "--as", "qa.officer")
        stack.qa("cases", "import", str(EXAMPLES / "cases.csv"), "--as", "qa.officer")
        start = example_cycle_start(datetime.now(LONDON).date()).isoformat()
        cycle = json.loads(
            stack.qa(
                "cpr",
                "start",
                "--service",
                "Children in Need",
                "--start",
                start,
                "--sample",
                "3",
                "--as",
                "qa.officer",
                "--json",
            ).stdout
        )
        case = cycle["cases"][0]["case_number"]
        review = stack.qa("cpr", "allocate", cycle["id"], case, "--reviewer", "sam.reviewer", "--as", "qa.officer")
        deadline = time.monotonic() + 60
        while not any(m["To"] == ADDRESSES["sam.reviewer"] for m in inbox.received) and time.monotonic() < deadline:
            time.sleep(0.2)
        [task] = [m for m in inbox.received if m["To"] == ADDRESSES["sam.reviewer"]]
        assert task["Subject"] == f"Complete the review of case {case}"
        assert f"Item: {review.stdout.strip()}" in task.get_content()
    finally:
        stack.stop()


async def test_a_daily_digest_holds_all_but_alerts_until_a_working_days_start(
    app_pool, directory_pool, smtp, monkeypatch, tmp_path, database, capsys
):
    from infra.cli.main import main
    from infra.delivery import digest_since

    inbox, port = smtp
    await addressed_staff(directory_pool)
    monkeypatch.setenv("QA_HOME", str(tmp_path))
    monkeypatch.setenv("QA_DATABASE_URL", database.app_url)
    assert await asyncio.to_thread(main, ["notifications", "digest", "--daily", "--as", "sam.reviewer"]) == 0
    assert capsys.readouterr().out == "sam.reviewer: one daily digest at 07:00 on working days (alerts at once)\n"
    await Outbox(app_pool, mail=True).post_many(
        [note("sam.reviewer", "task", 1), note("sam.reviewer", "alert", 2), note("sam.reviewer", "info", 3)]
    )
    deliveries, sender = Deliveries(app_pool), SmtpSender(settings_for(port))
    # Before the next working day starts: only the alert goes.
    assert await deliver_due(deliveries, sender, datetime.now(UTC) - timedelta(hours=1)) == 1
    assert [m["Subject"] for m in inbox.received] == ["alert 2 about case LCS-100745"]
    # Once it has started: the rest in one message, the task (with its due moment) first.
    assert await deliver_due(deliveries, sender, datetime.now(UTC) + timedelta(seconds=1)) == 2
    digest = inbox.received[1]
    assert digest["Subject"] == "Your Quality Assurance digest: 2 messages"
    body = digest.get_content()
    assert body.index("task 1 about case LCS-100745") < body.index("info 3 about case LCS-100745")
    assert "Due: 2027-11-29T23:59:59+00:00" in body and f"Item: {ITEM}" in body
    assert await deliver_due(deliveries, sender, datetime.now(UTC) + timedelta(seconds=1)) == 0
    # The working day's start: 07:00 London on a working day, the latest begun by then.

    def weekdays(day: date) -> bool:
        return day.weekday() < 5

    saturday = datetime(2027, 3, 6, 12, tzinfo=UTC)
    assert digest_since(saturday, weekdays) == datetime(2027, 3, 5, 7, tzinfo=UTC)
    assert digest_since(datetime(2027, 3, 8, 6, 59, tzinfo=UTC), weekdays) == datetime(2027, 3, 5, 7, tzinfo=UTC)
    assert digest_since(datetime(2027, 4, 5, 7, tzinfo=UTC), weekdays) == datetime(2027, 4, 5, 6, tzinfo=UTC)


async def test_an_invitation_goes_by_e_mail_to_the_person_alone(stack, smtp, monkeypatch, tmp_path, capsys):
    import re

    from domain.directory import render_staff_csv
    from tests.infra.test_cli_cpr import ok
    from tests.infra.test_server import serving, token

    inbox, port = smtp
    staff = tmp_path / "staff.csv"
    members = parse_staff_csv((EXAMPLES / "staff.csv").read_text())
    staff.write_text(render_staff_csv(m.model_copy(update={"email": ADDRESSES.get(m.staff_id)}) for m in members))
    await ok(capsys, "staff", "import", str(staff), "--as", "qa.officer")
    mail = {"QA_SMTP_HOST": "127.0.0.1", "QA_SMTP_PORT": str(port), "QA_SMTP_FROM": "qa@council.example"}
    async with serving(monkeypatch, tmp_path, **mail, QA_SMTP_STARTTLS="false"):
        officer = await token(capsys, "qa.officer")
        out = await ok(capsys, "--token", officer, "auth", "invite", "sam.reviewer", "priya.practitioner")
        sam, priya = out.splitlines()
        # Sam's code went to Sam alone; Priya has no address, so hers is printed to give in person.
        assert sam.startswith(f"sam.reviewer: the code was e-mailed to {ADDRESSES['sam.reviewer']} (until ")
        assert "qai_" not in sam and re.match(r"priya\.practitioner: qai_\S+ \(until ", priya)
        [sent] = inbox.received
        assert (sent["To"], sent["Subject"]) == (
            ADDRESSES["sam.reviewer"],
            "Your invitation to sign in to the Quality Assurance Framework",
        )
        code = re.search(r"qa auth accept(?: --server \S+)? (qai_\S+)", sent.get_content()).group(1)
        monkeypatch.setattr("sys.stdin", io.StringIO("correct horse battery staple\n"))
        assert (await ok(capsys, "auth", "accept", code, "--password-stdin")).startswith(
            "password set for sam.reviewer"
        )
