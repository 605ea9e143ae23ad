"""Market sizes: the default presets in markets of 20,000 to 100,000,000 potential customers.

Usage: ``.venv/bin/python experiments/market_sizes.py [--sizes 20000,100000,1000000,10000000,100000000]
[--seeds 5] [--workers 2]``; extra Hydra overrides may follow (``-- scenario=ryanair``).

Research programmes are sized to revenue (``research_budget``) and cut to
cash, and marketing is cut to cash, so whether a firm survives should depend
on its strategy, not on how large a survey programme is beside its market.
Prints, per size and firm: research spend per real customer-year and as a
share of revenue, the runs in which the firm went out of business (and the
mean month), cumulative profit with its 95% interval, and the profit order.
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd

from sim import load_config, map_pairs, mean_ci, money, run_model


def accounts(config, seed: int) -> list[dict]:
    """Per firm of one run: research spend, revenue, customer-years, profit and exit month."""
    firms = run_model(config, seed=seed).firms
    rows = []
    for name, history in firms.groupby("firm", observed=True, sort=False):
        gone = history.loc[~history["alive"] & (history["step"] > 0), "step"]
        rows.append({
            "seed": seed, "firm": str(name),
            "research": float(history["cost_research"].sum()),
            "revenue": float(history["revenue"].sum()),
            "customer_years": float(history["customers"].sum()) / config.market.steps_per_year,
            "profit": float(history["cumulative_profit"].iloc[-1]),
            "exit_month": int(gone.min()) if len(gone) else np.nan,
        })
    return rows


def main() -> None:
    """Run every size and seed, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="20000,100000,1000000,10000000,100000000")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("overrides", nargs="*", help="Hydra overrides applied at every size")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    pairs = [(load_config([*args.overrides, f"market.total_customers={size}", "output.tenures=false"]), seed)
             for size in sizes for seed in range(args.seeds)]
    results = map_pairs(accounts, pairs, args.workers)
    table = pd.DataFrame([{"size": config.market.total_customers, **row}
                          for (config, _), rows in zip(pairs, results, strict=True) for row in rows])

    print(f"== default presets by market size ({args.seeds} seeds; money in real units)")
    print(f"{'potential':>12} {'firm':10} {'research/customer-yr':>21} {'research/revenue':>17} "
          f"{'exits':>6} {'exit month':>10}  cumulative profit [95%]")
    for (size, firm), group in table.groupby(["size", "firm"], sort=False):
        per_customer = group["research"].sum() / max(group["customer_years"].sum(), 1e-9)
        of_revenue = group["research"].sum() / max(group["revenue"].sum(), 1e-9)
        exits = int(group["exit_month"].notna().sum())
        month = f"{group['exit_month'].mean():.0f}" if exits else "-"
        profit = mean_ci(group["profit"])
        print(f"{size:>12,} {firm:10} {per_customer:>21.3f} {of_revenue:>16.1%} {exits:>3}/{len(group):<2} "
              f"{month:>10}  {money(profit.mean):>9} [{money(profit.low)}, {money(profit.high)}]")
    print("\n== profit order by size (mean cumulative profit)")
    for size, group in table.groupby("size", sort=False):
        order = group.groupby("firm", sort=False)["profit"].mean().sort_values(ascending=False)
        print(f"{size:>12,}  {' > '.join(order.index)}")


if __name__ == "__main__":
    main()
