"""Docking: profit-seeking firms against the logit Bertrand-Nash prices (ODD 8.11).

Usage: ``.venv/bin/python experiments/docking.py [--seeds 20] [--customers 20000] [--workers 2]``.

In ``scenario=logit_docking`` demand is a multinomial logit with an outside
option, so each firm's equilibrium price is known
(``sim.logit_docking_equilibrium``). Prints, for a monopoly, a symmetric
duopoly and an asymmetric triopoly, each firm's equilibrium price and share
against its simulated mean over months 61 to the end (mean over the seeds),
and the gap.
"""

from __future__ import annotations

import argparse

import pandas as pd

from sim import load_config, logit_docking_equilibrium, map_pairs, run_model

BURN_IN = 60
MARKETS = {
    "monopoly": ["firms=monopoly"],
    "symmetric duopoly": ["firms=duopoly"],
    "asymmetric triopoly": ["firms=default", "firms.focused.unit_cost=0.4", "firms.obsessed.unit_cost=0.6"],
}


def settled(config, seed: int) -> pd.DataFrame:
    """Each firm's mean price and share after the burn-in, in one run."""
    firms = run_model(config, seed=seed).firms
    return firms[firms["step"] > BURN_IN].groupby("firm", observed=True)[["price", "share"]].mean()


def main() -> None:
    """Run the three markets and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    print(f"| market | firm | equilibrium price | simulated | gap | equilibrium share | simulated |  "
          f"({args.seeds} seeds, months {BURN_IN + 1}-end)")
    print("|---|---|---|---|---|---|---|")
    for market, overrides in MARKETS.items():
        config = load_config(["scenario=logit_docking", *overrides, f"market.customers={args.customers}"])
        runs = map_pairs(settled, [(config, seed) for seed in range(args.seeds)], args.workers)
        mean = sum(runs) / len(runs)
        for firm, (price, share) in logit_docking_equilibrium(config).items():
            simulated = mean.loc[firm]
            print(f"| {market} | {firm} | {price:.4f} | {simulated['price']:.4f} | "
                  f"{simulated['price'] / price - 1:+.2%} | {share:.3f} | {simulated['share']:.3f} |")


if __name__ == "__main__":
    main()
