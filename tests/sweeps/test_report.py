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
from lifelines.utils import median_survival_times, restricted_mean_survival_time
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.text import Text

from sim.apps.commands import report_main
from sim.clv import survival
from sim.output.figures import PAPER_FONT, interval_bands, interval_bars
from sim.studies import stats
from sim.studies.stats import mean_ci
from sim.sweeps import store
from sim.world.outcomes import OUTCOMES

MARKET_SIM = Path(sys.executable).with_name("market-sim")
SWEEP_ARGS = ["market.customers=300", "market.steps=24", "output.figure=false", "market.drift=0,2"]
EXIT_MONTH = 6


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
    if expected.low > 0 or expected.high < 0:
        assert f"{winner} beats {loser} on cumulative profit in {wins} of 4 seeds" in text
    else:
        assert f"no clear difference between {winner} and {loser} on cumulative profit: {winner} higher in {wins} " in (
            text)
    for name in ("outcome_cumulative_profit.png", "cumulative_profit_by_market.drift.png",
                 "common_nps_by_market.drift.png", "survival.png"):
        assert (reported / name).exists(), name


def test_report_common_nps_comparison_equals_a_recomputation_from_the_summaries(sweep: Path, reported: Path) -> None:
    """The report's NPS comparison over the months all firms trade is the one the ready-made studies make."""
    rows = []
    for directory in sorted(path for path in sweep.iterdir() if (path / "COMPLETE").exists()):
        record = json.loads((directory / "job.json").read_text())
        summary = json.loads((directory / "summary.json").read_text())
        drift = 2 if "market.drift=2" in record["overrides"] else 0
        rows += [{"drift": drift, "seed": record["seed"], "firm": firm["firm"], "common_nps": firm["common_nps"],
                  "first_year_profit": firm["first_year_profit"]} for firm in summary["firms"]]
    runs = pd.DataFrame(rows)
    paired = pd.read_parquet(reported / "paired.parquet")
    text = (reported / "report.md").read_text()
    for first, second in (("focused", "centric"), ("focused", "obsessed"), ("centric", "obsessed")):
        expected = stats.paired_differences(runs, first, second, ["common_nps", "first_year_profit"], by=["drift"])
        for row in expected.itertuples():
            got = paired[(paired["market.drift"] == row.drift) & (paired["first"] == first)
                         & (paired["second"] == second) & (paired["outcome"] == row.outcome)].iloc[0]
            assert (got["mean"], got["low"], got["high"]) == pytest.approx((row.mean, row.low, row.high), rel=1e-9)
            assert (got["first_wins"], got["n"]) == (row.ahead, row.seeds)
        nps = expected[(expected["outcome"] == "common_nps") & (expected["drift"] == 2)].iloc[0]
        verdict = stats.leader(nps["low"], nps["high"], first, second)
        label = OUTCOMES["common_nps"].label
        if verdict == "no clear difference":
            assert f"no clear difference between {first} and {second} on {label}" in text or (
                f"no clear difference between {second} and {first} on {label}" in text)
        else:
            ahead, behind = (first, second) if verdict == f"{first} ahead" else (second, first)
            assert f"{ahead} beats {behind} on {label}" in text


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


def _spells(seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"firm": ["short"] * 150 + ["long"] * 150,
                         "duration": np.r_[rng.integers(1, 8, 150), rng.integers(12, 30, 150)],
                         "ended_by": rng.choice(["churn", "exit", "censored", "dropout"], 300, p=[0.5, 0.2, 0.2, 0.1])})


def test_kaplan_meier_median_and_restricted_mean_match_lifelines_with_exit_as_an_end() -> None:
    spells = _spells()
    ended = spells["ended_by"] != "censored"
    estimates = survival.kaplan_meier(spells, by=("firm",)).medians.set_index("firm")
    means = survival.restricted_mean(spells, by=("firm",), horizon=20).set_index("firm")["restricted_mean"]
    for firm, mine in spells.groupby("firm"):
        fitter = KaplanMeierFitter().fit(mine["duration"], ended[mine.index])
        interval = median_survival_times(fitter.confidence_interval_)
        assert estimates.loc[firm, "median"] == fitter.median_survival_time_
        assert (estimates.loc[firm, "low"], estimates.loc[firm, "high"]) == tuple(interval.iloc[0])
        assert estimates.loc[firm, "exited"] == (mine["ended_by"] == "exit").sum()
        assert means[firm] == pytest.approx(restricted_mean_survival_time(fitter, t=20), rel=1e-9)
    counted = spells.groupby(["firm", "duration", "ended_by"]).size().rename("count").reset_index()
    assert survival.kaplan_meier(counted).medians.set_index("firm")["median"].to_dict() == estimates["median"].to_dict()
    assert survival.restricted_mean(counted, by=("firm",), horizon=20).set_index("firm")["restricted_mean"].to_dict(
        ) == pytest.approx(means.to_dict(), rel=1e-12)
    leaving = survival.kaplan_meier(spells, ends=survival.LEAVING).medians.set_index("firm")
    assert (leaving["median"] >= estimates["median"]).all()  # exit censored: spells look longer


def test_paired_runs_counts_seeds_not_customers() -> None:
    """Ten runs in which one firm keeps customers longer: the p-value is the signed-rank one of ten pairs."""
    values = pd.DataFrame({"job": np.repeat(range(10), 2), "firm": ["a", "b"] * 10,
                           "restricted_mean": np.r_[[[10.0 + job, 5.0 + job] for job in range(10)]].ravel()})
    tested = survival.paired_runs(values, ["a", "b"]).iloc[0]
    assert (tested["runs"], tested["first_higher"], tested["mean_difference"]) == (10, 10, 5.0)
    assert tested["p_value"] == pytest.approx(2 / 2**10)
    same = values.assign(restricted_mean=1.0)
    assert survival.paired_runs(same, ["a", "b"])["p_value"].iloc[0] == 1.0


@pytest.fixture(scope="module")
def exit_sweep(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three seeds of a one-year market in which the obsessed firm exits in month 6."""
    root = tmp_path_factory.mktemp("exit")
    subprocess.run([str(MARKET_SIM), "-m", "market.customers=300", "market.steps=12", "output.figure=false",
                    f"events=[{{kind: exit, firm: obsessed, month: {EXIT_MONTH}}}]", "seed=range(0,3)",
                    f"hydra.sweep.dir={root / 'sweep'}"], cwd=root, check=True, capture_output=True)
    return root / "sweep"


def test_a_firms_exit_ends_its_customers_spells_and_firms_are_tested_across_seeds(exit_sweep: Path) -> None:
    out = exit_sweep / "report"
    report_main([str(exit_sweep), "--out", str(out)])
    medians = pd.read_parquet(out / "survival_medians.parquet")
    obsessed = medians[(medians["firm"] == "obsessed") & (medians["segment"] == "all")].iloc[0]
    raw = pd.concat(pd.read_parquet(exit_sweep / str(job) / "tenures.parquet") for job in range(3))
    assert obsessed["exited"] == ((raw["firm"] == "obsessed") & (raw["ended_by"] == "exit")).sum() > 0
    assert np.isfinite(obsessed["median"]) and obsessed["median"] <= EXIT_MONTH
    tests = pd.read_parquet(out / "tenure_tests.parquet")
    assert len(tests) == 3 and (tests["runs"] == 3).all()
    assert (tests["p_value"] > 0).all() and (tests["p_value"] >= 2 / 2**3).all()
    per_seed = pd.read_parquet(out / "tenure_by_seed.parquet")
    assert sorted(per_seed["seed"].unique()) == [0, 1, 2]
    assert (per_seed.loc[per_seed["firm"] == "obsessed", "restricted_mean"] <= EXIT_MONTH).all()
    text = (out / "report.md").read_text()
    assert "Wilcoxon signed-rank" in text and "| obsessed | not reached" not in text


def test_outcome_csv_and_format_choose_what_is_written(exit_sweep: Path) -> None:
    out = exit_sweep / "chosen"
    report_main([str(exit_sweep), "--out", str(out), "--outcome", "common_nps", "first_year_profit", "--csv",
                 "--format", "svg", "--dpi", "72", "--no-survival"])
    intervals = pd.read_parquet(out / "intervals.parquet")
    assert set(intervals["outcome"]) == {"common_nps", "first_year_profit"}
    assert pd.read_csv(out / "intervals.csv").shape == intervals.shape
    assert pd.read_csv(out / "paired.csv")["outcome"].tolist() == pd.read_parquet(out / "paired.parquet")[
        "outcome"].tolist()
    assert sorted(path.name for path in out.glob("*.svg")) == ["outcome_common_nps.svg",
                                                               "outcome_first_year_profit.svg"]
    assert not list(out.glob("*.png"))
    text = (out / "report.md").read_text()
    assert "NPS (months all firms trade)" in text and "cumulative profit" not in text


def test_an_unknown_outcome_stops_in_one_line_naming_the_allowed_ones(exit_sweep: Path, tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        report_main([str(exit_sweep), "--out", str(tmp_path / "report"), "--outcome", "common_nps", "nps"])
    assert stop.value.code == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "nps" in error and all(name in error for name in OUTCOMES)
    assert not (tmp_path / "report").exists()


@pytest.mark.parametrize("draw", ["bars", "bands"])
def test_report_figures_show_one_outcome_with_its_unit_in_readable_type(draw: str) -> None:
    summary = pd.DataFrame({"config": ["a", "b"] * 2, "x": [1, 2] * 2, "firm": ["f", "f", "g", "g"],
                            "outcome": "cumulative_profit", "mean": [3.1e7, 3.2e7, 3.3e7, 3.4e7]})
    summary = summary.assign(low=summary["mean"] - 1e5, high=summary["mean"] + 1e5)
    panels = {"cumulative_profit": ""}
    figure = (interval_bars(summary, panels, group="config") if draw == "bars"
              else interval_bands(summary, "x", panels))
    FigureCanvasAgg(figure).draw()
    (axis,) = figure.axes
    assert axis.get_ylabel() == "cumulative profit (M)"
    assert axis.yaxis.get_offset_text().get_text() == ""
    assert all(float(label.get_text()) < 100 for label in axis.get_yticklabels() if label.get_text())
    texts = [text for text in figure.findobj(Text) if text.get_text() and text.get_visible()]
    assert texts and min(text.get_fontsize() for text in texts) >= PAPER_FONT


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
