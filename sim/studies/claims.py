"""The domain brief's claims, each measured as a paired difference over seeds (ODD section 1).

A claim is a sentence of the brief and a figure that is positive, seed by
seed, when it holds; its verdict (:func:`sim.studies.stats.verdict`) is read
off the 95% interval of that figure's mean. The pair shares a seed (common
random numbers) in one of two ways:

- a *pattern* compares two firms of the same run: each function below takes
  the per-seed, per-firm table of :func:`sim.studies.replications.replicate` and
  returns the interval. Ratings are compared over the months every firm
  traded (``common_nps``), so a firm that exits early is not judged on other
  months than its rivals.
- a *case* compares a scenario from ``conf/scenario/`` with its twin (the
  same market without the case's event): :data:`CASES`, judged by
  :func:`verdicts`.

Nothing here knows which claims the model reproduces: that is measured.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pandas as pd

from sim.config.compose import load_config
from sim.config.schema import SimConfig
from sim.studies.replications import map_runs
from sim.studies.stats import Interval, mean_ci, paired
from sim.world.run import run_model


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


Tables = tuple[pd.DataFrame, pd.DataFrame]
"""One run's ``firms`` and ``segments`` tables."""


@dataclass(frozen=True)
class Claim:
    """A sentence of the brief and the per-seed figure that is positive when it holds.

    ``figure(case, twin, month)`` gets the two runs' tables and the month of
    the case's first event.
    """

    name: str
    text: str
    figure: Callable[[Tables, Tables, int], float]


@dataclass(frozen=True)
class Case:
    """A scenario, the overrides of its twin, and the brief's claims about the pair."""

    scenario: str
    twin: tuple[str, ...]
    claims: tuple[Claim, ...]

    def configs(self, extra: Sequence[str] = ()) -> dict[str, SimConfig]:
        """The case and its twin as configs, with ``extra`` overrides applied to both."""
        base = ["output.tenures=false", *extra]
        return {"case": load_config([f"scenario={self.scenario}", *base]),
                "twin": load_config([*self.twin, *base])}


def _firm(tables: Tables, firm: str) -> pd.DataFrame:
    firms = tables[0]
    return firms[firms["firm"] == firm].set_index("step")


def _profit(tables: Tables, firm: str, first: int = 1, last: int | None = None) -> float:
    """Profit of ``firm`` over months ``first`` to ``last`` (inclusive; ``None``: to the end)."""
    cumulative = _firm(tables, firm)["cumulative_profit"]
    last = int(cumulative.index[-1]) if last is None else last
    before = float(cumulative.loc[first - 1]) if first > 1 else 0.0
    return float(cumulative.loc[last]) - before


def _segment_share(tables: Tables, firm: str, segment: str, month: int | None = None) -> float:
    """``firm``'s share of ``segment`` at ``month`` (``None``: the last month)."""
    segments = tables[1]
    rows = segments[(segments["firm"] == firm) & (segments["segment"] == segment)].set_index("step")["share"]
    return float(rows.iloc[-1] if month is None else rows.loc[month])


def _equity(tables: Tables, firm: str) -> float:
    return float(_firm(tables, firm)["customer_equity"].iloc[-1])


BUSY, ENTHUSIASTS = "busy_solution_seekers", "enthusiasts"

CASES: dict[str, Case] = {
    "best_buy": Case("best_buy", (), (
        Claim("busy_share", "two years after its switch the focused firm holds more of the busy solution seekers "
              "than its no-switch twin",
              lambda case, twin, month: _segment_share(case, "focused", BUSY, month + 24)
              - _segment_share(twin, "focused", BUSY, month + 24)),
        Claim("profit", "its ten-year profit is higher than its twin's despite the transition cost",
              lambda case, twin, month: _profit(case, "focused") - _profit(twin, "focused")),
    )),
    "nokia_apple": Case("nokia_apple", ("scenario=nokia_apple", "events=[]"), (
        Claim("shift_moves_enthusiasts", "the shift moves enthusiasts from the incumbent to the centric rival "
              "(the rival's lead in that segment over the incumbent, against the no-shift twin)",
              lambda case, twin, month: (_segment_share(case, "centric", ENTHUSIASTS)
                                         - _segment_share(case, "focused", ENTHUSIASTS))
              - (_segment_share(twin, "centric", ENTHUSIASTS) - _segment_share(twin, "focused", ENTHUSIASTS))),
        Claim("rival_wins_enthusiasts", "after the shift the centric rival ends with more of the enthusiasts than "
              "the incumbent",
              lambda case, twin, month: _segment_share(case, "centric", ENTHUSIASTS)
              - _segment_share(case, "focused", ENTHUSIASTS)),
        Claim("rival_wins_profit", "after the shift the centric rival's ten-year profit is above the incumbent's",
              lambda case, twin, month: _profit(case, "centric") - _profit(case, "focused")),
        Claim("incumbent_holds_enthusiasts", "with no shift the incumbent ends with more of the enthusiasts than "
              "the centric rival",
              lambda case, twin, month: _segment_share(twin, "focused", ENTHUSIASTS)
              - _segment_share(twin, "centric", ENTHUSIASTS)),
        Claim("incumbent_holds_profit", "with no shift the incumbent's ten-year profit is above the centric rival's",
              lambda case, twin, month: _profit(twin, "focused") - _profit(twin, "centric")),
    )),
    "amazon_prime": Case("amazon_prime", (), (
        Claim("early_profit_lower", "the focused firm's profit in the two years after it starts spending on "
              "retention is lower than its twin's",
              lambda case, twin, month: _profit(twin, "focused", month, month + 23)
              - _profit(case, "focused", month, month + 23)),
        Claim("equity_higher", "its customer equity at the end is higher than its twin's",
              lambda case, twin, month: _equity(case, "focused") - _equity(twin, "focused")),
        Claim("later_profit_higher", "its profit over the last five years is higher than its twin's",
              lambda case, twin, month: _profit(case, "focused", 61) - _profit(twin, "focused", 61)),
    )),
}


def _tables(config: SimConfig, seed: int) -> Tables:
    result = run_model(config, seed)
    return result.firms, result.segments


def figures(case: Case, seeds: Sequence[int], workers: int = 1, extra: Sequence[str] = ()) -> pd.DataFrame:
    """Per-seed figure of every claim of ``case``: one row per seed, one column per claim."""
    configs = case.configs(extra)
    month = min(event.month for event in configs["case"].events)
    runs: dict[str, list[Tables]] = {key: [] for key in configs}
    for key, tables in map_runs(_tables, configs, seeds, workers):
        runs[str(key)].append(tables)
    rows = [{"seed": seed, **{claim.name: claim.figure(pair[0], pair[1], month) for claim in case.claims}}
            for seed, pair in zip(seeds, zip(runs["case"], runs["twin"], strict=True), strict=True)]
    return pd.DataFrame(rows)


def verdicts(case: Case, per_seed: pd.DataFrame) -> pd.DataFrame:
    """Each claim's mean, 95% interval, seeds in its favour and whether it holds (interval above zero)."""
    rows = []
    for claim in case.claims:
        values = per_seed[claim.name]
        interval = mean_ci(values)
        rows.append({"claim": claim.name, "text": claim.text, "mean": interval.mean, "low": interval.low,
                     "high": interval.high, "in_favour": int((values > 0).sum()), "seeds": int(values.size),
                     "holds": interval.low > 0})
    return pd.DataFrame(rows)
