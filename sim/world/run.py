"""The one pure entry point: a validated config and a seed in, tidy result tables out.

The CLI, notebooks, tests and any sweep launcher all call :func:`run_model`,
so every user sees results produced by the very same path. It touches no
global state and writes nothing; :mod:`sim.output.files` writes files.
"""

from __future__ import annotations

import sys
import time

from tqdm import tqdm

from sim.config.schema import SimConfig
from sim.world.model import MarketModel
from sim.world.outcomes import firm_outcomes
from sim.world.results import RunResult, versions

__all__ = ["RunResult", "run_model", "versions"]

PROGRESS_AFTER_SECONDS = 2.0  # a run shorter than this never shows a bar


def run_model(config: SimConfig, seed: int | None = None, progress: bool = False) -> RunResult:
    """Run one market from ``config`` with ``seed`` (default ``config.seed``).

    Pure: the same config and seed give bit-identical tables, alone, in a
    sweep or in a worker process. ``progress`` shows a bar of months on
    standard error once a run has taken ``PROGRESS_AFTER_SECONDS``, and only
    when that is a terminal (never in a log file or a sweep's worker).
    """
    seed = config.seed if seed is None else seed
    started = time.perf_counter()
    model = MarketModel(config, seed=seed)
    with tqdm(total=config.market.steps, desc="market", unit="month", file=sys.stderr, leave=False,
              delay=PROGRESS_AFTER_SECONDS, disable=None if progress else True) as bar:
        while model.running:
            model.step()
            bar.update()
    tables = model.tables()
    model.release()
    wall_time = time.perf_counter() - started
    summary = {
        "seed": seed,
        "customers": config.market.customers,
        "total_customers": config.market.total_customers,
        "scale": config.market.scale,
        "steps": config.market.steps,
        "network": config.network.kind,
        "events": [
            {"month": event.month, "kind": event.kind, "firm": event.firm, "segment": event.segment,
             "in_effect_from": event.month + (event.lag if event.kind == "switch" else 0)}
            for event in config.events
        ],
        "wall_time_seconds": wall_time,
        "phase_seconds": dict(model.clock.seconds),
        "versions": versions(),
        "firms": firm_outcomes(tables["firms"], tables["segments"], config.market.steps_per_year),
    }
    return RunResult(summary=summary, **tables)
