"""Replications of one configuration over many seeds, and confidence intervals across them.

Each replication is an independent call of :func:`sim.run.run_model` (in
worker processes when ``workers > 1``); results are identical whichever way
they are run, because a run is a pure function of config and seed.
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from sim.config import SimConfig
from sim.run import run_model


def _firm_rows(config: SimConfig, seed: int) -> list[dict[str, Any]]:
    summary = run_model(config, seed=seed).summary
    rows = []
    for firm in summary["firms"]:
        row = {key: value for key, value in firm.items() if key != "segment_retention"}
        row.update({f"retention_{segment}": value for segment, value in firm["segment_retention"].items()})
        rows.append({"seed": seed, **row})
    return rows


def replicate(config: SimConfig, seeds: Iterable[int], workers: int = 1) -> pd.DataFrame:
    """Per-firm headline figures, one row per seed and firm (the summary of each run)."""
    seeds = list(seeds)
    if workers > 1:
        with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
            batches = list(pool.map(_firm_rows, [config] * len(seeds), seeds))
    else:
        batches = [_firm_rows(config, seed) for seed in seeds]
    return pd.DataFrame([row for batch in batches for row in batch])


@dataclass(frozen=True)
class Interval:
    """A mean with its two-sided confidence interval (Student t across replications)."""

    mean: float
    low: float
    high: float
    n: int

    def __str__(self) -> str:
        return f"{self.mean:,.4g} [{self.low:,.4g}, {self.high:,.4g}] (n={self.n})"


def mean_ci(values: Iterable[float], confidence: float = 0.95) -> Interval:
    """Mean and t-interval of independent replications (e.g. paired differences across seeds)."""
    data = np.asarray(list(values), dtype=float)
    mean = float(data.mean())
    if data.size < 2 or np.all(data == data[0]):
        return Interval(mean, mean, mean, int(data.size))
    low, high = stats.t.interval(confidence, data.size - 1, loc=mean, scale=stats.sem(data))
    return Interval(mean, float(low), float(high), int(data.size))


def paired(frame: pd.DataFrame, column: str, first: str, second: str) -> pd.Series:
    """Per-seed difference ``first - second`` of ``column`` between two firms."""
    wide = frame.pivot(index="seed", columns="firm", values=column)
    return wide[first] - wide[second]
