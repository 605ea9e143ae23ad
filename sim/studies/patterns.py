"""The domain brief's patterns as statistics over replications (ODD section 1).

Each function takes the per-seed, per-firm table of :func:`sim.studies.replicate.replicate`
and returns an :class:`~sim.studies.replicate.Interval` of a paired difference across
seeds; a pattern holds when the interval lies above zero. Ratings are
compared over the months every firm traded (``common_nps``), so a firm that
exits early is not judged on other months than its rivals.
"""

from __future__ import annotations

import pandas as pd

from sim.studies.stats import Interval, mean_ci, paired


def centric_profit_lead(runs: pd.DataFrame) -> Interval:
    """(a) Cumulative profit, centric minus focused."""
    return mean_ci(paired(runs, "cumulative_profit", "centric", "focused"))


def _lead_over_best_other(runs: pd.DataFrame, column: str, firm: str, lower_is_better: bool = False) -> Interval:
    """Per-seed margin of ``firm`` over the best of the other firms on ``column``."""
    wide = runs.pivot(index="seed", columns="firm", values=column)
    others = wide.drop(columns=firm)
    if lower_is_better:
        return mean_ci(others.min(axis=1) - wide[firm])
    return mean_ci(wide[firm] - others.max(axis=1))


def obsessed_nps_lead(runs: pd.DataFrame) -> Interval:
    """(b) Mean NPS over the months all firms trade, obsessed minus the better of the other firms."""
    return _lead_over_best_other(runs, "common_nps", "obsessed")


def obsessed_nps_lead_over_focused(runs: pd.DataFrame) -> Interval:
    """(b) Mean NPS over the months all firms trade, obsessed minus focused."""
    return mean_ci(paired(runs, "common_nps", "obsessed", "focused"))


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


def low_cost_rated_worst(runs: pd.DataFrame) -> Interval:
    """Ryanair: the lowest other NPS minus the low-cost firm's, over the months all firms trade."""
    return _lead_over_best_other(runs, "common_nps", "lowcost", lower_is_better=True)


def low_cost_wins_price_first(runs: pd.DataFrame) -> Interval:
    """Ryanair: the low-cost firm's final share of price_first minus the largest other firm's."""
    return _lead_over_best_other(runs, "final_share_price_first", "lowcost")


def low_cost_profit(runs: pd.DataFrame) -> Interval:
    """Ryanair: the low-cost firm's cumulative profit."""
    return mean_ci(runs.loc[runs["firm"] == "lowcost", "cumulative_profit"])


DEFAULT_MARKET = {
    "(a) centric profit - focused profit": centric_profit_lead,
    "(b) obsessed NPS - best other NPS": obsessed_nps_lead,
    "(b) obsessed NPS - focused NPS": obsessed_nps_lead_over_focused,
    "(b) centric profit - obsessed profit": obsessed_profit_shortfall,
    "(c) focused year-1 profit - centric year-1 profit": focused_first_year_lead,
    "(d) centric target retention - best other firm x segment": centric_target_retention_lead,
}
COUNTER = {"counter: focused profit - centric profit": focused_profit_lead}
RYANAIR = {
    "ryanair: lowest other NPS - low-cost NPS": low_cost_rated_worst,
    "ryanair: low-cost price_first share - largest other": low_cost_wins_price_first,
    "ryanair: low-cost cumulative profit": low_cost_profit,
}
