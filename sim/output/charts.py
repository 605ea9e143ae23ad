"""The run's charts in Vega-Lite through altair: drawn by the browser, at the size they are shown.

The one-file page of a run (:mod:`sim.output.html`) and the live dashboard
(:mod:`sim.apps.dashboard`) both show a run's firms over time with these, so
a class sees the same charts live and in a shared file. altair loads only
inside the functions (it comes with the ``classroom`` extra).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from sim.world.outcomes import exits

if TYPE_CHECKING:
    import altair as alt

#: y-axis and tooltip formats of the run's panels (d3-format); profit is drawn in millions
PANEL_FORMATS = {"share": ".1%", "cumulative_profit": ",.1f", "retention_rate": ".1%", "nps": ".1f"}


def run_charts(firms: pd.DataFrame, steps_per_year: int, horizon_years: float | None = None, width: int = 460,
               height: int = 220) -> alt.ConcatChart:
    """Share, cumulative profit (millions), retention and NPS per firm over time, firm as colour, exits marked.

    With ``horizon_years`` the years run from 0 to the horizon whatever has
    been run, so a live line grows across a fixed frame (and a run with no
    months yet shows empty panels, not an error).
    """
    import altair as alt

    from sim.output.figures import PANELS, market_series  # matplotlib: not where require() alone is wanted

    lines = market_series(firms, steps_per_year)
    labels = [label for panel, label in lines if panel == 0]
    years = alt.Scale(domain=[0, horizon_years]) if horizon_years else alt.Undefined
    # market_series labels firms in the table's order, which also names them here, whatever a label's wording
    names = [str(name) for name, _ in firms.groupby("firm", observed=True, sort=False)]
    colour = alt.Color("firm:N", title="firm", scale=alt.Scale(domain=labels))
    exited = exit_months(firms, steps_per_year, dict(zip(names, labels, strict=True)))
    charts = []
    for panel, (column, title) in enumerate(PANELS):
        scale = 1e6 if column == "cumulative_profit" else 1.0
        name = f"{title} (millions)" if scale != 1.0 else title
        frame = pd.concat([pd.DataFrame({"firm": [], "year": [], "value": []}),
                           *(pd.DataFrame({"firm": label, "year": when, "value": values / scale})
                             for (index, label), (when, values) in lines.items() if index == panel)], ignore_index=True)
        frame["month"] = (frame["year"] * steps_per_year).round().astype(int)
        shown = PANEL_FORMATS[column]
        tooltip = ["firm:N", "month:Q", alt.Tooltip("value:Q", title=name, format=shown)]
        nearer = alt.Scale(zero=column != "retention_rate")  # retention lives near 100%: from 0 it is a flat line
        line = alt.Chart(frame).mark_line().encode(
            x=alt.X("year:Q", title="year", scale=years),
            y=alt.Y("value:Q", title=name, axis=alt.Axis(format=shown), scale=nearer), color=colour, tooltip=tooltip)
        layers = [line]
        if not exited.empty:
            layers.append(alt.Chart(exited).mark_rule(strokeDash=[4, 3]).encode(
                x="year:Q", color=colour, tooltip=["firm:N", alt.Tooltip("month:Q", title="exits in month")]))
        charts.append(alt.layer(*layers).properties(title=name, width=width, height=height))
    return alt.concat(*charts, columns=2)


def exit_months(firms: pd.DataFrame, steps_per_year: int, labels: dict[str, str]) -> pd.DataFrame:
    """Each exit (:func:`sim.world.outcomes.exits`) as the firm's legend label, its month and its year.

    ``labels`` are the firms' names in the charts' legend, by firm name.
    """
    ended = exits(firms)
    return pd.DataFrame({"firm": [labels[str(name)] for name in ended["firm"]], "month": ended["step"].astype(int),
                         "year": ended["step"] / steps_per_year}, columns=["firm", "month", "year"])
