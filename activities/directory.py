"""What workflows may ask of the staff directory and the open-cases snapshots (infra.store.directory)."""

from __future__ import annotations

from datetime import date

from temporalio import activity
from temporalio.exceptions import ApplicationError

from domain import case_audit, sampling
from domain.cpr_cycle import SampledCase
from domain.directory import MAX_TEAM_CASES, OpenCase, Role, StaffMember
from domain.errors import Refusal
from domain.frozen import Frozen
from domain.sampling import Candidate, SampleDraw
from infra.store.directory import Directory


class StaffLookup(Frozen):
    staff_id: str


class RoleLookup(Frozen):
    role: Role


class DrawSample(Frozen):
    service: str | None  # None: every service (a thematic review may look across them all)
    on: date
    size: int
    seed: str


class TeamLookup(Frozen):
    team: str


class TeamView(Frozen):
    """A team as the directory holds it now: its active staff and its open cases in the newest snapshot."""

    snapshot_id: int | None
    staff: tuple[StaffMember, ...]
    cases: tuple[SampledCase, ...]


class DrawnSample(Frozen):
    snapshot_id: int
    draw: SampleDraw
    cases: tuple[SampledCase, ...]


class ListCases(Frozen):
    case_numbers: tuple[str, ...]


class ListedCases(Frozen):
    snapshot_id: int
    cases: tuple[SampledCase, ...]


class CaseLookup(Frozen):
    case_number: str


class DirectoryActivities:
    """What workflows may ask of the directory: who someone is and who manages them."""

    def __init__(self, directory: Directory) -> None:
        self._directory = directory

    @activity.defn(name="directory.staff_member")
    async def staff_member(self, request: StaffLookup) -> StaffMember | None:
        return await self._directory.staff_member(request.staff_id)

    @activity.defn(name="directory.management_chain")
    async def management_chain(self, request: StaffLookup) -> list[StaffMember]:
        return await self._directory.management_chain(request.staff_id)

    @activity.defn(name="directory.role_holders")
    async def role_holders(self, request: RoleLookup) -> list[StaffMember]:
        """Everyone active who holds the role (e.g. the Head of QA, for the last escalation)."""
        return [m for m in await self._directory.all_staff() if m.active and request.role in m.roles]

    @activity.defn(name="directory.team")
    async def team(self, request: TeamLookup) -> TeamView:
        """The team's active staff and open cases; a team with more than MAX_TEAM_CASES is refused, not retried."""
        staff = [m for m in await self._directory.all_staff() if m.active and m.team == request.team]
        snapshot_id, cases = await self._directory.latest_cases()
        of_team = [c for c in cases if c.team == request.team]
        if len(of_team) > MAX_TEAM_CASES:
            raise ApplicationError(
                f"the {request.team} team has {len(of_team):,} open cases in snapshot {snapshot_id}, more than the"
                f" {MAX_TEAM_CASES:,} a team's work is drawn from: check that cases import",
                type="SampleRefused",
                non_retryable=True,
            )
        return TeamView(
            snapshot_id=snapshot_id,
            staff=tuple(sorted(staff, key=lambda m: m.staff_id)),
            cases=tuple(
                SampledCase(case_number=c.case_number, team=c.team, practitioner=c.practitioner) for c in of_team
            ),
        )

    @activity.defn(name="directory.open_case")
    async def open_case(self, request: CaseLookup) -> OpenCase | None:
        """The case as the newest open-cases snapshot lists it (its team, practitioner and record), or None."""
        _, cases = await self._directory.latest_cases()
        return next((c for c in cases if c.case_number == request.case_number), None)

    @activity.defn(name="directory.listed_cases")
    async def listed_cases(self, request: ListCases) -> ListedCases:
        """Cases named one by one (a dip audit's own list), as the newest open-cases snapshot holds them."""
        snapshot_id, cases = await self._directory.latest_cases()
        if snapshot_id is None:
            raise ApplicationError("no open cases were imported yet: run `qa cases import`", type="SampleRefused")
        try:
            listed = case_audit.listed_sample(request.case_numbers, cases, snapshot_id)
        except Refusal as exc:
            raise ApplicationError(str(exc), type="SampleRefused") from None
        return ListedCases(snapshot_id=snapshot_id, cases=listed)

    @activity.defn(name="directory.draw_sample")
    async def draw_sample(self, request: DrawSample) -> DrawnSample:
        """The sample from the newest open-cases snapshot, of one service or of all."""
        snapshot_id, cases = await self._directory.latest_cases(request.service)
        if snapshot_id is None:
            raise ApplicationError("no open cases were imported yet: run `qa cases import`", type="SampleRefused")
        candidates = [Candidate(case_number=c.case_number, support_began=c.support_began) for c in cases]
        try:
            draw = sampling.draw(candidates, on=request.on, size=request.size, seed=request.seed)
        except ValueError as exc:
            raise ApplicationError(f"{request.service or 'all services'}: {exc}", type="SampleRefused") from None
        by_number = {c.case_number: c for c in cases}
        return DrawnSample(
            snapshot_id=snapshot_id,
            draw=draw,
            cases=tuple(
                SampledCase(case_number=n, team=by_number[n].team, practitioner=by_number[n].practitioner)
                for n in draw.sample
            ),
        )
