"""A log's market: the calibrated customers held by the log's firm, among rivals, as a scenario anyone runs.

A calibration (:mod:`sim.clv.calibration`) fits how the log's customers buy
and when the log's firm loses them. In a market with rivals a customer can
be lost to the firm in two ways: it leaves the category (the segment's
dropout, ODD 7.9) or it goes to a rival or to buying nothing (switching,
ODD 7.4). The log sees only their sum, so the scenario's category dropout
is what is left of the fitted loss once the market's own switching is
counted: it is set (:func:`calibrate_dropout`) so that the firm's simulated
repeat purchases over the calibration period match the log's, with the
rate and dropout shapes, the rate and the spend per purchase as fitted.

The scenario (:func:`scenario`) is written for the market it names: one
segment (``segments: single``) of as many potential customers as the log
has, every one of them the log's firm's customer at month 0 (the cohort's
mean first-purchase day; a customer's first purchase is its acquisition,
as the Pareto/NBD counts it), the rival firms of ``firms`` starting with
none. From the month after the calibration period new potential customers
arrive (ODD 7.10) at the log's acquisition rate or at another given one.
Money stays in the market's units: a customer's ``spend`` of 1 is the log's
mean month of a customer buying at the mean rate (:attr:`LogMarket.unit`).
"""

from __future__ import annotations

import json
import math
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import yaml
from scipy.optimize import brentq

from sim.clv import paretonbd
from sim.clv.calibration import SINGLE_SEGMENT, Fit
from sim.clv.translog import DAYS_PER_YEAR, Cohort
from sim.config import load_config
from sim.config.schema import SimConfig
from sim.output.files import atomic_write_text
from sim.world.purchases import still_present
from sim.world.run import run_model

#: Simulated customers at most in the scenario; a larger log is simulated at a scale above 1.
MAX_CUSTOMERS = 20_000
#: Seeds per evaluation of the dropout search (common random numbers) and in the check's band.
SEARCH_SEEDS, CHECK_SEEDS = 4, 20
#: The dropout search's bracket, as multiples of the fitted dropout.
BRACKET = (1e-3, 2.0)
DAYS_PER_MONTH = DAYS_PER_YEAR / 12
#: The named choices of ``arrivals`` (besides a rate a year).
ARRIVALS = ("log", "hold")


@dataclass(frozen=True)
class LogMarket:
    """The scenario of a log's market and how well it reproduces the log.

    Attributes:
        name: the scenario's name (``scenario=<name>``).
        firms: the firms preset it is written for (``conf/firms/``); ``firm`` is the log's.
        values: the scenario's settings, as written under its defaults.
        months: the calibration period in months from month 0 (the cohort's mean first-purchase day).
        actual: the log's repeat purchases in the calibration period.
        target: the same, as they would be with every first purchase on month 0's day (:func:`timing`).
        fitted_dropout: the yearly loss the calibration fitted (category dropout and switching together).
        dropout: the scenario's category dropout, a year, given the market's switching.
        simulated: (seeds,) the firm's repeat purchases over the calibration period in fresh runs.
        unit: what a ``spend`` of 1 (a month at the mean rate) is in the log's money.
        arrivals: new potential customers a year, as a share of the log's customers, from the month after
            the calibration period.
        misfit: how far the fitted process alone expects more (or fewer) repeat purchases by the calibration end
            than the log has, as a fraction; the dropout search takes it up with the market's switching.
        switched: the share of the firm's starting customers that left it for a rival or for buying nothing
            within the calibration period, in the check's runs (not dropout).
    """

    name: str
    firms: str
    firm: str
    values: dict
    months: float
    actual: float
    target: float
    fitted_dropout: float
    dropout: float
    simulated: np.ndarray
    unit: float
    arrivals: float
    misfit: float
    switched: float

    @property
    def band(self) -> tuple[float, float]:
        """The 90% Monte Carlo band of :attr:`simulated`."""
        low, high = np.quantile(self.simulated, [0.05, 0.95])
        return float(low), float(high)


    def yaml(self, source: str) -> str:
        """The scenario file: ``# @package _global_``, what it is, its defaults and its values."""
        low, high = self.band
        about = [
            f"The customers of {source}, calibrated (sim/clv/market.py): held by {self.firm} at month 0",
            f"(the cohort's mean first-purchase day) among the rivals of firms={self.firms}.",
            f"Category dropout {self.dropout:.3f} a year (fitted: {self.fitted_dropout:.3f}, every loss the log sees),",
            f"set so {self.firm}'s repeat purchases over the first {self.months:.2f} months match the log's "
            f"{self.actual:,.0f}",
            f"({self.target:,.0f} from month 0; 90% band over {self.simulated.size} seeds {low:,.0f}-{high:,.0f}).",
            f"New potential customers arrive at {self.arrivals:.3f} a year from month {self.arrivals_from}; "
            f"a spend of 1 is {self.unit:.2f} of the log's money a month.",
        ]
        return scenario_file(self.firms, self.values, about)

    @property
    def arrivals_from(self) -> int:
        """The month new potential customers start to arrive (the first after the calibration period)."""
        return math.ceil(self.months) + 1

    def size_after(self, years: float) -> float:
        """The market's expected potential customers after ``years``, as a share of its start (:func:`size_after`)."""
        purchases = self.values["segments"][SINGLE_SEGMENT]["purchases"]
        return size_after(years, purchases["dropout"], purchases["dropout_shape"], self.arrivals,
                          self.arrivals_from)

    def lines(self, folder: Path) -> list[str]:
        """What the report says of the scenario: its dropout, its check against the log, its size, how to run it."""
        low, high = self.band
        inside = "inside" if low <= self.target <= high else "OUTSIDE"
        size = self.size_after(10)
        grows = (f"it grows to {size:.0%} of its starting size in 10 years" if size >= 1 else
                 f"it shrinks the market to {size:.0%} of its starting size in 10 years (arrivals=hold keeps its "
                 f"first year)")
        return [
            f"calibrated market: scenario {self.name} for firms={self.firms}, the log's customers held by "
            f"{self.firm} at month 0",
            f"  category dropout {self.dropout:.3f} a year (fitted {self.fitted_dropout:.3f}: every loss the log "
            f"sees); the fitted process alone expects {self.misfit:+.1%} on the log by the calibration end, and "
            f"{self.switched:.1%} of {self.firm}'s customers left it for a rival or for nobody by then",
            f"  {self.firm}'s repeat purchases over the first {self.months:.2f} months: log {self.actual:,.0f} "
            f"({self.target:,.0f} from month 0), simulated {self.simulated.mean():,.0f}, 90% band over "
            f"{self.simulated.size} seeds {low:,.0f}-{high:,.0f}: {inside}",
            f"  arrivals {self.arrivals:.3f} a year from month {self.arrivals_from}: {grows}; a spend of 1 is "
            f"{self.unit:.2f} of the log's money a month",
            f"  run it: market-sim --config-dir {folder.resolve()} scenario={self.name}",
        ]

    def summary(self) -> dict:
        """The figures of the scenario and its check, JSON-ready."""
        low, high = self.band
        return {"scenario": self.name, "firms": self.firms, "firm": self.firm, "months": self.months,
                "log_repeat_purchases": self.actual, "target_from_month_0": self.target,
                "simulated_mean": float(self.simulated.mean()), "simulated_band_90": [low, high],
                "simulated": self.simulated.tolist(), "fitted_dropout": self.fitted_dropout, "dropout": self.dropout,
                "process_misfit": self.misfit, "switched_in_calibration": self.switched, "arrivals": self.arrivals,
                "spend_unit": self.unit}


def size_after(years: float, dropout: float, dropout_shape: float, arrivals: float, from_month: int) -> float:
    """A one-segment market's expected potential customers after ``years``, as a share of its start.

    Its starting customers remain with the gamma-mixed dropout's survival
    (:func:`sim.world.purchases.still_present`); ``arrivals`` a year (a share of
    the start) from month ``from_month`` on remain likewise from their own
    arrival.
    """
    since = np.linspace(0.0, max(years - from_month / 12, 0.0), 2001)
    return float(still_present(dropout, dropout_shape, years)
                 + arrivals * np.trapezoid(still_present(dropout, dropout_shape, since), since))


def acquisition_rate(cohort: Cohort) -> float:
    """The log's first purchases a year over its calibration period, as a share of its customers."""
    return 1.0 / (cohort.calibration_span * 7 / DAYS_PER_YEAR)


def timing(fit: Fit, cohort: Cohort) -> float:
    """The fitted process's repeat purchases by the calibration end with every first purchase on month 0's day.

    As a ratio to those with the log's own first-purchase days. A customer's
    expected purchases grow ever more slowly with its age (some
    drop out), so one start day for all gives a few more than the log's
    spread of days; the log's count is scaled by this so that the dropout
    search sees only what the market's switching takes.
    """
    process = paretonbd.from_dials(fit.purchases)
    one_day = paretonbd.expected_cumulative(process, np.full(cohort.size, cohort.birth.mean()),
                                            np.array([cohort.calibration_span]))
    return float(one_day[0] / expected_total(fit, cohort))


def expected_total(fit: Fit, cohort: Cohort) -> float:
    """The repeat purchases the fitted process expects of the cohort by the calibration end."""
    return float(paretonbd.expected_cumulative(paretonbd.from_dials(fit.purchases), cohort.birth,
                                               np.array([cohort.calibration_span]))[0])


def scenario_values(fit: Fit, cohort: Cohort, firm: str, dropout: float, arrivals: float,
                    month: int) -> dict:
    """The scenario's settings under its defaults: market, the segment's process and arrivals, the firm's start."""
    p = fit.purchases
    purchases = {"process": "poisson", "rate": p.rate, "rate_shape": p.rate_shape, "amount_shape": p.amount_shape,
                 "dropout": dropout, "dropout_shape": p.dropout_shape}
    values = {
        "market": {"customers": min(cohort.size, MAX_CUSTOMERS), "total_customers": cohort.size,
                   "initial_penetration": 1.0},
        "segments": {SINGLE_SEGMENT: {"purchases": {k: float(f"{v:.6g}") if isinstance(v, float) else v
                                                    for k, v in purchases.items()}}},
        "firms": {firm: {"initial_share": 1.0}},
    }
    if arrivals > 0:
        values["events"] = [{"kind": "segment_change", "month": month, "segment": SINGLE_SEGMENT,
                             "arrivals": float(f"{arrivals:.6g}")}]
    return values


def scenario_file(firms: str, values: dict, about: Sequence[str] = ()) -> str:
    """A scenario's YAML: its package and ``about`` comments, the one-segment market and firms preset, ``values``."""
    defaults = {"defaults": [{"override /segments": "single"}, {"override /firms": firms}]}
    return ("".join(f"# {line}\n" for line in ("@package _global_", *about))
            + yaml.safe_dump(defaults, sort_keys=False) + "\n" + yaml.safe_dump(values, sort_keys=False))


def firm_purchases(config: SimConfig, firm: str, months: float, seed: int) -> tuple[float, float]:
    """The firm's purchases over the first ``months`` of one run, and the share of its starting customers it lost.

    The last month counts in part. The share is of the customers it
    started with that left it for a rival or for buying nothing by then
    (not those who dropped out of the category).
    """
    steps = math.ceil(months)
    short = replace(config, market=replace(config.market, steps=steps), events=[])
    result = run_model(short, seed)
    monthly = result.firms.loc[result.firms["firm"] == firm, "purchases"].to_numpy()
    whole = math.floor(months)
    purchases = monthly[:whole].sum() + (monthly[whole] * (months - whole) if whole < steps else 0.0)
    spells = result.tenures[(result.tenures["firm"] == firm) & (result.tenures["start"] == 0)]
    return float(purchases), float((spells["ended_by"] == "churn").mean())


def calibrate_dropout(load: Callable[[float], SimConfig], firm: str, months: float, target: float,
                      fitted: float) -> float:
    """The category dropout at which the firm's mean simulated purchases over ``months`` are ``target``.

    ``load(dropout)`` gives the scenario's config with that dropout. The
    same :data:`SEARCH_SEEDS` seeds every time (common random numbers), so
    the purchases fall smoothly as dropout rises and a root search (Brent's
    method on the log of the dropout) finds the crossing. When the market's
    switching alone loses more than the log (too few purchases even at the
    bracket's lowest dropout) that lowest dropout is returned.
    """
    def gap(log_dropout: float) -> float:
        config = load(math.exp(log_dropout))
        mean = np.mean([firm_purchases(config, firm, months, seed)[0] for seed in range(SEARCH_SEEDS)])
        return float(mean - target)

    low, high = (math.log(fitted * factor) for factor in BRACKET)
    if gap(low) <= 0:
        return math.exp(low)
    if gap(high) >= 0:
        return math.exp(high)
    return math.exp(brentq(gap, low, high, xtol=1e-3))


def build(fit: Fit, cohort: Cohort, name: str, firms: str = "default", firm: str | None = None,
          arrivals: str | float = "log", on_progress: Callable[[str], None] = print) -> LogMarket:
    """Calibrate the category dropout of the log's market and check it in fresh runs (see the module docstring).

    ``firm`` defaults to the first firm of ``firms``. ``arrivals`` is a
    rate a year, ``log`` (the log's acquisition rate, :func:`acquisition_rate`)
    or ``hold`` (as many as the calibrated dropout takes in the first year).
    The search's runs leave arrivals out: they begin after the calibration
    period. Raises
    :class:`sim.config.ConfigError` when ``firms`` or ``firm`` is not one the
    market has.
    """
    from sim.config import ConfigError

    present = list(load_config([f"firms={firms}"]).firms)
    firm = present[0] if firm is None else firm
    if firm not in present:
        raise ConfigError(f"firm: firms={firms} has {', '.join(present)}; got {firm!r}")
    birth = float(cohort.birth.mean())
    months = (cohort.calibration_span - birth) * 7 / DAYS_PER_MONTH
    if arrivals not in ARRIVALS and not isinstance(arrivals, float | int):
        raise ConfigError(f"arrivals: must be {', '.join(ARRIVALS)} or a rate a year, got {arrivals!r}")
    rate = acquisition_rate(cohort) if arrivals == "log" else 0.0 if arrivals == "hold" else float(arrivals)
    actual = float(cohort.customers["frequency"].sum())
    target = actual * timing(fit, cohort)
    expected = expected_total(fit, cohort) / actual - 1.0
    fitted = fit.purchases.dropout
    start = math.ceil(months) + 1  # LogMarket.arrivals_from
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "scenario").mkdir()
        path = Path(folder) / "scenario" / f"{name}.yaml"

        def load(dropout: float) -> SimConfig:
            path.write_text(scenario_file(firms, scenario_values(fit, cohort, firm, dropout, rate, start)))
            return load_config([f"scenario={name}"], config_dirs=[folder])

        on_progress(f"setting the category dropout so {firm}'s repeat purchases over {months:.2f} months match "
                    f"the log's {target:,.0f} ({SEARCH_SEEDS} seeds per try)")
        dropout = calibrate_dropout(load, firm, months, target, fitted)
        if arrivals == "hold":
            rate = 1.0 - float(still_present(dropout, fit.purchases.dropout_shape, 1.0))
        on_progress(f"checking in {CHECK_SEEDS} fresh runs")
        config = load(dropout)
        checks = np.array([firm_purchases(config, firm, months, seed)
                           for seed in range(SEARCH_SEEDS, SEARCH_SEEDS + CHECK_SEEDS)])
    unit = fit.amount_mean * fit.purchases.rate / 12
    return LogMarket(name, firms, firm, scenario_values(fit, cohort, firm, dropout, rate, start), months,
                     actual, target, fitted, dropout, checks[:, 0], unit, rate, expected, float(checks[:, 1].mean()))


def write(market: LogMarket, out: Path, source: str) -> None:
    """Write ``scenario/<name>.yaml`` (run with ``market-sim --config-dir out``) and ``market.json`` to ``out``."""
    (out / "scenario").mkdir(parents=True, exist_ok=True)
    atomic_write_text(out / "scenario" / f"{market.name}.yaml", market.yaml(source))
    atomic_write_text(out / "market.json", json.dumps(market.summary(), indent=2, allow_nan=False) + "\n")
