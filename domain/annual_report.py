"""The year's collated findings: every CPR cycle and thematic review of a year, in one report.

The framework: "the QA team will collate the findings" of the year's 6 CPR cycles and 4 thematic reviews. This
report is compiled from the records alone (the same reducers the workflows use): for each cycle its grades of record,
moderation, voices and the report's words (key findings, strengths, areas for development, recommendations, what
children and families said); for each thematic review its sample and its findings' words; and the year in figures.
Case numbers only: it never names a child. Compiled again later, it takes in what has been published since; each
compilation is kept, with its digests in the audit log (`annual.compiled`).
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from datetime import datetime
from typing import TypeVar

from domain.case_audit import CaseAuditState
from domain.cpr_cycle import CycleState, Narrative
from domain.events import DomainEvent, EventRegistry
from domain.frozen import Frozen
from domain.grade_of_record import DisputeDecision
from domain.kinds import Kind
from domain.review import VoiceCount, voices_in_words
from domain.rubric import Grade
from domain.trends import cycle_trend

_Started = TypeVar("_Started", CycleState, CaseAuditState)


def stream_id(year: int) -> str:
    return f"annual-report-{year}"


class CycleLine(Frozen):
    cycle_id: str
    service: str
    start: str
    phase: str
    sampled: int
    grades: dict[str, int]  # grades of record
    moderated: int
    agreed: int
    voices: dict[str, VoiceCount]
    words: Narrative | None  # None: not yet published, or published before the words were recorded (see `report`)
    voices_summary: str | None  # what children and families said, in the QA team's words
    report: str | None  # where its findings report is, with its SHA-256


class AuditLine(Frozen):
    audit_id: str
    focus: str
    start: str
    phase: str
    sampled: int
    submitted: int
    words: Narrative | None


class AnnualFindings(Frozen):
    year: int
    cycles: tuple[CycleLine, ...]
    thematic: tuple[AuditLine, ...]

    @property
    def grades(self) -> dict[str, int]:
        return {g.value: sum(c.grades.get(g.value, 0) for c in self.cycles) for g in Grade}

    @property
    def moderated(self) -> int:
        return sum(c.moderated for c in self.cycles)

    @property
    def agreed(self) -> int:
        return sum(c.agreed for c in self.cycles)

    @property
    def voices(self) -> dict[str, VoiceCount]:
        total: dict[str, VoiceCount] = {}
        for c in self.cycles:
            for whose, v in c.voices.items():
                was = total.get(whose, VoiceCount())
                total[whose] = VoiceCount(sought=was.sought + v.sought, obtained=was.obtained + v.obtained)
        return total


def annual_findings(
    year: int,
    cycles: Mapping[str, CycleState],
    thematic: Mapping[str, CaseAuditState],
    decided: Mapping[str, DisputeDecision],
) -> AnnualFindings:
    """The cycles and thematic reviews started in `year` (`cycles`, `thematic`: their states by id; `decided`: their
    reviews' disputes' final decisions that set a grade), oldest first."""
    lines = []
    for cycle_id, state in _started_in(cycles, year):
        # Grades of record and moderation as a service's trend counts them (the reviews' own records not needed).
        counted = cycle_trend(cycle_id, state, {}, decided)
        report = state.report
        lines.append(
            CycleLine(
                cycle_id=cycle_id,
                service=state.service,
                start=state.start.isoformat(),
                phase=state.phase,
                sampled=len(state.cases),
                grades=counted.grades,
                moderated=counted.moderated,
                agreed=counted.agreed,
                voices=report.voices if report is not None else {},
                words=report.narrative if report is not None else None,
                voices_summary=report.voices_summary if report is not None else None,
                report=f"{report.markdown_path} (SHA-256 {report.markdown_sha256})" if report is not None else None,
            )
        )
    audits = []
    for audit_id, state in _started_in(thematic, year):
        found = state.findings
        audits.append(
            AuditLine(
                audit_id=audit_id,
                focus=state.focus,
                start=state.start.isoformat(),
                phase=state.phase,
                sampled=len(state.cases),
                submitted=sum(c.submitted for c in state.cases),
                words=None if found is None else found.narrative,
            )
        )
    return AnnualFindings(year=year, cycles=tuple(lines), thematic=tuple(audits))


def _started_in(items: Mapping[str, _Started], year: int) -> list[tuple[str, _Started]]:
    """The items (by id) started in `year`, oldest first."""
    return sorted(((i, s) for i, s in items.items() if s.start.year == year), key=lambda item: (item[1].start, item[0]))


def _words(words: Narrative | None, unpublished: str, voices_summary: str | None = None) -> list[tuple[str, str]]:
    if words is None:
        return [("Findings", unpublished)]
    return [
        *words.headed(),
        *([("What children and families said", voices_summary)] if voices_summary else []),
    ]


def _sections(f: AnnualFindings) -> list[tuple[str, list[tuple[str, list[tuple[str, str]]]]]]:
    """(heading, [(subheading, [(label, text)])]): the one shape both renderings write."""
    reported = sum(c.report is not None for c in f.cycles)
    published = sum(a.words is not None for a in f.thematic)
    rate = f"{f.agreed / f.moderated:.0%}" if f.moderated else "none moderated"
    figures = [
        ("CPR cycles", f"{len(f.cycles)} started, {reported} with findings published"),
        ("Thematic reviews", f"{len(f.thematic)} started, {published} with findings published"),
        ("Grades of record", "; ".join(f"{g} {n}" for g, n in f.grades.items())),
        ("Moderation", f"reviewer and moderator agreed on {f.agreed} of {f.moderated} ({rate})"),
        *(("Voices", line) for line in voices_in_words(f.voices)),
    ]
    cycles = [
        (
            f"{c.service}, started {c.start} ({c.cycle_id})",
            [
                ("Stage", c.phase),
                ("Grades of record", "; ".join(f"{g} {n}" for g, n in c.grades.items() if n) or "none graded"),
                ("Moderation", f"agreed on {c.agreed} of {c.moderated}"),
                *_words(
                    c.words,
                    f"in its findings report, {c.report}" if c.report else "its findings report is not yet published",
                    c.voices_summary,
                ),
            ],
        )
        for c in f.cycles
    ]
    audits = [
        (
            f"{a.focus}, started {a.start} ({a.audit_id})",
            [
                ("Stage", a.phase),
                ("Cases", f"{a.submitted} of {a.sampled} answered"),
                *_words(a.words, "its findings are not yet published"),
            ],
        )
        for a in f.thematic
    ]
    return [
        ("The year in figures", [("", figures)]),
        ("Collaborative Practice Reviews", cycles or [("", [("", "No CPR cycle started in the year.")])]),
        ("Thematic reviews", audits or [("", [("", "No thematic review started in the year.")])]),
    ]


def render_markdown(f: AnnualFindings, compiled_at: datetime, by: str) -> str:
    lines = [
        f"# Quality assurance findings collated: {f.year}",
        "",
        f"Compiled {compiled_at.isoformat()} by {by} from the audit log. Case numbers only: this report names no child.",
    ]
    for heading, parts in _sections(f):
        lines += ["", f"## {heading}"]
        for sub, rows in parts:
            if sub:
                lines += ["", f"### {sub}"]
            lines.append("")
            lines += [f"- {label}: {text}" if label else text for label, text in rows]
    return "\n".join(lines) + "\n"


def render_html(f: AnnualFindings, compiled_at: datetime, by: str) -> str:
    e = html.escape
    body = [
        f"<h1>Quality assurance findings collated: {f.year}</h1>",
        f"<p>Compiled {e(compiled_at.isoformat())} by {e(by)} from the audit log."
        " Case numbers only: this report names no child.</p>",
    ]
    for heading, parts in _sections(f):
        body.append(f"<h2>{e(heading)}</h2>")
        for sub, rows in parts:
            if sub:
                body.append(f"<h3>{e(sub)}</h3>")
            labelled = [(label, text) for label, text in rows if label]
            body += [f"<p>{e(text)}</p>" for label, text in rows if not label]
            if labelled:
                body.append(
                    "<dl>" + "".join(f"<dt>{e(label)}</dt><dd>{e(text)}</dd>" for label, text in labelled) + "</dl>"
                )
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>QA findings {f.year}</title></head><body>\n" + "\n".join(body) + "\n</body></html>\n"
    )


class AnnualCompiled(DomainEvent):
    """A compilation of the year's findings: its files and their digests, and what it took in."""

    event_type = "annual.compiled"
    year: int
    markdown_path: str
    markdown_sha256: str
    html_path: str
    html_sha256: str
    cycles: tuple[str, ...]
    thematic: tuple[str, ...]


KIND = Kind(
    name="annual findings report",
    prefix="annual.",
    events=EventRegistry(AnnualCompiled),
    words={
        "annual.compiled": lambda p: (
            f"findings of {p['year']} collated (CPR cycles: {len(p['cycles'])}; thematic reviews: {len(p['thematic'])}):"
            f" {p['markdown_path']} (SHA-256 {p['markdown_sha256'][:12]}...)"
        ),
    },
)
