"""Convergence in resolution: one market simulated with more and more customers.

``market.customers`` is a resolution setting: with ``market.total_customers``
fixed, results are in real units and should agree, within their intervals,
at every number of simulated customers large enough to be trusted. These
functions take the per-seed table of :func:`sim.studies.replications.replicate_many`
keyed by the number of simulated customers.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pandas as pd

from sim.config.compose import load_config
from sim.studies.replications import replicate_many
from sim.studies.stats import difference_ci, mean_ci

HEADLINES = ("cumulative_profit", "annual_retention", "common_nps")


def run(sizes: Sequence[int], seeds: Iterable[int], overrides: Sequence[str] = (), workers: int = 1) -> pd.DataFrame:
    """Per-seed, per-firm summaries of the market of ``overrides`` at each number of simulated customers."""
    configs = {size: load_config([*overrides, f"market.customers={size}"]) for size in sizes}
    runs = replicate_many(configs, seeds, workers)
    return runs.rename(columns={"config": "customers"})


def summarise(runs: pd.DataFrame, headlines: Sequence[str] = HEADLINES) -> pd.DataFrame:
    """Mean and 95% interval of each headline by size and firm, with the share of runs the firm survived."""
    rows = []
    for (size, firm), group in runs.groupby(["customers", "firm"], sort=False):
        row: dict[str, object] = {"customers": size, "firm": firm, "survived": group["alive"].mean()}
        for headline in headlines:
            interval = mean_ci(group[headline])
            row.update({headline: interval.mean, f"{headline}_low": interval.low, f"{headline}_high": interval.high})
        rows.append(row)
    return pd.DataFrame(rows)


def winner_order(runs: pd.DataFrame, size: int) -> tuple[str, ...]:
    """Firms from the highest mean cumulative profit to the lowest, at ``size`` simulated customers."""
    means = runs[runs["customers"] == size].groupby("firm", sort=False)["cumulative_profit"].mean()
    return tuple(means.sort_values(ascending=False).index)


def agreement(
    runs: pd.DataFrame, first: int, second: int, headlines: Sequence[str] = HEADLINES, confidence: float = 0.95
) -> pd.DataFrame:
    """Each firm's headline at ``first`` minus at ``second`` simulated customers (Welch interval).

    ``agrees`` is true when the interval of the difference contains zero.
    Pass a Bonferroni ``confidence`` (``1 - 0.05 / comparisons``) to judge
    all the comparisons together.
    """
    rows = []
    for firm, group in runs.groupby("firm", sort=False):
        for headline in headlines:
            values = {size: group.loc[group["customers"] == size, headline].dropna() for size in (first, second)}
            interval = difference_ci(values[first], values[second], confidence)
            rows.append({"firm": firm, "headline": headline, "difference": interval.mean,
                         "low": interval.low, "high": interval.high,
                         "agrees": bool(interval.low <= 0 <= interval.high)})
    return pd.DataFrame(rows)
