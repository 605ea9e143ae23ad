"""Fit one segment's purchase process to a real cohort by the method of simulated moments, then forecast.

The simulated cohort is the market model's own purchase process
(:mod:`sim.world.purchases`) run week by week for the real customers from their
real first-purchase days, so what is fitted is exactly what a market run
uses. Four parameters are fitted: the mean and gamma shape of the purchase
rate, and of the dropout hazard. The moments (:func:`moments`) are the
repeat purchases per customer in blocks of weeks and the shares of customers
in cells of (birth period, repeat purchases, weeks since the last purchase):
the binned form of (T, x, t_x), which is all the Pareto/NBD likelihood sees
of a customer. The objective (:func:`distance`) weighs each moment by its
sampling variance.

Every evaluation uses the same seed (common random numbers), so the
optimiser, scipy's differential evolution, compares parameters and not
noise. The fitted process then runs to the holdout end in fresh cohorts
(:mod:`sim.clv.forecast`). ODD 8.10 says what this gave on CDNOW and why.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import differential_evolution

from sim.clv import gammagamma, paretonbd
from sim.clv.gammagamma import GammaGammaFit
from sim.clv.likelihood import Estimate
from sim.clv.translog import WEEKS_PER_YEAR, Cohort
from sim.config.schema import PurchaseConfig
from sim.world.purchases import count_purchases, draw_habits, drop_out, still_present, time_alive

BOUNDS = {  # per year, and gamma shapes; searched on a log scale
    "rate": (0.3, 60.0),
    "rate_shape": (0.02, 20.0),
    "dropout": (0.01, 30.0),
    "dropout_shape": (0.02, 20.0),
}
BLOCK_WEEKS = 4  # the curve is compared as repeat purchases per customer in blocks of weeks
FREQUENCY_EDGES = (0, 1, 2, 3, 4, 5, 7, 10, 15)  # lower edges of the repeat-purchase bins
GAP_EDGES = (0, 4, 8, 13, 20, 30)  # ... of the weeks from the last purchase to the calibration end
BIRTH_EDGES = (0, 4, 8)  # ... of the first-purchase week (later births share the last bin)
MAX_FREQUENCY_CELL = 12  # conditional expectations pool customers with this many repeat purchases or more
GAP_WEEKS = 4  # ... and with the weeks since their last purchase in bins of this width


@dataclass
class Histories:
    """Simulated cohort(s): the weekly totals and what each simulated customer did.

    Attributes:
        paths: (replicates, weeks) each replicate's repeat purchases week by week.
        calibration: (n * replicates, calibration weeks) each simulated customer's purchases week by week.
        holdout, birth_week: (n * replicates,) per simulated customer.
    """

    paths: np.ndarray
    calibration: np.ndarray
    holdout: np.ndarray
    birth_week: np.ndarray

    @property
    def weekly(self) -> np.ndarray:
        """(weeks,) repeat purchases week by week, the mean over replicates."""
        return self.paths.mean(axis=0)


def simulate(purchases: PurchaseConfig, birth: np.ndarray, weeks: int, calibration_weeks: int,
             seed: int, replicates: int = 1, continuous: bool = False, cut: float | None = None,
             end: float | None = None) -> Histories:
    """Run the purchase process for customers born at ``birth`` (weeks since week 0), week by week.

    A customer's first week is counted from its birth on; in each week it
    may first drop out, and buys if it has not: the order the method of
    simulated moments was built and checked on. With ``continuous`` a
    customer who drops out buys over the part of the week it was still
    there (:func:`sim.world.purchases.time_alive`), as the market model's
    customers do (:func:`sim.world.phases.last_purchases`), so the steps
    add no bias to the continuous-time process the likelihood fits. (In
    the first order the forecast of CDNOW at week 78 is 0.9 points lower.)

    ``cut`` and ``end`` (weeks since week 0, default ``calibration_weeks``
    and ``weeks``) are the exact ends of the calibration period and of the
    run: a week they fall in is split there, so purchases before ``cut``
    count in calibration (in that week's column) and none are made after
    ``end``.
    """
    cut = float(calibration_weeks if cut is None else cut)
    end = float(weeks if end is None else end)
    bounds = np.unique(np.concatenate([np.arange(weeks + 1, dtype=float), [cut, end]]))
    bounds = bounds[bounds <= end]
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(replicates)]
    n = birth.size
    paths = np.zeros((replicates, weeks))
    calibration = np.zeros((replicates, n, min(weeks, calibration_weeks)), dtype=np.int32)
    holdout = np.zeros((replicates, n), dtype=np.int64)
    for replicate, rng in enumerate(streams):
        habits = draw_habits([purchases], np.zeros(n, dtype=np.int64), np.ones(n), WEEKS_PER_YEAR, rng)
        alive = np.ones(n, dtype=bool)
        for start, stop in itertools.pairwise(bounds):
            week = int(start)
            exposure = np.clip(stop - np.maximum(start, birth), 0.0, stop - start)
            who = np.flatnonzero(alive & (exposure > 0))
            span = exposure[who] / WEEKS_PER_YEAR
            leaving = drop_out(habits, who, span, rng)
            alive[who[leaving]] = False
            if continuous:
                counts = count_purchases(habits, who, time_alive(habits, who, span, leaving, rng), rng)
            else:
                who = who[~leaving]
                counts = count_purchases(habits, who, span[~leaving], rng)
            paths[replicate, week] += counts.sum()
            if stop <= cut:
                calibration[replicate, who, week] += counts
            else:
                holdout[replicate, who] += counts
    return Histories(paths=paths, calibration=calibration.reshape(replicates * n, -1), holdout=holdout.ravel(),
                     birth_week=np.tile(np.floor(birth).astype(np.int64), replicates))


def last_week(calibration: np.ndarray, birth_week: np.ndarray) -> np.ndarray:
    """(n,) the week of each customer's last repeat purchase in the calibration period, its birth week if none."""
    bought = calibration > 0
    latest = calibration.shape[1] - 1 - np.argmax(bought[:, ::-1], axis=1)
    return np.where(bought.any(axis=1), latest, birth_week)


def moments(calibration: np.ndarray, birth_week: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The moments of a cohort's calibration period, and their sampling variances.

    The moments are repeat purchases per customer per block of
    :data:`BLOCK_WEEKS` weeks, then the share of customers in each cell of
    (birth period, repeat purchases, weeks from the last purchase to the
    calibration end): the binned form of (T, x, t_x), which is all the
    Pareto/NBD likelihood sees of a customer. Variances are customer to
    customer over the cohort size (a block's sample variance; a share's
    ``p (1 - p)``).
    """
    n, weeks = calibration.shape
    blocks = np.add.reduceat(calibration, np.arange(0, weeks, BLOCK_WEEKS), axis=1)
    frequency = np.searchsorted(FREQUENCY_EDGES, calibration.sum(axis=1), side="right") - 1
    gap = np.searchsorted(GAP_EDGES, weeks - 1 - last_week(calibration, birth_week), side="right") - 1
    born = np.searchsorted(BIRTH_EDGES, birth_week, side="right") - 1
    cell = (born * len(FREQUENCY_EDGES) + frequency) * len(GAP_EDGES) + gap
    shares = np.bincount(cell, minlength=len(BIRTH_EDGES) * len(FREQUENCY_EDGES) * len(GAP_EDGES)) / n
    values = np.concatenate([blocks.mean(axis=0), shares])
    return values, np.concatenate([blocks.var(axis=0), shares * (1 - shares)]) / n


def observed_moments(cohort: Cohort) -> tuple[np.ndarray, np.ndarray]:
    """:func:`moments` of the real cohort."""
    return moments(cohort.calibration_counts, np.floor(cohort.birth).astype(np.int64))


def distance(simulated: np.ndarray, observed: np.ndarray, variance: np.ndarray, customers: int,
             cohorts: int = 1) -> float:
    """The objective: squared differences of the moments, each over its sampling variance, averaged.

    ``variance`` is the observed moments' (:func:`moments`); moments
    simulated over ``cohorts`` cohorts of the same size add ``1 / cohorts``
    of it. A moment with no variance in the cohort (an empty cell) gets that
    of one customer, so a cell nobody is in cannot dominate.
    """
    floor = 1.0 / customers**2
    return float(np.mean((simulated - observed) ** 2 / ((1 + 1 / cohorts) * np.maximum(variance, floor))))


def purchases_from(vector: np.ndarray, amount_shape: float = 0.0) -> PurchaseConfig:
    """The Poisson purchase process of a point in the (log) search space."""
    values = {name: float(value) for name, value in zip(BOUNDS, np.exp(vector), strict=True)}
    return PurchaseConfig(process="poisson", amount_shape=amount_shape, **values)


METHODS = ("likelihood", "moments")
#: The segment of ``conf/segments/single.yaml``, the market a calibration's overrides are written for.
SINGLE_SEGMENT = "everyone"


@dataclass
class Fit:
    """A calibrated purchase process and how it was found.

    ``method`` is ``likelihood`` (the Pareto/NBD's exact likelihood,
    :mod:`sim.clv.paretonbd`; ``likelihood`` holds the search) or ``moments``
    (simulated moments; ``objective``, ``evaluations`` and ``moments`` say
    how it went). What one purchase is worth is fitted apart: with
    ``likelihood`` by the gamma-gamma model (``spend``; its ``p`` is the
    ``amount_shape``), with ``moments`` by the moments of the log's amounts.
    """

    purchases: PurchaseConfig
    method: str
    seconds: float
    amount_mean: float
    objective: float | None = None
    evaluations: int | None = None
    moments: int | None = None
    likelihood: Estimate | None = None
    spend: GammaGammaFit | None = None

    def segment_overrides(self, segment: str) -> list[str]:
        """Hydra overrides that give ``segment`` this purchase process.

        The process is free of money: a customer's ``spend`` stays in the
        market's units, and only when and how unevenly it buys comes from the
        log (the log's mean per purchase is :attr:`amount_mean`).
        """
        p = self.purchases
        return [f"segments.{segment}.purchases.process=poisson",
                *(f"segments.{segment}.purchases.{name}={getattr(p, name):.6g}"
                  for name in ("rate", "rate_shape", "amount_shape", "dropout", "dropout_shape"))]

    def market_overrides(self) -> list[str]:
        """Overrides of a whole market of these customers: the one-segment market, its segment given this process.

        They apply as they are (``market-sim`` or ``load_config``); for a
        segment of another market use :meth:`segment_overrides` with its name.
        """
        return ["segments=single", *self.segment_overrides(SINGLE_SEGMENT)]

    def remaining(self, years: float) -> float:
        """The share of a closed segment of these customers still in the market after ``years``."""
        p = self.purchases
        return float(still_present(p.dropout, p.dropout_shape, years))


def amount_shape(amounts: np.ndarray) -> tuple[float, float]:
    """Mean and gamma shape (by moments: mean^2 / variance) of what one purchase is worth; shape 0 if all equal."""
    mean, variance = float(amounts.mean()), float(amounts.var())
    return mean, (mean**2 / variance if variance > 0 else 0.0)


def calibrate_by_likelihood(cohort: Cohort) -> Fit:
    """Fit the rate and dropout distributions by the Pareto/NBD's exact likelihood: the simulator's own process."""
    if cohort.customers["frequency"].sum() == 0:
        raise ValueError("calibration_end: no customer bought twice by then; there is nothing to calibrate")
    fitted = paretonbd.fit(cohort.customers)
    spend = gammagamma.fit(cohort.customers)
    return Fit(purchases=paretonbd.purchase_dials(fitted, spend.p), method="likelihood",
               seconds=fitted.search.seconds + spend.search.seconds, amount_mean=float(cohort.amounts.mean()),
               likelihood=fitted.search, spend=spend)


def calibrate(cohort: Cohort, seed: int = 0, iterations: int = 40, population: int = 10, cohorts: int = 3) -> Fit:
    """Fit the rate and dropout distributions to the cohort's calibration period (differential evolution).

    Each evaluation simulates ``cohorts`` copies of the real cohort (the same
    seed every time) and compares their pooled moments with the real ones.
    Three was chosen on a pseudo-holdout inside CDNOW's calibration period
    (fit weeks 1-26, forecast 27-39: holdout error +1.7% with three, -5.2%
    with one; ODD 8.10), never on the holdout itself.
    """
    if cohort.customers["frequency"].sum() == 0:
        raise ValueError("calibration_end: no customer bought twice by then; there is nothing to calibrate")
    target, variance = observed_moments(cohort)
    started = time.perf_counter()
    evaluations = 0

    def moments_of(purchases: PurchaseConfig) -> np.ndarray:
        run = simulate(purchases, cohort.birth, cohort.calibration_weeks, cohort.calibration_weeks, seed, cohorts,
                       cut=cohort.calibration_span, end=cohort.calibration_span)
        return moments(run.calibration, run.birth_week)[0]

    def objective(vector: np.ndarray) -> float:
        nonlocal evaluations
        evaluations += 1
        return distance(moments_of(purchases_from(vector)), target, variance, cohort.size, cohorts)

    bounds = [(np.log(low), np.log(high)) for low, high in BOUNDS.values()]
    result = differential_evolution(objective, bounds, seed=seed, maxiter=iterations, popsize=population,
                                    tol=1e-4, polish=False, init="sobol")
    mean, shape = amount_shape(cohort.amounts) if cohort.amounts.size else (0.0, 0.0)
    return Fit(purchases=purchases_from(result.x, shape), method="moments", seconds=time.perf_counter() - started,
               amount_mean=mean, objective=float(result.fun), evaluations=evaluations, moments=len(target))


def conditional_expected(histories: Histories, cohort: Cohort) -> np.ndarray:
    """Each real customer's expected holdout purchases, from simulated customers with the same history.

    Simulated customers are pooled by calibration repeat purchases (capped at
    :data:`MAX_FREQUENCY_CELL`) and weeks from their last purchase to the
    calibration end (bins of :data:`GAP_WEEKS`); a real customer gets its
    cell's mean holdout purchases, or its frequency's mean where the cell
    holds fewer than 30 simulated customers.
    """
    def cells(calibration: np.ndarray, birth_week: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        capped = np.minimum(calibration.sum(axis=1), MAX_FREQUENCY_CELL)
        gap = (calibration.shape[1] - 1 - last_week(calibration, birth_week)) // GAP_WEEKS
        return capped, capped * 1000 + gap

    sim_frequency, sim_cell = cells(histories.calibration, histories.birth_week)
    real_frequency, real_cell = cells(cohort.calibration_counts,
                                      np.floor(cohort.birth).astype(np.int64))
    by_cell = pd.Series(histories.holdout).groupby(sim_cell).agg(["mean", "size"])
    by_frequency = pd.Series(histories.holdout).groupby(sim_frequency).mean()
    cell = by_cell.reindex(real_cell)
    fallback = by_frequency.reindex(real_frequency).to_numpy()
    return np.where(cell["size"].fillna(0).to_numpy() >= 30, cell["mean"].to_numpy(), fallback)
