"""What the QAPM meeting, the thematic scheduler and Practice Week read from the audit log.

`compile_pack` reads the streams the performance pack needs (every CPR cycle,
action plan and spotlight, and every item whose duties fell due in the period),
decodes them with their own registries, computes the figures with the pure
`domain.qapm_pack.pack_figures` and writes the pack as Markdown; the workflow records
the figures and the file's SHA-256. `latest_decision` finds the newest thematic
focus or Practice Week theme a meeting decided.
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import AwareDatetime, ValidationError
from temporalio import activity

from activities.reports import store
from domain import cpr_cycle, performance, qapm, qapm_pack
from domain.cpr_cycle import CycleStarted, Revisit
from domain.events import EventMeta, fold
from domain.frozen import Frozen
from domain.items import kind_of_stream
from domain.qapm import DecisionField, PackFigures
from domain.qapm_pack import LoggedEvent
from domain.working_days import LONDON
from infra.store.audit_log import AuditLog
from infra.store.documents import Documents

# The items whose whole history the pack folds (a cycle opened long ago may still be open).
# Streams read whole: a dispute's final decision can set a grade of record; a review's voices are counted.
_FOLDED = ("cycle.started", "plan.started", "spotlight.started", "dispute.raised", "review.opened")
_DUTY_EVENTS = ("duty_set", "duty_chased", "duty_done")


class CompilePack(Frozen):
    meeting_id: str
    meeting_on: date
    # The workflow's time, not the clock's: the pack covers the log up to it, whenever a retry runs.
    compiled_at: AwareDatetime


class CompiledPack(Frozen):
    figures: PackFigures
    markdown_path: str
    markdown_sha256: str


class LatestDecision(Frozen):
    field: DecisionField
    before: date  # meetings held on or before this day


class DecidedValue(Frozen):
    value: str
    meeting_id: str
    meeting_on: date
    decided_on: date  # London date the decisions were recorded


class KnownItems(Frozen):
    item_ids: tuple[str, ...]


class CarriedAsk(Frozen):
    cycle_id: str  # the cycle starting
    service: str
    start: date


class Carried(Frozen):
    previous: str | None  # the service's newest cycle before this one
    revisits: tuple[Revisit, ...] = ()


class CycleAsked(Frozen):
    cycle_id: str


class CycleFacts(Frozen):
    """What a repeat of a cycle takes from it."""

    service: str
    sample_size: int
    started_by: str


class QapmActivities:
    def __init__(self, log: AuditLog, documents: Documents) -> None:
        self._log = log
        self._documents = documents

    @activity.defn(name="qapm.compile_pack")
    async def compile_pack(self, request: CompilePack) -> CompiledPack:
        until = request.compiled_at
        previous = await self._log.latest_dated(
            qapm.MeetingStarted.event_type,
            "meeting_on",
            request.meeting_on,
            inclusive=False,
            excluding=request.meeting_id,
        )
        previous_on = previous_until = None
        if previous is not None:
            previous_on = date.fromisoformat(previous.payload["meeting_on"])
            pack = await self._log.last_of_type(previous.stream_id, qapm.PackCompiled.event_type)
            if pack is not None:
                previous_until = datetime.fromisoformat(pack.payload["figures"]["until"])
        since = qapm_pack.period_start(request.meeting_on, previous_on, previous_until)
        stream_ids = await self._log.streams_for_pack(_FOLDED, _DUTY_EVENTS, since, until)
        events: list[LoggedEvent] = []
        unread: list[str] = []
        for stream_id in stream_ids:
            recorded = await self._log.read_stream(stream_id)
            kind = kind_of_stream(stream_id, (e.event_type for e in recorded))
            if kind is None or kind.restricted:
                continue
            try:
                decoded = [
                    LoggedEvent(
                        stream_id=stream_id,
                        event=kind.events.decode(e.event_type, e.payload),
                        meta=EventMeta(version=e.version, actor=e.actor, business_time=e.business_time),
                    )
                    for e in recorded
                ]
            except (ValueError, ValidationError):
                activity.logger.warning("QAPM pack: cannot decode stream %s; it is named in the pack", stream_id)
                unread.append(stream_id)
                continue
            events.extend(decoded)
        figures = qapm_pack.pack_figures(events, since, until, previous.stream_id if previous else None)
        if unread:
            figures = figures.model_copy(update={"unread_streams": tuple(unread)})
        imports = [
            performance.PerformanceImported.model_validate(e.payload)
            for e in await self._log.events_of_type(performance.PerformanceImported.event_type)
            if e.business_time <= until
        ]
        if imports:
            period = (since.astimezone(LONDON).date(), until.astimezone(LONDON).date())
            figures = figures.model_copy(update={"performance": performance.compared(imports, *period)})
        text = qapm_pack.pack_markdown(request.meeting_on, figures)
        where, digest = await store(self._documents, request.meeting_id, "pack.md", "text/markdown", text)
        return CompiledPack(figures=figures, markdown_path=where, markdown_sha256=digest)

    @activity.defn(name="qapm.latest_decision")
    async def latest_decision(self, request: LatestDecision) -> DecidedValue | None:
        """The newest non-empty value of `field` decided at a meeting held on or before `before`."""
        decided = await self._log.latest_dated(
            qapm.DecisionsRecorded.event_type, "meeting_on", request.before, inclusive=True, having=request.field
        )
        if decided is None:
            return None
        return DecidedValue(
            value=decided.payload[request.field].strip(" "),  # as PostgreSQL's btrim found it not blank
            meeting_id=decided.stream_id,
            meeting_on=date.fromisoformat(decided.payload["meeting_on"]),
            decided_on=decided.business_time.astimezone(LONDON).date(),
        )

    @activity.defn(name="qapm.carried_forward")
    async def carried_forward(self, request: CarriedAsk) -> Carried:
        """The service's previous cycle, and every QAPM answer about it (or one of its reviews) that asked for a
        repeat or for areas to be looked at again."""
        before = [
            (date.fromisoformat(e.payload["start"]), e.stream_id)
            for e in await self._log.events_of_type(CycleStarted.event_type, "service", request.service)
            if e.stream_id != request.cycle_id and date.fromisoformat(e.payload["start"]) <= request.start
        ]
        if not before:
            return Carried(previous=None)
        previous = max(before)[1]
        revisits = []
        for recorded in await self._log.events_of_type(qapm.DecisionsRecorded.event_type):
            decided = qapm.QAPM_EVENTS.decode(recorded.event_type, recorded.payload)
            assert isinstance(decided, qapm.DecisionsRecorded)
            revisits += [
                Revisit(
                    meeting_id=recorded.stream_id,
                    item=answer.item,
                    repeat=answer.repeat_cycle,
                    reasons=answer.reasons,
                    areas=answer.revisit_areas,
                )
                for answer in decided.progress
                if answer.cycle == previous and (answer.repeat_cycle or answer.revisit_next_cycle)
            ]
        return Carried(previous=previous, revisits=tuple(revisits))

    @activity.defn(name="qapm.cycle_facts")
    async def cycle_facts(self, request: CycleAsked) -> CycleFacts | None:
        """A recorded cycle's service, sample size and starter (None: the log holds no such cycle)."""
        events = await self._log.read_stream(request.cycle_id)
        if not events or events[0].event_type != CycleStarted.event_type:
            return None
        state = fold(cpr_cycle.evolve, cpr_cycle.CYCLE_EVENTS, events)
        return CycleFacts(service=state.service, sample_size=state.sample_size, started_by=state.started_by)

    @activity.defn(name="qapm.unknown_items")
    async def unknown_items(self, request: KnownItems) -> list[str]:
        """The ids among `item_ids` that name no stream in the audit log."""
        return await self._log.unknown_streams(request.item_ids)
