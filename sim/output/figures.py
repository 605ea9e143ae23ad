"""Figures: a firms table in, a matplotlib Figure out; nothing here knows the model.

Figures are built without pyplot, so drawing them changes no global state
(no backend switch, no figure registry to leak across a sweep's jobs).
"""

from __future__ import annotations

import io

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.axis import Axis
from matplotlib.figure import Figure
from matplotlib.patheffects import withStroke
from matplotlib.ticker import FuncFormatter, ScalarFormatter

from sim.world.outcomes import CUSTOMERS, MONEY, OUTCOMES, POINTS, PRICE, RATE, SHARE, exits


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

#: Each panel's y label (its unit), and its y limits before the first month (money: 0 to 1 in the unit)
_AXES = {
    "share": ("share of potential customers (%)", (0.0, 1.0)),
    "cumulative_profit": ("cumulative profit ({unit})", (0.0, 1.0)),
    "retention_rate": ("customers kept per month (%)", (0.0, 1.0)),
    "nps": ("NPS (points, -100 to 100)", (-100.0, 100.0)),
}

#: Marks the artists :func:`mark_exits` draws, so marking again replaces them
_EXIT_MARK = "exit"


def _firm_label(name: str, strategy: str) -> str:
    """A firm's name in a legend, with its strategy only when that says something more."""
    return str(name) if str(strategy) == str(name) else f"{name} ({strategy})"


def market_series(firms: pd.DataFrame, steps_per_year: int = 12) -> dict[tuple[int, str], tuple[pd.Series, pd.Series]]:
    """The lines of :func:`market_figure`: ``(panel, firm label) -> (years, values)``, panels in :data:`PANELS` order.

    Values are in the table's units (money unscaled: the figure's axes divide
    it), so a live chart can feed them to lines it drew earlier. Retention is
    a rolling mean over a year of steps, left blank after a firm has exited
    (the exit month itself, when every customer is lost, is kept).
    """
    lines = {}
    for panel, (column, _) in enumerate(PANELS):
        for name, history in firms.groupby("firm", observed=True, sort=False):
            series = history[column]
            if column == "retention_rate":
                trading = history["alive"] | (history["released"] > 0)
                series = series.rolling(steps_per_year, min_periods=1).mean().where(trading)
            lines[panel, _firm_label(name, history["strategy"].iloc[0])] = (history["step"] / steps_per_year, series)
    return lines


def _money_scale(profits: pd.Series) -> tuple[float, str]:
    """Millions, or thousands when no value reaches 100,000 (a small market), so ticks read without an offset."""
    peak = profits.abs().max()
    return (1e3, "k") if peak < 1e5 else (1e6, "M")  # NaN (no rows yet) compares False: millions


def _set_units(axis: Axes, column: str, money: tuple[float, str]) -> None:
    label, _ = _AXES[column]
    scale, unit = money
    axis.set_ylabel(label.format(unit=unit))
    axis.xaxis.set_major_formatter(ScalarFormatter(useOffset=False))
    if column == "nps":
        axis.yaxis.set_major_formatter(ScalarFormatter(useOffset=False))
    else:  # + 0.0 turns a tick at -0.0 into 0
        factor = 1 / scale if column == "cumulative_profit" else 100
        axis.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value * factor + 0.0:,g}"))


def _joined(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def market_figure(firms: pd.DataFrame, steps_per_year: int = 12, *, horizon_years: float | None = None) -> InlineFigure:
    """Share, cumulative profit, retention and NPS per firm over time (years on the x axis; :func:`market_series`).

    The title names the firms in the table, exits are marked on every panel
    (:func:`mark_exits`), and money is in millions (thousands in a small
    market) with the unit on the axis. An empty table (a live chart before its
    first month) gets empty panels from 0 to ``horizon_years`` with each
    measure's natural range; x runs to ``horizon_years`` whenever it is given,
    else to the table's last step.
    """
    figure = InlineFigure(figsize=(11, 7))  # fixed margins: a layout engine triples the time to save every run
    figure.subplots_adjust(left=0.075, right=0.985, bottom=0.08, top=0.86, hspace=0.22, wspace=0.2)
    axes = figure.subplots(2, 2, sharex=True).ravel()
    money = _money_scale(firms["cumulative_profit"])
    for (column, title), axis in zip(PANELS, axes, strict=True):
        axis.set_title(title)
        axis.grid(alpha=0.3)
        _set_units(axis, column, money)
    for axis in axes[2:]:
        axis.set_xlabel("year")
    for (panel, label), (years, values) in market_series(firms, steps_per_year).items():
        axes[panel].plot(years, values, label=label)
    if firms.empty:  # the limits stay open to autoscaling, so a live chart's first lines rescale them
        for (column, _), axis in zip(PANELS, axes, strict=True):
            low, high = _AXES[column][1]
            scale = money[0] if column == "cumulative_profit" else 1.0
            axis.set_ylim(low * scale, high * scale, auto=True)
        axes[0].set_xlim(0.0, horizon_years or 1.0, auto=horizon_years is None)
        return figure
    axes[0].set_xlim(0.0, horizon_years or firms["step"].max() / steps_per_year)
    names = [str(name) for name in firms["firm"].drop_duplicates()]
    years = firms["step"].max() / steps_per_year
    figure.suptitle(f"{_joined(names)} over {years:g} year{'' if years == 1 else 's'}", fontsize="x-large")
    figure.legend(handles=axes[0].get_lines(), loc="upper center", bbox_to_anchor=(0.5, 0.955), ncols=len(names),
                  frameon=False)
    mark_exits(figure, firms, steps_per_year)
    return figure


def mark_exits(figure: Figure, firms: pd.DataFrame, steps_per_year: int = 12) -> None:
    """Mark each exit on every panel of a :func:`market_figure`: an "x" at the line's last value and "exit m<step>".

    Marks drawn before are replaced, so a live chart can mark again each
    month. Each mark takes the colour of its firm's line.
    """
    for axis in figure.axes:
        for artist in [*axis.collections, *axis.texts]:
            if artist.get_gid() == _EXIT_MARK:
                artist.remove()
    ended = exits(firms)
    if ended.empty:
        return
    lines = market_series(firms, steps_per_year)
    strategies = firms.groupby("firm", observed=True, sort=False)["strategy"].first()
    codes = {name: code for code, name in enumerate(strategies.index)}
    for panel, axis in enumerate(figure.axes):
        colours = {line.get_label(): line.get_color() for line in axis.get_lines()}
        for name, step in zip(ended["firm"], ended["step"], strict=True):
            label = _firm_label(name, strategies[name])
            years, values = lines[panel, label]
            shown = values[years <= step / steps_per_year].dropna()
            if shown.empty:
                continue
            x, y = years[shown.index[-1]], shown.iloc[-1]
            colour = colours.get(label, f"C{codes[name] % 10}")
            axis.scatter([x], [y], marker="x", s=40, color=colour, zorder=3, gid=_EXIT_MARK)
            _label_exit(axis, (x, y), shown.set_axis(years[shown.index]), f"exit m{step}", colour)


def _label_exit(axis: Axes, point: tuple[float, float], line: pd.Series, text: str, colour: str) -> None:
    """Write an exit's label beside its mark, on the side its firm's line (values by year) leaves most free.

    After an exit a line runs on flat (share, profit) or stops (retention,
    NPS), so the right is free unless the mark is near the right edge; the
    label then goes left, below the mark if the line just before it (over
    about a label's width) rises higher above it than it falls below, and
    there is room.
    """
    (left, right), (bottom, top) = axis.get_xlim(), axis.get_ylim()
    x, y = point
    near_end = x > left + 0.85 * (right - left)
    recent = line[line.index >= x - 0.12 * (right - left)]
    below = near_end and recent.max() - y > y - recent.min() and y > bottom + 0.2 * (top - bottom)
    axis.annotate(text, point, xytext=(-4 if near_end else 4, -4 if below else 4), textcoords="offset points",
                  ha="right" if near_end else "left", va="top" if below else "bottom", color=colour,
                  fontsize="small", path_effects=[withStroke(linewidth=2.5, foreground="white")], gid=_EXIT_MARK)


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


#: The size in points of every text of an outcome figure: readable in print at the size it is saved
PAPER_FONT = 10

#: How each unit of :data:`sim.world.outcomes.OUTCOMES` shows on an axis: the unit named in the label, and the
#: factor the tick labels show values at (money and customers in millions)
_UNIT_AXES = {MONEY: ("M", 1e-6), CUSTOMERS: ("M customers", 1e-6), SHARE: ("0-1", 1.0), RATE: ("0-1", 1.0),
              PRICE: ("per unit of spend", 1.0), POINTS: ("points", 1.0)}


def outcome_axis(name: str) -> tuple[str, float]:
    """An outcome's axis label with its unit (``cumulative profit (M)``) and the factor its ticks show values at.

    A name :data:`sim.world.outcomes.OUTCOMES` does not know (a study's own
    measure) is its own label, its values shown as they are.
    """
    if name not in OUTCOMES:
        return name, 1.0
    outcome = OUTCOMES[name]
    unit, factor = _UNIT_AXES[outcome.unit]
    label = f"{outcome.label[:-1]}; {unit})" if outcome.label.endswith(")") else f"{outcome.label} ({unit})"
    return label, factor


def plain_ticks(axis: Axis, factor: float = 1.0) -> None:
    """Tick labels at ``factor`` times the values, written out: no offset and no "1e7" above the axis.

    + 0.0 turns a tick at -0.0 into 0.
    """
    axis.set_major_formatter(FuncFormatter(lambda value, _: f"{value * factor + 0.0:,.6g}"))


def _outcome_panel(axis: Axes, outcome: str, title: str) -> None:
    """Title, unit label, plain ticks and paper-sized text for the panel of one outcome."""
    label, factor = outcome_axis(outcome)
    if outcome in OUTCOMES:
        axis.set_ylabel(label, fontsize=PAPER_FONT)
    plain_ticks(axis.yaxis, factor)
    axis.tick_params(labelsize=PAPER_FONT)
    axis.set_title(title, fontsize=PAPER_FONT + 1)


def interval_bars(summary: pd.DataFrame, panels: dict[str, str], group: str | None = None,
                  series: str = "firm") -> Figure:
    """One panel per outcome: a bar per ``series`` (and per ``group`` value, side by side) with its 95% interval.

    ``summary`` has one row per (group,) series and outcome with columns
    ``outcome``, ``mean``, ``low`` and ``high`` (:func:`sim.apps.experiment.intervals`);
    ``panels`` maps the outcomes to draw to their titles. An outcome of
    :data:`sim.world.outcomes.OUTCOMES` gets its unit on the y axis (money in
    millions); every text is :data:`PAPER_FONT` points or larger. One outcome
    gives a single-panel figure, the size of a column in a paper.
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
        _outcome_panel(axis, outcome, title)
        axis.grid(alpha=0.3, axis="y")
    axes[0].legend(loc="best", fontsize=PAPER_FONT)
    return figure


def interval_bands(summary: pd.DataFrame, x: str, panels: dict[str, str], series: str = "firm",
                   x_label: str | None = None) -> Figure:
    """One panel per outcome: a line per ``series`` against ``x`` with its 95% interval as a band.

    ``summary`` is as for :func:`interval_bars`, with a numeric ``x`` column;
    units, ticks and text sizes are as there.
    """
    figure, *axes = _panels(len(panels))
    for (outcome, title), axis in zip(panels.items(), axes, strict=True):
        rows = summary[summary["outcome"] == outcome].sort_values(x)
        for index, (name, mine) in enumerate(rows.groupby(series, sort=False)):
            axis.plot(mine[x], mine["mean"], marker="o", color=f"C{index}", label=str(name))
            axis.fill_between(mine[x], mine["low"], mine["high"], color=f"C{index}", alpha=0.2)
        axis.axhline(0, color="black", linewidth=0.6)
        axis.set_xlabel(x_label or x, fontsize=PAPER_FONT)
        plain_ticks(axis.xaxis)
        _outcome_panel(axis, outcome, title)
        axis.grid(alpha=0.3)
        axis.legend(loc="best", fontsize=PAPER_FONT)
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
