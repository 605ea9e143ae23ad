"""The Pareto/NBD model (Schmittlein, Morrison & Colombo 1987) fitted by its exact likelihood.

The simulator's purchase process (:mod:`sim.world.purchases`) *is* the
Pareto/NBD: each customer buys at a Poisson rate drawn from a gamma
distribution and leaves at an exponential hazard drawn from another. So a
segment's ``purchases`` dials can be fitted by maximum likelihood from the
summary every customer-base model reads, and mapped to the dials exactly
(:func:`purchase_dials`), with no simulation in the loop.

Time is in weeks, as the literature reports the model; a summary has one row
per customer with ``frequency`` (repeat purchase days in the calibration
period), ``recency`` (weeks from the first purchase to the last repeat one)
and ``T`` (weeks from the first purchase to the calibration end), counted
from days (:func:`sim.clv.translog.build_cohort`).

The log-likelihood is the numerically stable form pymc-marketing's
``ParetoNBD`` distribution uses (tests/clv/test_paretonbd.py checks the two
agree); it is written here in numpy and scipy so that a fit takes well under
a second and can start from many points, where pymc-marketing's own
``ParetoNBDModel.fit`` needs minutes and shrinks the estimates toward its
priors.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import gammaln, hyp2f1

from sim.clv.likelihood import Estimate, cohort_expectation, maximise
from sim.clv.translog import WEEKS_PER_YEAR
from sim.config.schema import PurchaseConfig

PARAMETERS = ("r", "alpha", "s", "beta")
#: Starting points of the search: every combination of these for (r, alpha, s, beta), in weeks.
START_GRID = ((0.2, 2.0), (2.0, 20.0), (0.2, 2.0), (2.0, 20.0))


@dataclass(frozen=True)
class ParetoNBDFit:
    """Maximum likelihood estimates of the Pareto/NBD, weekly time unit.

    Purchase rates are gamma(r, alpha) across customers (alpha in weeks), the
    dropout hazards gamma(s, beta). ``search`` says how the estimate was
    found (how many starts reached it) and its log-likelihood; None for a
    process given by its dials (:func:`from_dials`), not estimated.
    """

    r: float
    alpha: float
    s: float
    beta: float
    search: Estimate | None


def log_likelihood(params: np.ndarray, frequency: np.ndarray, recency: np.ndarray, T: np.ndarray) -> np.ndarray:
    """Each customer's Pareto/NBD log-likelihood (Fader, Hardie & Lee 2005, "A note on implementing the Pareto/NBD").

    ``params`` is (r, alpha, s, beta); the three arrays are the customers'
    (x, t_x, T) in weeks.
    """
    r, alpha, s, beta = params
    x, t_x = frequency, recency
    rsx, rx = r + s + x, r + x
    larger, smaller = max(alpha, beta), min(alpha, beta)
    gap = larger - smaller
    first, second = (s + 1, s) if alpha >= beta else (rx, rx + 1)
    refactored = rsx * np.log(larger + t_x)
    at_recency = np.log(hyp2f1(rsx, first, rsx + 1, gap / (larger + t_x)))
    at_end = np.log(hyp2f1(rsx, second, rsx + 1, gap / (larger + T))) - rsx * np.log(larger + T) + refactored
    common = gammaln(rx) - gammaln(r) + r * np.log(alpha) + s * np.log(beta) - refactored
    return common + np.logaddexp(np.log(s) - np.log(rsx) + at_recency, np.log(rx) - np.log(rsx) + at_end)


def fit(summary: pd.DataFrame) -> ParetoNBDFit:
    """Maximum likelihood fit from every start of :data:`START_GRID` (:func:`sim.clv.likelihood.maximise`)."""
    search = maximise(log_likelihood, summary, PARAMETERS, START_GRID)
    return ParetoNBDFit(**search.values, search=search)


def purchase_dials(fit: ParetoNBDFit, amount_shape: float = 0.0) -> PurchaseConfig:
    """The segment's ``purchases`` dials that are this Pareto/NBD, exactly.

    A gamma(r, alpha) rate per week has mean r / alpha and shape r; per year
    the mean is ``WEEKS_PER_YEAR`` (365.25 / 7) times as large and the shape the same.
    The same holds for the dropout hazard with (s, beta).
    """
    return PurchaseConfig(process="poisson", rate=WEEKS_PER_YEAR * fit.r / fit.alpha, rate_shape=fit.r,
                          amount_shape=amount_shape, dropout=WEEKS_PER_YEAR * fit.s / fit.beta, dropout_shape=fit.s)


def from_dials(purchases: PurchaseConfig) -> ParetoNBDFit:
    """The Pareto/NBD in weeks that a segment's Poisson ``purchases`` dials are: :func:`purchase_dials` inverted."""
    p = purchases
    return ParetoNBDFit(r=p.rate_shape, alpha=p.rate_shape * WEEKS_PER_YEAR / p.rate, s=p.dropout_shape,
                        beta=p.dropout_shape * WEEKS_PER_YEAR / p.dropout, search=None)


def _expected_new(fit: ParetoNBDFit, t: np.ndarray) -> np.ndarray:
    """E[X(t)]: expected repeat purchases of a new customer in its first t weeks (Schmittlein et al. 1987)."""
    r, alpha, s, beta = fit.r, fit.alpha, fit.s, fit.beta
    if abs(s - 1.0) < 1e-9:
        return r * beta / alpha * np.log1p(t / beta)
    return r * beta / (alpha * (s - 1.0)) * (1.0 - (beta / (beta + t)) ** (s - 1.0))


def expected_cumulative(fit: ParetoNBDFit, birth: np.ndarray, times: np.ndarray) -> np.ndarray:
    """Expected cumulative repeat purchases of a cohort born at ``birth`` (weeks) at each of ``times`` (weeks)."""
    return cohort_expectation(lambda age: _expected_new(fit, age), birth, times)


def probability_alive(fit: ParetoNBDFit, summary: pd.DataFrame) -> np.ndarray:
    """(n,) each customer's chance of still being a customer at the end of calibration, given its history."""
    r, alpha, s, beta = fit.r, fit.alpha, fit.s, fit.beta
    x, t_x, T = (summary[column].to_numpy(dtype=float) for column in ("frequency", "recency", "T"))
    alive = (gammaln(r + x) - gammaln(r) + r * np.log(alpha) + s * np.log(beta)
             - (r + x) * np.log(alpha + T) - s * np.log(beta + T))
    return np.exp(alive - log_likelihood(np.array([r, alpha, s, beta]), x, t_x, T))


def conditional_expected(fit: ParetoNBDFit, summary: pd.DataFrame, horizon: float) -> np.ndarray:
    """(n,) each customer's expected repeat purchases in the ``horizon`` weeks after calibration, given its history."""
    r, alpha, s, beta = fit.r, fit.alpha, fit.s, fit.beta
    x, T = summary["frequency"].to_numpy(dtype=float), summary["T"].to_numpy(dtype=float)
    if abs(s - 1.0) < 1e-9:
        ahead = (r + x) * (beta + T) / (alpha + T) * np.log1p(horizon / (beta + T))
    else:
        ahead = ((r + x) * (beta + T) / ((alpha + T) * (s - 1.0))
                 * (1.0 - ((beta + T) / (beta + T + horizon)) ** (s - 1.0)))
    return ahead * probability_alive(fit, summary)
