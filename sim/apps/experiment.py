"""What the ready-made studies in ``experiments/`` share: arguments, composing, intervals, tables, output files.

Every study takes ``--seeds``, ``--workers``, ``--out`` and trailing Hydra
overrides, refuses bad input with one ``<study>: error:`` line and exit code 2
before it runs or writes anything, prints a table and writes parquet tables,
one figure and ``report.md`` into a fresh timestamped directory. Keeping these
in one module keeps the studies' outputs alike and their scripts about their
question only.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim.apps.cli import describe_bad_input, fail
from sim.config.compose import load_config
from sim.config.schema import SimConfig
from sim.output.files import write_figure, write_table
from sim.studies.replicate import mean_ci, paired


def money(value: float) -> str:
    """Money in millions, as the README quotes it (``32.5 M``)."""
    return f"{value / 1e6:,.1f} M"


def signed_money(value: float) -> str:
    """A difference of money in millions, with its sign (``+32.5 M``)."""
    return f"{value / 1e6:+,.1f} M"


#: The per-firm headlines of a run's summary that the studies report, with a label and a formatter each.
HEADLINES: dict[str, tuple[str, Callable[[float], str]]] = {
    "cumulative_profit": ("cumulative profit", money),
    "annual_retention": ("annual retention", "{:.3f}".format),
    "final_customer_equity": ("final customer equity", money),
    "mean_nps": ("mean NPS (own months)", "{:.1f}".format),
    "common_nps": ("NPS (months all trade)", "{:.1f}".format),
    "final_share": ("final share", "{:.3f}".format),
}

#: Differences of the same headlines, signed.
DIFFERENCES: dict[str, Callable[[float], str]] = {
    "cumulative_profit": signed_money,
    "annual_retention": "{:+.3f}".format,
    "final_customer_equity": signed_money,
    "mean_nps": "{:+.1f}".format,
    "common_nps": "{:+.1f}".format,
    "final_share": "{:+.3f}".format,
}


def parser(doc: str, seeds: int) -> argparse.ArgumentParser:
    """The arguments every study takes; ``doc`` is the script's docstring, ``seeds`` its default replications."""
    result = argparse.ArgumentParser(description=doc.splitlines()[0],
                                     epilog="Trailing Hydra overrides apply to every run, e.g. market.customers=2000")
    result.add_argument("--seeds", type=int, default=seeds, help=f"replications, seeds 0..N-1 (default {seeds})")
    result.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    result.add_argument("--out", type=Path, default=None, help="output directory (default outputs/<study>/<stamp>)")
    result.add_argument("overrides", nargs="*", help="Hydra overrides for every run")
    return result


def compose(program: str, overrides: Sequence[str]) -> SimConfig:
    """:func:`sim.config.compose.load_config`, turning bad input into one ``<program>: error:`` line and exit code 2."""
    try:
        return load_config(list(overrides))
    except Exception as error:
        message = describe_bad_input(error)
        if message is None:
            raise
        fail(message, program)


def require(program: str, ok: bool, message: str) -> None:
    """Stop with one ``<program>: error: <message>`` line and exit code 2 unless ``ok``."""
    if not ok:
        fail(message, program)


def require_firms(program: str, config: SimConfig, names: Sequence[str]) -> None:
    """Stop unless every firm the study compares is in the composed market."""
    missing = [name for name in names if name not in config.firms]
    require(program, not missing, f"firm(s) {', '.join(missing)} not in the market; firms: {', '.join(config.firms)}")


def output_dir(study: str, out: Path | None) -> Path:
    """``out``, or ``outputs/<study>/<date>_<time with microseconds>`` (two runs never share one), created."""
    directory = out or Path("outputs") / study / datetime.now().strftime("%Y-%m-%d_%H-%M-%S-%f")
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def intervals(runs: pd.DataFrame, by: Sequence[str], outcomes: Sequence[str]) -> pd.DataFrame:
    """Mean and 95% t-interval over seeds of each outcome per group: one row per group and outcome."""
    rows = []
    for key, group in runs.groupby(list(by), sort=False):
        labels = dict(zip(by, key if isinstance(key, tuple) else (key,), strict=True))
        for outcome in outcomes:
            interval = mean_ci(group[outcome].dropna())
            rows.append({**labels, "outcome": outcome, "mean": interval.mean, "low": interval.low,
                         "high": interval.high, "n": interval.n})
    return pd.DataFrame(rows)


def paired_differences(runs: pd.DataFrame, first: str, second: str, outcomes: Sequence[str],
                       by: Sequence[str] = ()) -> pd.DataFrame:
    """Per group and outcome: ``first`` minus ``second`` firm, paired seed by seed (common random numbers).

    ``ahead`` counts the seeds in which ``first`` is strictly above ``second``.
    """
    groups = runs.groupby(list(by), sort=False) if by else [((), runs)]
    rows = []
    for key, group in groups:
        labels = dict(zip(by, key if isinstance(key, tuple) else (key,), strict=True))
        for outcome in outcomes:
            difference = paired(group, outcome, first, second).dropna()
            interval = mean_ci(difference)
            rows.append({**labels, "first": first, "second": second, "outcome": outcome, "mean": interval.mean,
                         "low": interval.low, "high": interval.high, "ahead": int((difference > 0).sum()),
                         "seeds": int(difference.size)})
    return pd.DataFrame(rows)


def verdict(low: float, high: float, first: str, second: str) -> str:
    """Which of two firms the interval of ``first - second`` favours, or that it cannot tell."""
    if low > 0:
        return f"{first} ahead"
    if high < 0:
        return f"{second} ahead"
    return "no clear difference"


def interval_text(mean: float, low: float, high: float, formatter: Callable[[float], str]) -> str:
    """``mean [low, high]`` in one formatter."""
    return f"{formatter(mean)} [{formatter(low)}, {formatter(high)}]"


def ratio_interval(numerator: np.ndarray, denominator: np.ndarray, confidence: float = 0.95,
                   resamples: int = 4000, seed: int = 0) -> tuple[float, float, float]:
    """Ratio of two paired means, mean(numerator) / mean(denominator), with a percentile bootstrap interval.

    Seeds are resampled together (both figures of a seed stay paired); the
    bootstrap is seeded so the interval repeats. A ratio has no t-interval,
    and per-seed ratios explode when a seed's denominator is near zero. All
    three are NaN when the denominator's mean is zero (the ratio is undefined).
    """
    numerator, denominator = np.asarray(numerator, dtype=float), np.asarray(denominator, dtype=float)
    if denominator.mean() == 0:
        return math.nan, math.nan, math.nan
    ratio = float(numerator.mean() / denominator.mean())
    picks = np.random.default_rng(seed).integers(0, numerator.size, size=(resamples, numerator.size))
    with np.errstate(divide="ignore", invalid="ignore"):
        ratios = numerator[picks].mean(axis=1) / denominator[picks].mean(axis=1)
    tail = (1 - confidence) / 2
    low, high = np.nanquantile(ratios, [tail, 1 - tail])
    return ratio, float(low), float(high)


def markdown(frame: pd.DataFrame) -> str:
    """A markdown table of ``frame`` as it is (format the cells first): readable printed and in ``report.md``."""
    lines = ["| " + " | ".join(map(str, frame.columns)) + " |", "|" + "---|" * len(frame.columns)]
    lines += ["| " + " | ".join(map(str, row)) + " |" for row in frame.itertuples(index=False)]
    return "\n".join(lines)


def write(directory: Path, tables: Mapping[str, pd.DataFrame], figure: Figure, report: str) -> None:
    """Write ``<name>.parquet`` per table, ``figure.png`` and ``report.md`` into ``directory``."""
    for name, table in tables.items():
        write_table(table, directory / f"{name}.parquet")
    write_figure(figure, directory / "figure.png")
    (directory / "report.md").write_text(report.rstrip() + "\n")
