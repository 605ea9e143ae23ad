"""The ready-made studies (experiments/showdown.py, volatility.py, topology.py, retention.py) at a reduced size.

Each runs once as a subprocess, as a user would; the tests check the files it
writes and that what it prints and writes agrees with a recomputation from its
own per-seed table.
"""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.studies import stats
from sim.world.outcomes import money, money_change

ROOT = Path(__file__).resolve().parents[2]
TINY = ["market.customers=400", "market.steps=24"]
SEEDS = 3


def run_study(script: str, out: Path, *arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, f"experiments/{script}.py", "--seeds", str(SEEDS), "--workers", "1",
                           "--out", str(out), *arguments, *TINY], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)


@pytest.fixture(scope="module")
def showdown(tmp_path_factory):
    out = tmp_path_factory.mktemp("showdown")
    done = run_study("showdown", out)
    assert done.returncode == 0, done.stderr
    return out, done.stdout


def test_the_showdown_writes_its_tables_figure_and_report(showdown):
    out, stdout = showdown
    assert {p.name for p in out.iterdir()} == {"runs.parquet", "firms.parquet", "pairs.parquet", "figure.png",
                                               "report.md"}
    assert (out / "report.md").read_text().strip() == stdout.split("\nresults:")[0].strip()


def test_the_showdown_means_and_intervals_are_those_of_its_per_seed_table(showdown):
    out, stdout = showdown
    runs = pd.read_parquet(out / "runs.parquet")
    firms = pd.read_parquet(out / "firms.parquet").set_index(["firm", "outcome"])
    assert sorted(runs["seed"].unique()) == list(range(SEEDS))
    for (firm, outcome), row in firms.iterrows():
        values = runs.loc[runs["firm"] == firm, outcome]
        assert row["mean"] == pytest.approx(values.mean())
        assert row["low"] <= row["mean"] <= row["high"]
    for firm in runs["firm"].unique():
        mean = runs.loc[runs["firm"] == firm, "cumulative_profit"].mean()
        assert f"| {firm} | {money(mean)} [" in stdout


def test_the_showdown_counts_the_seeds_each_firm_is_ahead_in(showdown):
    out, stdout = showdown
    runs = pd.read_parquet(out / "runs.parquet")
    pairs = pd.read_parquet(out / "pairs.parquet")
    wide = runs.pivot(index="seed", columns="firm", values="cumulative_profit")
    profit = pairs[pairs["outcome"] == "cumulative_profit"]
    assert len(profit) == 3  # every two of the three firms
    for row in profit.itertuples():
        difference = wide[row.first] - wide[row.second]
        assert row.ahead == int((difference > 0).sum()) and row.seeds == SEEDS
        assert row.mean == pytest.approx(difference.mean())
        assert f"{row.first} beats {row.second} on cumulative profit in {row.ahead} of {SEEDS} seeds" in stdout


def test_a_study_refuses_a_bad_override_in_one_line_and_writes_nothing(tmp_path):
    done = run_study("showdown", tmp_path / "x", "market.drfit=2")
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and done.stderr.startswith("showdown: error:")
    assert "drift" in done.stderr
    assert not (tmp_path / "x").exists()


def test_a_ratio_interval_resamples_seeds_in_pairs():
    numerator, denominator = np.array([2.0, 4.0, 6.0, 8.0]), np.array([1.0, 2.0, 3.0, 4.0])
    assert stats.ratio_interval(numerator, denominator) == (2.0, 2.0, 2.0)  # every resample has ratio 2
    ratio, low, high = stats.ratio_interval(np.array([1.0, 3.0, 2.0, 6.0]), denominator)
    assert ratio == pytest.approx(1.2) and low < ratio < high
    assert np.isnan(stats.ratio_interval(numerator, np.zeros(4))).all()


@pytest.fixture(scope="module")
def volatility(tmp_path_factory):
    out = tmp_path_factory.mktemp("volatility")
    done = run_study("volatility", out, "--drifts", "0,2")
    assert done.returncode == 0, done.stderr
    return out, done.stdout


def test_the_volatility_edge_is_the_paired_difference_at_each_drift(volatility):
    out, stdout = volatility
    assert {p.name for p in out.iterdir()} == {"runs.parquet", "firms.parquet", "edge.parquet", "figure.png",
                                               "report.md"}
    runs = pd.read_parquet(out / "runs.parquet")
    edge = pd.read_parquet(out / "edge.parquet")
    profit = edge[edge["outcome"] == "cumulative_profit"].set_index("drift")
    assert sorted(profit.index) == [0.0, 2.0]
    for drift, rows in runs.groupby("drift"):
        wide = rows.pivot(index="seed", columns="firm", values="cumulative_profit")
        difference = wide["centric"] - wide["focused"]
        assert profit.loc[drift, "mean"] == pytest.approx(difference.mean())
        assert profit.loc[drift, "ahead"] == int((difference > 0).sum())
        verdict = stats.leader(profit.loc[drift, "low"], profit.loc[drift, "high"], "centric", "focused")
        assert (f"| {drift:g} | {money_change(difference.mean())} [" in stdout
                and f"| {profit.loc[drift, 'ahead']}/{SEEDS} | {verdict} |" in stdout)


@pytest.fixture(scope="module")
def topology(tmp_path_factory):
    out = tmp_path_factory.mktemp("topology")
    done = run_study("topology", out, "--networks", "small_world,fully_mixed")
    assert done.returncode == 0, done.stderr
    return out, done.stdout


def test_the_topology_study_compares_firms_per_network_on_common_seeds(topology):
    out, stdout = topology
    assert {p.name for p in out.iterdir()} == {"runs.parquet", "firms.parquet", "pairs.parquet", "shift.parquet",
                                               "figure.png", "report.md"}
    runs = pd.read_parquet(out / "runs.parquet")
    pairs = pd.read_parquet(out / "pairs.parquet")
    shift = pd.read_parquet(out / "shift.parquet").set_index("network")
    edges = {network: rows.pivot(index="seed", columns="firm", values="cumulative_profit").eval("centric - focused")
             for network, rows in runs.groupby("network")}
    for row in pairs[pairs["outcome"] == "cumulative_profit"].itertuples():
        assert row.mean == pytest.approx(edges[row.network].mean())
        assert row.ahead == int((edges[row.network] > 0).sum())
    assert shift.loc["small_world", "mean"] == 0.0
    assert shift.loc["fully_mixed", "mean"] == pytest.approx((edges["fully_mixed"] - edges["small_world"]).mean())
    for network, rows in runs.groupby("network"):
        order = rows.groupby("firm")["cumulative_profit"].mean().sort_values(ascending=False).index
        assert " > ".join(order) in next(line for line in stdout.splitlines() if line.startswith(f"| {network} |"))


@pytest.fixture(scope="module")
def retention(tmp_path_factory):
    out = tmp_path_factory.mktemp("retention")
    done = run_study("retention", out)
    assert done.returncode == 0, done.stderr
    return out, done.stdout


def test_retention_effects_are_paired_with_the_twin_market(retention):
    out, stdout = retention
    assert {p.name for p in out.iterdir()} == {"runs.parquet", "effects.parquet", "figure.png", "report.md"}
    runs = pd.read_parquet(out / "runs.parquet")
    effects = pd.read_parquet(out / "effects.parquet")
    segments = ["price_first", "busy_solution_seekers", "enthusiasts", "loyal_high_value"]
    assert list(dict.fromkeys(runs["config"])) == ["twin", *segments, "every segment"]
    assert (runs.groupby("config")["seed"].apply(lambda s: sorted(set(s))) == [list(range(SEEDS))] * 6).all()
    assert len(effects) == 5 * 2  # every intervention, for the focused and the centric firm
    indexed = runs.set_index(["config", "firm", "seed"]).sort_index()
    for row in effects.itertuples():
        twin, changed = indexed.loc[("twin", row.firm)], indexed.loc[(row.intervention, row.firm)]
        points = 100 * (changed["annual_retention"] - twin["annual_retention"])
        percent = 100 * (changed["cumulative_profit"] - twin["cumulative_profit"]) / abs(
            twin["cumulative_profit"].mean())
        assert row.firm_points == pytest.approx(points.mean())
        assert row.profit_percent == pytest.approx(percent.mean())
        assert row.per_5_points == pytest.approx(5 * percent.mean() / points.mean())
        if row.intervention != "every segment":
            column = f"retention_{row.intervention}"
            segment = 100 * (changed[column] ** 12 - twin[column] ** 12)
            assert row.segment_points == pytest.approx(segment.mean())
            if segment.mean() == 0:  # retention there was already complete in both markets
                assert np.isnan(row.per_5_segment_points) and not row.segment_moved
            else:
                assert row.per_5_segment_points == pytest.approx(5 * percent.mean() / segment.mean())
    assert "profit per 5 pts of firm retention" in stdout
