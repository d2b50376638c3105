"""Writing a cycle's findings report: figures folded from the audit log, files with their digests."""

from __future__ import annotations

import hashlib
from pathlib import Path

from pydantic import AwareDatetime
from temporalio import activity

from domain import review
from domain.cpr_cycle import CycleState, PublishReport
from domain.events import fold
from domain.findings import findings, render_html, render_markdown
from domain.frozen import Frozen
from infra.store.audit_log import AuditLog


class WriteFindingsReport(Frozen):
    cycle_id: str
    cycle: CycleState
    narrative: PublishReport
    plan_actions: tuple[str, ...] = ()  # the ids the plan gave the narrative's actions, in their order
    # The workflow's time, not the clock's: a retried write produces the very same bytes.
    published_at: AwareDatetime


class WrittenReport(Frozen):
    markdown_path: str
    markdown_sha256: str
    html_path: str
    html_sha256: str
    grades: dict[str, int]
    moderated: int
    agreed: int


class ReportActivities:
    def __init__(self, log: AuditLog, reports_dir: Path) -> None:
        self._log = log
        self._reports_dir = reports_dir

    @activity.defn(name="reports.write_findings")
    async def write_findings(self, request: WriteFindingsReport) -> WrittenReport:
        reviews = {}
        for case in request.cycle.cases:
            if case.submitted and case.review_id:
                events = await self._log.read_stream(case.review_id)
                reviews[case.case_number] = fold(review.evolve, review.REVIEW_EVENTS, events)
        figures = findings(request.cycle_id, request.cycle, reviews)
        folder = self._reports_dir / request.cycle_id
        folder.mkdir(parents=True, exist_ok=True)
        report = (figures, request.narrative, request.published_at, request.plan_actions)
        markdown = write_file(folder / "findings.md", render_markdown(*report))
        html = write_file(folder / "findings.html", render_html(*report))
        return WrittenReport(
            markdown_path=str(folder / "findings.md"),
            markdown_sha256=markdown,
            html_path=str(folder / "findings.html"),
            html_sha256=html,
            grades=figures.grades,
            moderated=figures.moderated,
            agreed=figures.agreed,
        )


def write_file(path: Path, text: str) -> str:
    """Write `text` (UTF-8) whole or not at all, and return its SHA-256 for the audit log to record."""
    data = text.encode("utf-8")
    partial = path.with_suffix(path.suffix + ".tmp")
    partial.write_bytes(data)
    partial.replace(path)
    return hashlib.sha256(data).hexdigest()
