"""Prices: each firm's price at months 36, 60 and 120 against the monopoly price of the segment it serves.

Usage: ``.venv/bin/python experiments/prices.py [--seeds 20] [--workers 2] [--scenarios default,best_buy]``.

For each market and each firm: its price at each month (mean and range over
the seeds), the highest ratio of its price to the price a monopolist of the
segment it serves most would charge (``MarketModel.monopoly_price``; above 1
is a spiral past anything customers would pay a monopolist), and the share of
the market buying from nobody. Exited firms are left out of the month.
"""

from __future__ import annotations

import argparse

import pandas as pd

from sim import MarketModel, load_config, map_pairs

MONTHS = (36, 60, 120)


def prices(config, seed: int) -> list[dict]:
    """Each trading firm's price and monopoly price, and the share buying from nobody, at each of ``MONTHS``."""
    model = MarketModel(config, seed=seed)
    rows = []
    while model.running:
        model.step()
        if model.steps not in MONTHS:
            continue
        served = sum(firm.segment_customers.sum() for firm in model.firms if firm.alive)
        nobody = 1.0 - served / model.segment_sizes.sum()
        rows += [{"seed": seed, "month": model.steps, "firm": firm.name, "price": firm.price,
                  "monopoly": model.monopoly_price(firm.code), "no_firm_share": nobody}
                 for firm in model.firms if firm.alive]
    model.release()
    return rows


def main() -> None:
    """Run every market and seed and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--scenarios", default="default,best_buy")
    args = parser.parse_args()
    for scenario in args.scenarios.split(","):
        config = load_config([] if scenario == "default" else [f"scenario={scenario}"])
        rows = pd.DataFrame([row for rows in map_pairs(prices, [(config, s) for s in range(args.seeds)],
                                                       args.workers) for row in rows])
        rows["ratio"] = rows["price"] / rows["monopoly"]
        print(f"== {scenario}: price at each month, mean [lowest, highest] over {args.seeds} seeds "
              f"(trading firms), and the highest price / monopoly price")
        for firm, group in rows.groupby("firm", sort=False):
            cells = []
            for month in MONTHS:
                at = group[group["month"] == month]["price"]
                cells.append(f"{at.mean():.2f} [{at.min():.2f}, {at.max():.2f}] ({len(at)})" if len(at) else "exited")
            print(f"{firm:10} " + "  ".join(f"m{m}: {c:24}" for m, c in zip(MONTHS, cells, strict=True))
                  + f"  max ratio {group['ratio'].max():.2f}")
        nobody = rows.groupby("month")["no_firm_share"].mean()
        print("buying from nobody: " + ", ".join(f"month {m}: {nobody.get(m, float('nan')):.1%}" for m in MONTHS))
        print()


if __name__ == "__main__":
    main()
