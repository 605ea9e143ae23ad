"""Survival of customers: Kaplan-Meier curves of spell length, median tenure with its interval, log-rank tests.

A spell (``tenures.parquet``) ends in the event, the customer leaving
(``churned``: it chose another firm or none, or dropped out of the market),
or is censored: still running at the horizon, or cut short because the firm
exited (the customer did not choose to leave). Every function takes a tenures
frame with ``duration`` and ``churned`` and the grouping columns; an optional
``count`` column weights each row, so the spells of a whole sweep can be
counted in DuckDB (one row per group, duration and outcome) rather than
loaded one by one: the estimates are the same as from the spells themselves.

lifelines 0.30 raises pandas deprecation warnings on every fit; they are
silenced around its calls only.
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import pandas as pd
from lifelines import KaplanMeierFitter
from lifelines.statistics import multivariate_logrank_test
from lifelines.utils import median_survival_times

DURATION = "duration"
EVENT = "churned"
COUNT = "count"


@contextmanager
def _quiet_lifelines() -> Iterator[None]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        yield


@dataclass(frozen=True)
class KaplanMeier:
    """Kaplan-Meier estimates per group.

    ``curves``: one row per group and time (steps) with ``survival`` (the
    share of spells still running) and its pointwise interval ``low`` and
    ``high``. ``medians``: one row per group with ``spells``, ``churned``
    (events), ``median`` tenure and its interval ``low`` and ``high``; a
    median is ``inf`` when fewer than half the spells end in churn within the
    horizon (and a bound likewise).
    """

    curves: pd.DataFrame
    medians: pd.DataFrame


def _weights(tenures: pd.DataFrame) -> np.ndarray:
    return tenures[COUNT].to_numpy(dtype=float) if COUNT in tenures else np.ones(len(tenures))


def kaplan_meier(tenures: pd.DataFrame, by: Sequence[str] = ("firm",), confidence: float = 0.95) -> KaplanMeier:
    """Kaplan-Meier curve and median tenure of each group of spells (groups by the columns ``by``)."""
    by = list(by)
    curves, medians = [], []
    for key, spells in tenures.groupby(by, observed=True, sort=False):
        labels = dict(zip(by, key, strict=True))
        fitter = KaplanMeierFitter(alpha=1 - confidence)
        with _quiet_lifelines():
            fitter.fit(spells[DURATION], event_observed=spells[EVENT].astype(bool), weights=_weights(spells))
            interval = median_survival_times(fitter.confidence_interval_)
        bounds = fitter.confidence_interval_.to_numpy()
        curves.append(pd.DataFrame({**labels, "time": fitter.survival_function_.index.to_numpy(),
                                    "survival": fitter.survival_function_.iloc[:, 0].to_numpy(),
                                    "low": bounds[:, 0], "high": bounds[:, 1]}))
        weights = _weights(spells)
        medians.append({**labels, "spells": float(weights.sum()),
                        "churned": float(weights[spells[EVENT].to_numpy(dtype=bool)].sum()),
                        "median": float(fitter.median_survival_time_),
                        "low": float(interval.iloc[0, 0]), "high": float(interval.iloc[0, 1])})
    return KaplanMeier(pd.concat(curves, ignore_index=True), pd.DataFrame(medians))


def logrank(tenures: pd.DataFrame, by: str = "firm") -> pd.DataFrame:
    """Log-rank tests of equal churn hazards between the groups of ``by``: all at once, then each pair.

    One row per test: ``comparison`` ("all" or "A vs B"), ``test_statistic``
    and ``p_value`` (pairs are not corrected for multiple comparisons).
    """
    groups = list(dict.fromkeys(tenures[by]))
    tests = [("all", groups)] if len(groups) > 2 else []
    tests += [(f"{first} vs {second}", [first, second]) for first, second in itertools.combinations(groups, 2)]
    rows = []
    for comparison, members in tests:
        spells = tenures[tenures[by].isin(members)]
        with _quiet_lifelines():
            result = multivariate_logrank_test(spells[DURATION], spells[by].astype(str), spells[EVENT].astype(bool),
                                               weights=_weights(spells))
        rows.append({"comparison": comparison, "test_statistic": float(result.test_statistic),
                     "p_value": float(result.p_value)})
    return pd.DataFrame(rows, columns=["comparison", "test_statistic", "p_value"])
