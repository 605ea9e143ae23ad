"""The domain cases as paired studies: each case scenario against its twin, claim by claim.

A case is a scenario from ``conf/scenario/`` and the twin it is judged
against (the same market without the case's event), run on the same seeds
(common random numbers). Each claim of the domain brief is a figure computed
from one seed's pair of runs that is positive when the claim holds for that
seed; a claim holds over the study when the 95% interval of its mean is above
zero. Nothing here knows which claims the model reproduces: that is measured.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pandas as pd

from sim.config.compose import load_config
from sim.config.schema import SimConfig
from sim.studies.replicate import map_runs
from sim.studies.stats import mean_ci
from sim.world.run import run_model

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
