"""Paired comparison of alternatives against a baseline, with common random numbers.

Each alternative runs with the same seeds as the baseline. A seed fixes every
random stream of a run (one per mechanism, one per firm's research), so a
baseline run and its alternative twin have the same customers, the same
network and the same draws wherever the change leaves a mechanism alone;
their difference is the effect of the change plus less noise than two
independent samples would have. The answer is a paired difference per
headline and firm, with its t-interval and how often the alternative was
ahead of its twin.

A firm only the alternative has (a scenario that adds one, an ``enter``
event) has no twin to pair with: it is reported by its mean over the seeds.
When the configs have events, the outcomes are also given over the decision
window, from the earliest event's month on: before that month a run and its
twin are the same market, so whole-run figures dilute the change, and a
window of months all firms trade that ends before it shows no difference at all.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from sim.config.schema import SimConfig
from sim.studies.replications import firm_rows, map_runs
from sim.studies.stats import mean_ci
from sim.world.outcomes import MONEY, OUTCOMES, POINTS, Outcome
from sim.world.run import run_model

BASELINE = "baseline"
#: The outcomes compared, named and shown as :data:`sim.world.outcomes.OUTCOMES` says.
HEADLINES = ("cumulative_profit", "first_year_profit", "final_share", "annual_retention", "common_nps",
             "final_customer_equity", "mean_price", "final_price", "no_firm_share", "market_size")
TRAJECTORY = ("alive", "share", "cumulative_profit", "nps")
#: Outcomes over the decision window, computed from the trajectories; ``{month}`` in a window is its first month.
DECISION: dict[str, Outcome] = {outcome.name: outcome for outcome in (
    Outcome("decision_profit", "profit from the decision on", "profit from decision", MONEY, "month {month} on"),
    Outcome("decision_nps", "NPS from the decision on (own months)", "NPS from decision", POINTS,
            "months the firm trades, month {month} on"),
    Outcome("decision_common_nps", "NPS from the decision on (months all firms trade)", "NPS all trade from decision",
            POINTS, "months all firms trade, month {month} on"),
)}
ENTERS = "enters in the alternative; no baseline to pair with"
NO_COMMON = "no months all firms trade"
#: What an outcome undefined in every run means (an NPS over an empty window).
EMPTY = {"common_nps": NO_COMMON, "decision_common_nps": NO_COMMON, "decision_nps": "no months the firm trades"}
PROFITS = ("cumulative_profit", "decision_profit")


def outcome_of(headline: str) -> Outcome:
    """The :class:`Outcome` a row of :func:`differences` is about, whole-run or decision window."""
    return OUTCOMES.get(headline) or DECISION[headline]


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


def decision_month(*configs: SimConfig) -> int | None:
    """The earliest month an event happens in any of ``configs`` (the decision window's start), or None."""
    months = [event.month for config in configs for event in config.events]
    return min(months) if months else None


def window_outcomes(trajectories: pd.DataFrame, month: int) -> pd.DataFrame:
    """The :data:`DECISION` outcomes from ``month`` on, one row per config, seed and firm of ``trajectories``.

    Profit is the cumulative profit gained from ``month`` on; NPS is the mean
    over the months of the window the firm trades, or all firms of its run
    trade (undefined, NaN, where there are none).
    """
    keys = ["config", "seed", "firm"]
    ordered = trajectories.sort_values("step", kind="stable")
    before = ordered[ordered["step"] < month].groupby(keys, sort=False)["cumulative_profit"].last()
    end = ordered.groupby(keys, sort=False)["cumulative_profit"].last()
    later = ordered[ordered["step"] >= month]
    all_trade = later.groupby(["config", "seed", "step"])["alive"].transform("all")
    by_run = [later[key] for key in keys]
    return pd.DataFrame({
        "decision_profit": end.sub(before, fill_value=0.0),
        "decision_nps": later["nps"].where(later["alive"]).groupby(by_run, sort=False).mean(),
        "decision_common_nps": later["nps"].where(all_trade).groupby(by_run, sort=False).mean(),
    }).reset_index()


def _common_ends_before(trajectories: pd.DataFrame, month: int) -> bool:
    """Whether, in every run of ``trajectories``, the last month all firms trade comes before ``month``."""
    all_trade = trajectories.groupby(["config", "seed", "step"])["alive"].all().reset_index()
    steps = all_trade.loc[all_trade["alive"], "step"]
    return not steps.empty and bool((steps < month).all())


def _row(alternative: str, firm: str, headline: str, window: str, alt: pd.Series,
         base: pd.Series | None) -> dict[str, Any]:
    """One row of :func:`differences`: paired when ``base`` holds the baseline twin's values, else the mean."""
    row: dict[str, Any] = {"alternative": alternative, "firm": firm, "headline": headline, "window": window,
                           "paired": base is not None, "note": "", "baseline": float("nan"),
                           "value": float("nan"), "difference": float("nan"), "low": float("nan"),
                           "high": float("nan"), "ahead": pd.NA, "pairs": 0, "runs": 0}
    if base is None:
        alt = alt.dropna()
        if alt.empty:
            return row | {"note": EMPTY.get(headline, "undefined in every run")}
        interval = mean_ci(alt)
        return row | {"note": ENTERS, "value": interval.mean, "low": interval.low, "high": interval.high,
                      "runs": len(alt)}
    pair = pd.DataFrame({"base": base, "alt": alt}).dropna()
    if pair.empty:
        return row | {"note": EMPTY.get(headline, "undefined in every run")}
    interval = mean_ci(pair["alt"] - pair["base"])
    return row | {"baseline": pair["base"].mean(), "value": pair["alt"].mean(), "difference": interval.mean,
                  "low": interval.low, "high": interval.high, "ahead": int((pair["alt"] > pair["base"]).sum()),
                  "pairs": len(pair), "runs": len(pair)}


def differences(runs: pd.DataFrame, alternative: str, baseline: str = BASELINE,
                trajectories: pd.DataFrame | None = None, month: int | None = None) -> pd.DataFrame:
    """Alternative minus baseline per firm and headline: means, paired interval, and runs ahead of the twin.

    ``window`` says which months a row is over. A firm absent from the
    baseline has ``paired`` False, its mean ``value`` with ``low``/``high``
    bounding that mean (not a difference) and ``note`` :data:`ENTERS`; an
    outcome undefined in every run (an empty window) has only its ``note``.
    With ``trajectories`` and a decision ``month`` (:func:`decision_month`),
    the :data:`DECISION` outcomes from that month on follow the whole-run ones.
    """
    firms = runs.loc[runs["config"] == alternative, "firm"].unique()
    present = set(runs.loc[runs["config"] == baseline, "firm"])
    whole_run = {headline: OUTCOMES[headline].window for headline in HEADLINES}
    tables = [(runs, whole_run)]
    if trajectories is not None and month is not None:
        mine = trajectories[trajectories["config"].isin([baseline, alternative])]
        if _common_ends_before(mine, month):
            whole_run["common_nps"] += f", all before month {month}: the decision cannot show here"
        tables.append((window_outcomes(mine, month),
                       {name: outcome.window.format(month=month) for name, outcome in DECISION.items()}))
    rows = []
    for values, windows in tables:
        indexed = values.set_index(["config", "firm", "seed"]).sort_index()
        for headline, window in windows.items():
            for firm in firms:
                base = indexed.loc[(baseline, firm), headline] if firm in present else None
                rows.append(_row(alternative, firm, headline, window, indexed.loc[(alternative, firm), headline],
                                 base))
    return pd.DataFrame(rows).astype({"ahead": "Int64"})


def sentence(row: Mapping[str, Any]) -> str:
    """One plain sentence for one firm's outcome (a row of :func:`differences`): paired, an entrant's, or empty."""
    outcome = outcome_of(str(row["headline"]))
    label = outcome.label if str(row["headline"]) in OUTCOMES else f"{outcome.label} ({row['window']})"
    subject = f"With {row['alternative']}, the {row['firm']} firm's {label}"
    note = row.get("note", "")
    if note == ENTERS:
        return (f"With {row['alternative']}, the {row['firm']} firm {ENTERS}: its {label} is "
                f"{outcome.show(row['value'])} (95% CI {outcome.show(row['low'])} to {outcome.show(row['high'])}, "
                f"mean of {row['runs']} runs).")
    if note:
        return f"{subject} is undefined: {note}."
    if row["low"] <= 0 <= row["high"]:
        return (f"{subject} is not distinguishable from the baseline's ({outcome.show_change(row['difference'])} on "
                f"average, 95% CI {outcome.show_change(row['low'])} to {outcome.show_change(row['high'])}; ahead in "
                f"{row['ahead']} of {row['pairs']} paired runs).")
    direction = "higher" if row["difference"] > 0 else "lower"
    return (f"{subject} is {outcome.show(abs(row['difference']))} {direction} (95% CI "
            f"{outcome.show_change(row['low'])} to {outcome.show_change(row['high'])}); it is ahead of its baseline "
            f"twin in {row['ahead']} of {row['pairs']} paired runs.")


def _cells(row: Mapping[str, Any]) -> tuple[str, str, str, str]:
    """The baseline, alternative, difference and ahead cells of one row of the report's table."""
    outcome = outcome_of(str(row["headline"]))
    if row["note"] == ENTERS:
        return ("—", f"{outcome.show(row['value'])} [{outcome.show(row['low'])}, {outcome.show(row['high'])}]",
                ENTERS, "—")
    if row["note"]:
        return "—", "—", row["note"], "—"
    return (outcome.show(row["baseline"]), outcome.show(row["value"]),
            f"{outcome.show_change(row['difference'])} [{outcome.show_change(row['low'])}, "
            f"{outcome.show_change(row['high'])}]", f"{row['ahead']}/{row['pairs']}")


def report(table: pd.DataFrame, seeds: int) -> str:
    """Markdown: the profit sentences first (whole run, then decision window), then every outcome per firm."""
    lines = [f"# Paired comparison ({seeds} seeds, common random numbers)", ""]
    for headline in PROFITS:
        lines += [f"- {sentence(row)}" for _, row in table[table["headline"] == headline].iterrows()]
    lines += ["", "| alternative | firm | outcome | window | baseline | alternative | difference [95% CI] | ahead |",
              "|---|---|---|---|---|---|---|---|"]
    for _, row in table.iterrows():
        cells = " | ".join(_cells(row))
        lines.append(f"| {row['alternative']} | {row['firm']} | {outcome_of(str(row['headline'])).label} | "
                     f"{row['window']} | {cells} |")
    return "\n".join(lines) + "\n"
