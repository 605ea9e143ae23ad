"""The BG/NBD benchmark (Fader, Hardie & Lee 2005): what the standard CLV model predicts for a transaction log.

Calibrating the simulator to a real log (CDNOW) needs a yardstick that is not
the simulator: the BG/NBD model, fitted by maximum a posteriori with
pymc-marketing's ``BetaGeoModel``, is the one the CLV literature compares to.
Time is in weeks. A summary has one row per customer: ``customer_id``,
``frequency`` (repeat purchase days in the calibration period), ``recency``
(weeks from the first purchase to the last repeat one, 0 if none) and ``T``
(weeks from the first purchase to the end of calibration), the columns
``BetaGeoModel`` reads.

Only :func:`fit` needs pymc-marketing (the optional ``calibration`` extra, heavy
and slow to import), so it is imported there. The expectations are the
closed forms of equations 9 and 10 evaluated from the four point estimates:
the library's own methods (``expected_purchases_new_customer``,
``expected_purchases``) need the fitted model object and its posterior
dataset, whereas a :class:`BetaGeoFit` is four numbers that can be stored and
compared without pymc. tests/clv/test_bgnbd.py checks that both agree to 1e-6.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import betaln, gammaln, hyp2f1

from sim import extras
from sim.clv.likelihood import cohort_expectation, maximise

COLUMNS = ["customer_id", "frequency", "recency", "T"]


@dataclass(frozen=True)
class BetaGeoFit:
    """MAP point estimates of the BG/NBD parameters, weekly time unit.

    Purchase rates are gamma(r, alpha) across customers (alpha in weeks), the
    chance of dropping out after each purchase is beta(a, b).
    """

    r: float
    alpha: float
    a: float
    b: float
    seconds: float  # wall time of the fit, model building and compiling included


def require() -> None:
    """Raise :class:`sim.extras.MissingExtra` unless pymc-marketing is installed, without importing it (seconds).

    A study calls this before its calibration, so a missing extra is said
    at once rather than after minutes of simulation.
    """
    extras.require("pymc_marketing")


def fit(summary: pd.DataFrame, seed: int = 0) -> BetaGeoFit:
    """MAP fit of pymc-marketing's ``BetaGeoModel`` with its default priors.

    The defaults (r ~ Weibull(2, 1), alpha ~ Weibull(2, 10), a = phi kappa and
    b = (1 - phi) kappa with phi ~ Uniform(0, 1), kappa ~ Pareto(1, 1)) are weak
    next to thousands of customers, so the MAP is close to the maximum
    likelihood estimates the literature reports; keeping them means the
    benchmark is the library's model as published, not one tuned by us.

    PyTensor's FAST_COMPILE mode evaluates the graph in Python rather than
    compiling it to C: the same estimates, about as fast as compiled code (a
    few seconds for 2,000 customers, under 20 s for CDNOW's 23,570), and no C
    compilation, which takes about a minute on a machine whose PyTensor cache
    is empty, as CI's may be.

    Args:
        summary: One row per customer with the columns ``customer_id``, ``frequency``, ``recency`` and ``T``.
        seed: Passed to ``pymc.find_MAP``, whose start is the model's initial point (no jitter), so the fit is
            deterministic whatever the seed.

    Returns:
        The point estimates and the wall time of the fit.

    Raises:
        MissingExtra: pymc-marketing is not installed.
    """
    require()
    import pytensor
    from pymc_marketing.clv import BetaGeoModel

    start = time.perf_counter()
    model = BetaGeoModel()
    with pytensor.config.change_flags(mode="FAST_COMPILE"):
        model.fit(summary[COLUMNS], method="map", seed=seed, progressbar=False)
    estimates = {name: float(model.fit_result[name].item()) for name in ("r", "alpha", "a", "b")}
    return BetaGeoFit(**estimates, seconds=time.perf_counter() - start)


#: Starting points of the maximum likelihood search: every combination of these for (r, alpha, a, b).
START_GRID = ((0.2, 2.0), (2.0, 20.0), (0.5, 2.0), (1.0, 5.0))


def log_likelihood(params: np.ndarray, frequency: np.ndarray, recency: np.ndarray, T: np.ndarray) -> np.ndarray:
    """Each customer's BG/NBD log-likelihood (FHL 2005, eq. 6); ``params`` is (r, alpha, a, b), time in weeks."""
    r, alpha, a, b = params
    x, t_x = frequency, recency
    common = gammaln(r + x) - gammaln(r) + r * np.log(alpha) - betaln(a, b)
    survived = betaln(a, b + x) - (r + x) * np.log(alpha + T)
    with np.errstate(invalid="ignore", divide="ignore"):
        dropped = np.where(x > 0, betaln(a + 1, b + np.maximum(x, 1) - 1) - (r + x) * np.log(alpha + t_x), -np.inf)
    return common + np.logaddexp(survived, dropped)


def maximum_likelihood(summary: pd.DataFrame) -> BetaGeoFit:
    """The BG/NBD by maximum likelihood (:func:`sim.clv.likelihood.maximise`), without pymc-marketing's priors.

    The estimates the literature reports (FHL 2005, Table 2) are maximum
    likelihood ones; :func:`fit` is the library's MAP with its default priors,
    close to them on thousands of customers.
    """
    search = maximise(log_likelihood, summary, ("r", "alpha", "a", "b"), START_GRID)
    return BetaGeoFit(**search.values, seconds=search.seconds)


def _expected_new(fit: BetaGeoFit, t: np.ndarray) -> np.ndarray:
    """E[X(t)]: expected repeat purchases of a new customer in its first t weeks (FHL 2005, eq. 9); 0 at t = 0."""
    r, alpha, a, b = fit.r, fit.alpha, fit.a, fit.b
    return (a + b - 1) / (a - 1) * (1 - (alpha / (alpha + t)) ** r * hyp2f1(r, b, a + b - 1, t / (alpha + t)))


def expected_cumulative(fit: BetaGeoFit, birth: np.ndarray, times: np.ndarray) -> np.ndarray:
    """Expected cumulative repeat purchases of a cohort at each of ``times``: the curve FHL 2005 plot.

    Customer i has made its first purchase at ``birth[i]`` weeks after the
    cohort's week 0 (fractional allowed), so at time t it contributes
    E[X(t - birth[i])] if t > birth[i] and nothing before.

    Args:
        fit: The BG/NBD parameters.
        birth: (n,) first-purchase times in weeks since the cohort's week 0.
        times: (m,) weeks since the cohort's week 0 to tally at (the ends of weeks 1, 2, ..., or exact dates).

    Returns:
        (m,) sum over customers of E[X(t - birth_i)] at each t of ``times``.
    """
    return cohort_expectation(lambda age: _expected_new(fit, age), birth, times)


def conditional_expected(fit: BetaGeoFit, summary: pd.DataFrame, horizon: float) -> np.ndarray:
    """Each customer's expected repeat purchases in the ``horizon`` weeks after calibration (FHL 2005, eq. 10).

    This is the per-customer forecast the BG/NBD is used for: it conditions on
    the customer's own (frequency, recency, T), so a customer who bought often
    and recently is expected to buy more than one who went quiet.

    Args:
        fit: The BG/NBD parameters.
        summary: One row per customer with ``frequency``, ``recency`` and ``T``.
        horizon: Weeks after the end of calibration.

    Returns:
        (n,) expected repeat purchases in (T, T + horizon], in the rows' order.
    """
    r, alpha, a, b = fit.r, fit.alpha, fit.a, fit.b
    x = summary["frequency"].to_numpy(dtype=float)
    t_x = summary["recency"].to_numpy(dtype=float)
    big_t = summary["T"].to_numpy(dtype=float)
    t = float(horizon)
    ahead = 1 - ((alpha + big_t) / (alpha + big_t + t)) ** (r + x) * hyp2f1(
        r + x, b + x, a + b + x - 1, t / (alpha + big_t + t)
    )
    alive_odds = (x > 0) * a / (b + np.maximum(x, 1) - 1) * ((alpha + big_t) / (alpha + t_x)) ** (r + x)
    return (a + b + x - 1) / (a - 1) * ahead / (1 + alive_odds)
