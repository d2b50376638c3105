"""Practice Week as a durable workflow: the theme, the leaders' observations, the QA officer's summary.

Started (id `practice-week-<week start>`) by the calendar's scheduler or the QA
team. The theme is the one given, or the newest a QAPM meeting decided in the
year before the week; without either, agreeing it is a duty of the QA officer,
due by the end of the working day before the week. Senior leaders record what
they observed during the 5 working days; the QA officer closes the week with a
summary and the learning and development opportunities, due 5 working days after.
"""

from __future__ import annotations

from datetime import date, timedelta

from temporalio import workflow

from domain import practice_week
from domain.directory import Role
from domain.errors import Refusal
from domain.practice_week import (
    CLOSE_AFTER,
    DUTIES,
    THEME_BEFORE,
    THEME_FRESH_DAYS,
    WEEK,
    AgreeTheme,
    CloseWeek,
    ObservationRecorded,
    PracticeWeekInput,
    PracticeWeekState,
    RecordObservation,
    ThemeAgreed,
    WeekClosed,
    WeekStarted,
)
from domain.text import MAX_SHORT, check_text
from domain.wording import sentence
from domain.working_days import LONDON
from workflows.common import (
    ItemWorkflow,
    opener,
    require,
    require_senior_leader,
    run_activity,
    run_activity_or_refuse,
)
from workflows.duties import DutyKeeper
from workflows.recording import check, recorded_update, refused

with workflow.unsafe.imports_passed_through():
    from activities.directory import DirectoryActivities, ListCases, RoleLookup, StaffLookup
    from activities.qapm import DecidedValue, LatestDecision, QapmActivities

THEME = "theme"
CLOSE = "close"

__all__ = ["PracticeWeekInput", "PracticeWeekWorkflow"]


@workflow.defn(name=practice_week.KIND.workflow_type)
class PracticeWeekWorkflow(ItemWorkflow[PracticeWeekState]):
    @workflow.init
    def __init__(self, request: PracticeWeekInput) -> None:
        super().__init__(practice_week.evolve)
        self._duties = DutyKeeper(self._recorder, self._notifier, DUTIES, _title)

    @workflow.run
    async def run(self, request: PracticeWeekInput) -> PracticeWeekState:
        await self._start(request)
        await self._duties.chase(finished=lambda: self._state().ended)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._state()

    @workflow.query
    def state(self) -> PracticeWeekState | None:
        return self._recorder.state

    @recorded_update(practice_week.check_theme)
    async def agree_theme(self, request: AgreeTheme) -> PracticeWeekState:
        await workflow.wait_condition(lambda: self._recorder.state is not None)
        check(practice_week.check_theme, self._state(), request)
        await require(request.actor, "practice_week.agree_theme")
        if request.theme is not None:
            theme, source = request.theme.strip(), None
        else:
            decided = await _decided_theme(self._state().week_start)
            if decided is None:
                raise refused(
                    Refusal(
                        "no QAPM meeting in the year before the week decided a Practice Week theme:"
                        " give the theme agreed (--theme)"
                    )
                )
            theme, source = decided.value, decided.meeting_id
        state = await self._recorder.record(
            request.actor,
            ThemeAgreed(theme=theme, theme_from=source),
            self._duties.completed(THEME),
            rule=lambda s: practice_week.check_theme(s, request),
        )
        await self._duties.close_tasks(THEME)
        await self._tell_leaders(state, "theme")
        return state

    @recorded_update(practice_week.check_observation, lambda: workflow.now())
    async def observe(self, request: RecordObservation) -> PracticeWeekState:
        await workflow.wait_condition(lambda: self._recorder.state is not None)
        check(practice_week.check_observation, self._state(), request, workflow.now())
        await require_senior_leader(
            request.actor, "record a Practice Week observation (the director, assistant director and heads of service)"
        )
        numbers = request.observation.case_numbers
        if numbers:
            await run_activity_or_refuse(
                DirectoryActivities.listed_cases,
                ListCases(case_numbers=numbers),
                "SampleRefused",
                "name children by their open case numbers only",
            )
        return await self._recorder.record_built(
            request.actor,
            lambda s: (
                ObservationRecorded(
                    number=len(s.observations) + 1, leader=request.actor, observation=request.observation
                ),
            ),
            rule=lambda s: practice_week.check_observation(s, request, workflow.now()),
        )

    @recorded_update(practice_week.check_close, lambda: workflow.now())
    async def close(self, request: CloseWeek) -> PracticeWeekState:
        await workflow.wait_condition(lambda: self._recorder.state is not None)
        check(practice_week.check_close, self._state(), request, workflow.now())
        await require(request.actor, "practice_week.close")
        state = await self._recorder.record(
            request.actor,
            WeekClosed(
                summary=request.summary.strip(),
                learning=tuple(item.strip() for item in request.learning if item.strip()),
            ),
            self._duties.completed(CLOSE),
            rule=lambda s: practice_week.check_close(s, request, workflow.now()),
        )
        await self._duties.close_tasks(CLOSE)
        await self._tell_leaders(state, "closed")
        return state

    # --- the engine's part -------------------------------------------------------------------------

    async def _start(self, request: PracticeWeekInput) -> None:
        await require(request.started_by, "practice_week.start")
        actor, owner = opener(request)
        # The end of the 5th working day counting the week's start (or the first working day after it).
        week = await self._duties.due(request.week_start - timedelta(days=1), WEEK)
        if week.due_at <= workflow.now():
            raise refused(Refusal(f"the week from {request.week_start.isoformat()} is over"))
        close = await self._duties.due(week.due_at.astimezone(LONDON).date(), CLOSE_AFTER)
        if request.theme is not None:
            if not request.theme.strip():
                raise refused(Refusal("the theme cannot be empty: leave it out to take the QAPM meeting's"))
            try:
                check_text("the theme", request.theme, MAX_SHORT)
            except Refusal as refusal:
                raise refused(refusal) from None
            theme, source = request.theme.strip(), None
        else:
            decided = await _decided_theme(request.week_start)
            theme, source = (decided.value, decided.meeting_id) if decided else (None, None)
        given = [self._duties.given(CLOSE, request.started_by, "close the Practice Week with its summary", close)]
        if theme is None:
            agreed_by = await self._duties.due(request.week_start, -THEME_BEFORE)
            given.insert(
                0,
                self._duties.given(
                    THEME, request.started_by, "get the Practice Week theme agreed by the QAPM meeting", agreed_by
                ),
            )
        state = await self._recorder.record(
            actor,
            WeekStarted(
                week_start=request.week_start,
                week_ends_at=week.due_at,
                theme=theme,
                theme_from=source,
                calendar_digest=week.calendar_digest,
                owner=owner,
            ),
            *given,
        )
        await self._duties.tell_owners(state, *(d.key for d in state.duties))
        await self._tell_leaders(state, "planned")

    async def _tell_leaders(self, state: PracticeWeekState, tag: str) -> None:
        """The director, the assistant director and the heads of service: CSLT, who spend the week in practice."""
        heads = await run_activity(DirectoryActivities.role_holders, RoleLookup(role=Role.HEAD_OF_SERVICE))
        leaders = {h.staff_id for h in heads}
        for head in heads:
            chain = await run_activity(DirectoryActivities.management_chain, StaffLookup(staff_id=head.staff_id))
            leaders.update(m.staff_id for m in chain)
        ends = _day(state.week_ends_at.astimezone(LONDON).date())
        if tag == "closed":
            subject = f"{sentence(state.title)} is closed: its summary and learning"
            body = f"{state.summary} Learning and development: {'; '.join(state.learning)}."
        else:
            theme = f"theme: {state.theme}" if state.theme else "theme to be agreed by the QAPM meeting"
            subject = f"{sentence(state.title)} to {ends} ({theme})"
            body = (
                "Observe practice and gather the feedback of children and families; record each visit with"
                f" `qa practice-week observe {self._id} --visit ... --observed ... --feedback ... [--case CASE]"
                " --as YOU` (case numbers only, never a child's name)."
            )
        await self._notifier.post(
            *(self._notifier.message(person, "info", tag, subject, body) for person in sorted(leaders))
        )


async def _decided_theme(week_start: date) -> DecidedValue | None:
    """The newest theme a QAPM meeting held in the year before the week decided."""
    decided = await run_activity(
        QapmActivities.latest_decision, LatestDecision(field="practice_week_theme", before=week_start)
    )
    if decided is None or decided.meeting_on < week_start - timedelta(days=THEME_FRESH_DAYS):
        return None
    return decided


def _day(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def _title(state: PracticeWeekState) -> str:
    return f"Practice Week: {state.title}."
