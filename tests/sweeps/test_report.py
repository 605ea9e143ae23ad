"""The result store, the sweep report and survival of customers, on one small real sweep."""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from lifelines import KaplanMeierFitter
from lifelines.utils import median_survival_times

from sim.apps.commands import report_main
from sim.clv import survival
from sim.studies.stats import mean_ci
from sim.sweeps import store

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


def _recomputed(sweep: Path, drift: int) -> pd.DataFrame:
    """Headlines per seed and firm, recomputed with pandas from the raw job files of one drift."""
    rows = []
    for directory in sorted(path for path in sweep.iterdir() if (path / "COMPLETE").exists()):
        record = json.loads((directory / "job.json").read_text())
        if f"market.drift={drift}" not in record["overrides"]:
            continue
        firms = pd.read_parquet(directory / "firms.parquet")
        segments = pd.read_parquet(directory / "segments.parquet")
        last = firms[firms["step"] == firms["step"].max()].set_index("firm")
        for firm, history in firms.groupby("firm", observed=True):
            mine = segments[segments["firm"] == firm]
            monthly = 1 - mine["lost"].sum() / mine["at_risk"].sum()
            trading = history[history["alive"] | (history["step"] == history["step"].min())]
            rows.append({"seed": record["seed"], "firm": firm,
                         "cumulative_profit": last.loc[firm, "cumulative_profit"],
                         "annual_retention": monthly ** 12, "final_customer_equity": last.loc[firm, "customer_equity"],
                         "mean_nps": trading["nps"].mean(), "final_share": last.loc[firm, "share"]})
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def reported(sweep: Path) -> Path:
    report_main([str(sweep)])
    return sweep / "report"


def test_report_intervals_equal_a_recomputation_from_the_raw_files(sweep: Path, reported: Path) -> None:
    intervals = pd.read_parquet(reported / "intervals.parquet")
    for drift in (0, 2):
        raw = _recomputed(sweep, drift)
        for firm in ("focused", "centric"):
            for outcome in ("cumulative_profit", "annual_retention", "mean_nps", "final_share"):
                expected = mean_ci(raw.loc[raw["firm"] == firm, outcome])
                row = intervals[(intervals["market.drift"] == drift) & (intervals["firm"] == firm)
                                & (intervals["outcome"] == outcome)].iloc[0]
                assert (row["mean"], row["low"], row["high"], row["n"]) == pytest.approx(
                    (expected.mean, expected.low, expected.high, expected.n), rel=1e-9)


def test_report_paired_differences_and_wins_equal_a_recomputation(sweep: Path, reported: Path) -> None:
    raw = _recomputed(sweep, 2).pivot(index="seed", columns="firm", values="cumulative_profit")
    difference = raw["focused"] - raw["centric"]
    expected = mean_ci(difference)
    paired = pd.read_parquet(reported / "paired.parquet")
    row = paired[(paired["market.drift"] == 2) & (paired["first"] == "focused") & (paired["second"] == "centric")
                 & (paired["outcome"] == "cumulative_profit")].iloc[0]
    assert (row["mean"], row["low"], row["high"]) == pytest.approx((expected.mean, expected.low, expected.high))
    assert (row["first_wins"], row["second_wins"]) == ((difference > 0).sum(), (difference < 0).sum())
    winner, loser = ("focused", "centric") if expected.mean > 0 else ("centric", "focused")
    wins = max((difference > 0).sum(), (difference < 0).sum())
    text = (reported / "report.md").read_text()
    assert f"{winner} beats {loser} on cumulative profit in {wins} of 4 seeds" in text
    assert (reported / "outcomes_by_market.drift.png").exists()
    assert (reported / "survival.png").exists()


def test_failed_job_is_listed_in_runs_and_left_out_of_the_figures(sweep_copy: Path) -> None:
    failed = sweep_copy / "8"
    failed.mkdir()
    (failed / "job.json").write_text(json.dumps({
        "status": "failed", "overrides": [*SWEEP_ARGS[:3], "market.drift=1", "seed=0"], "seed": 0,
        "error": "RuntimeError: boom", "wall_time_seconds": 0.1}))
    report_main([str(sweep_copy), "--no-survival"])
    with duckdb.connect(str(sweep_copy / store.DATABASE), read_only=True) as connection:
        assert connection.execute("SELECT status, error FROM runs WHERE job = 8").fetchone() == (
            "failed", "RuntimeError: boom")
    intervals = pd.read_parquet(sweep_copy / "report" / "intervals.parquet")
    assert set(intervals["market.drift"]) == {0, 2}
    assert "RuntimeError: boom" in (sweep_copy / "report" / "report.md").read_text()


def test_kaplan_meier_median_matches_lifelines_and_logrank_separates_groups() -> None:
    rng = np.random.default_rng(3)
    spells = pd.DataFrame({"firm": ["short"] * 150 + ["long"] * 150,
                           "duration": np.r_[rng.integers(1, 8, 150), rng.integers(12, 30, 150)],
                           "churned": rng.random(300) < 0.8})
    estimates = survival.kaplan_meier(spells, by=("firm",)).medians.set_index("firm")
    for firm, mine in spells.groupby("firm"):
        fitter = KaplanMeierFitter().fit(mine["duration"], mine["churned"])
        interval = median_survival_times(fitter.confidence_interval_)
        assert estimates.loc[firm, "median"] == fitter.median_survival_time_
        assert (estimates.loc[firm, "low"], estimates.loc[firm, "high"]) == tuple(interval.iloc[0])
    counted = spells.groupby(["firm", "duration", "churned"]).size().rename("count").reset_index()
    assert survival.kaplan_meier(counted).medians.set_index("firm")["median"].to_dict() == estimates["median"].to_dict()
    assert survival.logrank(spells)["p_value"].iloc[0] < 1e-6


@pytest.mark.parametrize("make", ["missing", "file", "empty"])
def test_bad_sweep_dir_stops_in_one_line_and_writes_nothing(tmp_path: Path, make: str,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "target"
    if make == "file":
        target.write_text("")
    elif make == "empty":
        (target / "0").mkdir(parents=True)
    before = sorted(tmp_path.rglob("*"))
    with pytest.raises(SystemExit) as stop:
        report_main([str(target)])
    assert stop.value.code == 2
    error = capsys.readouterr().err.strip().splitlines()
    assert len(error) == 1 and error[0].startswith("market-sim-report: error: ")
    assert sorted(tmp_path.rglob("*")) == before


def test_by_must_name_a_swept_parameter(sweep_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        report_main([str(sweep_copy), "--by", "network"])
    assert stop.value.code == 2
    assert capsys.readouterr().err.count("\n") == 1
    assert not (sweep_copy / store.DATABASE).exists()
