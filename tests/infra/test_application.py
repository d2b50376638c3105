"""What the application layer says when a part of the stack fails: one line naming the part."""

from __future__ import annotations

from temporalio.service import RPCError, RPCStatusCode

from infra.application.services import temporal_failed
from infra.db import where


def test_temporal_unreachable_mid_request_is_named_with_its_address(monkeypatch):
    monkeypatch.setenv("QA_TEMPORAL_ADDRESS", "temporal.council.internal:7233")
    gone = RPCError("connection reset", RPCStatusCode.UNAVAILABLE, b"")
    assert str(temporal_failed(gone)) == "cannot reach Temporal at temporal.council.internal:7233: connection reset"
    refused = RPCError("namespace qa not found", RPCStatusCode.NOT_FOUND, b"")
    assert str(temporal_failed(refused)) == "Temporal refused the request: namespace qa not found"


def test_a_database_is_named_by_its_name_and_host_never_its_credentials():
    assert where("postgresql://qa_engine:s3cret@db.council.internal:5433/qa") == "qa at db.council.internal:5433"
    assert where("postgresql://qa_engine@/qa_test?host=/tmp/pg/run") == "qa_test at /tmp/pg/run"
