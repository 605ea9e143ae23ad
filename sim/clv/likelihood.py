"""Maximum likelihood for customer-base models: a multi-start search over the logs of positive parameters.

The Pareto/NBD and BG/NBD log-likelihoods have closed forms but no closed-form
maximum, and a single start can stall; every fit here starts from each point
of a grid and says how many starts reached the best optimum, the evidence a
reader has that it is the global one.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import minimize

#: Two starts agree when their total log-likelihoods differ by less than this.
AGREEMENT = 1e-3
#: The search's bounds on the log of every parameter.
LOG_BOUNDS = (-9.0, 9.0)
#: The standard normal quantile of a two-sided 95% interval.
Z95 = 1.959963984540054

LogLikelihood = Callable[..., np.ndarray]
#: The summary columns a purchase-process likelihood reads: a customer's (x, t_x, T).
PROCESS_COLUMNS = ("frequency", "recency", "T")


@dataclass(frozen=True)
class Estimate:
    """The best of a multi-start search.

    Attributes:
        values: the estimate of each parameter, by name.
        log_likelihood: the summed log-likelihood there.
        customers: how many customers it was fitted to.
        starts: searches begun, one per grid point.
        agreeing: searches that ended within :data:`AGREEMENT` of the best.
        seconds: wall time of all the searches.
        intervals: each parameter's 95% confidence interval, from the curvature of the log-likelihood at the
            best (the observed information) on the log scale, so it stays positive; ``nan`` where the
            curvature cannot be inverted.
    """

    values: dict[str, float]
    log_likelihood: float
    customers: int
    starts: int
    agreeing: int
    seconds: float
    intervals: dict[str, tuple[float, float]]


def maximise(log_likelihood: LogLikelihood, summary: pd.DataFrame, names: Sequence[str],
             grid: Sequence[Sequence[float]], columns: Sequence[str] = PROCESS_COLUMNS) -> Estimate:
    """Maximise ``log_likelihood(params, *columns)`` summed over ``summary``'s customers.

    L-BFGS-B on the logs of the parameters from every combination of the
    ``grid`` values (one sequence per parameter). The objective is the mean
    over customers, so the first steps are of a sensible size whatever the
    number of customers.
    """
    started = time.perf_counter()
    data = [summary[column].to_numpy(dtype=float) for column in columns]
    customers = len(summary)

    def objective(logs: np.ndarray) -> float:
        value = -float(log_likelihood(np.exp(logs), *data).mean())
        return value if np.isfinite(value) else 1e300

    starts = np.log(np.array(np.meshgrid(*grid)).reshape(len(names), -1).T)
    results = [minimize(objective, start, method="L-BFGS-B", bounds=[LOG_BOUNDS] * len(names)) for start in starts]
    best = min(results, key=lambda result: result.fun)
    agreeing = sum(abs(result.fun - best.fun) * customers < AGREEMENT for result in results)
    errors = _log_errors(lambda logs: objective(logs) * customers, best.x)
    intervals = {name: (float(np.exp(value - Z95 * error)), float(np.exp(value + Z95 * error)))
                 for name, value, error in zip(names, best.x, errors, strict=True)}
    return Estimate(values=dict(zip(names, np.exp(best.x).tolist(), strict=True)),
                    log_likelihood=-float(best.fun) * customers, customers=customers, starts=len(results),
                    agreeing=int(agreeing), seconds=time.perf_counter() - started, intervals=intervals)


def _log_errors(negative: Callable[[np.ndarray], float], at: np.ndarray, step: float = 1e-3) -> np.ndarray:
    """Standard errors of the log-parameters: the inverse Hessian of the negative log-likelihood, by differences."""
    size = at.size
    hessian = np.empty((size, size))
    shifts = np.eye(size) * step
    for i in range(size):
        for j in range(i, size):
            hessian[i, j] = hessian[j, i] = (
                negative(at + shifts[i] + shifts[j]) - negative(at + shifts[i] - shifts[j])
                - negative(at - shifts[i] + shifts[j]) + negative(at - shifts[i] - shifts[j])
            ) / (4 * step * step)
    try:
        variance = np.diag(np.linalg.inv(hessian))
    except np.linalg.LinAlgError:
        return np.full(size, np.nan)
    return np.sqrt(np.where(variance > 0, variance, np.nan))


def cohort_expectation(expected_new: Callable[[np.ndarray], np.ndarray], birth: np.ndarray,
                       times: np.ndarray) -> np.ndarray:
    """(m,) a cohort's expected cumulative repeat purchases at each of ``times`` (weeks since its week 0).

    A customer born at ``birth[i]`` contributes ``expected_new(t - birth[i])``
    (a model's E[X(t)] for a new customer) once t passes its birth, nothing
    before; customers born on the same day are counted together.
    """
    births, counts = np.unique(np.asarray(birth, dtype=float), return_counts=True)
    age = np.asarray(times, dtype=float)[:, None] - births[None, :]
    return expected_new(np.clip(age, 0.0, None)) @ counts
