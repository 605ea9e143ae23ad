"""Figures: a firms table in, a matplotlib Figure out; nothing here knows the model.

Figures are built without pyplot, so drawing them changes no global state
(no backend switch, no figure registry to leak across a sweep's jobs).
"""

from __future__ import annotations

import io

import pandas as pd
from matplotlib.figure import Figure


class InlineFigure(Figure):
    """A matplotlib Figure that shows itself as a picture when a notebook cell ends with it.

    Notebooks draw a Figure inline only through pyplot's inline backend,
    which a figure built without pyplot never meets: Jupyter, VS Code and
    Colab would print "<Figure size 1100x700 with 4 Axes>" instead. Every
    display front end asks an object for ``_repr_png_``, so answering it
    works in all of them, with no magic and no pyplot.
    """

    def _repr_png_(self) -> bytes:
        picture = io.BytesIO()
        self.savefig(picture, format="png", dpi=90)
        return picture.getvalue()

PANELS = (
    ("share", "Market share"),
    ("cumulative_profit", "Cumulative profit"),
    ("retention_rate", "Monthly retention (12-month mean)"),
    ("nps", "Net Promoter Score"),
)


def market_series(firms: pd.DataFrame, steps_per_year: int = 12) -> dict[tuple[int, str], tuple[pd.Series, pd.Series]]:
    """The lines of :func:`market_figure`: ``(panel, firm label) -> (years, values)``, panels in :data:`PANELS` order.

    Retention is a rolling mean over a year of steps, left blank after a firm
    has exited (the exit month itself, when every customer is lost, is kept).
    """
    lines = {}
    for panel, (column, _) in enumerate(PANELS):
        for name, history in firms.groupby("firm", observed=True, sort=False):
            series = history[column]
            if column == "retention_rate":
                trading = history["alive"] | (history["released"] > 0)
                series = series.rolling(steps_per_year, min_periods=1).mean().where(trading)
            lines[panel, f"{name} ({history['strategy'].iloc[0]})"] = (history["step"] / steps_per_year, series)
    return lines


def market_figure(firms: pd.DataFrame, steps_per_year: int = 12) -> InlineFigure:
    """Share, cumulative profit, retention and NPS per firm over time (years on the x axis; :func:`market_series`)."""
    figure = InlineFigure(figsize=(11, 7))  # fixed margins: a layout engine triples the time to save every run
    figure.subplots_adjust(left=0.07, right=0.98, bottom=0.08, top=0.95, hspace=0.2, wspace=0.18)
    axes = figure.subplots(2, 2, sharex=True).ravel()
    for (_, title), axis in zip(PANELS, axes, strict=True):
        axis.set_title(title)
        axis.grid(alpha=0.3)
    for axis in axes[2:]:
        axis.set_xlabel("year")
    for (panel, label), (years, values) in market_series(firms, steps_per_year).items():
        axes[panel].plot(years, values, label=label)
    if axes[0].lines:  # a run with no steps yet (the dashboard before its first step) has none
        axes[0].legend(loc="upper left", fontsize="small")
    return figure


def convergence_figure(summary: pd.DataFrame, headlines: dict[str, str]) -> Figure:
    """Each headline with its 95% interval against the number of simulated customers, one line per firm.

    ``summary`` is :func:`sim.studies.convergence.summarise` output; ``headlines``
    maps its columns to panel titles.
    """
    figure = InlineFigure(figsize=(4 * len(headlines), 3.8), layout="constrained")
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
    figure = InlineFigure(figsize=(13, 4), layout="constrained")
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


def _panels(count: int, width: float = 4.2) -> list:
    figure = InlineFigure(figsize=(width * count, 3.8), layout="constrained")
    return [figure, *figure.subplots(1, count, squeeze=False)[0]]


def interval_bars(summary: pd.DataFrame, panels: dict[str, str], group: str | None = None,
                  series: str = "firm") -> Figure:
    """One panel per outcome: a bar per ``series`` (and per ``group`` value, side by side) with its 95% interval.

    ``summary`` has one row per (group,) series and outcome with columns
    ``outcome``, ``mean``, ``low`` and ``high`` (:func:`sim.apps.experiment.intervals`);
    ``panels`` maps the outcomes to draw to their titles.
    """
    figure, *axes = _panels(len(panels))
    for (outcome, title), axis in zip(panels.items(), axes, strict=True):
        rows = summary[summary["outcome"] == outcome]
        groups = list(dict.fromkeys(rows[group])) if group else [None]
        names = list(dict.fromkeys(rows[series]))
        width = 0.8 / len(names)
        for index, name in enumerate(names):
            mine = rows[rows[series] == name]
            if group:
                mine = mine.set_index(group).reindex(groups).reset_index()
            positions = [g + (index - (len(names) - 1) / 2) * width for g in range(len(groups))]
            errors = [mine["mean"] - mine["low"], mine["high"] - mine["mean"]]
            axis.bar(positions, mine["mean"], width, yerr=errors, capsize=3, label=str(name), color=f"C{index}")
        axis.set_xticks(range(len(groups)), [str(g) for g in groups] if group else [""],
                        rotation=30 if group else 0, ha="right" if group else "center")
        axis.axhline(0, color="black", linewidth=0.6)
        axis.set_title(title)
        axis.grid(alpha=0.3, axis="y")
    axes[0].legend(loc="best", fontsize="small")
    return figure


def interval_bands(summary: pd.DataFrame, x: str, panels: dict[str, str], series: str = "firm",
                   x_label: str | None = None) -> Figure:
    """One panel per outcome: a line per ``series`` against ``x`` with its 95% interval as a band.

    ``summary`` is as for :func:`interval_bars`, with a numeric ``x`` column.
    """
    figure, *axes = _panels(len(panels))
    for (outcome, title), axis in zip(panels.items(), axes, strict=True):
        rows = summary[summary["outcome"] == outcome].sort_values(x)
        for index, (name, mine) in enumerate(rows.groupby(series, sort=False)):
            axis.plot(mine[x], mine["mean"], marker="o", color=f"C{index}", label=str(name))
            axis.fill_between(mine[x], mine["low"], mine["high"], color=f"C{index}", alpha=0.2)
        axis.axhline(0, color="black", linewidth=0.6)
        axis.set_xlabel(x_label or x)
        axis.set_title(title)
        axis.grid(alpha=0.3)
        axis.legend(loc="best", fontsize="small")
    return figure


def sensitivity_figure(morris: pd.DataFrame, sobol: pd.DataFrame, outcome: str) -> Figure:
    """Morris mu* (with its confidence) beside sigma per parameter; Sobol S1 and ST with their confidence.

    ``morris`` and ``sobol`` are the tables of :mod:`sim.studies.sensitivity`, one
    row per parameter, most influential first.
    """
    figure, left, right = _panels(2, width=6.5)
    steps = range(len(morris))
    left.barh([s - 0.2 for s in steps], morris["mu_star"], 0.4, xerr=morris["mu_star_conf"], capsize=3,
              label="mu* (95% conf.)")
    left.barh([s + 0.2 for s in steps], morris["sigma"], 0.4, label="sigma")
    left.set_yticks(list(steps), morris["parameter"])
    left.invert_yaxis()
    left.set_title(f"Morris screening: {outcome}")
    steps = range(len(sobol))
    right.barh([s - 0.2 for s in steps], sobol["S1"], 0.4, xerr=sobol["S1_conf"], capsize=3, label="S1")
    right.barh([s + 0.2 for s in steps], sobol["ST"], 0.4, xerr=sobol["ST_conf"], capsize=3, label="ST")
    right.set_yticks(list(steps), sobol["parameter"])
    right.invert_yaxis()
    right.set_title("Sobol indices (95% conf.)")
    for axis in (left, right):
        axis.axvline(0, color="black", linewidth=0.6)
        axis.grid(alpha=0.3, axis="x")
        axis.legend(loc="best", fontsize="small")
    return figure


FORECAST_SERIES = {"actual": ("actual", "black", "-"), "simulator": ("simulator (calibrated)", "C0", "--"),
                   "paretonbd": ("Pareto/NBD (ML)", "C2", "-."), "bgnbd": ("BG/NBD (MAP)", "C3", ":")}


def forecast_figure(weekly: pd.DataFrame, by_frequency: pd.DataFrame, calibration_weeks: int) -> Figure:
    """A calibration study (:mod:`sim.clv.forecast`): the cohort's cumulative repeat purchases, then per customer.

    Left, week by week: actual, the simulator's mean with its 90% Monte Carlo
    range, Pareto/NBD and BG/NBD, with the end of calibration marked. Right, mean
    holdout purchases by calibration repeat purchases (the conditional
    expectations plot of Fader, Hardie and Lee 2005).
    """
    figure, left, right = _panels(2, width=5.5)
    wide = weekly.pivot(index="week", columns="series", values="cumulative")
    left.fill_between(wide.index, wide["simulator_low"], wide["simulator_high"], color="C0", alpha=0.2,
                      label="simulator 90% range")
    for name, (label, colour, style) in FORECAST_SERIES.items():
        if name in wide:
            left.plot(wide.index, wide[name], color=colour, linestyle=style, label=label)
            if name in by_frequency:
                right.plot(by_frequency["frequency"], by_frequency[name], color=colour, linestyle=style,
                           marker="o", label=label)
    left.axvline(calibration_weeks, color="grey", linewidth=0.8)
    left.text(calibration_weeks, 0, " holdout", color="grey", va="bottom")
    left.set_xlabel("week")
    left.set_title("Cumulative repeat purchases")
    right.set_xticks(by_frequency["frequency"], [*map(str, by_frequency["frequency"][:-1]),
                                                 f"{by_frequency['frequency'].iloc[-1]}+"])
    right.set_xlabel("repeat purchases in calibration")
    right.set_title("Mean holdout purchases per customer")
    for axis in (left, right):
        axis.grid(alpha=0.3)
        axis.legend(loc="upper left", fontsize="small")
    return figure
