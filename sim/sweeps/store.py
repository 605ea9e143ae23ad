"""The result store of a sweep: a DuckDB file over the jobs' Parquet tables, read in place.

``SWEEP_DIR/results.duckdb`` holds two small tables, ``runs`` (one row per
job: its number, every swept override or design-table column as its own
column, seed, status, error and times) and ``outcomes`` (the headline figures of each complete job and
firm, read from its ``summary.json``), and views that read the complete jobs'
Parquet files where they lie: ``firms``, ``segments`` and ``tenures``, each
row tagged with its ``job``. The tables of results are not copied, so the
store stays small and a query touches only the columns it names;
:func:`build` run again after a resumed sweep rewrites ``runs`` and
``outcomes`` and points the views at the jobs complete by then.
The views name the files by absolute path: after moving a sweep directory,
build the store again.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow.parquet as pq
import yaml

from sim.output import jobs
from sim.output.files import TABLES
from sim.world.outcomes import OUTCOMES

DATABASE = "results.duckdb"
DEFAULT_STEPS_PER_YEAR = 12

# Jobs whose files are read at a time (the report's survival counts): bounds the memory of one read whatever the
# sweep's size.
BATCH = 200
# Text columns may hold only nulls (no job failed), which would otherwise give them DuckDB's NULL type.
TEXT_COLUMNS = ("status", "error", "started", "finished", "git_commit")


class StoreError(ValueError):
    """A sweep directory a store cannot be built from (not a directory, no jobs)."""


@dataclass(frozen=True)
class Store:
    """A built store: where it is, the swept parameters (column names in ``runs``) and the complete jobs."""

    path: Path
    swept: tuple[str, ...]
    complete: int
    failed: int
    pending: int

    def connect(self, read_only: bool = True) -> duckdb.DuckDBPyConnection:
        """A connection to the store (read-only by default, so several readers may share it)."""
        return duckdb.connect(str(self.path), read_only=read_only)


def _override_key(override: str) -> tuple[str, str] | None:
    """``key=value`` as (key, value), with Hydra's ``+``/``++`` prefixes dropped; deletions (``~key``) as None."""
    if "=" not in override or override.startswith("~"):
        return None
    key, value = override.split("=", 1)
    return key.lstrip("+"), value


def _parse_number(text: str) -> int | float | None:
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            continue
    return None


def _typed(values: list[str | None]) -> list[Any]:
    """A swept column as numbers when every value parses as one (ints if all are ints), else as the text typed."""
    present = [value for value in values if value is not None]
    numbers = [_parse_number(value) for value in present]
    if not present or any(number is None for number in numbers):
        return values
    kind = int if all(isinstance(number, int) for number in numbers) else float
    return [None if value is None else kind(_parse_number(value)) for value in values]


def _overrides(state: jobs.JobState) -> list[str]:
    """A job's overrides from its record, or, for a job that never wrote one, from Hydra's ``overrides.yaml``."""
    if "overrides" in state.record:
        return [str(item) for item in state.record["overrides"]]
    path = state.directory / ".hydra" / "overrides.yaml"
    return [str(item) for item in yaml.safe_load(path.read_text()) or []] if path.exists() else []


def _steps_per_year(directory: Path) -> int:
    """``market.steps_per_year`` of a job's resolved config, which annual retention is compounded over."""
    path = directory / ".hydra" / "config.yaml"
    if not path.exists():
        return DEFAULT_STEPS_PER_YEAR
    config = yaml.load(path.read_text(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)) or {}
    return int((config.get("market") or {}).get("steps_per_year", DEFAULT_STEPS_PER_YEAR))


def swept_keys(overrides: Iterable[dict[str, str]]) -> tuple[str, ...]:
    """The override keys whose value differs between jobs (a key some jobs lack counts as differing), seed aside."""
    overrides = list(overrides)
    keys = list(dict.fromkeys(key for entry in overrides for key in entry))
    return tuple(key for key in keys if key != "seed" and not key.startswith("hydra.")
                 and len({entry.get(key) for entry in overrides}) > 1)


def _parameters(state: jobs.JobState) -> dict[str, str]:
    """A job's overrides by key; for a design-table row, the values it set instead of its row number.

    The values (:func:`sim.output.jobs.design_values`) are what a design
    sweep varies, so they, not ``design.row``, are its swept parameters.
    """
    given = dict(item for item in map(_override_key, _overrides(state)) if item is not None)
    design = state.record.get("design")
    if design:
        given.pop("design.row", None)
        given |= {key: str(value) for key, value in design.items()}
    return given


def runs_frame(states: list[jobs.JobState]) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """One row per job (see the module docstring) and the swept keys, from what the job directories record."""
    parsed = [_parameters(state) for state in states]
    swept = swept_keys(entry for entry in parsed if entry)  # a directory with no record yet says nothing of the grid
    frame = pd.DataFrame({"job": [int(state.directory.name) for state in states]})
    for key in swept:
        frame[key] = pd.Series(_typed([entry.get(key) for entry in parsed]), dtype=object).infer_objects()
    seeds = [state.record.get("seed", _parse_number(entry.get("seed", "")) if entry.get("seed") else None)
             for state, entry in zip(states, parsed, strict=True)]
    frame["seed"] = pd.array(seeds, dtype="Int64")
    for column in ("status", "error", "wall_time_seconds", "started", "finished", "git_commit"):
        values = [state.status if column == "status" else state.record.get(column) for state in states]
        frame[column] = pd.Series(values, dtype="float64" if column == "wall_time_seconds" else object)
    frame["config"] = [" ".join(f"{key}={entry[key]}" for key in swept if key in entry) or "all" for entry in parsed]
    # Every job of a configuration has the same resolved config apart from its seed, so one read per configuration
    # is enough (parsing a config.yaml per job would cost more than the rest of the store).
    per_config: dict[str, int] = {}
    for state, config in zip(states, frame["config"], strict=True):
        if state.status == "complete" and config not in per_config:
            per_config[config] = _steps_per_year(state.directory)
    frame["steps_per_year"] = pd.array([per_config.get(config) if state.status == "complete" else None
                                        for state, config in zip(states, frame["config"], strict=True)],
                                       dtype="Int64")
    frame["directory"] = [str(state.directory.resolve()) for state in states]
    frame["overrides"] = [json.dumps(_overrides(state)) for state in states]
    return frame, swept


def _file_list(paths: list[Path]) -> str:
    return "[" + ", ".join("'" + str(path.resolve()).replace("'", "''") + "'" for path in paths) + "]"


def _read(paths: list[Path], union: bool) -> str:
    """SQL reading one table of the jobs ``paths`` name, each row tagged with the job number from its directory."""
    options = "union_by_name = true, filename = true" if union else "filename = true"
    return (f"SELECT CAST(regexp_extract(filename, '([0-9]+)/[^/]+$', 1) AS INTEGER) AS job, * EXCLUDE (filename) "
            f"FROM read_parquet({_file_list(paths)}, {options})")


def _columns_differ(paths: list[Path], representatives: set[Path]) -> bool:
    """Whether the jobs' files of one table may have different columns, judged on one file per code and config.

    ``union_by_name`` reads every file's schema each time a view is bound
    (about 85 kB of memory and 2 ms per file), so it is used only when needed:
    the same code and config write the same columns, so one file per
    (configuration, git commit) stands for the rest.
    """
    schemas = [pq.read_schema(path) for path in paths if path in representatives]
    return any(not schema.equals(schemas[0]) for schema in schemas[1:])


@dataclass(frozen=True)
class Plan:
    """What a store of a sweep will hold, read from the job directories before anything is written."""

    sweep: Path
    states: list[jobs.JobState]
    runs: pd.DataFrame
    swept: tuple[str, ...]


def plan(sweep: Path) -> Plan:
    """Read the job directories of ``sweep``; raise :class:`StoreError` if it is not a directory or no job is complete.

    Kept apart from :func:`write` so that a caller can check its own input
    against the swept parameters before any file is written.
    """
    sweep = Path(sweep)
    if not sweep.is_dir():
        raise StoreError(f"{sweep} is not a directory")
    states = jobs.scan(sweep)
    if not any(state.status == "complete" for state in states):
        raise StoreError(f"{sweep} holds no complete job ({len(states)} job directories)")
    runs, swept = runs_frame(states)
    return Plan(sweep, states, runs, swept)


def _outcomes(complete: pd.DataFrame) -> pd.DataFrame:
    """One row per complete job and firm: the headline outcomes of its ``summary.json`` (undefined ones null).

    A job written by an older version lacks the outcomes added since: null, not an error.
    """
    rows = []
    for job, directory in zip(complete["job"], complete["directory"], strict=True):
        summary = json.loads((Path(directory) / "summary.json").read_text())
        rows += [{"job": job, "firm": firm["firm"], **{name: firm.get(name) for name in OUTCOMES},
                  "alive": firm["alive"]} for firm in summary["firms"]]
    return pd.DataFrame(rows).astype({name: "Float64" for name in OUTCOMES} | {"alive": "boolean"})


def write(planned: Plan) -> Store:
    """Create or update ``SWEEP_DIR/results.duckdb``: ``runs`` lists every job, the rest covers complete jobs only.

    The views read the Parquet files in place; ``outcomes`` is a table of
    every complete job's headline figures, read from its ``summary.json``
    (computed by the run itself, :func:`sim.world.outcomes.firm_outcomes`,
    so a figure has one definition), so that a report (or a researcher)
    aggregating it does not open every job's files again. Tables and views
    of other names that a researcher added are kept.
    """
    complete = planned.runs[planned.runs["status"] == "complete"]
    directories = [Path(directory) for directory in complete["directory"]]
    representatives = {Path(directory) for directory in
                       complete.drop_duplicates(["config", "git_commit"])["directory"]}
    files = {name: [directory / f"{name}.parquet" for directory in directories
                    if (directory / f"{name}.parquet").exists()] for name in TABLES}
    union = {name: _columns_differ(paths, {directory / f"{name}.parquet" for directory in representatives})
             for name, paths in files.items()}
    path = planned.sweep / DATABASE
    with duckdb.connect(str(path)) as connection:
        connection.execute("BEGIN TRANSACTION")
        connection.register("runs_frame", planned.runs)
        connection.execute("CREATE OR REPLACE TABLE runs AS SELECT * REPLACE ("
                           + ", ".join(f"CAST({column} AS VARCHAR) AS {column}" for column in TEXT_COLUMNS)
                           + ") FROM runs_frame ORDER BY job")
        connection.unregister("runs_frame")
        for name, paths in files.items():
            if paths:
                connection.execute(f"CREATE OR REPLACE VIEW {name} AS {_read(paths, union[name])}")
            else:
                connection.execute(f"DROP VIEW IF EXISTS {name}")
        connection.register("outcomes_frame", _outcomes(complete))
        connection.execute("CREATE OR REPLACE TABLE outcomes AS SELECT * FROM outcomes_frame ORDER BY job")
        connection.unregister("outcomes_frame")
        connection.execute("COMMIT")
    statuses = [state.status for state in planned.states]
    return Store(path, planned.swept, statuses.count("complete"), statuses.count("failed"), statuses.count("pending"))


def build(sweep: Path) -> Store:
    """Build or update the store of ``sweep`` (:func:`plan`, then :func:`write`)."""
    return write(plan(sweep))


def job_files(connection: duckdb.DuckDBPyConnection, table: str, config: str | None = None) -> list[Path]:
    """The ``table`` Parquet files of the complete jobs in ``runs`` (of one configuration, if ``config`` is given)."""
    rows = connection.execute("SELECT directory FROM runs WHERE status = 'complete' AND ($config IS NULL OR "
                              "config = $config) ORDER BY job", {"config": config}).fetchall()
    return [Path(directory) / f"{table}.parquet" for (directory,) in rows
            if (Path(directory) / f"{table}.parquet").exists()]
