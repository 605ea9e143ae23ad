"""Survival of customers: Kaplan-Meier curves of spell length, median tenure, restricted mean tenure per run, tests.

A spell (``tenures.parquet``) ends in one of three causes, its ``ended_by``:
the customer leaving (``churn``: it chose another firm or none; ``dropout``:
it left the market) or the firm exiting (``exit``: its customers' spells end
with it). A spell still running at the horizon is ``censored``. By default
every cause counts as the end of a spell: a firm that goes out of business
keeps none of its customers, and censoring them at its exit would credit it
with the tenure they would have had had it survived (a median "not
reached" for a firm gone within a year). ``ends`` chooses the causes, e.g.
``LEAVING`` alone for the cause-specific curve of leaving, exit censored.

Every function takes a tenures frame with ``duration`` and ``ended_by`` and
the grouping columns; an optional ``count`` column weights each row, so the
spells of a whole sweep can be counted in DuckDB (one row per group,
duration and cause) rather than loaded one by one: the estimates are the
same as from the spells themselves.

The customers of one run share a market, so they are not independent units:
a test that pools them (:func:`logrank`) describes one run, and its p-value
shrinks to 0 with the number of simulated customers whatever the seeds say.
Firms are compared across runs by :func:`paired_runs`, which takes one value
per run (:func:`restricted_mean`) and treats the seeds as the replications.

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
from scipy.stats import wilcoxon

from sim.world.recorder import LEAVING

DURATION = "duration"
ENDING = "ended_by"
COUNT = "count"
#: The causes that end a spell by default: the customer leaving, or the firm exiting.
ENDS = (*LEAVING, "exit")


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
    (ended by the customer leaving), ``exited`` (ended by the firm's exit),
    ``median`` tenure and its interval ``low`` and ``high``; a median is
    ``inf`` when fewer than half the spells end within the horizon (and a
    bound likewise).
    """

    curves: pd.DataFrame
    medians: pd.DataFrame


def _weights(tenures: pd.DataFrame) -> np.ndarray:
    return tenures[COUNT].to_numpy(dtype=float) if COUNT in tenures else np.ones(len(tenures))


def _ended(tenures: pd.DataFrame, ends: Sequence[str]) -> np.ndarray:
    """Whether each spell ended in one of the causes ``ends`` (the event); the others are censored."""
    return tenures[ENDING].astype(str).isin(list(ends)).to_numpy()


def kaplan_meier(tenures: pd.DataFrame, by: Sequence[str] = ("firm",), confidence: float = 0.95,
                 ends: Sequence[str] = ENDS) -> KaplanMeier:
    """Kaplan-Meier curve and median tenure of each group of spells (groups by the columns ``by``)."""
    by = list(by)
    curves, medians = [], []
    for key, spells in tenures.groupby(by, observed=True, sort=False):
        labels = dict(zip(by, key, strict=True))
        weights = _weights(spells)
        fitter = KaplanMeierFitter(alpha=1 - confidence)
        with _quiet_lifelines():
            fitter.fit(spells[DURATION], event_observed=_ended(spells, ends), weights=weights)
            interval = median_survival_times(fitter.confidence_interval_)
        bounds = fitter.confidence_interval_.to_numpy()
        curves.append(pd.DataFrame({**labels, "time": fitter.survival_function_.index.to_numpy(),
                                    "survival": fitter.survival_function_.iloc[:, 0].to_numpy(),
                                    "low": bounds[:, 0], "high": bounds[:, 1]}))
        medians.append({**labels, "spells": float(weights.sum()),
                        "churned": float(weights[_ended(spells, LEAVING)].sum()),
                        "exited": float(weights[_ended(spells, ("exit",))].sum()),
                        "median": float(fitter.median_survival_time_),
                        "low": float(interval.iloc[0, 0]), "high": float(interval.iloc[0, 1])})
    return KaplanMeier(pd.concat(curves, ignore_index=True), pd.DataFrame(medians))


def restricted_mean(tenures: pd.DataFrame, by: Sequence[str], horizon: float,
                    ends: Sequence[str] = ENDS) -> pd.DataFrame:
    """Restricted mean tenure of each group: the area under its Kaplan-Meier curve from 0 to ``horizon`` months.

    The months a customer stays, on average, within the horizon. Unlike the
    median it is defined whether or not half the spells end, so it gives a
    value for every firm in every run; past a group's last spell the curve
    is held at its last value. One row per group: the ``by`` columns and
    ``restricted_mean``. Computed from counted spells in one pass per group
    (thousands of runs' groups in a report), equal to lifelines'
    ``restricted_mean_survival_time``.
    """
    by = list(by)
    weights = _weights(tenures)
    counted = pd.DataFrame({**{name: tenures[name].to_numpy() for name in by},
                            "time": tenures[DURATION].to_numpy(dtype=float),
                            "events": weights * _ended(tenures, ends), "total": weights})
    counted = counted.groupby([*by, "time"], observed=True, sort=True)[["events", "total"]].sum().reset_index()
    rows = []
    for key, group in counted.groupby(by, observed=True, sort=False):
        times = group["time"].to_numpy()
        at_risk = group["total"].to_numpy()[::-1].cumsum()[::-1]
        levels = np.r_[1.0, np.cumprod(1.0 - group["events"].to_numpy() / at_risk)]
        starts, stops = np.minimum(np.r_[0.0, times], horizon), np.minimum(np.r_[times, horizon], horizon)
        rows.append({**dict(zip(by, key, strict=True)), "restricted_mean": float((levels * (stops - starts)).sum())})
    return pd.DataFrame(rows, columns=[*by, "restricted_mean"])


def paired_runs(values: pd.DataFrame, order: Sequence[str], value: str = "restricted_mean", by: str = "firm",
                unit: str = "job") -> pd.DataFrame:
    """Each pair of groups compared run by run: Wilcoxon signed-rank test of the paired differences of ``value``.

    ``values`` has one row per run (``unit``) and group (``by``). Runs are the
    independent replications, so the test counts seeds, not customers: with
    n runs the smallest two-sided p-value is 2 / 2^n. Signed ranks assume no
    normal distribution of the differences. One row per pair (``order``
    gives the groups, ``first`` before ``second``): ``runs`` (in which both
    have a value), ``mean_difference`` (first - second), ``first_higher``,
    ``second_higher``, ``statistic`` and ``p_value`` (1 when every difference
    is 0, NaN without a common run; pairs not corrected for multiple
    comparisons).
    """
    wide = values.pivot_table(index=unit, columns=by, values=value, aggfunc="first", observed=True)
    rows = []
    for first, second in itertools.combinations([name for name in order if name in wide.columns], 2):
        difference = (wide[first] - wide[second]).dropna()
        if not (difference != 0).any():
            statistic, p_value = (np.nan, np.nan) if difference.empty else (0.0, 1.0)
        else:
            result = wilcoxon(difference)
            statistic, p_value = float(result.statistic), float(result.pvalue)
        rows.append({"first": first, "second": second, "runs": int(difference.size),
                     "mean_difference": float(difference.mean()) if len(difference) else np.nan,
                     "first_higher": int((difference > 0).sum()), "second_higher": int((difference < 0).sum()),
                     "statistic": statistic, "p_value": p_value})
    return pd.DataFrame(rows, columns=["first", "second", "runs", "mean_difference", "first_higher", "second_higher",
                                       "statistic", "p_value"])


def logrank(tenures: pd.DataFrame, by: str = "firm", ends: Sequence[str] = ENDS) -> pd.DataFrame:
    """Log-rank tests of equal hazards of ending between the groups of ``by`` in one run: all at once, then each pair.

    Each spell counts as an independent unit, which the customers of one run
    are not quite (they share a market), and those of several runs pooled
    still less: compare runs with :func:`paired_runs`. One row per test:
    ``comparison`` ("all" or "A vs B"), ``test_statistic`` and ``p_value``
    (pairs are not corrected for multiple comparisons).
    """
    groups = list(dict.fromkeys(tenures[by]))
    tests = [("all", groups)] if len(groups) > 2 else []
    tests += [(f"{first} vs {second}", [first, second]) for first, second in itertools.combinations(groups, 2)]
    rows = []
    for comparison, members in tests:
        spells = tenures[tenures[by].isin(members)]
        with _quiet_lifelines():
            result = multivariate_logrank_test(spells[DURATION], spells[by].astype(str), _ended(spells, ends),
                                               weights=_weights(spells))
        rows.append({"comparison": comparison, "test_statistic": float(result.test_statistic),
                     "p_value": float(result.p_value)})
    return pd.DataFrame(rows, columns=["comparison", "test_statistic", "p_value"])
