"""Figures: a firms table in, a matplotlib Figure out; nothing here knows the model.

Figures are built without pyplot, so drawing them changes no global state
(no backend switch, no figure registry to leak across a sweep's jobs).
"""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure

PANELS = (
    ("share", "Market share"),
    ("cumulative_profit", "Cumulative profit"),
    ("retention_rate", "Monthly retention (12-month mean)"),
    ("nps", "Net Promoter Score"),
)


def market_figure(firms: pd.DataFrame, steps_per_year: int = 12) -> Figure:
    """Share, cumulative profit, retention and NPS per firm over time (years on the x axis).

    Retention is left blank after a firm has exited (the exit month itself,
    when every customer is lost, is drawn).
    """
    figure = Figure(figsize=(11, 7), layout="constrained")
    axes = figure.subplots(2, 2, sharex=True)
    for (column, title), axis in zip(PANELS, axes.ravel(), strict=True):
        for name, history in firms.groupby("firm", observed=True, sort=False):
            series = history[column]
            if column == "retention_rate":
                trading = history["alive"] | (history["released"] > 0)
                series = series.rolling(steps_per_year, min_periods=1).mean().where(trading)
            label = f"{name} ({history['strategy'].iloc[0]})"
            axis.plot(history["step"] / steps_per_year, series, label=label)
        axis.set_title(title)
        axis.grid(alpha=0.3)
    for axis in axes[1]:
        axis.set_xlabel("year")
    axes[0, 0].legend(loc="best", fontsize="small")
    return figure


def convergence_figure(summary: pd.DataFrame, headlines: dict[str, str]) -> Figure:
    """Each headline with its 95% interval against the number of simulated customers, one line per firm.

    ``summary`` is :func:`sim.convergence.summarise` output; ``headlines``
    maps its columns to panel titles.
    """
    figure = Figure(figsize=(4 * len(headlines), 3.8), layout="constrained")
    axes = figure.subplots(1, len(headlines), squeeze=False)[0]
    for (column, title), axis in zip(headlines.items(), axes, strict=True):
        for firm, rows in summary.groupby("firm", sort=False):
            errors = [rows[column] - rows[f"{column}_low"], rows[f"{column}_high"] - rows[column]]
            axis.errorbar(rows["customers"], rows[column], yerr=errors, marker="o", capsize=3, label=firm)
        axis.set_xscale("log")
        axis.set_xlabel("simulated customers")
        axis.set_title(title)
        axis.grid(alpha=0.3)
    axes[0].legend(loc="best", fontsize="small")
    return figure


def comparison_figure(trajectories: pd.DataFrame, baseline: str, alternative: str, steps_per_year: int = 12) -> Figure:
    """Share, cumulative profit and NPS per firm over time: baseline (dashed) against alternative (solid).

    Lines are means over seeds; bands span the 10th to 90th percentile of
    the seeds. ``trajectories`` has columns config, seed, step, firm and the
    three outcomes.
    """
    panels = (("share", "Market share"), ("cumulative_profit", "Cumulative profit"), ("nps", "NPS"))
    figure = Figure(figsize=(13, 4), layout="constrained")
    axes = figure.subplots(1, len(panels))
    colours = {firm: f"C{index}" for index, firm in enumerate(dict.fromkeys(trajectories["firm"]))}
    for (column, title), axis in zip(panels, axes, strict=True):
        for config, style in ((baseline, "--"), (alternative, "-")):
            mine = trajectories[trajectories["config"] == config]
            for firm, rows in mine.groupby("firm", sort=False):
                by_step = rows.groupby("step")[column]
                years = by_step.mean().index / steps_per_year
                axis.plot(years, by_step.mean(), style, color=colours[firm], label=f"{firm} ({config})")
                axis.fill_between(years, by_step.quantile(0.1), by_step.quantile(0.9), color=colours[firm],
                                  alpha=0.12)
        axis.set_title(title)
        axis.set_xlabel("year")
        axis.grid(alpha=0.3)
    axes[0].legend(loc="best", fontsize="x-small")
    return figure
