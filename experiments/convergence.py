"""Convergence: the default market at one market size, simulated with 10k to 300k customers.

Usage: ``.venv/bin/python experiments/convergence.py [--sizes 10000,30000,100000,300000]
[--seeds 5] [--workers 2] [--out outputs/convergence]``; extra Hydra overrides may follow
(``-- market.drift=2``). Prints each firm's cumulative profit, annual retention
and mean NPS over the months all firms trade, with 95% intervals, per number of
simulated customers; the winner order at each size; and whether the two largest
sizes agree within their intervals. Writes ``convergence.parquet`` (per seed and firm) and
``convergence.png``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from sim import convergence_figure
from sim.output import write_figure, write_table
from sim.studies import convergence

PANELS = {"cumulative_profit": "Cumulative profit (real units)", "annual_retention": "Annual retention",
          "common_nps": "NPS, months all firms trade"}


def main() -> None:
    """Run the study, print its tables and write its file and figure."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,30000,100000,300000")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path("outputs/convergence"))
    parser.add_argument("overrides", nargs="*", help="Hydra overrides applied at every size")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    runs = convergence.run(sizes, range(args.seeds), [*args.overrides, "output.tenures=false"], args.workers)
    summary = convergence.summarise(runs)

    print(f"== each firm per number of simulated customers ({args.seeds} seeds, 95% intervals)")
    for _, row in summary.iterrows():
        cells = [f"{row[h]:>14,.4g} [{row[f'{h}_low']:,.4g}, {row[f'{h}_high']:,.4g}]" for h in PANELS]
        print(f"{row['customers']:>8,} {row['firm']:10} survived {row['survived']:4.0%}  " + "  ".join(cells))
    orders = {size: convergence.winner_order(runs, size) for size in sizes}
    print("\n== winner order (by mean cumulative profit)")
    for size, order in orders.items():
        print(f"{size:>8,}  {' > '.join(order)}")
    same = len(set(orders.values())) == 1
    print(f"same winner order at every size: {'yes' if same else 'NO'}")

    first, second = sizes[-2], sizes[-1]
    single = convergence.agreement(runs, first, second)
    family = 1 - 0.05 / len(single)
    together = convergence.agreement(runs, first, second, confidence=family)
    print(f"\n== {first:,} minus {second:,} simulated customers (Welch intervals: 95% each, "
          f"and {family:.2%} for the {len(single)} judged together, Bonferroni)")
    for one, joint in zip(single.itertuples(), together.itertuples(), strict=True):
        print(f"{one.firm:10} {one.headline:18} {one.difference:>14,.4g} [{one.low:,.4g}, {one.high:,.4g}] "
              f"{'agrees' if one.agrees else 'DIFFERS'}  |  [{joint.low:,.4g}, {joint.high:,.4g}] "
              f"{'agrees' if joint.agrees else 'DIFFERS'}")
    print(f"every headline agrees: each at 95%: {'yes' if single['agrees'].all() else 'NO'}; "
          f"together (Bonferroni): {'yes' if together['agrees'].all() else 'NO'}")

    args.out.mkdir(parents=True, exist_ok=True)
    write_table(runs, args.out / "convergence.parquet")
    write_figure(convergence_figure(summary, PANELS), args.out / "convergence.png")
    print(f"\nper-seed results: {args.out / 'convergence.parquet'}; figure: {args.out / 'convergence.png'}")


if __name__ == "__main__":
    main()
