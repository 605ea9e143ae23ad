"""The one pure entry point: a validated config and a seed in, tidy result tables out.

The CLI, notebooks, tests and any sweep launcher all call :func:`run_model`,
so every user sees results produced by the very same path. It touches no
global state and writes nothing; :mod:`sim.output.files` writes files.
"""

from __future__ import annotations

import sys
import time
from typing import Any

import numpy as np
import pandas as pd
from tqdm import tqdm

from sim.config.schema import SimConfig
from sim.world.metrics import retention_rate
from sim.world.model import MarketModel
from sim.world.results import RunResult, versions

__all__ = ["RunResult", "run_model", "versions"]

PROGRESS_AFTER_SECONDS = 2.0  # a run shorter than this never shows a bar


def _firm_summary(firms: pd.DataFrame, segments: pd.DataFrame, steps_per_year: int) -> list[dict[str, Any]]:
    """Headline figures per firm: what a strategist reads first.

    NPS and satisfaction are given over each firm's own trading months and,
    for comparisons between firms, over the months every firm traded (the
    common window), so a firm that exits early is not judged on other months.
    """
    rows = []
    final = firms[firms["step"] == firms["step"].max()].set_index("firm")
    all_trading = firms.groupby("step")["alive"].transform("all") | (firms["step"] == firms["step"].min())
    for name, history in firms.groupby("firm", observed=True, sort=False):
        trading = history[history["alive"] | (history["step"] == history["step"].min())]
        common = history[all_trading.loc[history.index]]
        mine = segments[segments["firm"] == name]
        by_segment = mine.groupby("segment", observed=True)[["at_risk", "lost"]].sum()
        segment_retention = retention_rate(by_segment["at_risk"].to_numpy(), by_segment["lost"].to_numpy())
        monthly = retention_rate(by_segment["at_risk"].sum(), by_segment["lost"].sum())
        targets = history["target_segment"][history["target_segment"] != ""]
        first_year = history[history["step"] <= steps_per_year]
        rows.append({
            "firm": name,
            "strategy": "->".join(dict.fromkeys(history["strategy"].astype(str))),
            "cumulative_profit": float(final.loc[name, "cumulative_profit"]),
            "first_year_profit": float(first_year["profit"].sum()),
            "final_share": float(final.loc[name, "share"]),
            "mean_retention": float(monthly),
            "annual_retention": float(monthly ** steps_per_year),
            "mean_nps": float(trading["nps"].mean()),
            "mean_satisfaction": float(trading["satisfaction"].mean()),
            "common_nps": float(common["nps"].mean()),
            "common_satisfaction": float(common["satisfaction"].mean()),
            "common_months": len(common),
            "final_customer_equity": float(final.loc[name, "customer_equity"]),
            "alive": bool(final.loc[name, "alive"]),
            "main_target_segment": str(targets.mode().iloc[0]) if len(targets) else "",
            "segment_retention": {
                str(s): float(r) for s, r in zip(by_segment.index, np.atleast_1d(segment_retention), strict=True)
            },
            "segment_final_share": {
                str(s): float(share) for s, share in mine[mine["step"] == mine["step"].max()][["segment", "share"]]
                .itertuples(index=False)
            },
        })
    return rows


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
        "firms": _firm_summary(tables["firms"], tables["segments"], config.market.steps_per_year),
    }
    return RunResult(summary=summary, **tables)
