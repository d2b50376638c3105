"""Writing a cycle's findings report: figures folded from the audit log, files stored with their digests."""

from __future__ import annotations

from pydantic import AwareDatetime
from temporalio import activity
from temporalio.exceptions import ApplicationError

from domain import review
from domain.cpr_cycle import CycleState, PublishReport
from domain.events import fold
from domain.findings import findings, render_html, render_markdown
from domain.frozen import Frozen
from domain.grade_of_record import decided_in
from domain.review import VoiceCount
from infra.store.audit_log import AuditLog
from infra.store.documents import DocumentConflict, Documents
from infra.store.trends import read_trends


class WriteFindingsReport(Frozen):
    cycle_id: str
    cycle: CycleState
    narrative: PublishReport
    plan_actions: tuple[str, ...] = ()  # the ids the plan gave the narrative's actions, in their order
    # The workflow's time, not the clock's: a retried write produces the very same bytes.
    published_at: AwareDatetime


class WrittenReport(Frozen):
    # A location (infra.store.documents: postgresql:ITEM/NAME); "path": the name events recorded, kept.
    markdown_path: str
    markdown_sha256: str
    html_path: str
    html_sha256: str
    grades: dict[str, int]
    moderated: int
    agreed: int
    voices: dict[str, VoiceCount] = {}  # defaulted: a report written before voices were counted has none


class ReportActivities:
    def __init__(self, log: AuditLog, documents: Documents) -> None:
        self._log = log
        self._documents = documents

    @activity.defn(name="reports.write_findings")
    async def write_findings(self, request: WriteFindingsReport) -> WrittenReport:
        reviews = {}
        for case in request.cycle.cases:
            if case.submitted and case.review_id:
                events = await self._log.read_stream(case.review_id)
                reviews[case.case_number] = fold(review.evolve, review.REVIEW_EVENTS, events)
        reviewed = [case.review_id for case in request.cycle.cases if case.submitted and case.review_id]
        disputes = await self._log.read_streams_opened_with("dispute.raised", "review_id", reviewed)
        # Decisions up to the report's moment only: a retry writes the very same bytes.
        decided = decided_in(disputes, request.published_at)
        trend = None
        if request.cycle.previous is not None:
            # The service's cycles as they stood at the report's moment, this one among them.
            trend = next(iter(await read_trends(self._log, request.cycle.service, request.published_at)), None)
        figures = findings(request.cycle_id, request.cycle, reviews, decided, trend)
        report = (figures, request.narrative, request.published_at, request.plan_actions)
        markdown = await store(
            self._documents, request.cycle_id, "findings.md", "text/markdown", render_markdown(*report)
        )
        html = await store(self._documents, request.cycle_id, "findings.html", "text/html", render_html(*report))
        return WrittenReport(
            markdown_path=markdown[0],
            markdown_sha256=markdown[1],
            html_path=html[0],
            html_sha256=html[1],
            grades=figures.grades,
            moderated=figures.moderated,
            agreed=figures.agreed,
            voices=figures.voices,
        )


async def store(documents: Documents, item_id: str, name: str, media_type: str, text: str) -> tuple[str, str]:
    """Store a published file (its location and SHA-256, for the audit log to record). The bytes are
    the same on every retry (built from the workflow's time), so a retry stores nothing new; other
    bytes under the same name can only be a bug, and are not retried."""
    try:
        return await documents.put(item_id, name, media_type, text)
    except DocumentConflict as exc:
        raise ApplicationError(str(exc), type="DocumentConflict", non_retryable=True) from None
