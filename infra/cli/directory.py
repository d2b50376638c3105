"""`qa staff` and `qa cases`: the staff directory and the open-cases snapshots."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import click

from infra.cli.common import JSON_OPTION, READER_OPTION, app, as_option, emit, fail, run

T = TypeVar("T")

FILE_ARGUMENT = click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
AS_OPTION = as_option("Who is importing (an active qa_officer).")


@app.group("staff")
def staff_app() -> None:
    """The staff directory: who works here, their roles, team and line manager."""


@app.group("cases")
def cases_app() -> None:
    """Snapshots of the open cases that samples are drawn from."""


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        fail(f"{path}: not UTF-8 text (save the CSV as UTF-8)")


def _parse(parser: Callable[[str, str], T], path: Path) -> T:
    from domain.directory import DirectoryFileError

    try:
        return parser(_read(path), str(path))
    except DirectoryFileError as exc:
        fail(str(exc))


@staff_app.command("import")
@FILE_ARGUMENT
@AS_OPTION
@JSON_OPTION
def staff_import(file: Path, actor: str, as_json: bool) -> None:
    """Make FILE the staff directory (CSV: staff_id,display_name,roles,team,line_manager; roles split by ';').

    People missing from FILE become inactive; nobody is ever deleted.
    """
    from domain.directory import parse_staff_csv

    members = _parse(parse_staff_csv, file)
    from infra.application.directory import import_staff

    event, stream_id = run(import_staff(members, actor))

    def human() -> None:
        click.echo(
            f"imported {event.rows} staff from {file}: {len(event.added)} added, {len(event.changed)} changed,"
            f" {len(event.deactivated)} made inactive (recorded on {stream_id})"
        )
        for label, ids in (("added", event.added), ("changed", event.changed), ("inactive", event.deactivated)):
            if ids:
                click.echo(f"  {label}: {', '.join(ids)}")

    emit(event.payload(), as_json, human)


@staff_app.command("list")
@READER_OPTION
@JSON_OPTION
def staff_list(actor: str, as_json: bool) -> None:
    """Everyone in the staff directory, including those no longer active."""
    from infra.cli.client import perform

    members = run(perform("staff", actor))

    def human() -> None:
        if not members:
            click.echo("no staff yet: import a staff file with `qa staff import FILE --as PERSON`")
            return
        width = max(len(m.staff_id) for m in members)
        for m in members:
            roles = ";".join(sorted(r.value for r in m.roles))
            manager = f"  (line manager {m.line_manager})" if m.line_manager else ""
            inactive = "  INACTIVE" if not m.active else ""
            email = f"  <{m.email}>" if m.email else ""
            click.echo(f"{m.staff_id:<{width}}  {m.display_name}{email}  [{roles}]  {m.team}{manager}{inactive}")

    emit([m.model_dump(mode="json") for m in members], as_json, human)


@cases_app.command("import")
@FILE_ARGUMENT
@AS_OPTION
@JSON_OPTION
def cases_import(file: Path, actor: str, as_json: bool) -> None:
    """Keep FILE as a new snapshot of the open cases.

    CSV: case_number,system,service,team,practitioner,support_began; case numbers and staff ids
    only, never names or other personal details. Earlier snapshots are kept.
    """
    from domain.directory import parse_cases_csv

    cases = _parse(parse_cases_csv, file)
    from infra.application.directory import import_cases

    event = run(import_cases(cases, actor))

    def human() -> None:
        click.echo(f"snapshot {event.snapshot_id}: {event.rows} open cases from {file} (digest {event.digest})")
        for service, count in event.by_service.items():
            click.echo(f"  {service}: {count}")

    emit(event.payload(), as_json, human)


@cases_app.command("list")
@click.option("--service", help="Only this service's cases, e.g. 'Children in Need'.")
@READER_OPTION
@JSON_OPTION
def cases_list(service: str | None, actor: str, as_json: bool) -> None:
    """The open cases of the newest snapshot (for the QA team and auditors)."""
    from infra.cli.client import perform

    snapshot_id, cases = run(perform("cases", actor, service=service))

    def human() -> None:
        if snapshot_id is None:
            click.echo("no cases yet: import an open-cases file with `qa cases import FILE --as PERSON`")
            return
        scope = f" of {service}" if service else ""
        click.echo(f"snapshot {snapshot_id}: {len(cases)} open cases{scope}")
        for c in cases:
            click.echo(
                f"{c.case_number:<20}  {c.system}  {c.service}  |  {c.team}  |  {c.practitioner}"
                f"  since {c.support_began.isoformat()}"
            )

    emit(
        {"snapshot_id": snapshot_id, "cases": [c.model_dump(mode="json") for c in cases]},
        as_json,
        human,
    )
