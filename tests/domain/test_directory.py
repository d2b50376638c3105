"""The staff and open-cases files: parsing, every refusal in one line, and the rules over a directory."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from pydantic import ValidationError

from domain.directory import (
    CASES_HEADER,
    KNOWN_ROLES,
    CasesSnapshotImported,
    DirectoryFileError,
    Job,
    OpenCase,
    Role,
    StaffImported,
    StaffMember,
    cases_digest,
    cases_imported,
    cases_problem,
    cpr_reviewer_problem,
    management_chain,
    may_import,
    parse_cases_csv,
    parse_staff_csv,
    render_cases_csv,
    render_staff_csv,
    staff_diff,
    staff_digest,
    staff_imported,
    staff_problem,
)

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "authority"
STAFF = "staff_id,display_name,roles,team,line_manager\n"
CASES = "case_number,system,service,team,practitioner,support_began\n"


def member(staff_id: str, *roles: Role, manager: str | None = None, active: bool = True) -> StaffMember:
    return StaffMember(
        staff_id=staff_id,
        display_name=staff_id.title(),
        roles=frozenset(roles or (Role.PRACTITIONER,)),
        team="Children in Need",
        line_manager=manager,
        active=active,
    )


def case(number: str = "LCS-100234", practitioner: str = "priya.practitioner") -> OpenCase:
    return OpenCase(
        case_number=number,
        system="LCS",
        service="Children in Need",
        team="Children in Need",
        practitioner=practitioner,
        support_began=date(2027, 6, 14),
    )


def staff_error(body: str) -> str:
    with pytest.raises(DirectoryFileError) as caught:
        parse_staff_csv(STAFF + body, "staff.csv")
    message = str(caught.value)
    assert "\n" not in message
    return message


def cases_error(text: str) -> str:
    with pytest.raises(DirectoryFileError) as caught:
        parse_cases_csv(text, "cases.csv")
    message = str(caught.value)
    assert "\n" not in message
    return message


# --- staff file -----------------------------------------------------------------------------------


def test_a_staff_file_is_parsed_in_file_order():
    text = (
        "\ufeff# the authority's staff\n"
        + STAFF
        + "\n"
        + "qa.officer,Chris Lewis,qa_officer,Quality and Assurance,quinn.hoqa\n"
        + '  quinn.hoqa , "Adeyemi, Quinn",Head_of_QA; reviewer ;moderator, Quality and Assurance,\n'
    )
    officer, head = parse_staff_csv(text, "staff.csv")
    assert officer == StaffMember(
        staff_id="qa.officer",
        display_name="Chris Lewis",
        roles=frozenset({Role.QA_OFFICER}),
        team="Quality and Assurance",
        line_manager="quinn.hoqa",
    )
    assert head.display_name == "Adeyemi, Quinn"
    assert head.roles == {Role.HEAD_OF_QA, Role.REVIEWER, Role.MODERATOR}
    assert head.line_manager is None and head.active
    assert head.has(Role.MODERATOR) and not head.has(Role.QA_OFFICER)


def test_columns_may_come_in_any_order():
    [only] = parse_staff_csv("team,line_manager,roles,display_name,staff_id\nQA,,qa_officer,Chris,qa.officer\n")
    assert (only.staff_id, only.display_name, only.team) == ("qa.officer", "Chris", "QA")


def test_the_example_staff_file_holds_every_role_in_a_sensible_chain():
    staff = parse_staff_csv((EXAMPLES / "staff.csv").read_text(), "staff.csv")
    by_id = {m.staff_id: m for m in staff}
    assert {role for m in staff for role in m.roles} == set(Role)
    assert [m.staff_id for m in staff if m.has(Role.QA_OFFICER)] == ["qa.officer"]
    chain = management_chain(by_id, "priya.practitioner")
    assert [m.staff_id for m in chain] == ["nadia.manager", "hana.hos", "alex.assistant", "dana.director"]
    assert chain[0].has(Role.TEAM_MANAGER) and chain[1].has(Role.HEAD_OF_SERVICE)
    assert sum(m.has(Role.REVIEWER) for m in staff) >= 4 and sum(m.has(Role.MODERATOR) for m in staff) >= 2


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            "a.b,A,reviewer;boss,T,\n",
            f"staff.csv line 2: unknown role 'boss' (known roles: {KNOWN_ROLES})",
        ),
        (
            "sam.reviewer,Sam,reviewer,T,\nqa.officer,Chris,qa_officer,T,\nsam.reviewer,Sam P,reviewer,T,\n",
            "staff.csv line 4: staff id 'sam.reviewer' is listed twice (lines 2 and 4)",
        ),
        (
            "sam.reviewer,Sam,reviewer,T,nobody\n",
            "staff.csv line 2: line manager 'nobody' of 'sam.reviewer' is not in the file",
        ),
        ("sam.reviewer,,reviewer,T,\n", "staff.csv line 2: missing value for 'display_name'"),
        ("sam.reviewer,Sam,,T,\n", "staff.csv line 2: missing value for 'roles'"),
        ("sam.reviewer,Sam, ; ,T,\n", "staff.csv line 2: missing value for 'roles'"),
        ("sam.reviewer,Sam,reviewer,,\n", "staff.csv line 2: missing value for 'team'"),
        ("sam.reviewer,Sam,reviewer\n", "staff.csv line 2: missing value for 'team'"),
        (",Sam,reviewer,T,\n", "staff.csv line 2: missing value for 'staff_id'"),
        (
            "Sam Reviewer,Sam,reviewer,T,\n",
            "staff.csv line 2: staff id 'Sam Reviewer' is not a staff id:"
            " use lowercase letters, digits, '.', '_' or '-' (e.g. sam.reviewer)",
        ),
        (
            "sam.reviewer,Sam,reviewer,T,,extra\n",
            "staff.csv line 2: expected 5 values (staff_id,display_name,roles,team,line_manager), got 6;"
            " put a value containing commas in double quotes",
        ),
        ('sam.reviewer,"Sam,reviewer,T,\n', "staff.csv line 2: malformed CSV (unexpected end of data)"),
    ],
)
def test_staff_file_refusals_name_the_line_and_the_problem(body, message):
    assert staff_error(body) == message


def test_a_line_management_cycle_is_refused_naming_the_circle():
    body = (
        "head.one,Head,head_of_service,T,\n"
        "a.tm,A,team_manager,T,c.sw\n"
        "b.hos,B,head_of_service,T,a.tm\n"
        "c.sw,C,practitioner,T,b.hos\n"
        "d.sw,D,practitioner,T,c.sw\n"
    )
    assert (
        staff_error(body) == "staff.csv line 3: line management goes round in a circle: a.tm -> c.sw -> b.hos -> a.tm"
    )
    assert staff_error("x.self,X,reviewer,T,x.self\n") == (
        "staff.csv line 2: line management goes round in a circle: x.self -> x.self"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "staff.csv: missing the header line 'staff_id,display_name,roles,team,line_manager'"),
        ("# only a comment\n", "staff.csv: missing the header line 'staff_id,display_name,roles,team,line_manager'"),
        (STAFF, "staff.csv: no staff listed"),
        (
            "staff_id,display_name,roles,team\n",
            "staff.csv line 1: missing column 'line_manager'"
            " (the columns are staff_id,display_name,roles,team,line_manager[,email][,job])",
        ),
        (
            "staff_id,display_name,roles,team,line_manager,salary\n",
            "staff.csv line 1: unexpected column 'salary'"
            " (the columns are staff_id,display_name,roles,team,line_manager[,email][,job])",
        ),
        (
            "staff_id,display_name,roles,team,line_manager,team\n",
            "staff.csv line 1: column 'team' appears more than once",
        ),
    ],
)
def test_staff_file_header_refusals(text, message):
    with pytest.raises(DirectoryFileError) as caught:
        parse_staff_csv(text, "staff.csv")
    assert str(caught.value) == message


def test_staff_render_reads_back_and_digests_ignore_layout():
    staff = parse_staff_csv((EXAMPLES / "staff.csv").read_text(), "staff.csv")
    assert parse_staff_csv(render_staff_csv(staff)) == tuple(sorted(staff, key=lambda m: m.staff_id))
    assert staff_digest(staff) == staff_digest(reversed(staff))
    renamed = [staff[0].model_copy(update={"display_name": "Someone Else"}), *staff[1:]]
    assert staff_digest(renamed) != staff_digest(staff)


def test_an_email_column_is_optional_checked_and_normalised():
    with_email = STAFF.replace("line_manager\n", "line_manager,email\n") + (
        "qa.officer,Chris Lewis,qa_officer,Quality and Assurance,,Chris.Lewis@Council.GOV.UK\n"
        "sam.reviewer,Sam Patel,reviewer,Quality and Assurance,qa.officer,\n"
    )
    officer, sam = parse_staff_csv(with_email, "staff.csv")
    assert (officer.email, sam.email) == ("Chris.Lewis@council.gov.uk", None)  # the domain in lower case
    with pytest.raises(DirectoryFileError) as caught:
        parse_staff_csv(with_email.replace("Chris.Lewis@Council.GOV.UK", "chris.lewis"), "staff.csv")
    assert str(caught.value) == (
        "staff.csv line 2: email 'chris.lewis' is not an e-mail address: An email address must have an @-sign."
    )
    # Read back as written; a directory where nobody has an address digests as it always did.
    assert parse_staff_csv(render_staff_csv([officer, sam])) == (officer, sam)
    assert render_staff_csv([sam]).splitlines()[0] == "staff_id,display_name,roles,team,line_manager"
    assert staff_digest([officer, sam]) != staff_digest([officer.model_copy(update={"email": None}), sam])


def test_a_job_column_is_optional_and_names_who_may_review_a_cpr():
    with_job = STAFF.replace("line_manager\n", "line_manager,job\n") + (
        "qa.officer,Chris Lewis,qa_officer,Quality and Assurance,,QA_Officer\n"
        "sam.reviewer,Sam Patel,reviewer,Quality and Assurance,qa.officer,isro\n"
        "amy.worker,Amy Brooks,reviewer;practitioner,Family Wellbeing,qa.officer,family_support_worker\n"
        "lee.reviewer,Lee Walsh,reviewer,Children in Need,qa.officer,\n"
    )
    officer, sam, amy, lee = parse_staff_csv(with_job, "staff.csv")
    assert (officer.job, sam.job, amy.job, lee.job) == (Job.QA_OFFICER, Job.ISRO, Job.FAMILY_SUPPORT_WORKER, None)
    assert cpr_reviewer_problem(sam) is None and cpr_reviewer_problem(lee) is None  # no job given: the role decides
    assert cpr_reviewer_problem(amy) == (
        "amy.worker is a family support worker: the framework's CPR reviewers are senior social workers, ISROs,"
        " team managers, heads of service, the Assistant Director and the Director"
    )
    with pytest.raises(DirectoryFileError) as caught:
        parse_staff_csv(with_job.replace(",isro\n", ",wizard\n"), "staff.csv")
    assert str(caught.value).startswith("staff.csv line 3: job 'wizard' is not one of director, assistant_director,")
    assert parse_staff_csv(render_staff_csv([officer, sam, amy, lee])) == (amy, lee, officer, sam)
    assert render_staff_csv([lee]).splitlines()[0] == "staff_id,display_name,roles,team,line_manager"


def test_the_migration_allows_exactly_the_jobs_the_directory_knows():
    sql = (Path(__file__).parents[2] / "infra/migrations/0018_staff_job.sql").read_text()
    assert {job.value for job in Job} == set(re.findall(r"'([a-z_]+)'", sql))


def test_roles_serialise_sorted():
    m = member("x.y", Role.REVIEWER, Role.AUDITOR, Role.MODERATOR)
    assert m.model_dump(mode="json")["roles"] == ["auditor", "moderator", "reviewer"]
    assert StaffMember.model_validate_json(m.model_dump_json()) == m


def test_a_staff_member_needs_a_role():
    with pytest.raises(ValidationError):
        StaffMember(staff_id="x.y", display_name="X", roles=frozenset(), team="T")


# --- cases file -----------------------------------------------------------------------------------


def test_a_cases_file_is_parsed():
    text = CASES + "LCS-100234,LCS,Children in Need,Children in Need,priya.practitioner,2027-06-14\n"
    text += "ehm-200117,ehm,Family Wellbeing,Family Wellbeing,amy.practitioner,2027-02-08\n"
    first, second = parse_cases_csv(text, "cases.csv")
    assert first == case()
    assert (second.case_number, second.system) == ("ehm-200117", "EHM")


def test_the_example_cases_file_covers_the_cpr_services():
    cases = parse_cases_csv((EXAMPLES / "cases.csv").read_text(), "cases.csv")
    staff = {m.staff_id: m for m in parse_staff_csv((EXAMPLES / "staff.csv").read_text(), "staff.csv")}
    assert 25 <= len(cases) <= 40
    assert {c.service for c in cases} == {
        "Family Wellbeing",
        "CiC - Family Support + Safeguarding",
        "Care Leavers",
        "Children with Disabilities",
        "CiC - Corporate Parenting",
        "Children in Need",
    }
    cin = [c for c in cases if c.service == "Children in Need"]
    recent = [c for c in cin if (date(2027, 11, 1) - c.support_began).days < 28]
    assert len(cin) >= 8 and 1 <= len(recent) < len(cin)
    assert cases_problem(cases, staff) is None
    assert all(staff[c.practitioner].team == c.team for c in cases)


@pytest.mark.parametrize(
    "column",
    [
        "child_name",
        "Name",
        "first_name",
        "LastName",
        "forename",
        "surname",
        "dob",
        "Date of Birth",
        "address",
        "postcode",
        "NHS number",
        "phone",
        "email",
        "gender",
        "ethnicity",
        "age",
        "practitioner_name",
    ],
)
def test_personal_columns_are_refused(column):
    text = f"case_number,system,service,{column},team,practitioner,support_began\n"
    assert cases_error(text) == (
        f"cases.csv line 1: column '{column}' is refused:"
        " case records hold case numbers only, never names or other personal details"
    )


def test_a_personal_column_is_named_before_any_other_problem():
    text = "notes,case_number,system,service,team,practitioner,support_began,surname\n"
    assert "column 'surname' is refused" in cases_error(text)


def test_any_other_extra_column_is_refused():
    text = "case_number,system,service,team,practitioner,support_began,notes\n"
    assert cases_error(text) == (
        f"cases.csv line 1: unexpected column 'notes' (the columns are {','.join(CASES_HEADER)})"
    )


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (
            "L1,LCS,S,T,p.q,2027-01-01",
            "case number 'L1' is not valid: 3-20 letters, digits or '-' only (e.g. LCS-100234)",
        ),
        (
            "Jane Smith,LCS,S,T,p.q,2027-01-01",
            "case number 'Jane Smith' is not valid: 3-20 letters, digits or '-' only (e.g. LCS-100234)",
        ),
        (
            "LCS-123456789012345678,LCS,S,T,p.q,2027-01-01",
            "case number 'LCS-123456789012345678' is not valid: 3-20 letters, digits or '-' only (e.g. LCS-100234)",
        ),
        (
            "LCS/100234,LCS,S,T,p.q,2027-01-01",
            "case number 'LCS/100234' is not valid: 3-20 letters, digits or '-' only (e.g. LCS-100234)",
        ),
        ("LCS-100234,SWIFT,S,T,p.q,2027-01-01", "system 'SWIFT' is not LCS or EHM"),
        ("LCS-100234,LCS,S,T,p.q,2027-02-30", "support_began '2027-02-30' is not a real date (expected YYYY-MM-DD)"),
        ("LCS-100234,LCS,S,T,p.q,01/02/2027", "support_began '01/02/2027' is not a date (expected YYYY-MM-DD)"),
        (
            "LCS-100234,LCS,S,T,p.q,1800-01-01",
            "support_began 1800-01-01 is outside the dates the engine works with (2000-01-01 to 2200-12-31)",
        ),
        (
            "LCS-100234,LCS,S,T,p.q,\u0662\u0660\u0662\u0667-01-01",
            "support_began '\u0662\u0660\u0662\u0667-01-01' is not a date (expected YYYY-MM-DD)",
        ),
        ("LCS-100234,LCS,S,T,p.q,", "missing value for 'support_began'"),
        ("LCS-100234,,S,T,p.q,2027-01-01", "missing value for 'system'"),
        ("LCS-100234,LCS,,T,p.q,2027-01-01", "missing value for 'service'"),
        ("LCS-100234,LCS,S,T,,2027-01-01", "missing value for 'practitioner'"),
        (
            "LCS-100234,LCS,S,T,Jane Smith,2027-01-01",
            "practitioner 'Jane Smith' is not a staff id: use lowercase letters, digits, '.', '_' or '-' (e.g. sam.reviewer)",
        ),
    ],
)
def test_case_row_refusals_name_the_line_and_the_problem(row, message):
    assert cases_error(f"{CASES}# comment\n{row}\n") == f"cases.csv line 3: {message}"


def test_a_repeated_case_number_names_both_lines():
    row = "LCS-100234,LCS,S,T,p.q,2027-01-01\n"
    assert cases_error(CASES + row + "\n" + row) == (
        "cases.csv line 4: case number 'LCS-100234' is listed twice (lines 2 and 4)"
    )


def test_an_empty_cases_file_is_refused():
    assert cases_error(CASES) == "cases.csv: no cases listed"
    assert cases_error("") == f"cases.csv: missing the header line '{','.join(CASES_HEADER)}'"


def test_cases_render_reads_back_and_the_digest_is_recomputable():
    cases = parse_cases_csv((EXAMPLES / "cases.csv").read_text(), "cases.csv")
    assert parse_cases_csv(render_cases_csv(cases)) == tuple(sorted(cases, key=lambda c: c.case_number))
    assert cases_digest(cases) == cases_digest(list(reversed(cases)))
    event = cases_imported(7, cases)
    assert event == CasesSnapshotImported(
        snapshot_id=7,
        rows=30,
        digest=cases_digest(cases),
        by_service={
            "Care Leavers": 4,
            "Children in Need": 9,
            "Children with Disabilities": 4,
            "CiC - Corporate Parenting": 4,
            "CiC - Family Support + Safeguarding": 5,
            "Family Wellbeing": 4,
        },
    )
    assert event.event_type == "directory.cases_imported"
    assert list(event.payload()["by_service"]) == sorted(event.by_service)


# --- rules ----------------------------------------------------------------------------------------


def test_staff_diff_adds_changes_reactivates_and_deactivates():
    current = {
        m.staff_id: m
        for m in (
            member("qa.officer", Role.QA_OFFICER),
            member("stays.same"),
            member("moves.team"),
            member("leaves.now"),
            member("left.before", active=False),
            member("comes.back", active=False),
        )
    }
    incoming = [
        member("qa.officer", Role.QA_OFFICER),
        member("stays.same"),
        member("moves.team").model_copy(update={"team": "Care Leavers"}),
        member("comes.back"),
        member("new.starter"),
    ]
    assert staff_diff(current, incoming) == (["new.starter"], ["comes.back", "moves.team"], ["leaves.now"])
    event = staff_imported(current, incoming)
    assert event == StaffImported(
        added=["new.starter"],
        changed=["comes.back", "moves.team"],
        deactivated=["leaves.now"],
        digest=staff_digest(incoming),
        rows=5,
    )
    assert event.event_type == "directory.staff_imported"


def test_staff_problem_finds_duplicates_unknown_managers_and_cycles():
    assert staff_problem([member("a.b"), member("a.b")]) == ("a.b", "staff id 'a.b' is listed twice")
    assert staff_problem([member("a.b", manager="x.y")]) == ("a.b", "line manager 'x.y' of 'a.b' is not in the file")
    assert staff_problem([member("a.b", manager="c.d"), member("c.d", manager="a.b")]) == (
        "a.b",
        "line management goes round in a circle: a.b -> c.d -> a.b",
    )
    assert staff_problem([member("a.b", manager="c.d"), member("c.d")]) is None


def test_management_chain_goes_up_and_stops_safely():
    staff = {
        m.staff_id: m
        for m in (
            member("p.sw", manager="t.tm"),
            member("t.tm", Role.TEAM_MANAGER, manager="h.hos"),
            member("h.hos", Role.HEAD_OF_SERVICE, manager="a.ad"),
            member("a.ad", Role.REVIEWER),
            member("loop.one", manager="loop.two"),
            member("loop.two", manager="loop.one"),
            member("orphan.sw", manager="gone.tm"),
        )
    }
    assert [m.staff_id for m in management_chain(staff, "p.sw")] == ["t.tm", "h.hos", "a.ad"]
    assert management_chain(staff, "a.ad") == []
    assert management_chain(staff, "nobody") == []
    assert [m.staff_id for m in management_chain(staff, "loop.one")] == ["loop.two"]
    assert management_chain(staff, "orphan.sw") == []


def test_who_may_import():
    officer = member("qa.officer", Role.QA_OFFICER)
    current = {
        "qa.officer": officer,
        "old.officer": member("old.officer", Role.QA_OFFICER, active=False),
        "sam.reviewer": member("sam.reviewer", Role.REVIEWER),
    }
    assert may_import("qa.officer", current, None) is None
    assert may_import("qa.officer", current, [officer]) is None
    assert may_import("old.officer", current, None) == (
        "'old.officer' is no longer active in the staff directory: only an active qa_officer may import"
    )
    assert (
        may_import("sam.reviewer", current, None)
        == "'sam.reviewer' is not a qa_officer: only an active qa_officer may import"
    )
    assert may_import("nobody", current, None) == (
        "'nobody' is not in the staff directory: only an active qa_officer may import"
    )
    # The very first import: the actor must be a qa_officer in the file itself.
    assert may_import("qa.officer", {}, [officer]) is None
    assert may_import("sam.reviewer", {}, [officer, member("sam.reviewer", Role.REVIEWER)]) == (
        "'sam.reviewer' is not a qa_officer in the file: the first staff import must be made by a qa_officer it lists"
    )
    assert may_import("qa.officer", {}, None) == "the staff directory is empty: import the staff file first"


def test_a_case_needs_an_active_practitioner():
    staff = {
        m.staff_id: m
        for m in (
            member("priya.practitioner"),
            member("gone.practitioner", active=False),
            member("sam.reviewer", Role.REVIEWER),
        )
    }
    assert cases_problem([case()], staff) is None
    assert cases_problem([case(), case(practitioner="nobody")], staff) == (
        "case LCS-100234: practitioner 'nobody' is not in the staff directory"
    )
    assert cases_problem([case(practitioner="gone.practitioner")], staff) == (
        "case LCS-100234: practitioner 'gone.practitioner' is no longer active"
    )
    assert cases_problem([case(practitioner="sam.reviewer")], staff) == (
        "case LCS-100234: 'sam.reviewer' does not hold the practitioner role"
    )


def test_a_cases_team_is_one_the_staff_directory_lists_and_personal_details_there_are_not_repeated():
    staff = {m.staff_id: m for m in (member("priya.practitioner"), member("sam.reviewer", Role.REVIEWER))}
    staff["ann.gone"] = member("ann.gone", active=False).model_copy(update={"team": "Disbanded Team"})
    personal = case().model_copy(update={"team": "Jane Doe DOB 2015-01-01"})
    problem = cases_problem([case(), personal], staff)
    assert problem == (
        "case LCS-100234: its team is not one the staff directory lists (Children in Need);"
        " the team column holds a team's name only"
    )
    assert "Jane" not in problem
    # A team whose only members have left is no longer one to hold cases.
    assert cases_problem([case().model_copy(update={"team": "Disbanded Team"})], staff) is not None
