"""Result files: each written under a temporary name and renamed, so none is ever partial.

Layout of a run directory (columns in docs/OUTPUTS.md): ``firms.parquet``,
``segments.parquet``, ``tenures.parquet``, ``summary.json`` and
``market.png``, next to Hydra's own ``.hydra/``.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from sim.world.results import RunResult

if TYPE_CHECKING:
    from matplotlib.figure import Figure

TABLES = ("firms", "segments", "tenures")


def _atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    try:
        write(temporary)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def atomic_write_text(path: Path, text: str) -> None:
    """Write a text file atomically."""
    _atomic_write(path, lambda tmp: tmp.write_text(text))


def _strict_json(value: object) -> object:
    """Replace NaN and infinities (undefined figures) by ``None``, written as JSON ``null``."""
    if isinstance(value, dict):
        return {key: _strict_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_strict_json(item) for item in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def write_figure(figure: Figure, path: Path, dpi: int = 110) -> None:
    """Save a figure, atomically, in the format its suffix names."""
    _atomic_write(path, lambda tmp: figure.savefig(tmp, dpi=dpi, format=path.suffix.lstrip(".")))


def write_table(frame: pd.DataFrame, path: Path) -> None:
    """Write one table as parquet, atomically."""
    _atomic_write(path, lambda tmp: frame.to_parquet(tmp, index=False))


def write_results(result: RunResult, directory: Path, tenures: bool = True) -> list[Path]:
    """Write a run's tables and summary into ``directory``; return the paths written."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name in TABLES:
        if name == "tenures" and not tenures:
            continue
        path = directory / f"{name}.parquet"
        write_table(getattr(result, name), path)
        written.append(path)
    summary_path = directory / "summary.json"
    text = json.dumps(_strict_json(result.summary), indent=2, allow_nan=False) + "\n"
    atomic_write_text(summary_path, text)
    written.append(summary_path)
    return written


def read_results(directory: Path) -> RunResult:
    """Read a run directory written by :func:`write_results` back into a :class:`RunResult`."""
    directory = Path(directory)
    tables = {
        name: pd.read_parquet(directory / f"{name}.parquet")
        if (directory / f"{name}.parquet").exists() else pd.DataFrame()
        for name in TABLES
    }
    summary = json.loads((directory / "summary.json").read_text())
    return RunResult(summary=summary, **tables)
