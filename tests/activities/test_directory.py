"""The staff directory and case snapshots against a real PostgreSQL: audited imports, refusals change nothing."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import asyncpg
import pytest
from temporalio.testing import ActivityEnvironment

from activities.directory import DirectoryActivities, StaffLookup
from domain.directory import (
    OpenCase,
    Role,
    StaffMember,
    cases_digest,
    parse_cases_csv,
    parse_staff_csv,
    staff_digest,
)
from infra.store.audit_log import AuditLog
from infra.store.directory import CASES_STREAM, STAFF_STREAM, Directory, DirectoryRefusal

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "authority"
AT = datetime(2027, 10, 1, 9, 30, tzinfo=UTC)


@pytest.fixture
def staff() -> tuple[StaffMember, ...]:
    return parse_staff_csv((EXAMPLES / "staff.csv").read_text(), "staff.csv")


@pytest.fixture
def cases() -> tuple[OpenCase, ...]:
    return parse_cases_csv((EXAMPLES / "cases.csv").read_text(), "cases.csv")


@pytest.fixture
def log(app_pool) -> AuditLog:
    return AuditLog(app_pool)


@pytest.fixture
def directory(directory_pool) -> Directory:
    """Through the directory's own login, the only one that may import (migration 0013)."""
    return Directory(directory_pool, AuditLog(directory_pool))


def replace(members, staff_id: str, **changes) -> list[StaffMember]:
    return [m.model_copy(update=changes) if m.staff_id == staff_id else m for m in members]


def without(members, *staff_ids: str) -> list[StaffMember]:
    return [m for m in members if m.staff_id not in staff_ids]


async def state(conn: asyncpg.Connection) -> tuple:
    """Everything the directory and its audit streams hold, to prove a refusal changed nothing."""
    return (
        [tuple(r) for r in await conn.fetch("SELECT * FROM staff ORDER BY staff_id")],
        [tuple(r) for r in await conn.fetch("SELECT * FROM case_snapshots ORDER BY snapshot_id")],
        [tuple(r) for r in await conn.fetch("SELECT * FROM cases ORDER BY snapshot_id, case_number")],
        [tuple(r) for r in await conn.fetch("SELECT * FROM audit_events ORDER BY position")],
        [tuple(r) for r in await conn.fetch("SELECT * FROM audit_streams ORDER BY stream_id")],
    )


async def test_the_first_import_must_be_made_by_a_qa_officer_in_the_file(directory, log, staff, admin_conn):
    empty = await state(admin_conn)
    with pytest.raises(DirectoryRefusal, match="'sam.reviewer' is not a qa_officer in the file"):
        await directory.import_staff(staff, "sam.reviewer", AT)
    with pytest.raises(DirectoryRefusal, match="'someone.else' is not a qa_officer in the file"):
        await directory.import_staff(staff, "someone.else", AT)
    assert await state(admin_conn) == empty

    event = await directory.import_staff(staff, "qa.officer", AT)
    assert event.added == sorted(m.staff_id for m in staff)
    assert (event.changed, event.deactivated, event.rows) == ([], [], len(staff))
    assert event.digest == staff_digest(staff)

    assert await directory.all_staff() == sorted(staff, key=lambda m: m.staff_id)
    assert await directory.staff_member("qa.officer") == next(m for m in staff if m.staff_id == "qa.officer")
    assert await directory.staff_member("nobody") is None

    [recorded] = await log.read_stream(STAFF_STREAM)
    assert (recorded.event_type, recorded.actor, recorded.business_time) == (
        "directory.staff_imported",
        "qa.officer",
        AT,
    )
    assert recorded.payload == event.payload()
    assert all(r.ok for r in await log.verify())


async def test_a_re_import_updates_deactivates_and_reactivates(directory, log, staff, admin_conn):
    await directory.import_staff(staff, "qa.officer", AT)
    before = await admin_conn.fetchrow("SELECT updated_at FROM staff WHERE staff_id = 'priya.practitioner'")

    second = replace(without(staff, "dan.practitioner", "rosa.reviewer"), "priya.practitioner", team="Children in Care")
    second = replace(second, "sam.reviewer", roles=frozenset({Role.REVIEWER, Role.MODERATOR}))
    second.append(
        StaffMember(
            staff_id="new.starter",
            display_name="Nell Starter (Social Worker)",
            roles=frozenset({Role.PRACTITIONER}),
            team="Children in Need",
            line_manager="nadia.manager",
        )
    )
    event = await directory.import_staff(second, "qa.officer", AT + timedelta(days=1))
    assert (event.added, event.changed, event.deactivated) == (
        ["new.starter"],
        ["priya.practitioner", "sam.reviewer"],
        ["dan.practitioner", "rosa.reviewer"],
    )
    dan = await directory.staff_member("dan.practitioner")
    assert dan is not None and not dan.active and dan.has(Role.PRACTITIONER)
    assert (await directory.staff_member("priya.practitioner")).team == "Children in Care"
    assert len(await directory.all_staff()) == len(staff) + 1
    after = await admin_conn.fetchrow("SELECT updated_at FROM staff WHERE staff_id = 'priya.practitioner'")
    assert after["updated_at"] > before["updated_at"]

    # The same file again changes nothing but is still recorded; the leavers come back when listed.
    again = await directory.import_staff(second, "qa.officer", AT + timedelta(days=2))
    assert (again.added, again.changed, again.deactivated) == ([], [], [])
    back = await directory.import_staff(staff, "qa.officer", AT + timedelta(days=3))
    assert (back.added, back.deactivated) == ([], ["new.starter"])
    assert back.changed == ["dan.practitioner", "priya.practitioner", "rosa.reviewer", "sam.reviewer"]
    assert (await directory.staff_member("dan.practitioner")).active

    recorded = await log.read_stream(STAFF_STREAM)
    assert [r.version for r in recorded] == [1, 2, 3, 4]
    assert recorded[1].payload["deactivated"] == ["dan.practitioner", "rosa.reviewer"]
    assert all(r.ok for r in await log.verify())


async def test_an_email_address_is_kept_changed_and_removed_by_the_import_alone(directory, staff, app_pool):
    await directory.import_staff(staff, "qa.officer", AT)
    given = replace(staff, "sam.reviewer", email="sam.patel@council.example")
    event = await directory.import_staff(given, "qa.officer", AT + timedelta(days=1))
    assert event.changed == ["sam.reviewer"]
    assert (await directory.staff_member("sam.reviewer")).email == "sam.patel@council.example"
    # Only the import writes it: the application's login may not point someone's messages elsewhere.
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await app_pool.execute("UPDATE staff SET email = 'someone@else.example' WHERE staff_id = 'sam.reviewer'")
    removed = await directory.import_staff(staff, "qa.officer", AT + timedelta(days=2))
    assert removed.changed == ["sam.reviewer"]
    assert (await directory.staff_member("sam.reviewer")).email is None


async def test_refused_staff_imports_change_nothing(directory, staff, admin_conn):
    await directory.import_staff(staff, "qa.officer", AT)
    # qa.officer leaves; a second officer who is inactive cannot import either.
    second_officer = StaffMember(
        staff_id="zoe.officer", display_name="Zoe", roles=frozenset({Role.QA_OFFICER}), team="Quality and Assurance"
    )
    await directory.import_staff([*staff, second_officer], "qa.officer", AT)
    await directory.import_staff(without([*staff], "zoe.officer"), "qa.officer", AT)
    before = await state(admin_conn)

    cycle = replace(staff, "hana.hos", line_manager="priya.practitioner")
    no_officer = without(staff, "qa.officer")
    attempts = [
        (staff, "sam.reviewer", "'sam.reviewer' is not a qa_officer: only an active qa_officer may import"),
        (staff, "nobody", "'nobody' is not in the staff directory"),
        (staff, "zoe.officer", "'zoe.officer' is no longer active in the staff directory"),
        (no_officer, "qa.officer", "the staff file lists no qa_officer: nobody could import the directory again"),
        (
            cycle,
            "qa.officer",
            "line management goes round in a circle: hana.hos -> priya.practitioner -> nadia.manager -> hana.hos",
        ),
        (
            replace(staff, "sam.reviewer", line_manager="gone.manager"),
            "qa.officer",
            "line manager 'gone.manager' of 'sam.reviewer' is not in the file",
        ),
    ]
    for members, actor, message in attempts:
        with pytest.raises(DirectoryRefusal) as caught:
            await directory.import_staff(members, actor, AT)
        assert message in str(caught.value)
    with pytest.raises(ValueError, match="time zone"):
        await directory.import_staff(staff, "qa.officer", AT.replace(tzinfo=None))
    assert await state(admin_conn) == before


async def test_cases_are_kept_as_snapshots(directory, log, staff, cases, admin_conn):
    with pytest.raises(DirectoryRefusal, match="the staff directory is empty: import the staff file first"):
        await directory.import_cases(cases, "qa.officer", AT)
    assert await directory.latest_cases() == (None, [])

    await directory.import_staff(staff, "qa.officer", AT)
    first = await directory.import_cases(cases, "qa.officer", AT)
    assert (first.snapshot_id, first.rows, first.digest) == (1, 30, cases_digest(cases))
    assert first.by_service["Children in Need"] == 9

    snapshot_id, latest = await directory.latest_cases()
    assert snapshot_id == 1 and latest == sorted(cases, key=lambda c: c.case_number)
    _, cin = await directory.latest_cases("Children in Need")
    assert len(cin) == 9 and {c.service for c in cin} == {"Children in Need"}
    assert await directory.latest_cases("No Such Service") == (1, [])

    # A later snapshot: a case closed, one opened. The first is kept exactly as imported.
    opened = OpenCase(
        case_number="LCS-100900",
        system="LCS",
        service="Children in Need",
        team="Children in Need",
        practitioner="dan.practitioner",
        support_began=date(2027, 10, 25),
    )
    later = [*cases[1:], opened]
    second = await directory.import_cases(later, "qa.officer", AT + timedelta(days=7))
    assert second.snapshot_id == 2
    assert (await directory.latest_cases())[1] == sorted(later, key=lambda c: c.case_number)
    kept = await directory.snapshot_cases(1)
    assert kept == sorted(cases, key=lambda c: c.case_number)
    row = await admin_conn.fetchrow("SELECT imported_by, digest, rows FROM case_snapshots WHERE snapshot_id = 1")
    assert tuple(row) == ("qa.officer", cases_digest(kept), 30)

    recorded = await log.read_stream(CASES_STREAM)
    assert [(r.event_type, r.payload["snapshot_id"]) for r in recorded] == [
        ("directory.cases_imported", 1),
        ("directory.cases_imported", 2),
    ]
    assert recorded[1].payload == second.payload()
    assert all(r.ok for r in await log.verify())


async def test_every_practitioner_must_be_an_active_practitioner(directory, staff, cases, admin_conn):
    await directory.import_staff(staff, "qa.officer", AT)
    await directory.import_staff(without(staff, "leo.practitioner"), "qa.officer", AT)
    await directory.import_cases(cases[:3], "qa.officer", AT)
    before = await state(admin_conn)

    held = [c for c in cases if c.practitioner != "leo.practitioner"]

    def with_practitioner(number: str, practitioner: str) -> list[OpenCase]:
        return [c.model_copy(update={"practitioner": practitioner}) if c.case_number == number else c for c in held]

    attempts = [
        (
            with_practitioner("LCS-100716", "sam.reviewer"),
            "qa.officer",
            "case LCS-100716: 'sam.reviewer' does not hold the practitioner role",
        ),
        (cases, "qa.officer", "case LCS-100540: practitioner 'leo.practitioner' is no longer active"),
        (
            with_practitioner("LCS-100234", "no.one"),
            "qa.officer",
            "case LCS-100234: practitioner 'no.one' is not in the staff directory",
        ),
        (
            [cases[0].model_copy(update={"team": "Jane Doe DOB 2015-01-01"})],
            "qa.officer",
            f"case {cases[0].case_number}: its team is not one the staff directory lists",
        ),
        (cases[:1], "sam.reviewer", "'sam.reviewer' is not a qa_officer"),
        (cases[:1], "leo.practitioner", "'leo.practitioner' is no longer active"),
        ([], "qa.officer", "no cases to import"),
        ([cases[0], cases[0]], "qa.officer", f"case {cases[0].case_number} is listed twice"),
    ]
    for attempt, actor, message in attempts:
        with pytest.raises(DirectoryRefusal) as caught:
            await directory.import_cases(attempt, actor, AT)
        assert message in str(caught.value)
    assert await state(admin_conn) == before


async def test_concurrent_imports_are_serialised(directory, log, staff, cases):
    await directory.import_staff(staff, "qa.officer", AT)
    results = await asyncio.gather(
        directory.import_staff(without(staff, "dan.practitioner"), "qa.officer", AT),
        directory.import_cases(cases, "qa.officer", AT),
        directory.import_staff(staff, "qa.officer", AT),
        directory.import_cases(cases, "qa.officer", AT),
        return_exceptions=True,
    )
    # The cases import that ran while dan.practitioner was inactive is refused; nothing else is.
    refused = [r for r in results if isinstance(r, Exception)]
    assert all(isinstance(r, DirectoryRefusal) and "dan.practitioner" in str(r) for r in refused)
    assert [r.version for r in await log.read_stream(STAFF_STREAM)] == [1, 2, 3]
    assert all(r.ok for r in await log.verify())


@pytest.mark.parametrize(
    "statement",
    [
        "DELETE FROM staff",
        "TRUNCATE staff CASCADE",
        "UPDATE cases SET practitioner = 'dan.practitioner'",
        "DELETE FROM cases",
        "TRUNCATE cases",
        "UPDATE case_snapshots SET digest = repeat('0', 64)",
        "DELETE FROM case_snapshots",
    ],
)
async def test_history_cannot_be_rewritten_even_by_the_owner(directory, staff, cases, admin_conn, app_pool, statement):
    await directory.import_staff(staff, "qa.officer", AT)
    await directory.import_cases(cases, "qa.officer", AT)
    before = await state(admin_conn)
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await admin_conn.execute(statement)
    async with app_pool.acquire() as conn:
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute(statement)
    assert await state(admin_conn) == before


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE staff SET staff_id = 'x.y' WHERE staff_id = 'dan.practitioner'",
        "UPDATE staff SET updated_at = now() - interval '1 day'",
        "INSERT INTO case_snapshots (imported_at, imported_by, digest, rows)"
        " VALUES (now() - interval '1 year', 'qa.officer', repeat('0', 64), 0)",
    ],
)
async def test_the_application_role_has_no_other_rights(directory, staff, app_pool, statement):
    await directory.import_staff(staff, "qa.officer", AT)
    async with app_pool.acquire() as conn:
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute(statement)


async def test_the_activities_answer_who_someone_is_and_who_manages_them(directory, staff):
    await directory.import_staff(staff, "qa.officer", AT)
    activities = DirectoryActivities(directory)
    env = ActivityEnvironment()
    priya = await env.run(activities.staff_member, StaffLookup(staff_id="priya.practitioner"))
    assert priya is not None and priya.has(Role.PRACTITIONER) and priya.line_manager == "nadia.manager"
    assert await env.run(activities.staff_member, StaffLookup(staff_id="nobody")) is None
    chain = await env.run(activities.management_chain, StaffLookup(staff_id="priya.practitioner"))
    assert [m.staff_id for m in chain] == ["nadia.manager", "hana.hos", "alex.assistant", "dana.director"]
    assert await env.run(activities.management_chain, StaffLookup(staff_id="dana.director")) == []


async def test_a_team_with_more_open_cases_than_a_team_can_have_is_refused_not_retried(directory, staff, cases):
    from temporalio.exceptions import ApplicationError

    from activities.directory import TeamLookup
    from domain.directory import MAX_TEAM_CASES

    await directory.import_staff(staff, "qa.officer", AT)
    priya = next(c for c in cases if c.practitioner == "priya.practitioner")
    many = [priya.model_copy(update={"case_number": f"LCS-{n:06d}"}) for n in range(MAX_TEAM_CASES + 1)]
    await directory.import_cases(many, "qa.officer", AT)
    with pytest.raises(ApplicationError) as refusal:
        await ActivityEnvironment().run(DirectoryActivities(directory).team, TeamLookup(team=priya.team))
    assert (refusal.value.type, refusal.value.non_retryable) == ("SampleRefused", True)
    assert refusal.value.message == (
        f"the {priya.team} team has 5,001 open cases in snapshot 1, more than the 5,000 a team's work is drawn"
        " from: check that cases import"
    )
    # At the limit, the team's cases are all there.
    await directory.import_cases(many[:MAX_TEAM_CASES], "qa.officer", AT)
    view = await ActivityEnvironment().run(DirectoryActivities(directory).team, TeamLookup(team=priya.team))
    assert (view.snapshot_id, len(view.cases)) == (2, MAX_TEAM_CASES)
