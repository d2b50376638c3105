"""Published files in PostgreSQL: written once, the same bytes again a no-op, never changed afterwards."""

from __future__ import annotations

import asyncpg
import pytest

from infra.store.documents import DocumentConflict, Documents, parse_location


async def test_a_file_is_stored_once_and_never_replaced_or_changed(app_pool, admin_conn):
    documents = Documents(app_pool)
    first = await documents.put("cpr-2027-11-01-children-in-need", "findings.md", "text/markdown", "# Findings\n")
    assert first == (
        "postgresql:cpr-2027-11-01-children-in-need/findings.md",
        "770516662a6aa8106529459aa99dd5447ba7d9b98c6ac3a97b28fd6322c7aa6d",
    )
    # A retried write of the same bytes: the same answer, nothing new.
    assert (
        await documents.put("cpr-2027-11-01-children-in-need", "findings.md", "text/markdown", "# Findings\n") == first
    )
    with pytest.raises(DocumentConflict, match="already stored with other content"):
        await documents.put("cpr-2027-11-01-children-in-need", "findings.md", "text/markdown", "# Other\n")
    stored = await documents.get(*parse_location(first[0]))
    assert (stored.media_type, stored.content) == ("text/markdown", b"# Findings\n")
    assert await documents.get("cpr-2027-11-01-children-in-need", "missing.md") is None
    # Changed by nobody, its owner included; a row whose digest column lies is refused.
    for statement in ("UPDATE documents SET content = 'x'", "DELETE FROM documents", "TRUNCATE documents"):
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
            await admin_conn.execute(statement)
    with pytest.raises(asyncpg.CheckViolationError):
        await admin_conn.execute(
            "INSERT INTO documents (item_id, name, media_type, content, sha256)"
            " VALUES ('x', 'y.md', 'text/markdown', 'a', sha256('b'))"
        )


def test_a_location_names_an_item_and_a_file_or_is_a_path():
    assert parse_location("postgresql:qapm-2027-03-04/pack.md") == ("qapm-2027-03-04", "pack.md")
    assert parse_location("/home/qa/reports/qapm-2027-03-04/pack.md") is None
    assert parse_location("postgresql:pack.md") is None
