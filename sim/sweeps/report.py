"""The report of a sweep: headline outcomes with intervals, paired differences, figures and customer survival.

``market-sim-report SWEEP_DIR`` builds or updates the sweep's result store
(:mod:`sim.sweeps.store`) and writes ``report.md``, its figures and tables into
``SWEEP_DIR/report``. A configuration is one combination of the swept
overrides other than the seed; each of its complete jobs is one replication.
Means, standard deviations and counts are computed in DuckDB over the store's
views, so the driver holds only aggregated frames (a few rows per
configuration and firm) whatever the number of jobs; intervals are Student t
across seeds, as :func:`sim.studies.replications.mean_ci` computes them. Paired
differences compare two firms of the same job, hence on a common seed.
Survival curves pool the spells of one configuration's seeds, counted in
DuckDB by firm, segment, duration and outcome.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
from matplotlib.colors import TwoSlopeNorm
from matplotlib.figure import Figure

from sim.clv import survival
from sim.output.figures import InlineFigure, interval_bands, interval_bars
from sim.output.files import atomic_write_text, write_figure, write_table
from sim.studies.stats import t_interval
from sim.sweeps import store
from sim.world.outcomes import OUTCOMES

#: The outcomes the report gives for each firm, named as :data:`sim.world.outcomes.OUTCOMES` names them.
HEADLINES = {name: OUTCOMES[name].label for name in
             ("cumulative_profit", "annual_retention", "final_customer_equity", "mean_nps", "final_share", "mean_price",
              "no_firm_share", "market_size")}
HEATMAP_OUTCOME = "cumulative_profit"


def _with_interval(frame: pd.DataFrame) -> pd.DataFrame:
    frame["low"], frame["high"] = t_interval(frame["mean"], frame["sd"], frame["n"])
    return frame


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _unpivot(outcomes: Sequence[str]) -> str:
    """The store's outcomes as one row per job, firm and outcome (undefined values dropped), with the swept columns."""
    return (f"(SELECT * FROM (UNPIVOT outcomes ON {', '.join(outcomes)} INTO NAME outcome VALUE value) "
            f"JOIN runs USING (job))")


def firm_order(connection: duckdb.DuckDBPyConnection) -> list[str]:
    """The firms in config order (as the first complete job lists them), then any that only later jobs have."""
    first = store.job_files(connection, "firms")[0]
    ordered = [row[0] for row in connection.execute(
        "SELECT firm FROM read_parquet(?) WHERE step = (SELECT min(step) FROM read_parquet(?))",
        [str(first), str(first)]).fetchall()]
    every = [row[0] for row in connection.execute("SELECT DISTINCT firm FROM outcomes ORDER BY firm").fetchall()]
    return list(dict.fromkeys(ordered + every))


def intervals(connection: duckdb.DuckDBPyConnection, swept: Sequence[str],
              outcomes: Sequence[str] = tuple(HEADLINES)) -> pd.DataFrame:
    """Mean, sd, n and 95% interval of each outcome per configuration and firm, over its complete jobs' seeds."""
    columns = "".join(f"{_quote(key)}, " for key in swept)
    frame = connection.execute(
        f"SELECT config, {columns}firm, outcome, avg(value) AS mean, stddev_samp(value) AS sd, count(value) AS n "
        f"FROM {_unpivot(outcomes)} GROUP BY ALL").df()
    return _with_interval(frame)


def paired(connection: duckdb.DuckDBPyConnection, swept: Sequence[str], order: Sequence[str],
           outcomes: Sequence[str] = tuple(HEADLINES)) -> pd.DataFrame:
    """Per configuration, outcome and pair of firms: ``first - second`` over common seeds, its interval, and wins.

    ``first_wins`` and ``second_wins`` count the seeds in which each firm's
    outcome is strictly higher (ties count for neither). Pairs follow
    ``order`` (firm ``first`` comes before ``second`` in it).
    """
    connection.register("firm_rank", pd.DataFrame({"firm": list(order), "rank": range(len(order))}))
    columns = "".join(f"a.{_quote(key)}, " for key in swept)
    frame = connection.execute(
        f"""WITH long AS (SELECT l.*, r.rank FROM {_unpivot(outcomes)} l JOIN firm_rank r USING (firm))
        SELECT a.config, {columns}a.firm AS first, b.firm AS second, a.outcome,
            avg(a.value - b.value) AS mean, stddev_samp(a.value - b.value) AS sd, count(*) AS n,
            count(*) FILTER (WHERE a.value > b.value) AS first_wins,
            count(*) FILTER (WHERE a.value < b.value) AS second_wins
        FROM long a JOIN long b ON a.job = b.job AND a.outcome = b.outcome AND a.rank < b.rank
        GROUP BY ALL""").df()
    connection.unregister("firm_rank")
    return _with_interval(frame)


def _sort(frame: pd.DataFrame, swept: Sequence[str], order: Sequence[str], firm_columns: Sequence[str]) -> pd.DataFrame:
    """Rows in sweep order of the swept values, then firms in config order, then outcomes as HEADLINES lists them."""
    ranks = {**{name: {firm: index for index, firm in enumerate(order)} for name in firm_columns},
             "outcome": {outcome: index for index, outcome in enumerate(HEADLINES)}}
    return frame.sort_values([*swept, *firm_columns, "outcome"], ignore_index=True,
                             key=lambda column: column.map(ranks[column.name]) if column.name in ranks else column)


def _short_number(value: float, scale: float | None = None) -> str:
    """A figure for the report: whole numbers from 10,000 up (judged on ``scale``, default the value), else 4 digits."""
    if not np.isfinite(value):
        return "n/a" if np.isnan(value) else ("inf" if value > 0 else "-inf")
    return f"{value:,.0f}" if abs(value if scale is None else scale) >= 1e4 else f"{value:.4g}"


def _short(value: float) -> str:
    if abs(value) >= 1e6:
        return f"{value / 1e6:.2f} M"
    return f"{value / 1e3:.0f} k" if abs(value) >= 1e4 else f"{value:.3g}"


def _interval_text(row: pd.Series) -> str:
    scale = float(np.nanmax(np.abs([row["mean"], row["low"], row["high"]])))
    low, high = _short_number(row["low"], scale), _short_number(row["high"], scale)
    return f"{_short_number(row['mean'], scale)} [{low}, {high}]"


def win_sentence(row: pd.Series, outcome_title: str) -> str:
    """E.g. "centric beats focused on cumulative profit in 27 of 30 seeds (+1.2 M ...)", the better firm first."""
    first, second, wins = row["first"], row["second"], row["first_wins"]
    mean, low, high = row["mean"], row["low"], row["high"]
    if mean < 0:
        first, second, wins, mean, low, high = second, first, row["second_wins"], -mean, -high, -low
    ties = int(row["n"] - row["first_wins"] - row["second_wins"])
    tied = f", {ties} tied" if ties else ""
    return (f"{first} beats {second} on {outcome_title.lower()} in {int(wins)} of {int(row['n'])} seeds{tied} "
            f"(difference {_short_number(mean)} [{_short_number(low)}, {_short_number(high)}])")


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9.=-]+", "_", text).strip("_") or "all"


def _slices(frame: pd.DataFrame, fixed: Sequence[str]) -> Iterator[tuple[str, pd.DataFrame]]:
    """The frame split by every combination of the ``fixed`` columns, each with a label naming it."""
    if not fixed:
        yield "", frame
        return
    for key, rows in frame.groupby(list(fixed), sort=True, dropna=False):
        yield " ".join(f"{name}={value}" for name, value in zip(fixed, key, strict=True)), rows


def heatmap_figure(differences: pd.DataFrame, x: str, y: str, title: str) -> Figure:
    """One panel per pair of firms: the mean paired difference in each cell of ``x`` by ``y``.

    Each pair is oriented so that its mean over the cells is positive
    (``winner - loser``); a star marks a cell whose 95% interval excludes 0.
    """
    pairs = list(dict.fromkeys(zip(differences["first"], differences["second"], strict=True)))
    figure = InlineFigure(figsize=(4.6 * len(pairs), 3.8), layout="constrained")
    axes = figure.subplots(1, len(pairs), squeeze=False)[0]
    for (first, second), axis in zip(pairs, axes, strict=True):
        rows = differences[(differences["first"] == first) & (differences["second"] == second)]
        sign = 1.0 if rows["mean"].mean() >= 0 else -1.0
        label = f"{first} - {second}" if sign > 0 else f"{second} - {first}"
        means = rows.pivot_table(index=y, columns=x, values="mean", aggfunc="first", dropna=False) * sign
        significant = (rows["low"] > 0) | (rows["high"] < 0)
        stars = rows.assign(star=significant).pivot_table(index=y, columns=x, values="star", aggfunc="first")
        values = means.to_numpy(dtype=float)
        limit = float(np.nanmax(np.abs(values))) or 1.0
        image = axis.imshow(values, cmap="RdBu", norm=TwoSlopeNorm(0.0, -limit, limit), aspect="auto")
        for (row, column), value in np.ndenumerate(values):
            star = "*" if bool(stars.iloc[row, column]) is True else ""
            axis.text(column, row, f"{_short(value)}{star}", ha="center", va="center", fontsize="small",
                      color="white" if abs(value) > 0.6 * limit else "black")
        axis.set_xticks(range(len(means.columns)), [str(c) for c in means.columns])
        axis.set_yticks(range(len(means.index)), [str(i) for i in means.index])
        axis.set_xlabel(x)
        axis.set_ylabel(y)
        axis.set_title(label)
        figure.colorbar(image, ax=axis, shrink=0.8)
    figure.suptitle(f"{title} (mean paired difference; * 95% interval excludes 0)")
    return figure


def survival_figure(estimates: Sequence[tuple[str, pd.DataFrame, pd.DataFrame]], order: Sequence[str]) -> Figure:
    """Kaplan-Meier curves with 95% bands, one line per firm; a row per configuration, a column per segment.

    ``estimates`` holds (configuration, curves by firm, curves by firm and
    segment). The first column pools the segments. One figure for every
    configuration, laid out by hand: a layout engine would cost more than
    drawing the curves.
    """
    segments = list(dict.fromkeys(segment for _, _, by_segment in estimates for segment in by_segment["segment"]))
    columns = ["all segments", *segments]
    figure = InlineFigure(figsize=(3.2 * len(columns), 2.6 * len(estimates) + 0.6))
    axes = figure.subplots(len(estimates), len(columns), squeeze=False, sharex=True, sharey=True)
    for row, (config, overall, by_segment) in enumerate(estimates):
        for column, name in enumerate(columns):
            axis = axes[row, column]
            curves = overall if column == 0 else by_segment[by_segment["segment"] == name]
            for index, firm in enumerate(order):
                mine = curves[curves["firm"] == firm]
                if not mine.empty:
                    axis.step(mine["time"], mine["survival"], where="post", color=f"C{index}", label=firm)
                    axis.fill_between(mine["time"], mine["low"], mine["high"], step="post", color=f"C{index}",
                                      alpha=0.2)
            axis.grid(alpha=0.3)
            axis.set_title(name if row == 0 else "", fontsize="small")
        axes[row, 0].set_ylabel(f"{config}\nnot churned", fontsize="small")
    for axis in axes[-1]:
        axis.set_xlabel("months with the firm", fontsize="small")
    axes[0, 0].legend(loc="lower left", fontsize="x-small")
    figure.subplots_adjust(left=0.08, right=0.99, bottom=0.5 / figure.get_figheight(),
                           top=1 - 0.35 / figure.get_figheight(), wspace=0.08, hspace=0.12)
    return figure


def spell_counts(connection: duckdb.DuckDBPyConnection, config: str) -> pd.DataFrame:
    """The spells of one configuration's complete jobs, counted by firm, segment, duration and churn.

    Counted ``store.BATCH`` jobs at a time, so the memory of a read does not
    grow with the number of seeds.
    """
    files = [str(path) for path in store.job_files(connection, "tenures", config)]
    keys = ["firm", "segment", "duration", "churned"]
    batches = [connection.execute(
        "SELECT firm, segment, duration, churned, count(*) AS count "
        "FROM read_parquet($files, union_by_name = true) GROUP BY ALL",
        {"files": files[start:start + store.BATCH]}).df()
        for start in range(0, len(files), store.BATCH)]
    if not batches:
        return pd.DataFrame(columns=[*keys, "count"])
    return pd.concat(batches).groupby(keys, observed=True, sort=True)["count"].sum().reset_index()


def _table(frame: pd.DataFrame) -> str:
    header = "| " + " | ".join(frame.columns) + " |"
    rule = "|" + "---|" * len(frame.columns)
    return "\n".join([header, rule, *("| " + " | ".join(str(v) for v in row) + " |"
                                      for row in frame.itertuples(index=False))])


def _median_text(row: pd.Series) -> str:
    if np.isinf(row["median"]):
        return "not reached"
    return f"{_short_number(row['median'])} [{_short_number(row['low'])}, {_short_number(row['high'])}]"


def _survival_section(connection: duckdb.DuckDBPyConnection, configs: Sequence[str], order: Sequence[str],
                      out: Path) -> tuple[list[str], list[pd.DataFrame], list[pd.DataFrame]]:
    header = ["## Survival of customers", "",
             "Kaplan-Meier estimates of spell length (months with a firm) pooled over each configuration's seeds; "
             "the event is churn, spells still running at the horizon or ended by the firm's exit are censored. "
             "Median tenure with its 95% interval (\"not reached\": fewer than half the spells end in churn within "
             "the horizon); log-rank tests of equal churn hazards between firms (pairs uncorrected).", ""]
    lines: list[str] = []
    medians, tests, estimates = [], [], []
    for config in configs:
        spells = spell_counts(connection, config)
        if spells.empty:
            continue
        overall = survival.kaplan_meier(spells, by=("firm",))
        by_segment = survival.kaplan_meier(spells, by=("firm", "segment"))
        estimates.append((config, overall.curves, by_segment.curves))
        table = pd.concat([overall.medians.assign(segment="all"), by_segment.medians], ignore_index=True)
        table.insert(0, "config", config)
        logrank = survival.logrank(spells, by="firm")
        logrank.insert(0, "config", config)
        medians.append(table)
        tests.append(logrank)
        wide = table.assign(text=table.apply(_median_text, axis=1)).pivot_table(
            index="firm", columns="segment", values="text", aggfunc="first", sort=False)
        wide = wide.reindex(index=[firm for firm in order if firm in wide.index],
                            columns=["all", *(c for c in wide.columns if c != "all")]).reset_index()
        lines += [f"### {config}", "", "Median tenure (months):", "", _table(wide), "", "Log-rank tests:", "",
                  _table(logrank.assign(p_value=logrank["p_value"].map(lambda p: f"{p:.3g}"),
                                        test_statistic=logrank["test_statistic"].map(lambda s: f"{s:.2f}"))
                         .drop(columns="config")), ""]
    if estimates:
        write_figure(survival_figure(estimates, order), out / "survival.png")
        header += ["![Kaplan-Meier curves](survival.png)", ""]
    return header + lines, medians, tests


def build_report(sweep: Path, out: Path, by: Sequence[str] | None = None, with_survival: bool = True) -> Path:
    """Update the store of ``sweep`` and write the report into ``out``; return the path of ``report.md``.

    Raises :class:`sim.sweeps.store.StoreError` on a sweep directory without complete
    jobs and ``ValueError`` when ``by`` names a parameter that was not swept,
    both before writing any file.
    """
    planned = store.plan(sweep)
    by = list(by) if by else list(planned.swept)
    unknown = [name for name in by if name not in planned.swept]
    if unknown:
        raise ValueError(f"--by {', '.join(unknown)}: not swept (swept: {', '.join(planned.swept) or 'only the seed'})")
    built = store.write(planned)
    out.mkdir(parents=True, exist_ok=True)
    swept = list(built.swept)
    with built.connect() as connection:
        order = firm_order(connection)
        summary = _sort(intervals(connection, swept), swept, order, ["firm"])
        differences = _sort(paired(connection, swept, order), swept, order, ["first", "second"])
        failed = connection.execute(
            "SELECT job, config, seed, error FROM runs WHERE status = 'failed' ORDER BY job").df()
        seeds = connection.execute(
            "SELECT config, count(*) AS seeds FROM runs WHERE status = 'complete' GROUP BY config").df()
        configs = list(dict.fromkeys(summary["config"]))
        survival_lines, medians, tests = (_survival_section(connection, configs, order, out) if with_survival
                                          else ([], [], []))
    write_table(summary, out / "intervals.parquet")
    write_table(differences, out / "paired.parquet")
    if medians:
        write_table(pd.concat(medians, ignore_index=True), out / "survival_medians.parquet")
        write_table(pd.concat(tests, ignore_index=True), out / "logrank.parquet")
    figures = _figures(summary, differences, swept, by, out)
    seeds_per = dict(zip(seeds["config"], seeds["seeds"], strict=True))
    lines = [f"# Sweep report: {Path(sweep).resolve()}", "",
             f"{built.complete + built.failed + built.pending} jobs: {built.complete} complete, {built.failed} failed, "
             f"{built.pending} pending. Swept: {', '.join(swept) or 'only the seed'}. "
             f"Store: `{built.path.name}` (tables and views in docs/OUTPUTS.md).", "",
             "Each outcome is the mean over a configuration's seeds with its 95% Student t interval; paired "
             "differences compare two firms in the same job (a common seed). Only complete jobs count.", ""]
    if not failed.empty:
        lines += ["## Failed jobs (left out)", "", _table(failed.fillna("")), ""]
    for config in configs:
        rows = summary[summary["config"] == config]
        table = rows.assign(text=rows.apply(_interval_text, axis=1)).pivot_table(
            index="firm", columns="outcome", values="text", aggfunc="first", sort=False)
        table = table.reindex(index=[f for f in order if f in table.index],
                              columns=[o for o in HEADLINES if o in table.columns])
        table = table.rename(columns=HEADLINES).reset_index()
        pairs = differences[differences["config"] == config]
        pair_table = pairs.assign(
            difference=pairs.apply(_interval_text, axis=1), outcome=pairs["outcome"].map(HEADLINES),
            wins=pairs.apply(lambda r: f"{int(r['first_wins'])} / {int(r['second_wins'])} of {int(r['n'])}", axis=1),
        )[["first", "second", "outcome", "difference", "wins"]]
        sentences = [f"- {win_sentence(row, HEADLINES[HEATMAP_OUTCOME])}."
                     for _, row in pairs[pairs["outcome"] == HEATMAP_OUTCOME].iterrows()]
        lines += [f"## {config} ({seeds_per.get(config, 0)} seeds)", "", _table(table), "", *sentences, "",
                  "Paired differences (first - second; wins: seeds in which first / second is higher):", "",
                  _table(pair_table), ""]
    if figures:
        lines += ["## Figures", "", *(f"![{path.stem}]({path.name})" for path in figures), ""]
    lines += survival_lines
    report = out / "report.md"
    atomic_write_text(report, "\n".join(lines).rstrip() + "\n")
    return report


def _figures(summary: pd.DataFrame, differences: pd.DataFrame, swept: Sequence[str], by: Sequence[str],
             out: Path) -> list[Path]:
    """Bars per configuration; bands against each numeric ``by`` parameter; a heatmap of the first two ``by``."""
    written = [out / "outcomes.png"]
    write_figure(interval_bars(summary, HEADLINES, group="config"), written[0])
    for x in by:
        if not pd.api.types.is_numeric_dtype(summary[x]):
            continue
        for label, rows in _slices(summary, [key for key in swept if key != x]):
            path = out / (_slug(f"outcomes_by_{x} {label}") + ".png")
            figure = interval_bands(rows, x, HEADLINES)
            if label:
                figure.suptitle(label)
            write_figure(figure, path)
            written.append(path)
    if len(by) >= 2:
        x, y = by[0], by[1]
        profit = differences[differences["outcome"] == HEATMAP_OUTCOME]
        for label, rows in _slices(profit, [key for key in swept if key not in (x, y)]):
            path = out / (_slug(f"heatmap_{HEATMAP_OUTCOME} {label}") + ".png")
            title = f"{HEADLINES[HEATMAP_OUTCOME]} {label}".strip()
            write_figure(heatmap_figure(rows, x, y, title), path)
            written.append(path)
    return written


