"""The domain brief's patterns as statistics over replications (ODD section 1).

Each function takes the per-seed, per-firm table of :func:`sim.replicate.replicate`
and returns an :class:`~sim.replicate.Interval` of a paired difference across
seeds; a pattern holds when the interval lies above zero.
"""

from __future__ import annotations

import pandas as pd

from sim.replicate import Interval, mean_ci, paired


def centric_profit_lead(runs: pd.DataFrame) -> Interval:
    """(a) Cumulative profit, centric minus focused."""
    return mean_ci(paired(runs, "cumulative_profit", "centric", "focused"))


def obsessed_nps_lead(runs: pd.DataFrame) -> Interval:
    """(b) Mean NPS, obsessed minus the better of the other firms."""
    nps = runs.pivot(index="seed", columns="firm", values="mean_nps")
    others = nps.drop(columns="obsessed").max(axis=1)
    return mean_ci(nps["obsessed"] - others)


def obsessed_profit_shortfall(runs: pd.DataFrame) -> Interval:
    """(b) Cumulative profit, centric minus obsessed."""
    return mean_ci(paired(runs, "cumulative_profit", "centric", "obsessed"))


def focused_first_year_lead(runs: pd.DataFrame) -> Interval:
    """(c) First-year profit, focused minus centric."""
    return mean_ci(paired(runs, "first_year_profit", "focused", "centric"))


def centric_target_retention_lead(runs: pd.DataFrame) -> Interval:
    """(d) Centric's retention of its main target segment minus the best other firm-segment retention."""
    columns = [c for c in runs.columns if c.startswith("retention_")]
    margins = []
    for _, seed_runs in runs.groupby("seed"):
        by_firm = seed_runs.set_index("firm")[[*columns, "main_target_segment"]]
        target = f"retention_{by_firm.loc['centric', 'main_target_segment']}"
        pairs = by_firm[columns].stack()
        margins.append(pairs[("centric", target)] - pairs.drop(("centric", target)).max())
    return mean_ci(margins)


def focused_profit_lead(runs: pd.DataFrame) -> Interval:
    """Counter-scenario: cumulative profit, focused minus centric."""
    return mean_ci(paired(runs, "cumulative_profit", "focused", "centric"))


DEFAULT_MARKET = {
    "(a) centric profit - focused profit": centric_profit_lead,
    "(b) obsessed NPS - best other NPS": obsessed_nps_lead,
    "(b) centric profit - obsessed profit": obsessed_profit_shortfall,
    "(c) focused year-1 profit - centric year-1 profit": focused_first_year_lead,
    "(d) centric target retention - best other firm x segment": centric_target_retention_lead,
}
COUNTER = {"counter: focused profit - centric profit": focused_profit_lead}
