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
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

from sim.apps.errors import describe_bad_input, fail
from sim.config.compose import load_config
from sim.config.schema import SimConfig
from sim.output.files import write_figure, write_table

#: The outcomes the ready-made studies report for each firm (labels and formats: :data:`sim.world.outcomes.OUTCOMES`).
REPORTED = ("cumulative_profit", "annual_retention", "final_customer_equity", "mean_nps", "common_nps", "final_share")


class StudyParser(argparse.ArgumentParser):
    """Arguments whose ``--config-dir`` becomes a search path at the head of the trailing overrides.

    Every study composes its configs from ``overrides`` (:func:`compose`, or
    the command line of its own sweep), so the folder put there is searched
    wherever the study composes, as ``market-sim --config-dir`` searches it.
    """

    def parse_known_args(self, args: Sequence[str] | None = None,
                         namespace: argparse.Namespace | None = None) -> tuple[argparse.Namespace, list[str]]:
        """Parse as argparse does, then refuse a missing ``--config-dir`` and put it in front of the overrides."""
        parsed, rest = super().parse_known_args(args, namespace)
        if parsed.config_dir is not None:
            if not parsed.config_dir.is_dir():
                fail(f"--config-dir: no such folder: {parsed.config_dir}", self.prog)
            parsed.overrides = [f"hydra.searchpath=[file://{parsed.config_dir.resolve()}]", *parsed.overrides]
        return parsed, rest


def parser(doc: str, seeds: int) -> argparse.ArgumentParser:
    """The arguments every study takes; ``doc`` is the script's docstring, ``seeds`` its default replications."""
    result = StudyParser(description=doc.splitlines()[0],
                          epilog="Trailing Hydra overrides apply to every run, e.g. market.customers=2000")
    result.add_argument("--seeds", type=int, default=seeds, help=f"replications, seeds 0..N-1 (default {seeds})")
    result.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    result.add_argument("--out", type=Path, default=None, help="output directory (default outputs/<study>/<stamp>)")
    with_config_dir(result)
    result.add_argument("overrides", nargs="*", help="Hydra overrides for every run")
    return result


def with_config_dir(parser: StudyParser) -> None:
    """Give a study's :class:`StudyParser` the ``--config-dir`` option (its ``overrides`` are searched there)."""
    parser.add_argument("--config-dir", type=Path, default=None,
                        help="a folder of your own configs laid out like conf/ (scenario/, strategy/, ...), as "
                             "market-sim --config-dir")


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
