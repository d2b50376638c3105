"""The auditors' cross-check with the engine for a workflow that continues as new (an action plan).

A plan's audit stream is one stream for its whole life, recorded by many runs: the
cross-check follows the runs back from the latest, so every event in the log is
found in the engine's history, and replaying every run finds the code deterministic.
"""

from __future__ import annotations

from datetime import datetime

from domain.working_days import LONDON
from infra.application.audit import compare
from infra.engine_history import Runs, fetch_runs, replay_failure
from infra.store.audit_log import AuditLog
from tests.clock import sleep_until
from tests.codec_keys import CONVERTER
from tests.workflows.test_action_plan import TEAM_MEETINGS, record_meetings, smart, start_team_plan, terminate
from workflows.action_plan import ActionPlanWorkflow


async def test_every_run_of_a_plan_is_cross_checked_and_replayed(
    time_skipping_env, worker, settings, example_authority, app_pool
):
    plan, _ = await start_team_plan(time_skipping_env, settings, "audited")
    await plan.execute_update(ActionPlanWorkflow.add_action, smart())
    await record_meetings(time_skipping_env, plan, TEAM_MEETINGS[:3], "nadia.manager")  # three meetings on
    await sleep_until(time_skipping_env, datetime(2027, 5, 11, 9, tzinfo=LONDON))
    state = await plan.query(ActionPlanWorkflow.state)
    assert len(state.meetings) == 3
    logged = await AuditLog(app_pool).read_stream(plan.id)

    runs = await fetch_runs(time_skipping_env.client, plan.id)
    assert len(runs.histories) == 4 and runs.complete
    assert compare(plan.id, logged, runs) == []
    assert await replay_failure(runs, CONVERTER) is None

    # Only the latest run, as if it were the whole history: the earlier runs' events look forged...
    latest = Runs(runs.histories[-1:], complete=True)
    assert {d.kind for d in compare(plan.id, logged, latest)} == {"not_in_engine"}
    # ... so when the engine no longer holds them (retention), that is one difference, said as such.
    retained = Runs(runs.histories[-1:], complete=False)
    assert [d.kind for d in compare(plan.id, logged, retained)] == ["no_engine_history"]
    await terminate(plan)
