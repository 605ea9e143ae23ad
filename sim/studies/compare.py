"""Paired comparison of alternatives against a baseline, with common random numbers.

Each alternative runs with the same seeds as the baseline. A seed fixes every
random stream of a run (one per mechanism, one per firm's research), so a
baseline run and its alternative twin have the same customers, the same
network and the same draws wherever the change leaves a mechanism alone;
their difference is the effect of the change plus less noise than two
independent samples would have. The answer is a paired difference per
headline and firm, with its t-interval and how often the alternative was
ahead of its twin.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from sim.config.schema import SimConfig
from sim.studies.replications import firm_rows, map_runs
from sim.studies.stats import mean_ci
from sim.world.outcomes import OUTCOMES
from sim.world.run import run_model

BASELINE = "baseline"
#: The outcomes compared, named and shown as :data:`sim.world.outcomes.OUTCOMES` says.
HEADLINES = ("cumulative_profit", "first_year_profit", "final_share", "annual_retention", "common_nps",
             "final_customer_equity", "mean_price", "final_price", "no_firm_share", "market_size")
TRAJECTORY = ("share", "cumulative_profit", "nps")


def _run(config: SimConfig, seed: int) -> tuple[list[dict[str, Any]], pd.DataFrame]:
    result = run_model(config, seed=seed)
    trajectory = result.firms[["step", "firm", *TRAJECTORY]].astype({"firm": str}).assign(seed=seed)
    return firm_rows(result.summary), trajectory


def run(configs: Mapping[str, SimConfig], seeds: Sequence[int], workers: int = 1) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-seed, per-firm summaries and per-step trajectories of every config (first key is the baseline)."""
    results = map_runs(_run, configs, seeds, workers)
    runs = pd.DataFrame([{"config": key, **row} for key, (rows, _) in results for row in rows])
    trajectories = pd.concat([frame.assign(config=key) for key, (_, frame) in results], ignore_index=True)
    return runs, trajectories


def differences(runs: pd.DataFrame, alternative: str, baseline: str = BASELINE) -> pd.DataFrame:
    """Alternative minus baseline per firm and headline: means, paired interval, and runs ahead of the twin."""
    rows = []
    for headline in HEADLINES:
        wide = runs.pivot_table(index="seed", columns=["config", "firm"], values=headline, dropna=False)
        for firm in runs.loc[runs["config"] == alternative, "firm"].unique():
            if (baseline, firm) not in wide.columns:
                continue
            pair = pd.DataFrame({"base": wide[(baseline, firm)], "alt": wide[(alternative, firm)]}).dropna()
            if pair.empty:
                continue
            interval = mean_ci(pair["alt"] - pair["base"])
            rows.append({"alternative": alternative, "firm": firm, "headline": headline,
                         "baseline": pair["base"].mean(), "value": pair["alt"].mean(),
                         "difference": interval.mean, "low": interval.low, "high": interval.high,
                         "ahead": int((pair["alt"] > pair["base"]).sum()), "pairs": len(pair)})
    return pd.DataFrame(rows)


def sentence(row: Mapping[str, Any]) -> str:
    """One plain sentence for one firm's paired difference (a row of :func:`differences`)."""
    outcome = OUTCOMES[str(row["headline"])]
    subject = f"With {row['alternative']}, the {row['firm']} firm's {outcome.label}"
    if row["low"] <= 0 <= row["high"]:
        return (f"{subject} is not distinguishable from the baseline's ({outcome.show_change(row['difference'])} on "
                f"average, 95% CI {outcome.show_change(row['low'])} to {outcome.show_change(row['high'])}; ahead in "
                f"{row['ahead']} of {row['pairs']} paired runs).")
    direction = "higher" if row["difference"] > 0 else "lower"
    return (f"{subject} is {outcome.show(abs(row['difference']))} {direction} (95% CI "
            f"{outcome.show_change(row['low'])} to {outcome.show_change(row['high'])}); it is ahead of its baseline "
            f"twin in {row['ahead']} of {row['pairs']} paired runs.")


def report(table: pd.DataFrame, seeds: int) -> str:
    """Markdown: the profit sentences first, then every headline per firm with its paired interval."""
    lines = [f"# Paired comparison ({seeds} seeds, common random numbers)", ""]
    profit = table[table["headline"] == "cumulative_profit"]
    lines += [f"- {sentence(row)}" for _, row in profit.iterrows()]
    lines += ["", "| alternative | firm | outcome | baseline | alternative | difference [95% CI] | ahead |",
              "|---|---|---|---|---|---|---|"]
    for _, row in table.iterrows():
        outcome = OUTCOMES[str(row["headline"])]
        lines.append(f"| {row['alternative']} | {row['firm']} | {outcome.label} | {outcome.show(row['baseline'])} | "
                     f"{outcome.show(row['value'])} | {outcome.show_change(row['difference'])} "
                     f"[{outcome.show_change(row['low'])}, {outcome.show_change(row['high'])}] | "
                     f"{row['ahead']}/{row['pairs']} |")
    return "\n".join(lines) + "\n"
