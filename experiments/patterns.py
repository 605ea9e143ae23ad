"""Reproduce the domain patterns: 20 seeds of the default market, the counter-scenarios and Ryanair.

Usage: ``.venv/bin/python experiments/patterns.py [--seeds 20] [--workers 2]``.
Prints each pattern's paired difference with its 95% confidence interval and
whether it holds (interval above zero), plus the per-firm means.
"""

from __future__ import annotations

import argparse

from sim import load_config, replicate
from sim.studies import COUNTER, DEFAULT_MARKET, RYANAIR

HEADLINES = ["cumulative_profit", "first_year_profit", "final_share", "annual_retention", "mean_nps", "common_nps",
             "alive"]


def main() -> None:
    """Run both studies and print their pattern table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    for title, overrides, patterns in (
        ("default market", [], DEFAULT_MARKET),
        ("counter-scenario: scenario=static_needs", ["scenario=static_needs"], COUNTER),
        ("counter-scenario: scenario=deep_pockets", ["scenario=deep_pockets"], COUNTER),
        ("case: scenario=ryanair", ["scenario=ryanair"], RYANAIR),
    ):
        runs = replicate(load_config(overrides), range(args.seeds), workers=args.workers)
        print(f"\n== {title} ({args.seeds} seeds)")
        print(runs.groupby("firm", sort=False)[HEADLINES].mean().round(3).to_string())
        for name, statistic in patterns.items():
            interval = statistic(runs)
            print(f"{name:58} {interval}  {'holds' if interval.low > 0 else 'does NOT hold'}")


if __name__ == "__main__":
    main()
