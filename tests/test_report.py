"""The result store, the sweep report and survival of customers, on one small real sweep."""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from sim import store

MARKET_SIM = Path(sys.executable).with_name("market-sim")
SWEEP_ARGS = ["market.customers=300", "market.steps=24", "output.figure=false", "market.drift=0,2"]


@pytest.fixture(scope="module")
def sweep(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Eight jobs: drift 0 and 2, seeds 0-3 (built once; tests that change a sweep work on a copy)."""
    root = tmp_path_factory.mktemp("report")
    subprocess.run([str(MARKET_SIM), "-m", *SWEEP_ARGS, "seed=range(0,4)", f"hydra.sweep.dir={root / 'sweep'}"],
                   cwd=root, check=True, capture_output=True)
    return root / "sweep"


@pytest.fixture
def sweep_copy(sweep: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "sweep"
    shutil.copytree(sweep, copy, ignore=shutil.ignore_patterns("results.duckdb*", "report"))
    return copy


def test_store_has_one_runs_row_per_job_with_the_swept_columns(sweep: Path) -> None:
    built = store.build(sweep)
    assert built.swept == ("market.drift",)
    with built.connect() as connection:
        runs = connection.sql("SELECT * FROM runs ORDER BY job").df()
        types = {row[0]: row[1] for row in connection.execute("DESCRIBE runs").fetchall()}
        joined = connection.execute(
            'SELECT count(*) FROM firms JOIN runs USING (job) WHERE "market.drift" = 2').fetchone()
    assert list(runs["job"]) == list(range(8))
    assert types["market.drift"] == "BIGINT"
    assert sorted(zip(runs["market.drift"], runs["seed"], strict=True)) == sorted(
        (drift, seed) for drift in (0, 2) for seed in range(4))
    assert set(runs["status"]) == {"complete"}
    assert joined[0] == 4 * 24 * 3


def test_store_outcomes_equal_each_jobs_summary(sweep: Path) -> None:
    with store.build(sweep).connect() as connection:
        outcomes = connection.sql("SELECT * FROM outcomes").df().set_index(["job", "firm"])
    for job in range(8):
        summary = json.loads((sweep / str(job) / "summary.json").read_text())
        for firm in summary["firms"]:
            row = outcomes.loc[(job, firm["firm"])]
            for column in ("cumulative_profit", "first_year_profit", "final_share", "annual_retention", "mean_nps",
                           "common_nps", "final_customer_equity"):
                expected = math.nan if firm[column] is None else firm[column]
                assert row[column] == pytest.approx(expected, rel=1e-12, nan_ok=True), (job, firm["firm"], column)


def test_store_rebuild_sees_jobs_completed_since(sweep_copy: Path) -> None:
    for job in (6, 7):  # as a killed sweep leaves them: no marker yet
        (sweep_copy / str(job) / "COMPLETE").rename(sweep_copy / str(job) / "COMPLETE.later")
    with store.build(sweep_copy).connect() as connection:
        assert connection.execute("SELECT status, count(*) FROM runs GROUP BY ALL ORDER BY 1").fetchall() == [
            ("complete", 6), ("pending", 2)]
        assert connection.execute("SELECT count(DISTINCT job) FROM firms").fetchone()[0] == 6
    for job in (6, 7):  # the resumed sweep finishes them
        (sweep_copy / str(job) / "COMPLETE.later").rename(sweep_copy / str(job) / "COMPLETE")
    with store.build(sweep_copy).connect() as connection:
        assert connection.execute("SELECT count(*) FROM runs WHERE status = 'complete'").fetchone()[0] == 8
        assert connection.execute("SELECT count(DISTINCT job) FROM outcomes").fetchone()[0] == 8
