"""The benchmark harness runs (`python -m bench`): a smoke test only, never a timing."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench.common import Figure, Postgres

REPO = Path(__file__).resolve().parents[1]


def test_figures_are_ratios_against_their_baseline():
    faster = Figure("x", value=50.0, baseline=100.0, unit="events/s", target=0.65, better="higher")
    assert (faster.ratio, faster.ok, faster.target_text) == (0.5, False, ">= 0.65")
    smaller = Figure("y", value=1.0, baseline=4.0, unit="ms", target=0.5, better="lower")
    assert smaller.ok and smaller.summary()["target"] == "<= 0.5"
    assert set(smaller.summary()) >= {"name", "value", "baseline", "ratio", "target", "ok"}
    assert "MISSED" in faster.line() and " ok" in smaller.line()


def test_the_command_line_knows_every_benchmark_and_refuses_others():
    run = subprocess.run([sys.executable, "-m", "bench", "--help"], cwd=REPO, capture_output=True, text=True)
    assert run.returncode == 0
    for name in (
        "append_batch",
        "append_durable",
        "verify",
        "replay",
        "review_throughput",
        "cli_start",
        "scale_cases",
        "pages",
    ):
        assert name in run.stdout
    run = subprocess.run([sys.executable, "-m", "bench", "nonsense"], cwd=REPO, capture_output=True, text=True)
    assert run.returncode == 2 and "unknown benchmark" in run.stderr


def test_qa_help_and_calendar_due_import_neither_temporal_nor_pydantic(tmp_path: Path):
    """What cli_start holds the `qa` commands that do not talk to Temporal to."""
    probe = (
        "import sys; from infra.cli.main import main; code = main(sys.argv[1:]);"
        " print(sorted(m for m in ('temporalio', 'pydantic', 'asyncpg', 'holidays') if m in sys.modules))"
    )
    env = {"QA_HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    help_run = subprocess.run(
        [sys.executable, "-c", probe, "--help"], cwd=REPO, capture_output=True, text=True, env=env
    )
    assert help_run.stdout.strip().endswith("[]")
    for _ in range(2):  # the first builds the calendar and caches it; the second reads it back
        due = subprocess.run(
            [sys.executable, "-c", probe, "calendar", "due", "2027-03-22", "20"],
            cwd=REPO,
            capture_output=True,
            text=True,
            env=env,
        )
        assert due.stdout.startswith("2027-04-21T23:59:59+01:00")
    assert due.stdout.strip().endswith("[]")


@pytest.mark.parametrize("name", ["append_durable", "replay"])
async def test_a_small_audit_benchmark_runs_end_to_end(monkeypatch, name):
    from bench import audit

    monkeypatch.setattr(audit, "DURABLE_EVENTS", 20)
    monkeypatch.setattr(audit, "REPLAY_EVENTS", 50)
    pg = Postgres()
    try:
        [figure] = await getattr(audit, name)(pg)
    finally:
        pg.stop()
    assert figure.name == name and figure.value > 0 and figure.baseline > 0
    json.dumps(figure.summary())


def test_the_peer_figures_are_skipped_in_one_line_without_the_bench_extra():
    """Without `eventsourcing` (the bench extra), `python -m bench peer` says how to enable it and measures nothing."""
    hide = "import sys; sys.modules['eventsourcing'] = sys.modules['eventsourcing.postgres'] = None;"
    run = subprocess.run(
        [sys.executable, "-c", hide + " from bench.__main__ import main; sys.exit(main(['--in-process', 'peer']))"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout == "0 figures, 0 missed\n"
    assert run.stderr.splitlines() == [
        "# peer ...",
        "peer: skipped: eventsourcing is not installed; `pip install -e '.[bench]'` to compare with it",
    ]
