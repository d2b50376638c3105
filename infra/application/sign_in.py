"""Who a request comes from, proven: local accounts, invitations, bearer tokens (infra.store.sign_in).

A person signs in through the council's identity provider (infra.http.oidc), or with
the password they set from an invitation, and gets a bearer token; every
request then carries it and `authenticate` says whose it is. An administrator of
the host, who holds the database's administrator login, may mint a token for a
member of staff (for scripts and tests), or for anyone while the directory is
still empty (to import the first staff file). Every attempt is in the sign-in log.
"""

from __future__ import annotations

import asyncio
import getpass
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from infra.application.errors import AppError, NotSignedIn
from infra.application.services import database, settings

WRONG = "wrong user name or password"  # the same words whichever was wrong: a guesser learns nothing


def _hasher():  # type: ignore[no-untyped-def]
    from argon2 import PasswordHasher

    return PasswordHasher()  # RFC 9106's second recommended parameters


def host_administrator() -> str:
    """Who mints on this host, as the sign-in log records it."""
    return f"host administrator {getpass.getuser()}@{socket.gethostname()}"


def _directory(pool):  # type: ignore[no-untyped-def]
    from infra.store.audit_log import AuditLog
    from infra.store.directory import Directory

    return Directory(pool, AuditLog(pool))


async def _member(pool, staff_id: str):  # type: ignore[no-untyped-def]
    return await _directory(pool).staff_member(staff_id)


async def _directory_empty(pool) -> bool:  # type: ignore[no-untyped-def]
    return await _directory(pool).empty()


async def mint(staff_id: str, lifetime: timedelta) -> Any:
    """A token for `staff_id`, minted by the host's administrator (infra.store.sign_in.Issued).

    It takes the administrator's database login, which only the host's administrator holds
    (for the embedded stack, `qa up`'s stack file, readable by them alone).
    """
    from infra.db import DatabaseUnreachable, create_pool
    from infra.store.sign_in import SignInStore

    try:
        pool = await create_pool(settings().require_admin_database_url(), min_size=1, max_size=1)
    except DatabaseUnreachable as exc:
        raise AppError(str(exc)) from None
    try:
        member = await _member(pool, staff_id)
        store = SignInStore(pool)
        by = host_administrator()
        if member is None and not await _directory_empty(pool):
            await store.record_attempt(staff_id, "minted", False, by, "not in the directory")
            raise AppError(f"refused: {staff_id} is not in the staff directory", 1)
        if member is not None and not member.active:
            await store.record_attempt(staff_id, "minted", False, by, "no longer active")
            raise AppError(f"refused: {staff_id} is no longer active in the staff directory", 1)
        issued = await store.issue_token(staff_id, "minted", by, lifetime)
        detail = "the directory is empty: for the first staff import" if member is None else ""
        await store.record_attempt(staff_id, "minted", True, by, detail)
        return issued
    finally:
        await pool.close()


@dataclass(frozen=True, slots=True)
class Invited:
    staff_id: str
    expires_at: datetime
    code: str | None  # for the QA team to give in person: None when it was e-mailed to the person alone
    sent_to: str | None = None  # the address it was e-mailed to
    not_sent: str | None = None  # why it could not be e-mailed, when the person has an address


async def invite(staff_id: str, by: str) -> Invited:
    """A one-time code for `staff_id` to set their password with; `by` must be in the QA team. With a mail
    server set and an address in the directory, the code goes to the person alone, by e-mail."""
    from domain.sign_in import INVITATION_LIFETIME
    from infra.application.directory import require
    from infra.delivery import Undelivered, sender_for
    from infra.store.sign_in import SignInStore

    await require("invite", by)
    async with database() as pool:
        member = await _member(pool, staff_id)
        if member is None or not member.active:
            raise AppError(f"refused: {staff_id} is not an active member of staff in the directory", 1)
        issued = await SignInStore(pool).issue_invitation(staff_id, by, INVITATION_LIFETIME)
    sender = sender_for(settings())
    if member.email is None or sender is None:
        return Invited(staff_id, issued.expires_at, issued.secret)
    try:
        await sender.send_invitation(member.email, issued.secret, issued.expires_at)
    except Undelivered as exc:
        return Invited(staff_id, issued.expires_at, issued.secret, not_sent=str(exc)[:300])
    return Invited(staff_id, issued.expires_at, None, sent_to=member.email)


async def accept_invitation(code: str, password: str, source: str) -> str:
    """Set a password with an invitation code (used once); whose it was."""
    from domain.sign_in import password_problem
    from infra.store.sign_in import SignInStore

    async with database() as pool:
        store = SignInStore(pool)
        staff_id = await store.invited(code)
        if staff_id is None:
            await store.record_attempt("?", "invitation", False, source, "not a usable invitation code")
            raise AppError("that invitation code is not one, was used already or has expired: ask the QA team", 1)
        problem = password_problem(password, staff_id)
        if problem is not None:
            raise AppError(problem, 2)
        hashed = await asyncio.to_thread(_hasher().hash, password)
        if await store.accept_invitation(code, hashed) is None:
            raise AppError("that invitation code was used a moment ago: ask the QA team for another", 1)
        await store.record_attempt(staff_id, "invitation", True, source, "password set")
        return staff_id


async def password_sign_in(staff_id: str, password: str, source: str, lifetime: timedelta) -> Any:
    """A token for `staff_id` if `password` is theirs; held back after too many failures."""
    from argon2.exceptions import InvalidHashError, VerificationError

    from domain.directory import check_staff_id
    from domain.sign_in import FAILURE_WINDOW, FAILURES_PER_PERSON, FAILURES_PER_SOURCE
    from domain.working_days import LONDON
    from infra.store.sign_in import SignInStore

    try:
        check_staff_id(staff_id, "user name")
    except ValueError as exc:
        raise AppError(str(exc), 2) from None
    async with database() as pool:
        store = SignInStore(pool)
        person, from_source, clears = await store.failures(staff_id, source, FAILURE_WINDOW)
        if person >= FAILURES_PER_PERSON or from_source >= FAILURES_PER_SOURCE:
            await store.record_attempt(staff_id, "password", False, source, "held back: too many failures")
            again = f"{clears.astimezone(LONDON):%H:%M}" if clears else "a few minutes"
            raise NotSignedIn(f"too many failed sign-ins: try again after {again}")
        kept = await store.password_hash(staff_id)
        member = await _member(pool, staff_id)
        hasher = _hasher()
        try:
            if kept is None or member is None or not member.active:
                raise VerificationError(WRONG)
            await asyncio.to_thread(hasher.verify, kept, password)
        except (VerificationError, InvalidHashError):
            await store.record_attempt(staff_id, "password", False, source, WRONG)
            raise NotSignedIn(WRONG) from None
        if hasher.check_needs_rehash(kept):
            await store.rehash(staff_id, kept, await asyncio.to_thread(hasher.hash, password))
        issued = await store.issue_token(staff_id, "password", staff_id, lifetime)
        await store.record_attempt(staff_id, "password", True, source)
        return issued


async def provider_signed_in(staff_id: str, challenge: bytes, source: str) -> str:
    """The identity provider proved `staff_id`: a one-time code for the CLI holding the verifier of
    `challenge` to exchange for a token (`exchange`); refused unless they are active in the directory."""
    from infra.store.sign_in import SignInStore

    async with database() as pool:
        store = SignInStore(pool)
        member = await _member(pool, staff_id)
        if member is None or not member.active:
            await store.record_attempt(staff_id, "oidc", False, source, "not an active member of staff")
            raise NotSignedIn(f"the identity provider signed in {staff_id}, who is not active in the staff directory")
        await store.record_attempt(staff_id, "oidc", True, source, "signed in at the identity provider")
        return await store.hand_off(staff_id, challenge)


async def exchange(code: str, verifier: str, source: str, lifetime: timedelta) -> Any:
    """A token for the one-time code the identity provider's sign-in handed to the CLI, with its verifier."""
    from infra.store.sign_in import SignInStore

    async with database() as pool:
        store = SignInStore(pool)
        staff_id = await store.take_handoff(code, verifier)
        if staff_id is None:
            await store.record_attempt("?", "oidc", False, source, "not a usable sign-in code")
            raise NotSignedIn(
                "that sign-in code is not one, was used already or has expired: `qa login --browser` again"
            )
        return await store.issue_token(staff_id, "oidc", "the identity provider", lifetime)


async def authenticate(token: str) -> str:
    """Whose `token` is: an active member of staff (or anyone while the directory is empty)."""
    from infra.store.sign_in import SignInStore

    async with database() as pool:
        holder = await SignInStore(pool).holder(token)
        if holder is None:
            raise NotSignedIn("not signed in, or the sign-in has expired: `qa login`")
        member = await _member(pool, holder.staff_id)
        if member is None and await _directory_empty(pool):
            return holder.staff_id
        if member is None or not member.active:
            raise NotSignedIn(f"{holder.staff_id} is no longer an active member of staff")
        return holder.staff_id


async def sign_out(token: str) -> bool:
    from infra.store.sign_in import SignInStore

    async with database() as pool:
        return await SignInStore(pool).revoke(token)
