"""Accounts, invitations, bearer tokens and the sign-in log in PostgreSQL (migration 0011).

A token or an invitation code is a random secret handed to its holder once and
kept here only as its SHA-256, so reading these tables signs nobody in. Expiry is
the database's clock, like every moment the record keeps.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import asyncpg

HANDOFF_LIFETIME = timedelta(minutes=2)
TOKEN_PREFIX = "qa_"  # so a token pasted where it should not be is recognisable (and findable by secret scanners)
INVITATION_PREFIX = "qai_"


def _digest(secret: str) -> bytes:
    return hashlib.sha256(secret.encode("utf-8")).digest()


@dataclass(frozen=True, slots=True)
class Issued:
    secret: str  # shown once, to its holder; never stored
    staff_id: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class Holder:
    staff_id: str
    method: str
    expires_at: datetime


class SignInStore:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def issue_token(self, staff_id: str, method: str, issued_by: str, lifetime: timedelta) -> Issued:
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        expires_at = await self._pool.fetchval(
            "INSERT INTO tokens (token_hash, staff_id, method, issued_by, expires_at)"
            " VALUES ($1, $2, $3, $4, now() + $5) RETURNING expires_at",
            _digest(token),
            staff_id,
            method,
            issued_by,
            lifetime,
        )
        return Issued(token, staff_id, expires_at)

    async def holder(self, token: str) -> Holder | None:
        """Whose `token` is, if it is one, not revoked and not expired."""
        row = await self._pool.fetchrow(
            "SELECT staff_id, method, expires_at FROM tokens"
            " WHERE token_hash = $1 AND revoked_at IS NULL AND expires_at > now()",
            _digest(token),
        )
        return Holder(row["staff_id"], row["method"], row["expires_at"]) if row else None

    async def revoke(self, token: str) -> bool:
        status = await self._pool.execute(
            "UPDATE tokens SET revoked_at = now() WHERE token_hash = $1 AND revoked_at IS NULL", _digest(token)
        )
        return status.endswith(" 1")

    async def issue_invitation(self, staff_id: str, issued_by: str, lifetime: timedelta) -> Issued:
        code = INVITATION_PREFIX + secrets.token_urlsafe(24)
        expires_at = await self._pool.fetchval(
            "INSERT INTO invitations (code_hash, staff_id, issued_by, expires_at)"
            " VALUES ($1, $2, $3, now() + $4) RETURNING expires_at",
            _digest(code),
            staff_id,
            issued_by,
            lifetime,
        )
        return Issued(code, staff_id, expires_at)

    async def invited(self, code: str) -> str | None:
        """Who an invitation code is for, if it is one, unused and not expired."""
        return await self._pool.fetchval(
            "SELECT staff_id FROM invitations WHERE code_hash = $1 AND used_at IS NULL AND expires_at > now()",
            _digest(code),
        )

    async def accept_invitation(self, code: str, password_hash: str) -> str | None:
        """Use the invitation `code` once to set its holder's password; who it was for, or None if it
        was not a usable code (nothing changed). A code used twice at once is used by one of them."""
        async with self._pool.acquire() as conn, conn.transaction():
            staff_id = await conn.fetchval(
                "UPDATE invitations SET used_at = now()"
                " WHERE code_hash = $1 AND used_at IS NULL AND expires_at > now() RETURNING staff_id",
                _digest(code),
            )
            if staff_id is None:
                return None
            await conn.execute(
                "INSERT INTO accounts (staff_id, password_hash) VALUES ($1, $2)"
                " ON CONFLICT (staff_id) DO UPDATE SET password_hash = excluded.password_hash, set_at = now()",
                staff_id,
                password_hash,
            )
            return staff_id

    async def hand_off(self, staff_id: str, challenge: bytes) -> str:
        """A one-time code for the CLI that holds the verifier whose SHA-256 is `challenge`."""
        code = secrets.token_urlsafe(32)
        await self._pool.execute(
            "INSERT INTO sign_in_handoffs (code_hash, staff_id, challenge, expires_at) VALUES ($1, $2, $3, now() + $4)",
            _digest(code),
            staff_id,
            challenge,
            HANDOFF_LIFETIME,
        )
        return code

    async def take_handoff(self, code: str, verifier: str) -> str | None:
        """Whose the code is, used once, if `verifier` is the one it was issued for and it has not expired."""
        return await self._pool.fetchval(
            "UPDATE sign_in_handoffs SET used_at = now()"
            " WHERE code_hash = $1 AND challenge = $2 AND used_at IS NULL AND expires_at > now() RETURNING staff_id",
            _digest(code),
            _digest(verifier),
        )

    async def password_hash(self, staff_id: str) -> str | None:
        return await self._pool.fetchval("SELECT password_hash FROM accounts WHERE staff_id = $1", staff_id)

    async def rehash(self, staff_id: str, old: str, new: str) -> None:
        """Keep `new` (the same password under today's argon2 parameters) if `old` is still the one kept."""
        await self._pool.execute(
            "UPDATE accounts SET password_hash = $3 WHERE staff_id = $1 AND password_hash = $2", staff_id, old, new
        )

    async def record_attempt(self, staff_id: str, method: str, succeeded: bool, source: str, detail: str = "") -> None:
        await self._pool.execute(
            "INSERT INTO sign_ins (staff_id, method, succeeded, source, detail) VALUES ($1, $2, $3, $4, $5)",
            staff_id[:200] or "?",
            method,
            succeeded,
            source[:200],
            detail[:500],
        )

    async def failures(self, staff_id: str, source: str, window: timedelta) -> tuple[int, int, datetime | None]:
        """Failed sign-ins within `window` for the person and from the source, and when the oldest of
        them leaves the window (None if there are none)."""
        row = await self._pool.fetchrow(
            "SELECT count(*) FILTER (WHERE staff_id = $1) AS person,"
            " count(*) FILTER (WHERE source = $2 AND $2 <> '') AS source,"
            " min(attempted_at) + $3 AS clears"
            " FROM sign_ins WHERE NOT succeeded AND attempted_at > now() - $3 AND (staff_id = $1 OR source = $2)",
            staff_id,
            source,
            window,
        )
        return row["person"], row["source"], row["clears"]
