"""Calibration to a transaction log: the cohort view, the fit, the forecast, and bad logs (exit 2, one line)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim import load_config
from sim.apps.commands import calibrate_main
from sim.clv import calibration, translog

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "cdnow_sample.csv"
CALIBRATE = str(Path(sys.executable).with_name("market-sim-calibrate"))
SPLIT = ("calibration_end=1997-09-30", "holdout_end=1998-06-30")


@pytest.fixture(scope="module")
def cohort() -> translog.Cohort:
    return translog.build_cohort(translog.read_log(SAMPLE), "1997-09-30", "1998-06-30")


def test_the_cohort_view_counts_each_purchase_day_after_the_first_once(cohort: translog.Cohort) -> None:
    log = translog.read_log(SAMPLE)
    days = log.drop_duplicates(["customer", "date"])
    assert cohort.size == log["customer"].nunique() == 1000
    assert (cohort.calibration_weeks, cohort.holdout_weeks) == (39, 78)  # 1997-01-01 .. 09-30 is 273 days
    assert cohort.weekly.sum() == len(days) - cohort.size  # every purchase day but each first one
    people = cohort.customers
    assert (cohort.counts[:, :39].sum(axis=1) == people["frequency"]).all()
    assert (cohort.counts[:, 39:].sum(axis=1) == people["holdout"]).all()
    assert (people["recency"] <= people["T"]).all() and (people.loc[people["frequency"] == 0, "recency"] == 0).all()
    assert cohort.birth.max() < 13  # CDNOW's cohort first bought in the first quarter


def test_the_simulated_purchase_process_docks_with_the_pareto_nbd_closed_form() -> None:
    """Weekly steps of gamma-Poisson purchases and gamma-exponential dropout reproduce Pareto/NBD's E[X(t)].

    Schmittlein, Morrison and Colombo (1987): with rates gamma(r, alpha) and
    dropout hazards gamma(s, beta) per week, E[X(t)] = r beta / (alpha (s - 1))
    (1 - (beta / (beta + t))^(s - 1)). The parameters are CDNOW's
    (Fader, Hardie and Lee 2005, Pareto/NBD): r 0.55, alpha 10.58, s 0.61, beta 11.67.
    In the market's order weekly steps are slightly low: a customer who drops
    out buys nothing in that week, about half a week less than in continuous
    time (-2.1%, -1.2% and -0.8% at 13, 39 and 78 weeks with this seed).
    Buying over the part of the week it was still there (``continuous``)
    removes the bias: +0.1%, -0.2% and -0.4%, within the Monte Carlo noise.
    """
    r, alpha, s, beta = 0.55, 10.58, 0.61, 11.67
    weeks_per_year = translog.WEEKS_PER_YEAR
    process = calibration.purchases_from(np.log([r / alpha * weeks_per_year, r, s / beta * weeks_per_year, s]))
    weeks = np.array([13, 39, 78])
    expected = r * beta / (alpha * (s - 1)) * (1 - (beta / (beta + weeks)) ** (s - 1))
    for continuous, tolerance in ((False, 0.03), (True, 0.01)):
        run = calibration.simulate(process, np.zeros(40_000), 78, 78, seed=3, continuous=continuous)
        simulated = np.cumsum(run.weekly)[weeks - 1] / 40_000
        assert simulated == pytest.approx(expected, rel=tolerance), continuous


def test_calibration_recovers_the_process_that_made_a_cohort(cohort: translog.Cohort) -> None:
    """A cohort simulated with known rates and dropout, calibrated blind, gives those rates and dropout back."""
    truth = calibration.purchases_from(np.log([4.0, 0.8, 2.0, 1.0]))
    made = calibration.simulate(truth, np.repeat(cohort.birth, 3), 78, 39, seed=7)
    counts = np.hstack([made.calibration, np.zeros((made.holdout.size, 39), dtype=np.int32)])
    counts[:, 39] = made.holdout
    frequency = counts[:, :39].sum(axis=1)
    synthetic = translog.Cohort(
        start=cohort.start, calibration_weeks=39, holdout_weeks=78, calibration_span=39.0, holdout_span=78.0,
        log_end=cohort.log_end, birth=np.repeat(cohort.birth, 3), counts=counts, calibration_counts=counts[:, :39],
        customers=pd.DataFrame({"customer": np.arange(frequency.size).astype(str), "frequency": frequency,
                                "recency": 0.0, "T": 0.0, "holdout": made.holdout}),
        amounts=np.array([1.0]))
    fit = calibration.calibrate(synthetic, seed=0, iterations=12, cohorts=1)
    assert fit.purchases.rate == pytest.approx(truth.rate, rel=0.2)
    assert fit.purchases.dropout == pytest.approx(truth.dropout, rel=0.5)
    wrong = calibration.purchases_from(np.log([2.0, 0.8, 6.0, 1.0]))
    target, variance = calibration.observed_moments(synthetic)
    run = calibration.simulate(wrong, synthetic.birth, 39, 39, seed=0)
    assert calibration.distance(calibration.moments(run.calibration, run.birth_week)[0], target, variance,
                                synthetic.size) > 5 * fit.objective


@pytest.mark.parametrize("method", ["likelihood", "moments"])
def test_market_sim_calibrate_fits_forecasts_and_benchmarks_the_sample(tmp_path: Path, method: str) -> None:
    """The whole study on 1,000 CDNOW customers: tables, figure, segment and report, every model beside the actual."""
    out = tmp_path / "study"
    done = subprocess.run([CALIBRATE, f"data={SAMPLE}", *SPLIT, f"method={method}", "iterations=15", "cohorts=1",
                           "replicates=4", f"out={out}"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "BG/NBD (pymc-marketing MAP)" in done.stdout and "Pareto/NBD (maximum likelihood)" in done.stdout
    said = {"likelihood": "the Pareto/NBD's exact likelihood", "moments": "method of simulated moments"}
    assert f"calibrated purchase process ({said[method]}" in done.stdout
    errors = pd.read_parquet(out / "errors.parquet").set_index("model")
    assert list(errors.index) == ["simulator", "paretonbd", "bgnbd"]
    weekly = pd.read_parquet(out / "weekly.parquet")
    customers = pd.read_parquet(out / "customers.parquet")
    at_calibration_end = weekly[weekly["week"] == 39].set_index("series")["cumulative"]
    # what was fitted: the calibration period's total within three standard errors (the real cohort's, and that
    # of the mean of 4 simulated ones)
    error = customers["frequency"].std() * np.sqrt(len(customers) * (1 + 1 / 4))
    assert abs(at_calibration_end["simulator"] - at_calibration_end["actual"]) < 3 * error
    assert set(weekly["series"]) == {"actual", "simulator", "simulator_low", "simulator_high", "paretonbd", "bgnbd"}
    assert (weekly.groupby("series")["cumulative"].apply(lambda s: s.is_monotonic_increasing)).all()
    by_frequency = customers.groupby(np.minimum(customers["frequency"], 3))[["simulator", "bgnbd"]].mean()
    assert by_frequency["simulator"].is_monotonic_increasing and by_frequency["bgnbd"].is_monotonic_increasing
    fit = json.loads((out / "fit.json").read_text())
    assert fit["purchases"]["process"] == "poisson" and fit["bgnbd"]["r"] > 0 and fit["method"] == method
    assert (fit["likelihood"] is not None) == (method == "likelihood") and fit["paretonbd"]["s"] > 0
    assert (out / "forecast.png").stat().st_size > 10_000
    assert "purchases:" in (out / "segment.yaml").read_text()


def test_the_calibrated_segment_runs_in_a_market(compose) -> None:
    fit = calibration.Fit(purchases=calibration.purchases_from(np.log([3.0, 0.7, 2.5, 0.7]), 0.9),
                          method="moments", seconds=0.0, amount_mean=38.6, objective=1.0, evaluations=1, moments=1)
    from sim.world.run import run_model

    config = compose("segments=single", "firms=monopoly", "market.customers=2000", "market.steps=24",
                     *fit.segment_overrides("everyone"))
    assert config.segments["everyone"].purchases.dropout == pytest.approx(2.5)
    firms = run_model(config, seed=0).firms
    assert firms["revenue"].sum() > 0


def test_the_written_overrides_apply_to_the_market_they_were_written_for() -> None:
    """fit.json's overrides once named a segment the default market rejects; now they name their market too."""
    fit = calibration.Fit(purchases=calibration.purchases_from(np.log([3.0, 0.7, 2.5, 0.7]), 0.9),
                          method="likelihood", seconds=0.0, amount_mean=38.6)
    config = load_config(fit.market_overrides())
    assert list(config.segments) == [calibration.SINGLE_SEGMENT]
    assert config.segments[calibration.SINGLE_SEGMENT].purchases.dropout == pytest.approx(2.5)
    assert fit.remaining(10) == pytest.approx((1 + 2.5 * 10 / 0.7) ** -0.7)


BAD_LOGS = {
    "missing column": ("customer,date\n1,1997-01-01\n", "data: missing column(s) 'amount'"),
    "unreadable date": ("customer,date,amount\n1,1997-01-01,3\n1,1997-13-45,2\n",
                        "data: column 'date': cannot read '1997-13-45' as a date at line 3 of the file"),
    "negative amount": ("customer,date,amount\n1,1997-01-01,3\n2,1997-01-02,-4\n",
                        "data: column 'amount': negative amount -4 at line 3 of the file"),
    "not a number": ("customer,date,amount\n1,1997-01-01,3\n2,1997-01-02,ten\n",
                     "data: column 'amount': 'ten' is not a number at line 3 of the file"),
    "no transactions": ("customer,date,amount\n", "data: the log has no transactions"),
}


@pytest.mark.parametrize("name", list(BAD_LOGS))
def test_a_malformed_log_gets_one_line_and_exit_2_and_no_results(name: str, tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    text, message = BAD_LOGS[name]
    log = tmp_path / "log.csv"
    log.write_text(text)
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as ended:
        calibrate_main([f"data={log}", *SPLIT, "benchmark=false", f"out={out}"])
    assert ended.value.code == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"market-sim-calibrate: error: {message}"), lines
    assert not out.exists()


@pytest.mark.parametrize(("arguments", "message"), [
    (["data=x.csv", "calibration_end=1997-09-30"], "holdout_end: required"),
    (["data=x.csv", *SPLIT, "iterations=many"], "iterations: must be a whole number >= 1"),
    (["data=x.csv", *SPLIT, "holdout=1998-06-30"], "holdout: unknown key (did you mean holdout_end?)"),
    (["x.csv", *SPLIT], "'x.csv': expected key=value"),
    ([f"data={SAMPLE}", "calibration_end=1997-09-30", "holdout_end=1997-06-30"],
     "holdout_end: must be after calibration_end (1997-09-30)"),
    ([f"data={SAMPLE}", "calibration_end=someday", "holdout_end=1998-06-30"],
     "calibration_end: cannot read 'someday' as a date"),
    (["data=x.csv", *SPLIT, "scenario=mine", "arrivals=lots"], "arrivals: must be log, hold or a rate a year >= 0"),
    (["data=x.csv", *SPLIT, "scenario=mine", "arrivals=-0.5"], "arrivals: must be log, hold or a rate a year >= 0"),
    (["data=x.csv", *SPLIT, "scenario=mine", "firms=triopoly"], "firms: must be one of default, duopoly, monopoly"),
    (["data=x.csv", *SPLIT, "scenario=mine", "firm=cdnow"], "firm: firms=default has focused, centric, obsessed"),
    (["data=x.csv", *SPLIT, "scenario=../mine"], "scenario: a name of letters, digits, _ and -"),
])
def test_bad_arguments_get_one_line_naming_the_key(arguments: list[str], message: str,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as ended:
        calibrate_main([*arguments, "benchmark=false"])
    assert ended.value.code == 2
    assert capsys.readouterr().err.strip().startswith(f"market-sim-calibrate: error: {message}")


def test_the_installed_command_reports_a_bad_log_without_a_traceback(tmp_path: Path) -> None:
    log = tmp_path / "log.csv"
    log.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00binary")
    done = subprocess.run([CALIBRATE, f"data={log}", *SPLIT], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr, done.stderr
    assert done.stderr.startswith(f"market-sim-calibrate: error: data: {log} is not a readable CSV file")


def test_periods_end_on_their_given_days_not_on_whole_weeks() -> None:
    """A holdout ending mid-week stops that day: in the cohort, in the simulated forecast and in the models."""
    log = translog.check_log(pd.DataFrame({
        "customer": ["a", "a", "a", "a", "b", "b"],
        "date": ["1997-01-01", "1997-01-09", "1997-01-17", "1997-01-30", "1997-01-03", "1997-01-11"],
        "amount": [1.0] * 6,
    }))
    cohort = translog.build_cohort(log, "1997-01-10", "1997-01-20")  # day 9 and day 19 after the first purchase
    assert cohort.calibration_span == pytest.approx(10 / 7) and cohort.holdout_span == pytest.approx(20 / 7)
    assert cohort.calibration_weeks == 2 and cohort.holdout_weeks == 3
    assert cohort.calibration_counts.sum() == cohort.customers["frequency"].sum() == 1  # a's 01-09; b's 01-11 is after
    assert cohort.counts.sum() == 3 and cohort.customers["holdout"].sum() == 2  # a's 01-30 is past the holdout
    steady = calibration.purchases_from(np.log([5200.0, 1e4, 1e-6, 1.0]))  # 100 a week, the same for everyone
    run = calibration.simulate(steady, np.zeros(2000), cohort.holdout_weeks, cohort.calibration_weeks, seed=0,
                               continuous=True, cut=cohort.calibration_span, end=cohort.holdout_span)
    weekly_rate = 5200.0 / translog.WEEKS_PER_YEAR
    assert run.calibration.sum() / 2000 == pytest.approx(weekly_rate * 10 / 7, rel=0.01)
    assert run.holdout.sum() / 2000 == pytest.approx(weekly_rate * 10 / 7, rel=0.01)  # days 10-19, not to day 20
    assert run.paths[0, 2] / 2000 == pytest.approx(weekly_rate * 6 / 7, rel=0.02)  # the last week has six days
