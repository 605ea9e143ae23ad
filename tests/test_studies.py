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

from sim import studies

ROOT = Path(__file__).resolve().parent.parent
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
        assert f"| {firm} | {studies.money(mean)} [" in stdout


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
    assert studies.ratio_interval(numerator, denominator) == (2.0, 2.0, 2.0)  # every resample has ratio 2
    ratio, low, high = studies.ratio_interval(np.array([1.0, 3.0, 2.0, 6.0]), denominator)
    assert ratio == pytest.approx(1.2) and low < ratio < high
