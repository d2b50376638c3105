"""The staff directory and the open-cases list: parse, check and render, no I/O.

Two CSV files (UTF-8) come in from the authority's own systems::

    staff_id,display_name,roles,team,line_manager
    # blank lines and lines starting with '#' are ignored
    sam.reviewer,Sam Patel,reviewer;moderator,Quality and Assurance,quinn.hoqa

    case_number,system,service,team,practitioner,support_began
    LCS-100234,LCS,Children in Need,Children in Need,priya.practitioner,2027-06-14

Columns may come in any order but no others are accepted: a cases file holds
case numbers and staff ids only, never a child's name or other personal details.
Errors are one line naming the source, the line and the problem.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date
from enum import StrEnum
from typing import Any, ClassVar, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_serializer, field_validator

from domain.dates import ISO_DATE, check_date
from domain.errors import Refusal
from domain.events import DomainEvent, EventRegistry
from domain.files import csv_records
from domain.kinds import Kind

_Model = TypeVar("_Model", bound=BaseModel)

STAFF_HEADER = ("staff_id", "display_name", "roles", "team", "line_manager")
# Where the engine's messages reach the person (left out: they read them in the app); their job (left out: any
# holder of the reviewer role may review).
STAFF_OPTIONAL = ("email", "job")
CASES_HEADER = ("case_number", "system", "service", "team", "practitioner", "support_began")
SYSTEMS = ("LCS", "EHM")
MAX_TEAM_CASES = 5_000
"""The most open cases one team's items take at once (a spotlight's allocation records them all): far above
any team's caseload, and small enough to pass through Temporal; a snapshot showing more is a wrong import."""

_STAFF_ID = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
_CASE_NUMBER = re.compile(r"[A-Za-z0-9-]{3,20}")
_MAX_TEXT = 200
_LINE_BREAKING_CATEGORIES = {"Cc", "Zl", "Zp"}

PERSONAL_COLUMN_REFUSED = "case records hold case numbers only, never names or other personal details"
# A column whose name contains any of these (letters and digits only) is taken for personal details...
_PERSONAL_PARTS = (
    "name",
    "child",
    "forename",
    "surname",
    "dob",
    "birth",
    "address",
    "postcode",
    "zipcode",
    "nhs",
    "phone",
    "mobile",
    "email",
    "gender",
    "ethnic",
    "religio",
    "nationality",
    "sexuality",
    "disabilit",
    "carer",
    "parent",
    "mother",
    "father",
    "family",
    "pupil",
    "school",
    "language",
    "photo",
)
# ... and so is one with any of these as a whole word.
_PERSONAL_WORDS = {"age", "sex", "upn", "uln", "ni", "nino", "initials", "person", "client", "contact", "young"}


class Role(StrEnum):
    QA_OFFICER = "qa_officer"
    REVIEWER = "reviewer"
    PRACTITIONER = "practitioner"
    TEAM_MANAGER = "team_manager"
    HEAD_OF_SERVICE = "head_of_service"
    MODERATOR = "moderator"
    HEAD_OF_QA = "head_of_qa"
    PRINCIPAL_SOCIAL_WORKER = "principal_social_worker"
    AUDITOR = "auditor"
    DIRECTOR = "director"  # the Director of Children's Services: chairs the QAPM meeting


KNOWN_ROLES = ", ".join(role.value for role in Role)


class Job(StrEnum):
    """A person's post, as the staff file's optional `job` column gives it."""

    DIRECTOR = "director"
    ASSISTANT_DIRECTOR = "assistant_director"
    HEAD_OF_SERVICE = "head_of_service"
    TEAM_MANAGER = "team_manager"
    ISRO = "isro"
    SENIOR_SOCIAL_WORKER = "senior_social_worker"
    PRINCIPAL_SOCIAL_WORKER = "principal_social_worker"
    SOCIAL_WORKER = "social_worker"
    FAMILY_SUPPORT_WORKER = "family_support_worker"
    PERSONAL_ADVISER = "personal_adviser"
    QA_OFFICER = "qa_officer"
    OTHER = "other"


# Who the framework names as the reviewers of a Collaborative Practice Review (Appendix 2).
CPR_REVIEWERS = (
    Job.SENIOR_SOCIAL_WORKER,
    Job.ISRO,
    Job.TEAM_MANAGER,
    Job.HEAD_OF_SERVICE,
    Job.ASSISTANT_DIRECTOR,
    Job.DIRECTOR,
)
KNOWN_JOBS = ", ".join(job.value for job in Job)


def cpr_reviewer_problem(member: StaffMember) -> str | None:
    """Why `member` may not be allocated a CPR review by their job, or None (no job given: their role decides)."""
    if member.job is None or member.job in CPR_REVIEWERS:
        return None
    return (
        f"{member.staff_id} is a {member.job.value.replace('_', ' ')}: the framework's CPR reviewers are senior social"
        " workers, ISROs, team managers, heads of service, the Assistant Director and the Director"
    )


class DirectoryFileError(ValueError):
    """A staff or cases file is malformed; the message is one line naming the source and line."""


def _one_line(value: str, what: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError(f"{what} must not be empty")
    if len(value) > _MAX_TEXT:
        raise ValueError(f"{what} is longer than {_MAX_TEXT} characters")
    if any(unicodedata.category(c) in _LINE_BREAKING_CATEGORIES for c in value):
        raise ValueError(f"{what} must be a single line without control characters")
    return value


def check_email(value: str) -> str:
    """A work e-mail address, normalised (its domain in lower case); ValueError in words if it is not one.
    Only its form is checked, never the network: the council's mail server is the judge of the rest."""
    from email_validator import EmailNotValidError, validate_email

    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise ValueError(f"email {value!r} is not an e-mail address: {exc}") from None


def check_staff_id(value: str, what: str = "staff id") -> str:
    if not _STAFF_ID.fullmatch(value):
        raise ValueError(
            f"{what} {value!r} is not a staff id: use lowercase letters, digits, '.', '_' or '-' (e.g. sam.reviewer)"
        )
    return value


class StaffMember(BaseModel):
    """A person in the authority's staff directory, with the roles they may play."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    staff_id: str
    display_name: str
    roles: frozenset[Role] = Field(min_length=1)
    team: str
    line_manager: str | None = None
    active: bool = True
    email: str | None = None  # STAFF_OPTIONAL: none, and they read the engine's messages in the app
    job: Job | None = None  # STAFF_OPTIONAL: none, and any holder of the reviewer role may review

    @field_validator("staff_id")
    @classmethod
    def _staff_id(cls, value: str) -> str:
        return check_staff_id(value)

    @field_validator("line_manager")
    @classmethod
    def _line_manager(cls, value: str | None) -> str | None:
        return None if value is None else check_staff_id(value, "line manager")

    @field_validator("display_name")
    @classmethod
    def _display_name(cls, value: str) -> str:
        return _one_line(value, "display name")

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        return None if value is None else check_email(value)

    @field_validator("team")
    @classmethod
    def _team(cls, value: str) -> str:
        return _one_line(value, "team")

    @field_serializer("roles")
    def _sorted_roles(self, roles: frozenset[Role]) -> list[str]:
        # Sorted, so the same member always serialises to the same JSON.
        return sorted(role.value for role in roles)

    def has(self, role: Role) -> bool:
        return role in self.roles


class OpenCase(BaseModel):
    """One open case as the case management system lists it: a number, never a name."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    case_number: str
    system: Literal["LCS", "EHM"]
    service: str
    team: str
    practitioner: str
    support_began: date

    @field_validator("case_number")
    @classmethod
    def _case_number(cls, value: str) -> str:
        if not _CASE_NUMBER.fullmatch(value):
            raise ValueError(f"case number {value!r} is not valid: 3-20 letters, digits or '-' only (e.g. LCS-100234)")
        return value

    @field_validator("practitioner")
    @classmethod
    def _practitioner(cls, value: str) -> str:
        return check_staff_id(value, "practitioner")

    @field_validator("service")
    @classmethod
    def _service(cls, value: str) -> str:
        return _one_line(value, "service")

    @field_validator("team")
    @classmethod
    def _team(cls, value: str) -> str:
        return _one_line(value, "team")


class StaffImported(DomainEvent):
    """A staff file was imported: who joined, whose details changed, who left (became inactive)."""

    event_type: ClassVar[str] = "directory.staff_imported"

    added: list[str]
    changed: list[str]
    deactivated: list[str]
    digest: str
    rows: int


class CasesSnapshotImported(DomainEvent):
    """An open-cases file was imported as a new, kept snapshot."""

    event_type: ClassVar[str] = "directory.cases_imported"

    snapshot_id: int
    rows: int
    digest: str
    by_service: dict[str, int]


# --- parsing -------------------------------------------------------------------------------------


def _is_personal(column: str) -> bool:
    lowered = column.lower()
    compact = re.sub(r"[^a-z0-9]", "", lowered)
    words = set(re.split(r"[^a-z0-9]+", lowered))
    return any(part in compact for part in _PERSONAL_PARTS) or bool(words & _PERSONAL_WORDS)


def _columns(
    cells: list[str], header: tuple[str, ...], optional: tuple[str, ...], *, refuse_personal: bool
) -> dict[str, int]:
    """Where each column given is; refuses missing, repeated and unexpected columns (`optional` may be left out)."""
    names = [cell.lower() for cell in cells]
    expected = ",".join(header) + "".join(f"[,{name}]" for name in optional)
    if refuse_personal:
        for cell, name in zip(cells, names, strict=True):
            if name not in header and _is_personal(name):
                raise ValueError(f"column {cell!r} is refused: {PERSONAL_COLUMN_REFUSED}")
    for cell, name in zip(cells, names, strict=True):
        if name not in header and name not in optional:
            raise ValueError(f"unexpected column {cell!r} (the columns are {expected})")
    repeated = [name for name, count in Counter(names).items() if count > 1]
    if repeated:
        raise ValueError(f"column {repeated[0]!r} appears more than once")
    missing = [name for name in header if name not in names]
    if missing:
        raise ValueError(f"missing column {missing[0]!r} (the columns are {expected})")
    return {name: names.index(name) for name in (*header, *optional) if name in names}


def _rows(
    text: str, source: str, header: tuple[str, ...], optional: tuple[str, ...] = (), *, refuse_personal: bool = False
) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, {column: value}) for each data line, "" for an optional column left out; the header is
    checked first."""
    positions: dict[str, int] | None = None
    for number, cells, _ in csv_records(text, source, DirectoryFileError):
        if positions is None:
            try:
                positions = _columns(cells, header, optional, refuse_personal=refuse_personal)
            except ValueError as exc:
                raise DirectoryFileError(f"{source} line {number}: {exc}") from None
            continue
        if len(cells) > len(positions):
            columns = sorted(positions, key=positions.__getitem__)
            raise DirectoryFileError(
                f"{source} line {number}: expected {len(columns)} values ({','.join(columns)}), got {len(cells)};"
                " put a value containing commas in double quotes"
            )
        cells += [""] * (len(positions) - len(cells))
        given = {name: cells[index] for name, index in positions.items()}
        yield number, {name: given.get(name, "") for name in (*header, *optional)}
    if positions is None:
        raise DirectoryFileError(f"{source}: missing the header line '{','.join(header)}'")


def _required(row: dict[str, str], column: str) -> str:
    value = row[column]
    if not value:
        raise ValueError(f"missing value for {column!r}")
    return value


def _roles(cell: str) -> frozenset[Role]:
    names = [name.strip().lower() for name in cell.split(";") if name.strip()]
    if not names:
        raise ValueError("missing value for 'roles'")
    roles = set()
    for name in names:
        try:
            roles.add(Role(name))
        except ValueError:
            raise ValueError(f"unknown role {name!r} (known roles: {KNOWN_ROLES})") from None
    return frozenset(roles)


def _parse_staff_row(row: dict[str, str]) -> StaffMember:
    staff_id = check_staff_id(_required(row, "staff_id"))
    display_name = _one_line(_required(row, "display_name"), "display name")
    roles = _roles(row["roles"])
    team = _one_line(_required(row, "team"), "team")
    manager = row["line_manager"] or None
    if manager is not None:
        check_staff_id(manager, "line manager")
    email = check_email(row["email"].strip()) if row["email"].strip() else None
    job = row["job"].strip().lower() or None
    if job is not None and job not in Job.__members__.values():
        raise ValueError(f"job {row['job'].strip()!r} is not one of {KNOWN_JOBS}")
    return _build(
        StaffMember,
        staff_id=staff_id,
        display_name=display_name,
        roles=roles,
        team=team,
        line_manager=manager,
        email=email,
        job=job,
    )


def parse_staff_csv(text: str, source: str = "staff file") -> tuple[StaffMember, ...]:
    """The staff in file order; raises DirectoryFileError on the first problem."""
    members: list[StaffMember] = []
    line_of: dict[str, int] = {}
    for number, row in _rows(text, source, STAFF_HEADER, STAFF_OPTIONAL):
        try:
            member = _parse_staff_row(row)
            if member.staff_id in line_of:
                raise ValueError(
                    f"staff id {member.staff_id!r} is listed twice (lines {line_of[member.staff_id]} and {number})"
                )
        except ValueError as exc:
            raise DirectoryFileError(f"{source} line {number}: {exc}") from None
        line_of[member.staff_id] = number
        members.append(member)
    if not members:
        raise DirectoryFileError(f"{source}: no staff listed")
    problem = staff_problem(members)
    if problem is not None:
        staff_id, message = problem
        raise DirectoryFileError(f"{source} line {line_of[staff_id]}: {message}")
    return tuple(members)


def parse_cases_csv(text: str, source: str = "cases file") -> tuple[OpenCase, ...]:
    """The open cases in file order; raises DirectoryFileError on the first problem."""
    cases: list[OpenCase] = []
    line_of: dict[str, int] = {}
    for number, row in _rows(text, source, CASES_HEADER, refuse_personal=True):
        try:
            case = _parse_case_row(row)
            if case.case_number in line_of:
                raise ValueError(
                    f"case number {case.case_number!r} is listed twice (lines {line_of[case.case_number]} and {number})"
                )
        except ValueError as exc:
            raise DirectoryFileError(f"{source} line {number}: {exc}") from None
        line_of[case.case_number] = number
        cases.append(case)
    if not cases:
        raise DirectoryFileError(f"{source}: no cases listed")
    return tuple(cases)


def _parse_case_row(row: dict[str, str]) -> OpenCase:
    case_number = _required(row, "case_number")
    if not _CASE_NUMBER.fullmatch(case_number):
        raise ValueError(
            f"case number {case_number!r} is not valid: 3-20 letters, digits or '-' only (e.g. LCS-100234)"
        )
    system = _required(row, "system")
    if system.upper() not in SYSTEMS:
        raise ValueError(f"system {system!r} is not LCS or EHM")
    service = _one_line(_required(row, "service"), "service")
    team = _one_line(_required(row, "team"), "team")
    practitioner = check_staff_id(_required(row, "practitioner"), "practitioner")
    began = _parse_date(_required(row, "support_began"), "support_began")
    return _build(
        OpenCase,
        case_number=case_number,
        system=system.upper(),
        service=service,
        team=team,
        practitioner=practitioner,
        support_began=began,
    )


def _build(cls: type[_Model], **values: Any) -> _Model:
    """A model from checked values; anything pydantic still objects to becomes a one-line ValueError."""
    try:
        return cls(**values)
    except ValidationError as exc:
        first = exc.errors()[0]
        problem = first.get("ctx", {}).get("error") or first["msg"]
        raise ValueError(f"{'.'.join(str(p) for p in first['loc'])}: {problem}") from None


def _parse_date(text: str, what: str) -> date:
    if not ISO_DATE.fullmatch(text):
        raise ValueError(f"{what} {text!r} is not a date (expected YYYY-MM-DD)")
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{what} {text!r} is not a real date (expected YYYY-MM-DD)") from None
    try:
        check_date(day, what)
    except Refusal as refusal:
        raise ValueError(str(refusal)) from None
    return day


# --- rules over a whole directory ----------------------------------------------------------------


def staff_problem(members: Sequence[StaffMember]) -> tuple[str, str] | None:
    """The first structural problem of a complete staff list as (staff id, message), or None.

    Ids are unique, every line manager is in the list, and line management never goes
    round in a circle.
    """
    by_id: dict[str, StaffMember] = {}
    for member in members:
        if member.staff_id in by_id:
            return member.staff_id, f"staff id {member.staff_id!r} is listed twice"
        by_id[member.staff_id] = member
    for member in members:
        if member.line_manager is not None and member.line_manager not in by_id:
            return member.staff_id, f"line manager {member.line_manager!r} of {member.staff_id!r} is not in the file"
    settled: set[str] = set()
    for member in members:
        path: list[str] = []
        current: str | None = member.staff_id
        while current is not None and current not in settled:
            if current in path:
                circle = path[path.index(current) :]
                order = {m.staff_id: index for index, m in enumerate(members)}
                first = min(circle, key=order.__getitem__)
                start = circle.index(first)
                shown = [*circle[start:], *circle[:start], first]
                return first, f"line management goes round in a circle: {' -> '.join(shown)}"
            path.append(current)
            current = by_id[current].line_manager
        settled.update(path)
    return None


def management_chain(staff: Mapping[str, StaffMember], staff_id: str) -> list[StaffMember]:
    """The line manager of staff_id, their manager, and so on up the chain (empty if none).

    Whoever the directory records is returned, active or not; a chain that would go
    round in a circle or reach someone missing stops there.
    """
    chain: list[StaffMember] = []
    seen = {staff_id}
    member = staff.get(staff_id)
    while member is not None and member.line_manager is not None and member.line_manager not in seen:
        manager = staff.get(member.line_manager)
        if manager is None:
            break
        chain.append(manager)
        seen.add(manager.staff_id)
        member = manager
    return chain


def staff_diff(
    current: Mapping[str, StaffMember], incoming: Sequence[StaffMember]
) -> tuple[list[str], list[str], list[str]]:
    """(added, changed, deactivated) staff ids, each sorted, when incoming replaces current.

    Someone inactive who appears again is changed (made active again); someone active
    who is missing from incoming is deactivated.
    """
    listed = {member.staff_id: member for member in incoming}
    added = sorted(staff_id for staff_id in listed if staff_id not in current)
    # Everyone listed is active, so an inactive person listed again differs too.
    changed = sorted(
        staff_id
        for staff_id, member in listed.items()
        if staff_id in current and current[staff_id] != member.model_copy(update={"active": True})
    )
    deactivated = sorted(staff_id for staff_id, member in current.items() if member.active and staff_id not in listed)
    return added, changed, deactivated


def staff_imported(current: Mapping[str, StaffMember], incoming: Sequence[StaffMember]) -> StaffImported:
    """The event recording that incoming replaced current."""
    added, changed, deactivated = staff_diff(current, incoming)
    return StaffImported(
        added=added, changed=changed, deactivated=deactivated, digest=staff_digest(incoming), rows=len(incoming)
    )


def cases_imported(snapshot_id: int, cases: Sequence[OpenCase]) -> CasesSnapshotImported:
    """The event recording a new snapshot of open cases."""
    counts = Counter(case.service for case in cases)
    return CasesSnapshotImported(
        snapshot_id=snapshot_id,
        rows=len(cases),
        digest=cases_digest(cases),
        by_service={service: counts[service] for service in sorted(counts)},
    )


def may_import(actor: str, current: Mapping[str, StaffMember], incoming: Sequence[StaffMember] | None) -> str | None:
    """Why actor may not import (None if they may).

    The actor must be an active qa_officer in the current directory. For the very first
    staff import (empty directory) they must be a qa_officer in the file being imported.
    incoming is the staff file being imported, or None for a cases import.
    """
    if not current:
        if incoming is None:
            return "the staff directory is empty: import the staff file first"
        listed = {member.staff_id: member for member in incoming}
        if actor not in listed or not listed[actor].has(Role.QA_OFFICER):
            return f"{actor!r} is not a qa_officer in the file: the first staff import must be made by a qa_officer it lists"
        return None
    member = current.get(actor)
    if member is None:
        return f"{actor!r} is not in the staff directory: only an active qa_officer may import"
    if not member.active:
        return f"{actor!r} is no longer active in the staff directory: only an active qa_officer may import"
    if not member.has(Role.QA_OFFICER):
        return f"{actor!r} is not a qa_officer: only an active qa_officer may import"
    return None


def cases_problem(cases: Iterable[OpenCase], staff: Mapping[str, StaffMember]) -> str | None:
    """Why the first of `cases` that cannot be held as listed cannot (None if all can): its practitioner
    (_case_problem), or its team, which must be one the staff directory lists for someone active. A team
    column is free text in the case system's export; checked against the directory, it cannot carry a
    child's name or other personal details into the record, and it is not repeated in the refusal."""
    teams = {member.team for member in staff.values() if member.active}
    for case in cases:
        problem = _case_problem(case, staff)
        if problem is None and case.team not in teams:
            problem = (
                f"case {case.case_number}: its team is not one the staff directory lists ({', '.join(sorted(teams))});"
                " the team column holds a team's name only"
            )
        if problem is not None:
            return problem
    return None


def _case_problem(case: OpenCase, staff: Mapping[str, StaffMember]) -> str | None:
    """Why case's practitioner cannot hold it (None if they can)."""
    member = staff.get(case.practitioner)
    if member is None:
        return f"case {case.case_number}: practitioner {case.practitioner!r} is not in the staff directory"
    if not member.active:
        return f"case {case.case_number}: practitioner {case.practitioner!r} is no longer active"
    if not member.has(Role.PRACTITIONER):
        return f"case {case.case_number}: {case.practitioner!r} does not hold the practitioner role"
    return None


# --- canonical text and digests ------------------------------------------------------------------


def _csv(header: tuple[str, ...], rows: Iterable[Sequence[Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def render_staff_csv(members: Iterable[StaffMember]) -> str:
    """The staff file for members (sorted by id) that parse_staff_csv reads back; an optional column only if
    someone has a value in it, so a directory without any keeps the digest it always had."""
    ordered = sorted(members, key=lambda m: m.staff_id)
    emails = any(m.email for m in ordered)
    jobs = any(m.job for m in ordered)
    return _csv(
        (*STAFF_HEADER, *(("email",) if emails else ()), *(("job",) if jobs else ())),
        (
            (
                m.staff_id,
                m.display_name,
                ";".join(sorted(r.value for r in m.roles)),
                m.team,
                m.line_manager or "",
                *((m.email or "",) if emails else ()),
                *((m.job.value if m.job else "",) if jobs else ()),
            )
            for m in ordered
        ),
    )


def render_cases_csv(cases: Iterable[OpenCase]) -> str:
    """The cases file for cases (sorted by case number) that parse_cases_csv reads back."""
    ordered = sorted(cases, key=lambda c: c.case_number)
    return _csv(
        CASES_HEADER,
        ((c.case_number, c.system, c.service, c.team, c.practitioner, c.support_began.isoformat()) for c in ordered),
    )


def staff_digest(members: Iterable[StaffMember]) -> str:
    """SHA-256 of the canonical staff file: the same staff give the same digest however the file was laid out."""
    return hashlib.sha256(render_staff_csv(members).encode("utf-8")).hexdigest()


def cases_digest(cases: Iterable[OpenCase]) -> str:
    """SHA-256 of the canonical cases file; recomputable from a stored snapshot to prove a sample."""
    return hashlib.sha256(render_cases_csv(cases).encode("utf-8")).hexdigest()


# --- the kind ---------------------------------------------------------------------------------

# The directory's streams are imports from the CLI: no workflow, no state to rebuild.
KIND = Kind(
    name="directory import",
    prefix="directory.",
    events=EventRegistry(StaffImported, CasesSnapshotImported),
    words={
        "directory.staff_imported": lambda p: (
            f"staff directory imported ({p['rows']} staff): {len(p['added'])} added, {len(p['changed'])} changed,"
            f" {len(p['deactivated'])} made inactive"
        ),
        "directory.cases_imported": lambda p: (
            f"open cases imported as snapshot {p['snapshot_id']} ({p['rows']} cases, digest {p['digest'][:12]}...)"
        ),
    },
)
