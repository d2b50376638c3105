"""`qa practice`: My practice, the results of the CPR reviews of a person's own cases and their staff's."""

from __future__ import annotations

import click

from infra.cli.common import JSON_OPTION, READER_OPTION, app, emit, run, table


@app.group("practice")
def practice_app() -> None:
    """My practice: the reviews of your cases (and your staff's), for supervision and appraisal."""


@practice_app.command("mine")
@READER_OPTION
@JSON_OPTION
def practice_mine(actor: str, as_json: bool) -> None:
    """The submitted CPR reviews of your own cases and of those who report to you: grade of record, conclusion and
    actions (each read in the access log)."""
    from infra.cli.client import perform

    reviews = run(perform("practice.mine", actor))

    def human() -> None:
        if not reviews:
            click.echo("No review of your cases, or of those you manage, has been submitted yet.")
            return
        table(
            ("case", "practitioner", "submitted", "grade of record", "open actions", "review"),
            [
                (
                    r.case_number,
                    r.practitioner,
                    r.submitted_on,
                    r.grade_of_record.words() if r.grade_of_record else "-",
                    ", ".join(a.action_id for a in r.actions if not a.done) or "none",
                    r.review_id,
                )
                for r in reviews
            ],
        )

    emit([r.model_dump(mode="json") for r in reviews], as_json, human)
