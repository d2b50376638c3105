"""What the QA team puts together from and into the record for the meetings: the year's collated findings
(domain.annual_report), compiled from the audit log and kept with their digests recorded; and the service performance
data the QAPM packs compare (domain.performance)."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, Field

from domain.annual_report import AnnualCompiled
from domain.performance import PerformanceImported
from infra.application.commands import command
from infra.application.directory import require
from infra.application.requests import REQUEST_ID

E = TypeVar("E", AnnualCompiled, PerformanceImported)


class AnnualAsked(BaseModel):
    year: int = Field(ge=2000, le=2200)


class Compiled(BaseModel):
    compiled: AnnualCompiled
    markdown: str


async def _answered(log: Any, event_type: type[E]) -> E | None:
    """What the request being made already recorded, when it is asked again with the same request id."""
    asked = REQUEST_ID.get()
    if asked is None:
        return None
    recorded = [e for e in await log.recorded_for(asked) if e.event_type == event_type.event_type]
    return event_type.model_validate(recorded[-1].payload) if recorded else None


@command("report.annual", changes=True)
async def compile_annual(ask: AnnualAsked, actor: str) -> Compiled:
    """Collate the year's CPR cycles and thematic reviews into one report (Markdown and HTML), store both and record
    their digests in the audit log (`annual-report-YEAR`): compiled again, the newest is the one."""
    from datetime import UTC, datetime

    from domain import annual_report, cpr_cycle, dispute, thematic
    from domain.case_audit import evolve as audit_evolve
    from domain.events import fold
    from domain.grade_of_record import decided_in
    from infra.application.documents import published_file
    from infra.application.services import database
    from infra.application.status import logged
    from infra.store.audit_log import AuditLog
    from infra.store.documents import Documents

    await require("report.annual", actor)
    async with database(max_size=2) as pool:
        log = AuditLog(pool)
        earlier = await _answered(log, AnnualCompiled)
        if earlier is not None:  # the same request asked again: the compilation it made, not another
            text = await published_file(earlier.markdown_path, earlier.markdown_sha256)
            return Compiled(compiled=earlier, markdown=text.decode("utf-8"))
        cycles = {
            item_id: fold(cpr_cycle.evolve, cpr_cycle.CYCLE_EVENTS, events)
            for item_id, events in (await log.read_streams(await log.streams_opened("cycle.started"))).items()
            if events
        }
        audits = {
            item_id: fold(audit_evolve, thematic.KIND.events, events)
            for item_id, events in (await log.read_streams(await log.streams_opened("thematic.started"))).items()
            if events
        }
        reviews = [c.review_id for s in cycles.values() for c in s.cases if c.review_id]
        decided = decided_in(await log.read_streams_opened_with(dispute.DisputeRaised.event_type, "review_id", reviews))
        found = annual_report.annual_findings(ask.year, cycles, audits, decided)
        at = datetime.now(UTC).replace(microsecond=0)
        stream = annual_report.stream_id(ask.year)
        name = f"findings-{at:%Y%m%d-%H%M%S}"  # UTC
        documents = Documents(pool)
        markdown = annual_report.render_markdown(found, at, actor)
        md_at, md_sha = await documents.put(stream, f"{name}.md", "text/markdown", markdown)
        html_at, html_sha = await documents.put(
            stream, f"{name}.html", "text/html", annual_report.render_html(found, at, actor)
        )
        compiled = AnnualCompiled(
            year=ask.year,
            markdown_path=md_at,
            markdown_sha256=md_sha,
            html_path=html_at,
            html_sha256=html_sha,
            cycles=tuple(c.cycle_id for c in found.cycles),
            thematic=tuple(a.audit_id for a in found.thematic),
        )
        async with pool.acquire() as conn, conn.transaction():
            await log.append_next(conn, stream, actor, at, [compiled], REQUEST_ID.get())
    await logged(actor, "*", f"annual findings {ask.year}")
    return Compiled(compiled=compiled, markdown=markdown)


class PerformanceFile(BaseModel):
    text: str  # the CSV's text (domain.performance)
    source: str  # its name, for a refusal naming its line


@command("performance.import", changes=True)
async def import_performance(ask: PerformanceFile, actor: str) -> PerformanceImported:
    """Record the service performance indicators of a CSV in the audit log (`performance-data`), whole, for the QAPM
    packs; a malformed file is refused naming its line, and nothing is recorded."""
    from datetime import UTC, datetime

    from domain.files import FileError
    from domain.performance import STREAM, parse_performance
    from infra.application.errors import AppError
    from infra.application.services import database
    from infra.store.audit_log import AuditLog

    await require("performance.import", actor)
    try:
        imported = parse_performance(ask.text, ask.source)
    except FileError as exc:
        raise AppError(str(exc)) from None
    async with database(max_size=1) as pool:
        log = AuditLog(pool)
        earlier = await _answered(log, PerformanceImported)
        if earlier is not None:  # the same request asked again: recorded once
            return earlier
        async with pool.acquire() as conn, conn.transaction():
            await log.append_next(conn, STREAM, actor, datetime.now(UTC), [imported], REQUEST_ID.get())
    return imported
