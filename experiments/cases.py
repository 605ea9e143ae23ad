"""The domain cases, each against its twin over the same seeds: does each claim of the brief hold?

Usage: ``.venv/bin/python experiments/cases.py [--seeds 20] [--workers 2] [--case best_buy]``
and, to see under which conditions a verdict changes, ``--set market.costs.service_cost=0.1``
(any overrides, applied to both the case and its twin).
Prints, per case, every claim's mean paired figure with its 95% interval, the
seeds in its favour, and whether it holds.
"""

from __future__ import annotations

import argparse

from sim import claims


def main() -> None:
    """Run the chosen cases and print their verdicts."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--case", choices=sorted(claims.CASES), action="append", help="default: every case")
    parser.add_argument("--set", nargs="*", default=[], metavar="OVERRIDE", help="overrides for case and twin")
    args = parser.parse_args()
    for name in args.case or list(claims.CASES):
        case = claims.CASES[name]
        table = claims.verdicts(case, claims.figures(case, range(args.seeds), args.workers, args.set))
        print(f"\n== scenario={name} against {' '.join(case.twin) or 'the default market'}"
              f"{' with ' + ' '.join(args.set) if args.set else ''} ({args.seeds} seeds)")
        for row in table.itertuples():
            print(f"{row.text}\n    {row.mean:,.4g} [{row.low:,.4g}, {row.high:,.4g}], in favour in "
                  f"{row.in_favour} of {row.seeds}: {'holds' if row.holds else 'does NOT hold'}")


if __name__ == "__main__":
    main()
