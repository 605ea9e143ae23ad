"""Every interval and paired difference the studies report: one place, one method for each.

Replications are independent runs (one seed each), so a mean over seeds has a
Student t interval; two firms of the same run, or a run and its twin on the
same seed (common random numbers), give paired differences whose interval is
far narrower than that of two independent means. A claim's verdict is read
off the interval of its difference.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

CONFIDENCE = 0.95


@dataclass(frozen=True)
class Interval:
    """A mean with its two-sided confidence interval (Student t across replications)."""

    mean: float
    low: float
    high: float
    n: int

    def __str__(self) -> str:
        return f"{self.mean:,.4g} [{self.low:,.4g}, {self.high:,.4g}] (n={self.n})"


def mean_ci(values: Iterable[float], confidence: float = CONFIDENCE) -> Interval:
    """Mean and t-interval of independent replications (e.g. paired differences across seeds)."""
    data = np.asarray(list(values), dtype=float)
    mean = float(data.mean())
    if data.size < 2 or np.all(data == data[0]):
        return Interval(mean, mean, mean, int(data.size))
    low, high = stats.t.interval(confidence, data.size - 1, loc=mean, scale=stats.sem(data))
    return Interval(mean, float(low), float(high), int(data.size))


def difference_ci(first: Iterable[float], second: Iterable[float], confidence: float = CONFIDENCE) -> Interval:
    """Difference of the means of two independent sets of replications, with Welch's t-interval."""
    a, b = np.asarray(list(first), dtype=float), np.asarray(list(second), dtype=float)
    mean, n = float(a.mean() - b.mean()), int(min(a.size, b.size))
    if a.var() + b.var() == 0:
        return Interval(mean, mean, mean, n)
    low, high = stats.ttest_ind(a, b, equal_var=False).confidence_interval(confidence)
    return Interval(mean, float(low), float(high), n)


def t_interval(mean: pd.Series, sd: pd.Series, n: pd.Series, confidence: float = CONFIDENCE) -> tuple:
    """Student t interval of means from their standard deviations and counts; a point where it is undefined.

    Equal to :func:`sim.studies.replications.mean_ci` on the values themselves: one
    value, or values all equal, give an interval of zero width.
    """
    n = n.astype(float)
    spread = sd.fillna(0.0).where(n > 1, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        half = stats.t.ppf(0.5 + confidence / 2, np.maximum(n - 1, 1)) * spread / np.sqrt(n)
    return mean - half, mean + half


def paired(frame: pd.DataFrame, column: str, first: str, second: str) -> pd.Series:
    """Per-seed difference ``first - second`` of ``column`` between two firms."""
    wide = frame.pivot(index="seed", columns="firm", values=column)
    return wide[first] - wide[second]


def intervals(runs: pd.DataFrame, by: Sequence[str], outcomes: Sequence[str]) -> pd.DataFrame:
    """Mean and 95% t-interval over seeds of each outcome per group: one row per group and outcome."""
    rows = []
    for key, group in runs.groupby(list(by), sort=False):
        labels = dict(zip(by, key if isinstance(key, tuple) else (key,), strict=True))
        for outcome in outcomes:
            interval = mean_ci(group[outcome].dropna())
            rows.append({**labels, "outcome": outcome, "mean": interval.mean, "low": interval.low,
                         "high": interval.high, "n": interval.n})
    return pd.DataFrame(rows)


def paired_differences(runs: pd.DataFrame, first: str, second: str, outcomes: Sequence[str],
                       by: Sequence[str] = ()) -> pd.DataFrame:
    """Per group and outcome: ``first`` minus ``second`` firm, paired seed by seed (common random numbers).

    ``ahead`` counts the seeds in which ``first`` is strictly above ``second``.
    """
    groups = runs.groupby(list(by), sort=False) if by else [((), runs)]
    rows = []
    for key, group in groups:
        labels = dict(zip(by, key if isinstance(key, tuple) else (key,), strict=True))
        for outcome in outcomes:
            difference = paired(group, outcome, first, second).dropna()
            interval = mean_ci(difference)
            rows.append({**labels, "first": first, "second": second, "outcome": outcome, "mean": interval.mean,
                         "low": interval.low, "high": interval.high, "ahead": int((difference > 0).sum()),
                         "seeds": int(difference.size)})
    return pd.DataFrame(rows)


def verdict(interval: Interval) -> str:
    """``holds`` (interval above zero), ``reverses`` (below zero) or ``fails`` (around zero)."""
    if interval.low > 0:
        return "holds"
    if interval.high < 0:
        return "reverses"
    return "fails"


def leader(low: float, high: float, first: str, second: str) -> str:
    """Which of two firms the interval of ``first - second`` favours, or that it cannot tell."""
    if low > 0:
        return f"{first} ahead"
    if high < 0:
        return f"{second} ahead"
    return "no clear difference"


def interval_text(mean: float, low: float, high: float, formatter: Callable[[float], str]) -> str:
    """``mean [low, high]`` in one formatter."""
    return f"{formatter(mean)} [{formatter(low)}, {formatter(high)}]"


def ratio_interval(numerator: np.ndarray, denominator: np.ndarray, confidence: float = CONFIDENCE,
                   resamples: int = 4000, seed: int = 0) -> tuple[float, float, float]:
    """Ratio of two paired means, mean(numerator) / mean(denominator), with a percentile bootstrap interval.

    Seeds are resampled together (both figures of a seed stay paired); the
    bootstrap is seeded so the interval repeats. A ratio has no t-interval,
    and per-seed ratios explode when a seed's denominator is near zero. All
    three are NaN when the denominator's mean is zero (the ratio is undefined).
    """
    numerator, denominator = np.asarray(numerator, dtype=float), np.asarray(denominator, dtype=float)
    if denominator.mean() == 0:
        return math.nan, math.nan, math.nan
    ratio = float(numerator.mean() / denominator.mean())
    picks = np.random.default_rng(seed).integers(0, numerator.size, size=(resamples, numerator.size))
    with np.errstate(divide="ignore", invalid="ignore"):
        ratios = numerator[picks].mean(axis=1) / denominator[picks].mean(axis=1)
    tail = (1 - confidence) / 2
    low, high = np.nanquantile(ratios, [tail, 1 - tail])
    return ratio, float(low), float(high)
