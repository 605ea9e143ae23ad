"""One self-contained HTML page of a run or a comparison: interactive Vega-Lite charts, tables and the command.

A student or a reader of a course page should open a result without
installing anything and without a network: the page carries its data and the
Vega, Vega-Lite and vega-embed JavaScript (vl-convert's bundle, about 0.9 MB,
inlined once however many charts there are) and fetches nothing. Charts are
built with altair; altair and vl-convert come with the ``classroom`` extra and
load only inside the functions that draw, so the core install never needs them.
"""

from __future__ import annotations

import html
import json
import shlex
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from sim import extras
from sim.config.schema import SimConfig
from sim.output.charts import run_charts
from sim.world.outcomes import MONEY, OUTCOMES, headline_table, nobody_sentence
from sim.world.results import RunResult

if TYPE_CHECKING:
    import altair as alt

#: Export as SVG or PNG works offline; viewing the source or opening the Vega editor would go online
EMBED_OPTIONS = {"mode": "vega-lite", "renderer": "svg",
                 "actions": {"export": True, "source": False, "compiled": False, "editor": False}}
STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1100px; padding: 0 1em; color: #222; }
table { border-collapse: collapse; margin: 1em 0; font-size: 0.9em; }
th, td { border-bottom: 1px solid #ddd; padding: 0.3em 0.7em; text-align: right; }
th:first-child, td:first-child { text-align: left; }
code { background: #f4f4f4; padding: 0.2em 0.4em; display: inline-block; }
"""


def require() -> None:
    """Raise :class:`sim.extras.MissingExtra` naming the ``classroom`` extra when altair or vl-convert is missing."""
    extras.require("altair", "vl_convert")


def command(program: str, arguments: Sequence[str]) -> str:
    """The shell command that reproduces a result: the program and its arguments, quoted where the shell needs it."""
    return " ".join([program, *(shlex.quote(item) for item in arguments)])


def run_page(result: RunResult, config: SimConfig, command_line: str, outcomes: Sequence[str]) -> str:
    """A run's page: what ran, its firms over time (one chart per outcome), the headline table and its command.

    ``outcomes`` are the columns of the headline table, as ``market-sim``
    prints them (:data:`sim.world.outcomes.OUTCOMES` names, headings, formats).
    """
    market = config.market
    firms = ", ".join(f"{name} ({firm.strategy})" for name, firm in config.firms.items())
    title = f"market-sim: {len(config.firms)} firms, {market.steps} months, seed {config.seed}"
    description = (f"Firms {firms}; {market.customers:,} simulated customers standing for "
                   f"{market.total_customers:,} potential customers; {market.steps} months; seed {config.seed}.")
    body = [f"<h1>{html.escape(title)}</h1>", f"<p>{html.escape(description)}</p>",
            "<h2>The firms over time</h2>",
            "<p>Hover a line for its values; a dashed line marks the month a firm exits.</p>",
            _embed(run_charts(result.firms, market.steps_per_year), "firms-over-time"),
            "<h2>Headline figures</h2>", _table(headline_table(result.summary, outcomes)),
            f"<p>{html.escape(nobody_sentence(result.summary).capitalize())}.</p>",
            "<h2>Run it again</h2>", f"<p><code>{html.escape(command_line)}</code></p>"]
    return _document(title, body)


def compare_page(report: str, table: pd.DataFrame, command_line: str) -> str:
    """A comparison's page: its sentences and differences table (``report``, Markdown), a chart and its command.

    ``table`` is :func:`sim.studies.compare.differences` output, one row per
    alternative, firm and outcome; the chart draws each paired difference with
    its 95% interval.
    """
    heading, *rest = report.strip().splitlines()
    title = heading.lstrip("# ")
    body = [f"<h1>{html.escape(title)}</h1>", _markdown(rest),
            "<h2>Paired differences with their 95% intervals</h2>",
            "<p>Alternative minus baseline; money in millions. A bar crossing the dashed zero line is a difference "
            "the seeds cannot tell from none.</p>",
            _embed(_difference_chart(table), "differences"),
            "<h2>Run it again</h2>", f"<p><code>{html.escape(command_line)}</code></p>"]
    return _document(title, body)


def _document(title: str, body: list[str]) -> str:
    import altair as alt
    import vl_convert

    # vl-convert names Vega-Lite versions v<major>_<minor>; altair's schema says which one its specs are for. The
    # bundle holds no "</script" (altair inlines it as it is too)
    bundle = vl_convert.javascript_bundle(vl_version="_".join(alt.SCHEMA_VERSION.split(".")[:2]))
    return "\n".join([
        "<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
        f"<title>{html.escape(title)}</title>", f"<style>{STYLE}</style>",
        f'<script type="text/javascript">\n{bundle}\n</script>', "</head>", "<body>",
        *body, "</body>", "</html>", ""])


def _in_script(spec: dict[str, Any]) -> str:
    """A spec as JSON that cannot end the ``<script>`` element it sits in (a firm named ``</script>`` included)."""
    return json.dumps(spec).replace("<", "\\u003c")  # "<" occurs only inside JSON strings, where \u003c is "<"


def _embed(chart: alt.TopLevelMixin, element: str) -> str:
    import altair as alt

    with alt.data_transformers.disable_max_rows():  # a long run is still a few thousand rows a panel
        spec = chart.to_dict()
    spec.pop("$schema", None)  # a link the page does not need: embed options name the mode
    return (f'<div id="{element}"></div>\n<script type="text/javascript">\n'
            f'vegaEmbed("#{element}", {_in_script(spec)}, {json.dumps(EMBED_OPTIONS)})'
            f".catch(console.error);\n</script>")


def _table(frame: pd.DataFrame) -> str:
    return frame.to_html(index=False, escape=True, border=0, na_rep="")


def _markdown(lines: Sequence[str]) -> str:
    """The few Markdown forms a study's report uses: ``#`` headings, ``-`` items, pipe tables, paragraphs."""
    parts: list[str] = []
    items: list[str] = []
    rows: list[list[str]] = []

    def close() -> None:
        if items:
            parts.append("<ul>\n" + "\n".join(f"<li>{html.escape(item)}</li>" for item in items) + "\n</ul>")
            items.clear()
        if rows:
            header, *body = rows
            parts.append(_table(pd.DataFrame(body, columns=pd.Index(header))))
            rows.clear()

    for line in lines:
        text = line.strip()
        if text.startswith("|"):
            cells = [cell.strip() for cell in text.strip("|").split("|")]
            if not all(set(cell) <= set("-:") for cell in cells):  # the row under the header
                rows.append(cells)
            continue
        if text.startswith("- "):
            items.append(text[2:])
            continue
        close()
        if text.startswith("#"):
            parts.append(f"<h2>{html.escape(text.lstrip('# '))}</h2>")
        elif text:
            parts.append(f"<p>{html.escape(text)}</p>")
    close()
    return "\n".join(parts)


def _difference_chart(table: pd.DataFrame) -> alt.FacetChart:
    """Each paired difference as a point with its 95% interval, one row of panels per outcome, firms down each."""
    import altair as alt

    rows = []
    for _, row in table.iterrows():
        outcome = OUTCOMES[str(row["headline"])]
        scale = 1e6 if outcome.unit == MONEY else 1.0
        rows.append({"outcome": outcome.label + (" (millions)" if scale != 1.0 else ""),
                     "alternative": row["alternative"], "firm": row["firm"],
                     "difference": row["difference"] / scale, "low": row["low"] / scale, "high": row["high"] / scale,
                     "shown": outcome.show_change(row["difference"]),
                     "interval": f"{outcome.show_change(row['low'])} to {outcome.show_change(row['high'])}",
                     "ahead": f"{row['ahead']} of {row['pairs']}"})
    frame = pd.DataFrame(rows)
    order = list(dict.fromkeys(frame["outcome"]))
    tooltip = ["alternative:N", "firm:N", alt.Tooltip("shown:N", title="difference"),
               alt.Tooltip("interval:N", title="95% CI"), alt.Tooltip("ahead:N", title="ahead of its twin")]
    y = alt.Y("firm:N", title=None, sort=list(dict.fromkeys(frame["firm"])))
    offset = alt.YOffset("alternative:N")
    colour = alt.Color("alternative:N", legend=alt.Legend(orient="top", labelLimit=600))
    bars = alt.Chart().mark_rule(strokeWidth=2).encode(
        x=alt.X("low:Q", title=None), x2="high:Q", y=y, yOffset=offset, color=colour, tooltip=tooltip)
    points = alt.Chart().mark_point(filled=True, size=60).encode(
        x="difference:Q", y=y, yOffset=offset, color=colour, tooltip=tooltip)
    zero = alt.Chart().mark_rule(strokeDash=[4, 3], color="#888").encode(x=alt.datum(0))
    return (alt.layer(zero, bars, points, data=frame).properties(width=620)
            .facet(row=alt.Row("outcome:N", sort=order, title=None, header=alt.Header(labelAngle=0, labelAlign="left")))
            .resolve_scale(x="independent"))
