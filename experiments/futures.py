"""Robustness across futures: our firm's strategies over Latin-hypercube samples of the uncertain market.

Usage: ``.venv/bin/python experiments/futures.py [--space default] [--futures 100]
[--workers 2] [--seed 0] [--out outputs/futures/<stamp>] [overrides ...]``;
Hydra overrides at the end apply to every future (``market.customers=2000`` for
a quick look). The space (``conf/futures/<name>.yaml`` or a path) names our
firm, the candidate strategies, the outcome and the uncertain assumptions.

Prints, per strategy, the distribution of the outcome over the futures and
its regret against the best strategy of each future; then which assumptions
decide the winner: a classification tree's rules with each assumption's
importance, and for each strategy that wins somewhere but not everywhere, the
PRIM box of the futures where it wins. Writes ``futures.parquet`` (the
sampled assumptions), ``outcomes.parquet`` (our firm's figures per future and
strategy, with regret), ``strategies.parquet`` and ``report.md``.
"""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

from sim import ConfigError, extras
from sim.apps import experiment
from sim.output import write_table
from sim.studies import spaces


def _money(value: float) -> str:
    return f"{value / 1e6:,.1f} M"


def report(space: spaces.FuturesSpace, sampled, outcomes) -> tuple[str, object, object]:
    """The printed report, the per-strategy table and the regret table."""
    from sim.studies import futures  # the studies extra, checked in main

    regrets = futures.regret(outcomes, space.outcome)
    table = futures.strategy_table(regrets, space.outcome)
    winner = futures.winners(outcomes, space.outcome)
    lines = [f"# Robustness of {space.firm}'s strategy across {len(sampled)} futures ({space.outcome})", "",
             "| strategy | mean | 5th pct | median | 95th pct | mean regret | max regret | best in |",
             "|---|---|---|---|---|---|---|---|"]
    for name, row in table.iterrows():
        lines.append(f"| {name} | {_money(row['mean'])} | {_money(row['p5'])} | {_money(row['median'])} | "
                     f"{_money(row['p95'])} | {_money(row['mean_regret'])} | {_money(row['max_regret'])} | "
                     f"{row['wins']:.0%} of futures |")
    robust = table.index[0]
    lines += ["", f"Least maximum regret: **{robust}** (it is never more than {_money(table['max_regret'].iloc[0])} "
              f"behind the best strategy of a future).", "", "## What decides the winner", "",
              "Classification tree of the best strategy on the assumptions (scikit-learn, depth 3):", "", "```"]
    rules, importance = futures.deciding_tree(sampled, winner)
    lines += [rules.rstrip(), "```", "", "Importance of each assumption in the tree: "
              + ", ".join(f"{name} {value:.2f}" for name, value in importance.items() if value > 0) + "."]
    for strategy in table.index:
        hit = (winner == strategy).to_numpy()
        if 0 < hit.sum() < hit.size:
            box = futures.prim_box(sampled, hit)
            limits = "; ".join(f"{name} in {_limits(bound)}" for name, bound in box["limits"].items()) or "none"
            lines += ["", f"PRIM box (EMA Workbench) of the futures where {strategy} is best: {limits} "
                      f"(coverage {box['coverage']:.0%}, density {box['density']:.0%})."]
    return "\n".join(lines), table, regrets


def _limits(bound) -> str:
    return "{" + ", ".join(bound) + "}" if isinstance(bound, list) else f"[{bound[0]:.3g}, {bound[1]:.3g}]"


def main() -> None:
    """Sample the futures, run every strategy in each, print and write the report."""
    parser = experiment.StudyParser(description=__doc__.splitlines()[0])
    experiment.with_config_dir(parser)
    parser.add_argument("--space", default="default")
    parser.add_argument("--futures", type=int, default=100)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0, help="seed of the Latin hypercube and of the runs")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("overrides", nargs="*")
    args = parser.parse_args()
    try:
        extras.require("sklearn", "ema_workbench")
    except extras.MissingExtra as error:
        print(f"futures: error: {error}", file=sys.stderr)
        raise SystemExit(2) from None
    from sim.studies import futures

    try:
        if args.futures < 10:
            raise ConfigError(f"--futures: needs at least 10 futures to say what decides, got {args.futures}")
        space = spaces.load_futures_space(args.space)
        space.base_config(args.overrides)
    except ConfigError as error:
        print(f"futures: error: {error}", file=sys.stderr)
        raise SystemExit(2) from None
    sampled = futures.sample(space, args.futures, args.seed)
    outcomes = futures.evaluate(space, sampled, args.workers, args.overrides, seed=args.seed)
    text, table, regrets = report(space, sampled, outcomes)
    print(text)
    out = args.out or Path("outputs/futures") / datetime.now().strftime("%Y-%m-%d_%H-%M-%S-%f")
    out.mkdir(parents=True, exist_ok=True)
    write_table(sampled.reset_index(), out / "futures.parquet")
    write_table(outcomes.merge(regrets[["future", "strategy", "best", "regret"]], on=["future", "strategy"]),
                out / "outcomes.parquet")
    write_table(table.reset_index(), out / "strategies.parquet")
    (out / "report.md").write_text(text + "\n")
    print(f"\nresults: {out}")


if __name__ == "__main__":
    main()
