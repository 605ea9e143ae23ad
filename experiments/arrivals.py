"""Arrivals: how many potential customers a market holds, year by year, when customers leave and arrive.

Usage: ``.venv/bin/python experiments/arrivals.py [--seeds 20] [--workers 2]``; Hydra overrides
may follow (default ``scenario=turnover``: a fifth of every segment leaves a year and as many arrive).

Prints the market's size (real potential customers present) at the start and
at the end of each year, as mean, lowest and highest over the seeds, the
largest relative gap from the starting size in any seed and month, the share
of the market buying from nobody at the end, and each firm's profit.
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd

from sim import load_config, map_pairs, mean_ci, money, run_model


def market(config, seed: int) -> pd.DataFrame:
    """Per month of one run: the market's size, the share buying from nobody, and each firm's profit."""
    firms = run_model(config, seed=seed).firms
    by_month = firms.groupby("step").agg(market_size=("market_size", "first"))
    by_month["no_firm_share"] = 1.0 - firms[firms["alive"]].groupby("step")["share"].sum()
    final = firms[firms["step"] == firms["step"].max()]
    profits = {f"profit_{name}": value for name, value in zip(final["firm"], final["cumulative_profit"], strict=True)}
    return by_month.reset_index().assign(seed=seed, **profits)


def main() -> None:
    """Run the seeds and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("overrides", nargs="*", default=["scenario=turnover"], help="Hydra overrides")
    args = parser.parse_args()
    config = load_config([*args.overrides, "output.tenures=false"])
    runs = pd.concat(map_pairs(market, [(config, seed) for seed in range(args.seeds)], args.workers), ignore_index=True)
    start = config.market.total_customers
    per_year = config.market.steps_per_year

    print(f"== market size, real potential customers present ({args.seeds} seeds; it starts at {start:,})")
    print(f"{'month':>6} {'mean':>12} {'lowest':>12} {'highest':>12} {'buying from nobody':>19}")
    for month in range(per_year, config.market.steps + 1, per_year):
        at = runs[runs["step"] == month]
        print(f"{month:>6} {at['market_size'].mean():>12,.0f} {at['market_size'].min():>12,.0f} "
              f"{at['market_size'].max():>12,.0f} {at['no_firm_share'].mean():>18.1%}")
    gap = np.abs(runs["market_size"] / start - 1.0)
    worst = runs.loc[gap.idxmax()]
    print(f"\nlargest gap from the start in any seed and month: {gap.max():.1%} "
          f"(seed {int(worst['seed'])}, month {int(worst['step'])})")
    final = runs[runs["step"] == runs["step"].max()]
    print("\n== cumulative profit at the end [95% interval]")
    for column in (c for c in final.columns if c.startswith("profit_")):
        interval = mean_ci(final[column])
        print(f"{column.removeprefix('profit_'):10} {money(interval.mean):>9} "
              f"[{money(interval.low)}, {money(interval.high)}]")


if __name__ == "__main__":
    main()
