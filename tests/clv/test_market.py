"""A log's market: the calibrated customers held by the log's firm among rivals, checked against the log."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sim import load_config
from sim.clv import calibration, market
from sim.world.run import run_model

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "cdnow_sample.csv"
CALIBRATE = str(Path(sys.executable).with_name("market-sim-calibrate"))


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """``market-sim-calibrate ... scenario=sample`` on the 1,000-customer CDNOW sample: its folder and output."""
    out = tmp_path_factory.mktemp("calibrated") / "study"
    done = subprocess.run([CALIBRATE, f"data={SAMPLE}", "calibration_end=1997-09-30", "holdout_end=1998-06-30",
                           "replicates=4", "benchmark=false", "scenario=sample", f"out={out}"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return out, done.stdout


def test_the_calibrated_market_reproduces_its_log_within_the_monte_carlo_band(written: tuple[Path, str]) -> None:
    out, said = written
    figures = json.loads((out / "market.json").read_text())
    low, high = figures["simulated_band_90"]
    assert low <= figures["target_from_month_0"] <= high, figures
    assert len(figures["simulated"]) == market.CHECK_SEEDS
    assert f"market-sim --config-dir {out.resolve()} scenario=sample" in said and ": inside" in said
    # the log's count is moved to month 0's day by the fitted process's own curve: a small correction
    assert figures["target_from_month_0"] == pytest.approx(figures["log_repeat_purchases"], rel=0.02)


def test_the_scenario_applies_to_the_market_it_was_written_for(written: tuple[Path, str]) -> None:
    """No segment a default market rejects: the scenario brings its one-segment market and firms with it."""
    out, _ = written
    figures = json.loads((out / "market.json").read_text())
    config = load_config(["scenario=sample"], config_dirs=[out])
    assert list(config.segments) == [calibration.SINGLE_SEGMENT] and next(iter(config.firms)) == figures["firm"]
    assert config.firms[figures["firm"]].initial_share == 1.0 and config.market.initial_penetration == 1.0
    assert config.market.total_customers == 1000
    purchases = config.segments[calibration.SINGLE_SEGMENT].purchases
    assert purchases.process == "poisson" and purchases.dropout == pytest.approx(figures["dropout"], rel=1e-5)
    (event,) = config.events
    assert event.kind == "segment_change" and event.arrivals == pytest.approx(figures["arrivals"], rel=1e-5)


def test_the_market_grows_or_shrinks_as_its_report_says(written: tuple[Path, str]) -> None:
    out, _ = written
    figures = json.loads((out / "market.json").read_text())
    config = load_config(["scenario=sample", "market.steps=60"], config_dirs=[out])
    sizes = np.array([run_model(config, seed).firms.groupby("step")["market_size"].first().iloc[-1]
                      for seed in range(4)])
    purchases = config.segments[calibration.SINGLE_SEGMENT].purchases
    expected = market.size_after(5, purchases.dropout, purchases.dropout_shape, figures["arrivals"],
                                 config.events[0].month)
    assert sizes.mean() / 1000 == pytest.approx(expected, rel=0.05)


def test_the_category_dropout_gives_back_what_switching_takes() -> None:
    """More switching to rivals, less category dropout for the same purchases: the log sees only their sum."""
    base = ["segments=single", "firms=default", "market.customers=1000", "market.total_customers=1000",
            "market.initial_penetration=1.0", "firms.focused.initial_share=1.0",
            *(f"segments.everyone.purchases.{name}={value}" for name, value in
              (("process", "poisson"), ("rate", 3.0), ("rate_shape", 0.6), ("dropout_shape", 0.6)))]
    months, target, fitted = 8.0, 1600.0, 2.5

    def search(review_rate: float) -> tuple[float, float]:
        def load(dropout: float):
            return load_config([*base, f"segments.everyone.purchases.dropout={dropout}",
                                f"market.behaviour.review_rate={review_rate}"])

        dropout = market.calibrate_dropout(load, "focused", months, target, fitted)
        reached = np.mean([market.firm_purchases(load(dropout), "focused", months, seed)[0]
                           for seed in range(market.SEARCH_SEEDS)])
        return dropout, float(reached)

    calm, calm_reached = search(0.0)
    busy, busy_reached = search(0.3)
    assert calm_reached == pytest.approx(target, rel=0.01) and busy_reached == pytest.approx(target, rel=0.01)
    assert busy < calm * 0.9, (calm, busy)
