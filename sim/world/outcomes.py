"""The headline outcomes of a run: one table says what each is, one function computes them from the tables.

Every printer (``market-sim``'s table, compare, the sweep report, convergence,
sensitivity, the ready-made studies) reads its labels, units and formats here,
so a figure is called and shown the same way wherever it appears. The window
says which months an outcome is judged over: comparing firms' NPS is fair only
over the months all of them traded.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sim.world.metrics import retention_rate

MONEY, PRICE, SHARE, RATE, POINTS, CUSTOMERS = "money", "price", "share", "rate", "points", "customers"


@dataclass(frozen=True)
class Outcome:
    """One headline figure of a firm in a run (a field of ``summary.json``'s ``firms`` rows).

    Attributes:
        name: the field's name in the summary, the run table and the store.
        label: how sentences and tables name it.
        heading: a short column heading for a printed table.
        unit: ``money`` (real units), ``price`` (per unit of customer spend),
            ``share`` (0-1 of the market), ``rate`` (0-1 per period) or
            ``points`` (NPS -100..100, satisfaction 0-1) or ``customers``
            (real potential customers).
        window: the months it is judged over.
    """

    name: str
    label: str
    heading: str
    unit: str
    window: str

    def show(self, value: float) -> str:
        """``value`` as a reader should see it: money in millions with its unit, shares and rates to 3 places."""
        return _shown(self.unit, value, "")

    def show_change(self, value: float) -> str:
        """A difference of this outcome, with its sign (``+32.5 M``, ``-0.012``)."""
        return _shown(self.unit, value, "+")


def money(value: float) -> str:
    """Money in millions, as the README quotes it (``32.5 M``); below 0.1 M in thousands (``7.4 k``)."""
    return _shown(MONEY, value, "")


def money_change(value: float) -> str:
    """A difference of money in millions, with its sign (``+32.5 M``)."""
    return _shown(MONEY, value, "+")


def _shown(unit: str, value: float, sign: str) -> str:
    if unit == MONEY:
        if abs(value) >= 1e5:
            return f"{value / 1e6:{sign},.1f} M"
        return f"{value / 1e3:{sign},.1f} k" if abs(value) >= 1e3 else f"{value:{sign},.0f}"
    if unit == CUSTOMERS:
        return f"{value:{sign},.0f}"
    if unit in (PRICE, SHARE, RATE):
        return f"{value:{sign}.3f}"
    return f"{value:{sign}.1f}"


OUTCOMES: dict[str, Outcome] = {outcome.name: outcome for outcome in (
    Outcome("cumulative_profit", "cumulative profit", "cum. profit", MONEY, "whole run"),
    Outcome("first_year_profit", "first-year profit", "year-1 profit", MONEY, "first year"),
    Outcome("final_share", "final share", "final share", SHARE, "final month"),
    Outcome("mean_retention", "monthly retention", "retention/mo", RATE, "whole run"),
    Outcome("annual_retention", "annual retention", "retention/yr", RATE, "whole run"),
    Outcome("mean_nps", "NPS (own months)", "NPS own months", POINTS, "months the firm trades"),
    Outcome("mean_satisfaction", "satisfaction (own months)", "satisf. own months", POINTS,
            "months the firm trades"),
    Outcome("common_nps", "NPS (months all firms trade)", "NPS all trade", POINTS, "months all firms trade"),
    Outcome("common_satisfaction", "satisfaction (months all firms trade)", "satisf. all trade", POINTS,
            "months all firms trade"),
    Outcome("final_customer_equity", "final customer equity", "customer equity", MONEY, "final month"),
    Outcome("mean_price", "mean price", "mean price", PRICE, "months the firm trades"),
    Outcome("final_price", "final price", "final price", PRICE, "last month the firm trades"),
    Outcome("no_firm_share", "share buying from nobody", "no firm", SHARE, "final month"),
    Outcome("market_size", "market size", "market size", CUSTOMERS, "final month"),
)}


def headline_table(summary: dict[str, Any], outcomes: tuple[str, ...] | list[str]) -> pd.DataFrame:
    """A run's per-firm ``outcomes`` as its printout and its page show them: firm, strategy, each figure, target."""
    return pd.DataFrame([{"firm": row["firm"], "strategy": row["strategy"],
                          **{OUTCOMES[name].heading: OUTCOMES[name].show(row[name]) for name in outcomes},
                          "target": row["main_target_segment"]} for row in summary["firms"]])


def nobody_sentence(summary: dict[str, Any]) -> str:
    """The share of a run's potential customers buying from nobody at the end, of how many (and how many at first)."""
    market = summary["firms"][0]
    started, size = summary["total_customers"], market["market_size"]
    change = "" if round(size) == started else f" (it started with {started:,})"
    return f"buying from nobody at the end: {market['no_firm_share']:.1%} of {size:,.0f} potential customers{change}"


def exits(firms: pd.DataFrame) -> pd.DataFrame:
    """The ``firm`` and ``step`` of each exit in a firms table: a step in which a firm that was trading is not alive.

    A firm outside the market before it enters has not exited; each exit is
    one row however many months the table runs on after it.
    """
    ordered = firms.sort_values("step", kind="stable")
    alive = ordered["alive"].astype(bool)
    was_alive = alive.groupby(ordered["firm"], observed=True).shift(1, fill_value=False).astype(bool)
    return ordered.loc[was_alive & ~alive, ["firm", "step"]]


def firm_outcomes(firms: pd.DataFrame, segments: pd.DataFrame, steps_per_year: int) -> list[dict[str, Any]]:
    """Every outcome of :data:`OUTCOMES` per firm, with the firm's strategy, survival, target and segment figures.

    NPS and satisfaction are given over each firm's own trading months and,
    for comparisons between firms, over the months every firm traded (the
    common window), so a firm that exits early is not judged on other months.
    ``no_firm_share`` and ``market_size`` (real potential customers present)
    are the market's, the same in every firm's row: beside a firm's profit
    they show whether a gain came from emptying or shrinking the market.
    """
    rows = []
    final = firms[firms["step"] == firms["step"].max()].set_index("firm")
    all_trading = firms.groupby("step")["alive"].transform("all") | (firms["step"] == firms["step"].min())
    no_firm_share = float(1.0 - final.loc[final["alive"], "share"].sum())
    for name, history in firms.groupby("firm", observed=True, sort=False):
        trading = history[history["alive"] | (history["step"] == history["step"].min())]
        common = history[all_trading.loc[history.index]]
        mine = segments[segments["firm"] == name]
        by_segment = mine.groupby("segment", observed=True)[["at_risk", "lost"]].sum()
        segment_retention = retention_rate(by_segment["at_risk"].to_numpy(), by_segment["lost"].to_numpy())
        monthly = retention_rate(by_segment["at_risk"].sum(), by_segment["lost"].sum())
        targets = history["target_segment"][history["target_segment"] != ""]
        first_year = history[history["step"] <= steps_per_year]
        rows.append({
            "firm": name,
            "strategy": "->".join(dict.fromkeys(history["strategy"].astype(str))),
            "cumulative_profit": float(final.loc[name, "cumulative_profit"]),
            "first_year_profit": float(first_year["profit"].sum()),
            "final_share": float(final.loc[name, "share"]),
            "mean_retention": float(monthly),
            "annual_retention": float(monthly ** steps_per_year),
            "mean_nps": float(trading["nps"].mean()),
            "mean_satisfaction": float(trading["satisfaction"].mean()),
            "common_nps": float(common["nps"].mean()),
            "common_satisfaction": float(common["satisfaction"].mean()),
            "common_months": len(common),
            "final_customer_equity": float(final.loc[name, "customer_equity"]),
            "mean_price": float(trading["price"].mean()),
            "final_price": float(trading["price"].iloc[-1]),
            "no_firm_share": no_firm_share,
            "market_size": float(final["market_size"].iloc[0]),
            "alive": bool(final.loc[name, "alive"]),
            "main_target_segment": str(targets.mode().iloc[0]) if len(targets) else "",
            "segment_retention": {
                str(s): float(r) for s, r in zip(by_segment.index, np.atleast_1d(segment_retention), strict=True)
            },
            "segment_final_share": {
                str(s): float(share) for s, share in mine[mine["step"] == mine["step"].max()][["segment", "share"]]
                .itertuples(index=False)
            },
        })
    return rows
