"""A new kind, declared once, is in `qa overdue` with its own name: the CLI keeps no list of kinds."""

from __future__ import annotations

import asyncio
import json
import uuid

import pytest

from domain import items
from domain.events import NewEvent
from infra.cli.main import main
from infra.store.audit_log import AuditLog
from tests.domain.test_case_audit import meta
from tests.domain.test_kinds import SPOT_CHECK, spot_check_events


@pytest.fixture
def cli_on(database, tmp_path, monkeypatch):
    monkeypatch.setenv("QA_HOME", str(tmp_path))
    monkeypatch.setenv("QA_DATABASE_URL", database.app_url)
    monkeypatch.setattr(items, "KINDS", (*items.KINDS, SPOT_CHECK))


async def test_a_new_kinds_overdue_duty_is_listed_by_qa_overdue(cli_on, app_pool, capsys):
    events = [
        NewEvent(
            stream_id="spot_check-2027-05-24-neglect-plans",
            version=version,
            event_id=uuid.uuid4(),
            event_type=event.event_type,
            actor=m.actor,
            business_time=m.business_time,
            payload=event.payload(),
        )
        for version, event in enumerate(spot_check_events(), start=1)
        for m in [meta(version)]
    ]
    await AuditLog(app_pool).append(events)
    # The CLI runs its own event loop: in a thread, as from a terminal.
    code = await asyncio.to_thread(main, ["overdue", "--json"])
    out, err = capsys.readouterr()
    assert (code, err) == (0, "")
    [duty] = json.loads(out)["duties"]
    assert (duty["id"], duty["kind"], duty["key"], duty["owner"]) == (
        "spot_check-2027-05-24-neglect-plans",
        "spot check",
        "case-LCS-100318",
        "sam.reviewer",
    )
