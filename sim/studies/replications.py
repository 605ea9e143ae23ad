"""Replications of configurations over many seeds, and confidence intervals across them.

Each replication is an independent call of :func:`sim.world.run.run_model` (in
worker processes when ``workers > 1``); results are identical whichever way
they are run, because a run is a pure function of config and seed. Studies
of many configurations (convergence, robustness) hand all their runs to
:func:`replicate_many` at once, so one pool of workers serves them all.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

import pandas as pd
from joblib import Parallel, delayed

from sim.config.schema import SimConfig
from sim.world.run import run_model

T = TypeVar("T")


def firm_rows(summary: dict[str, Any]) -> list[dict[str, Any]]:
    """One flat row per firm of a run's summary, tagged with its seed (by-segment figures become columns)."""
    seed = summary["seed"]
    rows = []
    for firm in summary["firms"]:
        row: dict[str, Any] = {}
        for key, value in firm.items():
            if isinstance(value, dict):  # by segment: segment_retention -> retention_<segment>
                row.update({f"{key.removeprefix('segment_')}_{segment}": item for segment, item in value.items()})
            else:
                row[key] = value
        rows.append({"seed": seed, **row})
    return rows


def run_rows(config: SimConfig, seed: int) -> list[dict[str, Any]]:
    """Run one market and return its per-firm summary rows: the task every study sends to its workers."""
    return firm_rows(run_model(config, seed=seed).summary)


def map_pairs(task: Callable[[SimConfig, int], T], pairs: Sequence[tuple[SimConfig, int]], workers: int = 1) -> list[T]:
    """``task(config, seed)`` for every ``(config, seed)`` pair, in their order, on ``workers`` processes.

    The processes are joblib's (loky), the engine of Hydra's joblib launcher,
    so a plain script or a notebook needs no ``__main__`` guard and results
    do not depend on ``workers``.
    """
    if workers > 1:
        return Parallel(n_jobs=workers, backend="loky")(delayed(task)(config, seed) for config, seed in pairs)
    return [task(config, seed) for config, seed in pairs]


def map_runs(
    task: Callable[[SimConfig, int], T], configs: Mapping[Hashable, SimConfig], seeds: Iterable[int], workers: int = 1
) -> list[tuple[Hashable, T]]:
    """``task(config, seed)`` for every config and seed, keyed by the config's key, in config then seed order."""
    seeds = list(seeds)
    keys = [key for key in configs for _ in seeds]
    results = map_pairs(task, [(config, seed) for config in configs.values() for seed in seeds], workers)
    return list(zip(keys, results, strict=True))


def replicate_many(configs: Mapping[Hashable, SimConfig], seeds: Iterable[int], workers: int = 1) -> pd.DataFrame:
    """Per-firm headline figures of every config in ``configs`` over ``seeds``.

    One row per config, seed and firm; the config's key is in column
    ``config``. Runs go to ``workers`` processes in one pool.
    """
    return pd.DataFrame([{"config": key, **row} for key, batch in map_runs(run_rows, configs, seeds, workers)
                         for row in batch])


def replicate(config: SimConfig, seeds: Iterable[int], workers: int = 1) -> pd.DataFrame:
    """Per-firm headline figures, one row per seed and firm (the summary of each run)."""
    return replicate_many({None: config}, seeds, workers).drop(columns="config")


