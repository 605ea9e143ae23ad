"""Global sensitivity (sim/studies/sensitivity.py, experiments/sensitivity.py): parameters, checks, Morris and Sobol."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from SALib.analyze import morris as morris_analysis
from SALib.analyze import sobol as sobol_analysis

from sim.config.schema import ConfigError
from sim.studies import sensitivity

ROOT = Path(__file__).resolve().parents[2]
TINY = ["market.customers=400", "market.steps=24"]


def test_a_segment_factor_scales_every_segments_own_value_and_a_market_path_is_set(small_config):
    factors = [sensitivity.Factor("segments.*.price_sensitivity", 0.5, 1.5),
               sensitivity.Factor("market.wom.imitation", 0.1, 0.8)]
    config = sensitivity.configure(small_config, factors, [1.5, 0.2])
    for name, segment in small_config.segments.items():
        assert config.segments[name].price_sensitivity == pytest.approx(1.5 * segment.price_sensitivity)
        assert config.segments[name].spend == segment.spend
    assert config.market.wom.imitation == 0.2
    assert config.market.wom.innovation == small_config.market.wom.innovation
    assert small_config.market.wom.imitation == 0.38  # the base is left as it was


@pytest.mark.parametrize(("param", "message"), [
    ("market.drfit=0:3", "unknown parameter; did you mean market.drift"),
    ("market.drift=3:1", "empty range \\[3.0, 1.0\\]; low must be below high"),
    ("market.drift=0", "expected PATH=LOW:HIGH"),
    ("segments.*.want_lag=0.5:3", "want_lag"),  # 0.5 x 3 = 1.5 > 1: the schema refuses the high end
    ("segments.*.spend=-1:1", "must be >= 0"),
])
def test_a_bad_parameter_is_refused_naming_it(small_config, param, message):
    with pytest.raises(ConfigError, match=message):
        sensitivity.check(small_config, [sensitivity.parse_factor(param)],
                          sensitivity.parse_outcome("centric-focused.cumulative_profit"))


@pytest.mark.parametrize(("outcome", "message"), [
    ("visionary.cumulative_profit", "unknown firm 'visionary'"),
    ("centric.profit", "unknown headline 'profit'"),
    ("centric", "expected FIRM.HEADLINE"),
])
def test_a_bad_outcome_is_refused(small_config, outcome, message):
    with pytest.raises(ConfigError, match=message):
        sensitivity.check(small_config, list(sensitivity.DEFAULT_FACTORS), sensitivity.parse_outcome(outcome))


def test_an_outcome_is_a_firms_figure_or_the_difference_of_two():
    rows = [{"firm": "focused", "cumulative_profit": 3.0}, {"firm": "centric", "cumulative_profit": 5.0}]
    assert sensitivity.parse_outcome("centric-focused.cumulative_profit").value(rows) == 2.0
    assert sensitivity.parse_outcome("focused.cumulative_profit").value(rows) == 3.0


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    out = tmp_path_factory.mktemp("sensitivity")
    done = subprocess.run([sys.executable, "experiments/sensitivity.py", "--trajectories", "2", "--sobol-n", "8",
                           "--top", "2", "--workers", "1", "--out", str(out), *TINY], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return out, done.stdout


def test_the_study_writes_its_tables_figure_and_report(study):
    out, stdout = study
    assert {p.name for p in out.iterdir()} == {"morris.parquet", "sobol.parquet", "morris_samples.parquet",
                                               "sobol_samples.parquet", "figure.png", "report.md"}
    assert (out / "report.md").read_text().strip() == stdout.split("\nresults:")[0].strip()
    factors = len(sensitivity.DEFAULT_FACTORS)
    assert len(pd.read_parquet(out / "morris_samples.parquet")) == 2 * (factors + 1)
    assert len(pd.read_parquet(out / "sobol_samples.parquet")) == 8 * (2 + 2)


def test_the_morris_indices_are_salibs_on_the_written_samples(study):
    out, stdout = study
    morris = pd.read_parquet(out / "morris.parquet")
    samples = pd.read_parquet(out / "morris_samples.parquet")
    names = [factor.path for factor in sensitivity.DEFAULT_FACTORS]
    result = morris_analysis.analyze(sensitivity.problem(sensitivity.DEFAULT_FACTORS), samples[names].to_numpy(),
                                     samples["centric - focused cumulative_profit"].to_numpy(), num_levels=4)
    recomputed = pd.Series(result["mu_star"], index=names)
    assert morris.set_index("parameter")["mu_star"].to_dict() == pytest.approx(recomputed.to_dict())
    assert list(morris["mu_star"]) == sorted(morris["mu_star"], reverse=True)
    assert stdout.index(morris["parameter"].iloc[0]) < stdout.index(morris["parameter"].iloc[-1])


def test_sobol_studies_the_top_parameters_by_mu_star_and_its_indices_are_salibs(study):
    out, stdout = study
    morris = pd.read_parquet(out / "morris.parquet")
    sobol = pd.read_parquet(out / "sobol.parquet")
    samples = pd.read_parquet(out / "sobol_samples.parquet")
    top = list(morris["parameter"].head(2))
    assert set(sobol["parameter"]) == set(top)
    factors = [next(f for f in sensitivity.DEFAULT_FACTORS if f.path == path) for path in top]
    result = sobol_analysis.analyze(sensitivity.problem(factors), samples["centric - focused cumulative_profit"]
                                    .to_numpy(), calc_second_order=False)
    assert sobol.set_index("parameter")["ST"].to_dict() == pytest.approx(dict(zip(top, result["ST"], strict=True)))
    assert np.isfinite(sobol[["S1", "ST"]].to_numpy()).all()
    for row in sobol.itertuples():
        assert (f"| {row.parameter} | {sensitivity.shown_index(row.S1, row.S1_conf, row.S1_unreliable)} | "
                f"{sensitivity.shown_index(row.ST, row.ST_conf, row.ST_unreliable)} |") in stdout


@pytest.mark.parametrize("param", ["market.drfit=0:3", "market.drift=2:1"])
def test_a_bad_parameter_stops_the_study_in_one_line_with_no_output(tmp_path, param):
    done = subprocess.run([sys.executable, "experiments/sensitivity.py", "--param", param, "--out",
                           str(tmp_path / "x"), *TINY], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and done.stderr.startswith("sensitivity: error: --param market.")
    assert not (tmp_path / "x").exists()


def test_samples_run_as_a_sweep_on_a_hydra_launcher_give_the_same_outcomes(compose, tmp_path):
    base = compose(*TINY, "output.tenures=false")
    factors = [sensitivity.Factor("market.drift", 0.0, 3.0), sensitivity.Factor("segments.*.spend", 0.7, 1.3)]
    outcome = sensitivity.parse_outcome("centric-focused.cumulative_profit")
    samples = np.array([[0.0, 0.7], [3.0, 1.3], [1.5, 1.0]])
    design = sensitivity.design_table(base, factors, samples)
    assert list(design.columns) == ["sample", "market.drift", *sorted(f"segments.{name}.spend" for name in
                                                                       base.segments)]
    assert design.loc[1, "segments.loyal_high_value.spend"] == pytest.approx(1.3 * base.segments[
        "loyal_high_value"].spend)
    in_process = sensitivity.evaluate(base, factors, samples, outcome, seeds=[0, 1])
    launcher = sensitivity.Launcher((), (*TINY, "output.tenures=false"), tmp_path)
    swept = sensitivity.evaluate(base, factors, samples, outcome, seeds=[0, 1], launcher=launcher, label="check")
    assert swept.tolist() == in_process.tolist()
    assert len(list((tmp_path / "check_sweep").glob("*/COMPLETE"))) == 6


def test_an_index_wider_than_itself_or_a_total_below_the_first_order_is_flagged_with_one_warning_line():
    indices = sensitivity.flag_unreliable(pd.DataFrame({
        "parameter": ["a", "b", "c"], "S1": [0.479, 0.45, 0.5], "S1_conf": [4.948, 0.24, 0.1],
        "ST": [0.6, 0.59, 0.2], "ST_conf": [0.1, 0.28, 0.05]}))
    assert list(indices["S1_unreliable"]) == [True, False, False]
    assert list(indices["ST_unreliable"]) == [False, False, True]
    assert sensitivity.shown_index(0.479, 4.948, True) == "0.479 ± 4.948 (!)"
    warning = sensitivity.sobol_warning(indices, 8)
    assert warning.count("\n") == 0 and "2 of 6" in warning and "--sobol-n 32" in warning
    assert sensitivity.sobol_warning(indices.iloc[[1]], 8) == ""


def test_sobol_on_a_tiny_sample_flags_its_indices(compose):
    base = compose("market.customers=300", "market.steps=12", "output.tenures=false")
    factors = [sensitivity.Factor("market.drift", 0.0, 3.0), sensitivity.Factor("segments.*.spend", 0.7, 1.3)]
    _, indices = sensitivity.sobol(base, factors, sensitivity.parse_outcome("centric-focused.cumulative_profit"),
                                   n=2, seeds=[0])
    assert indices[["S1_unreliable", "ST_unreliable"]].to_numpy().any()
    assert sensitivity.sobol_warning(indices, 2).startswith("Warning: ")
