"""A person's inbox: what they have to do and what they were told (the notifications outbox)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from infra.application.services import database


async def inbox(person: str) -> Any:
    """PERSON's open tasks (soonest due first) and what they were told lately (domain.notifications.Inbox)."""
    from infra.store.outbox import Outbox

    async with database() as pool:
        return await Outbox(pool).inbox(person, datetime.now(UTC))
