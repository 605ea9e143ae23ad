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
DuckDB by job, firm, segment, duration and cause of ending; firms are tested
against each other on one value per seed, the seeds being the replications.
Figures show one outcome each, with its unit, at a size a paper can print.
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
from sim.output.figures import PAPER_FONT, InlineFigure, interval_bands, interval_bars, outcome_axis, plain_ticks
from sim.output.files import atomic_write_text, write_figure, write_table
from sim.studies.stats import interval_text, t_interval
from sim.sweeps import store
from sim.world.outcomes import OUTCOMES

#: The outcomes the report gives for each firm by default, named as :data:`sim.world.outcomes.OUTCOMES` names them.
#: The first leads: its sentences and heatmap come first. NPS is given over each firm's own months and over the
#: months all firms trade: only the second compares firms fairly when one exits early (it is not judged on the
#: months it missed).
OUTCOME_NAMES = ("cumulative_profit", "first_year_profit", "annual_retention", "final_customer_equity", "mean_nps",
                 "common_nps", "final_share", "mean_price", "no_firm_share", "market_size")
#: The outcome whose paired comparisons get sentences besides the lead one's: NPS compared on common months
SENTENCE_OUTCOMES = ("common_nps",)
FIGURE_FORMATS = ("png", "svg", "pdf")


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
              outcomes: Sequence[str] = OUTCOME_NAMES) -> pd.DataFrame:
    """Mean, sd, n and 95% interval of each outcome per configuration and firm, over its complete jobs' seeds."""
    columns = "".join(f"{_quote(key)}, " for key in swept)
    frame = connection.execute(
        f"SELECT config, {columns}firm, outcome, avg(value) AS mean, stddev_samp(value) AS sd, count(value) AS n "
        f"FROM {_unpivot(outcomes)} GROUP BY ALL").df()
    return _with_interval(frame)


def paired(connection: duckdb.DuckDBPyConnection, swept: Sequence[str], order: Sequence[str],
           outcomes: Sequence[str] = OUTCOME_NAMES) -> pd.DataFrame:
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


def _sort(frame: pd.DataFrame, swept: Sequence[str], order: Sequence[str], firm_columns: Sequence[str],
          outcomes: Sequence[str]) -> pd.DataFrame:
    """Rows in sweep order of the swept values, then firms in config order, then outcomes in the order asked."""
    ranks = {**{name: {firm: index for index, firm in enumerate(order)} for name in firm_columns},
             "outcome": {outcome: index for index, outcome in enumerate(outcomes)}}
    return frame.sort_values([*swept, *firm_columns, "outcome"], ignore_index=True,
                             key=lambda column: column.map(ranks[column.name]) if column.name in ranks else column)


def _short_number(value: float, scale: float | None = None) -> str:
    """A figure for the report: whole numbers from 10,000 up (judged on ``scale``, default the value), else 4 digits."""
    if not np.isfinite(value):
        return "n/a" if np.isnan(value) else ("inf" if value > 0 else "-inf")
    return f"{value:,.0f}" if abs(value if scale is None else scale) >= 1e4 else f"{value:.4g}"


def _interval_text(row: pd.Series, change: bool = False) -> str:
    """``mean [low, high]`` in the outcome's unit (money in millions), with a sign for a difference."""
    outcome = OUTCOMES[row["outcome"]]
    return interval_text(row["mean"], row["low"], row["high"], outcome.show_change if change else outcome.show)


def win_sentence(row: pd.Series) -> str:
    """E.g. "centric beats focused on cumulative profit in 27 of 30 seeds (difference +1.2 M [...])".

    The firm ahead on the mean comes first; when the 95% interval of the
    difference includes 0 the sentence says there is no clear difference
    instead of naming a winner (as the ready-made studies do).
    """
    first, second, wins = row["first"], row["second"], row["first_wins"]
    mean, low, high = row["mean"], row["low"], row["high"]
    if mean < 0:
        first, second, wins, mean, low, high = second, first, row["second_wins"], -mean, -high, -low
    outcome = OUTCOMES[row["outcome"]]
    ties = int(row["n"] - row["first_wins"] - row["second_wins"])
    tied = f", {ties} tied" if ties else ""
    seeds = f"in {int(wins)} of {int(row['n'])} seeds{tied}"
    difference = f"difference {interval_text(mean, low, high, outcome.show_change)}"
    if low > 0:  # oriented so that the mean is not negative: the interval lies above 0 or includes it
        return f"{first} beats {second} on {outcome.label} {seeds} ({difference})"
    return f"no clear difference between {first} and {second} on {outcome.label}: {first} higher {seeds} ({difference})"


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
    """One panel per pair of firms: the mean paired difference of one outcome in each cell of ``x`` by ``y``.

    Each pair is oriented so that its mean over the cells is positive
    (``winner - loser``); a star marks a cell whose 95% interval excludes 0.
    Values are in the outcome's unit (money in millions), named on the colour
    bar.
    """
    outcome = OUTCOMES[differences["outcome"].iloc[0]]
    unit_label, factor = outcome_axis(outcome.name)
    pairs = list(dict.fromkeys(zip(differences["first"], differences["second"], strict=True)))
    figure = InlineFigure(figsize=(4.8 * len(pairs), 4.0), layout="constrained")
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
            axis.text(column, row, f"{outcome.show_change(value)}{star}", ha="center", va="center",
                      fontsize=PAPER_FONT, color="white" if abs(value) > 0.6 * limit else "black")
        axis.set_xticks(range(len(means.columns)), [str(c) for c in means.columns])
        axis.set_yticks(range(len(means.index)), [str(i) for i in means.index])
        axis.tick_params(labelsize=PAPER_FONT)
        axis.set_xlabel(x, fontsize=PAPER_FONT)
        axis.set_ylabel(y, fontsize=PAPER_FONT)
        axis.set_title(label, fontsize=PAPER_FONT + 1)
        colorbar = figure.colorbar(image, ax=axis, shrink=0.8)
        colorbar.set_label(unit_label, fontsize=PAPER_FONT)
        colorbar.ax.tick_params(labelsize=PAPER_FONT)
        plain_ticks(colorbar.ax.yaxis, factor)
    figure.suptitle(f"{title} (mean paired difference; * 95% interval excludes 0)", fontsize=PAPER_FONT + 1)
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
    figure = InlineFigure(figsize=(3.4 * len(columns), 2.8 * len(estimates) + 0.7))
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
            axis.tick_params(labelsize=PAPER_FONT)
            axis.set_title(name if row == 0 else "", fontsize=PAPER_FONT)
        axes[row, 0].set_ylabel(f"{config}\nspells running", fontsize=PAPER_FONT)
    for axis in axes[-1]:
        axis.set_xlabel("months with the firm", fontsize=PAPER_FONT)
    axes[0, 0].legend(loc="lower left", fontsize=PAPER_FONT)
    figure.subplots_adjust(left=0.1, right=0.99, bottom=0.55 / figure.get_figheight(),
                           top=1 - 0.35 / figure.get_figheight(), wspace=0.1, hspace=0.12)
    return figure


def spell_counts(connection: duckdb.DuckDBPyConnection, config: str) -> pd.DataFrame:
    """The spells of one configuration's complete jobs, counted by job, firm, segment, duration and cause of ending.

    Counted ``store.BATCH`` jobs at a time, so the memory of a read does not
    grow with the number of seeds (the counts have a few thousand rows per
    job at most). The job is the number of the file's directory.
    """
    files = [str(path) for path in store.job_files(connection, "tenures", config)]
    keys = ["job", "firm", "segment", "duration", survival.ENDING]
    batches = [connection.execute(
        "SELECT CAST(regexp_extract(filename, '([0-9]+)/[^/]+$', 1) AS INTEGER) AS job, firm, segment, duration, "
        "CAST(ended_by AS VARCHAR) AS ended_by, count(*) AS count "
        "FROM read_parquet($files, union_by_name = true, filename = true) GROUP BY ALL",
        {"files": files[start:start + store.BATCH]}).df()
        for start in range(0, len(files), store.BATCH)]
    if not batches:
        return pd.DataFrame(columns=[*keys, "count"])
    return pd.concat(batches).sort_values(keys, ignore_index=True)


def _table(frame: pd.DataFrame) -> str:
    header = "| " + " | ".join(frame.columns) + " |"
    rule = "|" + "---|" * len(frame.columns)
    return "\n".join([header, rule, *("| " + " | ".join(str(v) for v in row) + " |"
                                      for row in frame.itertuples(index=False))])


def _median_text(row: pd.Series) -> str:
    if np.isinf(row["median"]):
        return "not reached"
    return f"{_short_number(row['median'])} [{_short_number(row['low'])}, {_short_number(row['high'])}]"


def _pooled(spells: pd.DataFrame, by: Sequence[str]) -> pd.DataFrame:
    """The counts of every job summed, for the curves that pool a configuration's seeds."""
    keys = [*by, "duration", survival.ENDING]
    return spells.groupby(keys, observed=True, sort=False)["count"].sum().reset_index()


SURVIVAL_TEXT = (
    "Kaplan-Meier estimates of spell length (months with a firm) pooled over each configuration's seeds. A spell "
    "ends when the customer leaves (churn, or dropout from the market) or when the firm exits (it keeps none of its "
    "customers: counted as an end, not censored, so a firm that goes out of business does not read as keeping its "
    "customers; `exited` counts those spells); spells still running at the horizon are censored. Median tenure "
    "with its 95% interval (\"not reached\": fewer than half the spells end within the horizon). The curves, "
    "bands and medians describe: they treat every simulated customer as an independent unit, which customers "
    "sharing a market are not, so their bands are too narrow to compare firms with.\n\n"
    "Firms are compared at the level of runs: in each seed, each firm's restricted mean tenure (the area under "
    "its Kaplan-Meier curve up to the horizon, the months a customer stays on average within the run; unlike the "
    "median, defined in every run), then each pair of firms by the Wilcoxon signed-rank test of the per-seed "
    "differences. The seeds are the independent replications, so the test's evidence grows with the seeds, not "
    "with the simulated customers (a log-rank test pooling them gives p = 0 whatever the seeds say); signed ranks "
    "assume no normal distribution; with n seeds the smallest p is 2 / 2^n (pairs uncorrected).")


def _survival_section(connection: duckdb.DuckDBPyConnection, configs: Sequence[str], order: Sequence[str],
                      out: Path, figure_format: str, dpi: int) -> tuple[list[str], dict[str, pd.DataFrame]]:
    """The survival section's lines and its tables: median tenure, restricted mean per seed, run-level tests."""
    header = ["## Survival of customers", "", SURVIVAL_TEXT, ""]
    lines: list[str] = []
    medians, per_seed, tests, estimates = [], [], [], []
    seeds = connection.execute("SELECT job, seed FROM runs").df()
    for config in configs:
        spells = spell_counts(connection, config)
        if spells.empty:
            continue
        overall = survival.kaplan_meier(_pooled(spells, ["firm"]), by=("firm",))
        by_segment = survival.kaplan_meier(_pooled(spells, ["firm", "segment"]), by=("firm", "segment"))
        estimates.append((config, overall.curves, by_segment.curves))
        table = pd.concat([overall.medians.assign(segment="all"), by_segment.medians], ignore_index=True)
        table.insert(0, "config", config)
        runs = survival.restricted_mean(spells, by=("job", "firm"), horizon=float(spells["duration"].max()))
        tested = survival.paired_runs(runs, order)
        runs = runs.merge(seeds, on="job")
        runs.insert(0, "config", config)
        tested.insert(0, "config", config)
        medians.append(table)
        per_seed.append(runs)
        tests.append(tested)
        wide = table.assign(text=table.apply(_median_text, axis=1)).pivot_table(
            index="firm", columns="segment", values="text", aggfunc="first", sort=False)
        wide = wide.reindex(index=[firm for firm in order if firm in wide.index],
                            columns=["all", *(c for c in wide.columns if c != "all")]).reset_index()
        means = runs.groupby("firm", observed=True)["restricted_mean"].mean()
        shown = pd.DataFrame({
            "pair": tested["first"] + " - " + tested["second"],
            "mean restricted tenure (months)": [f"{means[a]:.2f} - {means[b]:.2f}"
                                                for a, b in zip(tested["first"], tested["second"], strict=True)],
            "difference": tested["mean_difference"].map(lambda d: f"{d:+.2f}"),
            "seeds first / second longer": [f"{int(r.first_higher)} / {int(r.second_higher)} of {int(r.runs)}"
                                            for r in tested.itertuples()],
            "Wilcoxon p": tested["p_value"].map(lambda p: f"{p:.3g}")})
        counts = overall.medians.set_index("firm")
        ended = "; ".join(f"{firm} {int(counts.loc[firm, 'spells']):,}, of which {int(counts.loc[firm, 'churned']):,} "
                          f"ended by the customer leaving and {int(counts.loc[firm, 'exited']):,} by the firm's exit"
                          for firm in order if firm in counts.index)
        lines += [f"### {config}", "", f"Spells: {ended}.", "", "Median tenure (months):", "", _table(wide), "",
                  "Restricted mean tenure per seed, compared between firms seed by seed (Wilcoxon signed-rank):", "",
                  _table(shown), ""]
    if estimates:
        name = f"survival.{figure_format}"
        write_figure(survival_figure(estimates, order), out / name, dpi=dpi)
        header += [f"![Kaplan-Meier curves]({name})", ""]
    tables = {"survival_medians": medians, "tenure_by_seed": per_seed, "tenure_tests": tests}
    return header + lines, {name: pd.concat(frames, ignore_index=True) for name, frames in tables.items() if frames}


def _write_tables(tables: dict[str, pd.DataFrame], out: Path, csv: bool) -> None:
    """Each table as Parquet and, with ``csv``, as CSV beside it (for a spreadsheet or a reader without Parquet)."""
    for name, frame in tables.items():
        write_table(frame, out / f"{name}.parquet")
        if csv:
            atomic_write_text(out / f"{name}.csv", frame.to_csv(index=False))


def check_outcomes(outcomes: Sequence[str]) -> list[str]:
    """The outcomes asked for, in order without repeats; ``ValueError`` naming the allowed ones if one is unknown."""
    unknown = [name for name in outcomes if name not in OUTCOMES]
    if unknown or not outcomes:
        raise ValueError(f"--outcome {' '.join(unknown)}: unknown outcome (allowed: {', '.join(OUTCOMES)})")
    return list(dict.fromkeys(outcomes))


def build_report(sweep: Path, out: Path, by: Sequence[str] | None = None, with_survival: bool = True,
                 outcomes: Sequence[str] = OUTCOME_NAMES, csv: bool = False, figure_format: str = "png",
                 dpi: int = 150) -> Path:
    """Update the store of ``sweep`` and write the report into ``out``; return the path of ``report.md``.

    ``outcomes`` names the outcomes shown, as :data:`sim.world.outcomes.OUTCOMES`
    does; the first leads (sentences, heatmap). ``csv`` writes every table as
    CSV beside its Parquet file; figures are saved as ``figure_format``
    (png, svg or pdf) at ``dpi``. Raises :class:`sim.sweeps.store.StoreError`
    on a sweep directory without complete jobs and ``ValueError`` when ``by``
    names a parameter that was not swept or ``outcomes`` an unknown outcome,
    all before writing any file.
    """
    outcomes = check_outcomes(outcomes)
    if figure_format not in FIGURE_FORMATS:
        raise ValueError(f"--format {figure_format}: unknown (allowed: {', '.join(FIGURE_FORMATS)})")
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
        summary = _sort(intervals(connection, swept, outcomes), swept, order, ["firm"], outcomes)
        differences = _sort(paired(connection, swept, order, outcomes), swept, order, ["first", "second"], outcomes)
        failed = connection.execute(
            "SELECT job, config, seed, error FROM runs WHERE status = 'failed' ORDER BY job").df()
        seeds = connection.execute(
            "SELECT config, count(*) AS seeds FROM runs WHERE status = 'complete' GROUP BY config").df()
        configs = list(dict.fromkeys(summary["config"]))
        survival_lines, survival_tables = (_survival_section(connection, configs, order, out, figure_format, dpi)
                                           if with_survival else ([], {}))
    _write_tables({"intervals": summary, "paired": differences, **survival_tables}, out, csv)
    figures = _figures(summary, differences, swept, by, outcomes, out, figure_format, dpi)
    seeds_per = dict(zip(seeds["config"], seeds["seeds"], strict=True))
    labels = {name: OUTCOMES[name].label for name in outcomes}
    lines = [f"# Sweep report: {Path(sweep).resolve()}", "",
             f"{built.complete + built.failed + built.pending} jobs: {built.complete} complete, {built.failed} failed, "
             f"{built.pending} pending. Swept: {', '.join(swept) or 'only the seed'}. "
             f"Store: `{built.path.name}` (tables and views in docs/OUTPUTS.md).", "",
             "Each outcome is the mean over a configuration's seeds with its 95% Student t interval; paired "
             "differences compare two firms in the same job (a common seed). Only complete jobs count. NPS over a "
             "firm's own months judges a firm that exits early on the months it traded only; compare firms' NPS "
             "over the months all firms trade.", ""]
    if not failed.empty:
        lines += ["## Failed jobs (left out)", "", _table(failed.fillna("")), ""]
    for config in configs:
        rows = summary[summary["config"] == config]
        table = rows.assign(text=rows.apply(_interval_text, axis=1)).pivot_table(
            index="firm", columns="outcome", values="text", aggfunc="first", sort=False)
        table = table.reindex(index=[f for f in order if f in table.index],
                              columns=[o for o in outcomes if o in table.columns])
        table = table.rename(columns=labels).reset_index()
        pairs = differences[differences["config"] == config]
        pair_table = pairs.assign(
            difference=pairs.apply(_interval_text, axis=1, change=True), outcome=pairs["outcome"].map(labels),
            wins=pairs.apply(lambda r: f"{int(r['first_wins'])} / {int(r['second_wins'])} of {int(r['n'])}", axis=1),
        )[["first", "second", "outcome", "difference", "wins"]]
        sentences = [f"- {win_sentence(row)}." for outcome in dict.fromkeys([outcomes[0], *SENTENCE_OUTCOMES])
                     for _, row in pairs[pairs["outcome"] == outcome].iterrows()]
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
             outcomes: Sequence[str], out: Path, figure_format: str, dpi: int) -> list[Path]:
    """One figure per outcome: bars per configuration, then bands against each numeric ``by`` parameter.

    Then a heatmap of the lead outcome (the first) over the first two ``by``
    parameters. A figure per outcome rather than a strip of panels: each can
    go into a paper at a column's width, its unit on its axis.
    """
    written = []

    def write(figure: Figure, stem: str) -> None:
        path = out / f"{_slug(stem)}.{figure_format}"
        write_figure(figure, path, dpi=dpi)
        written.append(path)

    for outcome in outcomes:
        write(interval_bars(summary, {outcome: ""}, group="config"), f"outcome_{outcome}")
        for x in by:
            if not pd.api.types.is_numeric_dtype(summary[x]):
                continue
            for label, rows in _slices(summary, [key for key in swept if key != x]):
                write(interval_bands(rows, x, {outcome: label}), f"{outcome}_by_{x} {label}")
    if len(by) >= 2:
        x, y = by[0], by[1]
        lead = differences[differences["outcome"] == outcomes[0]]
        for label, rows in _slices(lead, [key for key in swept if key not in (x, y)]):
            title = f"{OUTCOMES[outcomes[0]].label} {label}".strip()
            write(heatmap_figure(rows, x, y, title), f"heatmap_{outcomes[0]} {label}")
    return written
