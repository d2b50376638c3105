"""`qa concern`: practice concerns about staff, raised with their line manager and kept off any child's record.

A concern is its own workflow and its own restricted audit stream (`concern-<uuid>`).
infra.application.concerns checks the people against the staff directory (and the
review it arose from) before anything starts, and shows a concern only to those
`domain.staff_concern.may_read` allows, writing every read to the access log.
"""

from __future__ import annotations

from typing import TypeVar

import click

from infra.cli.common import JSON_OPTION, app, as_option, emit, fail, run

T = TypeVar("T")


@app.group("concern")
def concern_app() -> None:
    """Practice concerns about staff: raised with their line manager, never on a child's review record."""


@concern_app.command("raise")
@click.option("--about", required=True, help="The member of staff the concern is about (staff id).")
@click.option("--concern", "text", required=True, help="The concern, as it should reach their manager.")
@click.option("--review", "review_id", default=None, help="The review it arose from (the concern points at it).")
@as_option("Who raises it (an active member of staff).")
def concern_raise(about: str, text: str, review_id: str | None, actor: str) -> None:
    """Raise a concern about ABOUT with their line manager; prints the concern's id."""
    from infra.cli.client import perform

    if not text.strip():
        fail("--concern cannot be empty")
    context = review_id.strip() if review_id is not None else None
    click.echo(run(perform("concern.raise", actor, about=about.strip(), concern=text.strip(), context=context)))


@concern_app.command("respond")
@click.argument("concern_id")
@click.option("--response", required=True, help="What was done, e.g. 'discussed in supervision', 'no further action'.")
@as_option("Who responds (the manager it was raised with).")
def concern_respond(concern_id: str, response: str, actor: str) -> None:
    """Record what was done about a concern; this closes it."""
    from infra.cli.client import perform

    _check_id(concern_id)
    if not response.strip():
        fail("--response cannot be empty")
    state = run(perform("concern.respond", actor, concern_id=concern_id, response=response.strip()))
    click.echo(f"{concern_id}: responded by {state.responded_by}: {state.response}")


@concern_app.command("show")
@click.argument("concern_id")
@as_option("Who is reading (a manager concerned, the raiser or an auditor).", name="reader")
@JSON_OPTION
def concern_show(concern_id: str, reader: str, as_json: bool) -> None:
    """A concern as its own stream records it, for those allowed to read it."""
    from infra.cli.client import perform

    _check_id(concern_id)
    state = run(perform("concern.show", reader, concern_id=concern_id))

    def human() -> None:
        click.echo(f"{concern_id}: practice concern about {state.about}")
        click.echo(f"  raised    {state.raised_at.isoformat()} by {state.raised_by}")
        click.echo(f"  manager   {state.manager} (respond by {state.respond_by.isoformat()})")
        if state.context:
            click.echo(f"  arose in  {state.context}")
        click.echo(f"  concern   {state.concern}")
        click.echo(f"  status    {state.status}")
        if state.response is not None:
            assert state.responded_at is not None
            click.echo(f"  response  {state.response} ({state.responded_by}, {state.responded_at.isoformat()})")

    emit({"id": concern_id, **state.model_dump(mode="json")}, as_json, human)


# --- plumbing ---------------------------------------------------------------------------------


def _check_id(concern_id: str) -> None:
    from domain.staff_concern import is_concern_stream

    if not is_concern_stream(concern_id):
        fail(f"{concern_id!r} is not a concern id (they look like concern-<uuid>)")
