"""The record of one job of a run or sweep: ``job.json``, then the ``COMPLETE`` marker, written last.

A job directory is complete when its marker exists: the marker is written
only after every result file and the record, so a crash or a kill at any
point leaves a job that is recognisably not complete and is run again when
the same sweep is started again in the same directory. A job that raised is
recorded with ``status: failed`` and its error, and has no marker.

``job.json`` holds the job's overrides, seed, status, error, start and end
times, wall time, package versions and the git commit of the code, the
headline of a complete job (each firm's profit: the line a sweep prints for
it), and for a job of a design table the values its row sets; the resolved config is
Hydra's ``.hydra/config.yaml`` beside it.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd

from sim.output.files import atomic_write_text
from sim.world.results import versions

RECORD = "job.json"
COMPLETE = "COMPLETE"
CODE_DIR = Path(__file__).resolve().parents[2]


@cache
def git_commit() -> str:
    """The commit of the code that runs (with ``+dirty`` for uncommitted changes), or ``unknown``."""
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=CODE_DIR, capture_output=True, text=True,
                                timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=CODE_DIR,
                               capture_output=True, text=True, timeout=10, check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{commit}+dirty" if dirty else commit


def now() -> str:
    """The current time, ISO 8601 in UTC."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def is_complete(directory: Path) -> bool:
    """Whether a job directory holds a finished job (its marker exists)."""
    return (directory / COMPLETE).exists()


def held_overrides(directory: Path) -> list[str] | None:
    """The overrides of the complete job in ``directory``, or ``None`` if it holds no complete job."""
    if not is_complete(directory):
        return None
    return list(json.loads((directory / RECORD).read_text())["overrides"])


def design_values(overrides: Sequence[str]) -> dict[str, Any]:
    """The values the row of a design table sets (``+design.file=T +design.row=K``), by config path; else empty.

    A design sweep's overrides name only a row number: recording the row's
    values lets the result store show them as the swept parameters they are.
    A table that cannot be read records nothing (the job itself says why).
    """
    given = dict(item.lstrip("+").split("=", 1) for item in overrides
                 if item.lstrip("+").startswith(("design.file=", "design.row=")))
    if not {"design.file", "design.row"} <= given.keys():
        return {}
    try:
        table = pd.read_parquet(given["design.file"]).drop(columns=["sample"], errors="ignore")
        row = table.iloc[[int(given["design.row"])]].to_dict("records")[0]  # one row keeps each column's type
    except (OSError, ValueError, IndexError):
        return {}
    return {str(column): value.item() if hasattr(value, "item") else value for column, value in row.items()}


def record(directory: Path, *, status: str, overrides: Sequence[str], seed: int | None, started: str,
           wall_time: float, error: str | None = None, headline: str | None = None) -> None:
    """Write the job's record; for a complete job, then its marker (last, so it vouches for everything)."""
    directory.mkdir(parents=True, exist_ok=True)
    entry: dict[str, Any] = {
        "status": status,
        "overrides": list(overrides),
        "seed": seed,
        "started": started,
        "finished": now(),
        "wall_time_seconds": wall_time,
        "error": error,
        "headline": headline,
        "git_commit": git_commit(),
        "versions": versions(),
    }
    design = design_values(overrides)
    if design:
        entry["design"] = design
    atomic_write_text(directory / RECORD, json.dumps(entry, indent=2) + "\n")
    if status == "complete":
        atomic_write_text(directory / COMPLETE, "")


@dataclass(frozen=True)
class JobState:
    """What a sweep directory says of one job."""

    directory: Path
    status: str  # complete, failed or pending (started or not, not finished)
    record: dict[str, Any]


def job_dirs(sweep: Path) -> Iterator[Path]:
    """The job directories of a sweep (those Hydra numbered), in job order."""
    numbered = [path for path in sweep.iterdir() if path.is_dir() and path.name.isdigit()] if sweep.is_dir() else []
    yield from sorted(numbered, key=lambda path: int(path.name))


def scan(sweep: Path) -> list[JobState]:
    """The state of every job directory in ``sweep``."""
    states = []
    for directory in job_dirs(sweep):
        path = directory / RECORD
        entry = json.loads(path.read_text()) if path.exists() else {}
        failed = entry.get("status") == "failed"
        status = "complete" if is_complete(directory) else "failed" if failed else "pending"
        states.append(JobState(directory, status, entry))
    return states
