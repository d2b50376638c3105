"""What every benchmark shares: figures, timing, and a fresh database on the embedded PostgreSQL."""

from __future__ import annotations

import os
import statistics
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

import asyncpg

from infra.embedded import ScratchDatabase

RUNS = 3  # every figure is the median of at least this many runs


@dataclass(frozen=True)
class Figure:
    """One measured figure: `value` against a `baseline` measured in the same run.

    `ratio` is value / baseline; `better` says which way the target points.
    """

    name: str
    value: float
    baseline: float
    unit: str
    target: float
    better: Literal["higher", "lower"]
    detail: str = ""

    @property
    def ratio(self) -> float:
        return self.value / self.baseline if self.baseline else float("inf")

    @property
    def ok(self) -> bool:
        return self.ratio >= self.target if self.better == "higher" else self.ratio <= self.target

    @property
    def target_text(self) -> str:
        return f"{'>=' if self.better == 'higher' else '<='} {self.target:g}"

    def line(self) -> str:
        verdict = "ok" if self.ok else "MISSED"
        text = (
            f"{self.name:<28} {_num(self.value)} {self.unit} vs baseline {_num(self.baseline)} {self.unit}:"
            f" ratio {self.ratio:.2f} (target {self.target_text}) {verdict}"
        )
        return f"{text}  [{self.detail}]" if self.detail else text

    def summary(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(ratio=round(self.ratio, 4), target=self.target_text, ok=self.ok)
        data["value"] = round(self.value, 6)
        data["baseline"] = round(self.baseline, 6)
        return data


def _num(x: float) -> str:
    if x >= 1000:
        return f"{x:,.0f}"
    if x >= 10:
        return f"{x:.1f}"
    return f"{x:.3f}"


def median(values: list[float]) -> float:
    return statistics.median(values)


def runs(n: int = RUNS) -> range:
    """The runs of one benchmark (at least RUNS): each measures its side and its baseline, alternating which goes first."""
    return range(max(n, RUNS))


# --- PostgreSQL ---------------------------------------------------------------------------------


class Postgres:
    """One server for the whole run: the embedded one in a temp dir, or QA_DATABASE_URL's."""

    def __init__(self) -> None:
        self._server: Any = None
        self._tmp: tempfile.TemporaryDirectory[str] | None = None

    @property
    def description(self) -> str:
        return "QA_DATABASE_URL" if os.environ.get("QA_DATABASE_URL") else "embedded PostgreSQL"

    def _started(self) -> Any:
        if self._server is None:
            external = os.environ.get("QA_DATABASE_URL")
            if external:
                from infra.embedded import ExternalPostgres

                self._server = ExternalPostgres(external)
            else:
                from infra.embedded import start_postgres

                self._tmp = tempfile.TemporaryDirectory(prefix="qa-bench-")
                self._server = start_postgres(Path(self._tmp.name) / "pg" / "data", delete_on_stop=True)
        return self._server

    @asynccontextmanager
    async def database(self) -> AsyncIterator[ScratchDatabase]:
        """A fresh, migrated database with the application's role; dropped afterwards."""
        from infra.embedded import scratch_database

        async with scratch_database(self._started(), "qa_bench") as database:
            await _checkpoint(database.admin_url)
            yield database

    def stop(self) -> None:
        if self._server is not None and hasattr(self._server, "stop"):
            self._server.stop()
        if self._tmp is not None:
            self._tmp.cleanup()
        self._server = self._tmp = None


async def _checkpoint(admin_url: str) -> None:
    """Start each benchmark with the WAL of earlier ones written out, so none pays for another's checkpoint."""
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute("CHECKPOINT")
    except asyncpg.PostgresError:
        pass  # an external server's user may not be allowed to: measure anyway
    finally:
        await conn.close()


async def admin_execute(db: ScratchDatabase, sql: str) -> None:
    conn = await asyncpg.connect(db.admin_url)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def plain_table(db: ScratchDatabase, name: str = "bench_plain_events") -> str:
    """An unchained table of the audit log's shape (columns, keys, indexes), without triggers or heads."""
    await admin_execute(
        db,
        f"CREATE TABLE {name} (LIKE audit_events INCLUDING ALL); GRANT SELECT, INSERT ON {name} TO qa_app;",
    )
    return name
