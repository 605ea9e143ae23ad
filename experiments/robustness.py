"""Where each pattern holds: every world and firm parameter at 0.5x and 1.5x, one at a time.

Usage: ``.venv/bin/python experiments/robustness.py [--seeds 6] [--workers 2]
[--factors 0.5,1.5] [--out outputs/robustness] [overrides ...]``; Hydra
overrides given at the end apply to every scenario. For the default market and
each counter-scenario, prints every pattern against every perturbation:
holds, fails or reverses, with the paired difference and its 95% interval,
and which firms did not survive every seed. Then a summary per pattern: in
how many perturbations it holds, and the ones where it does not. Writes
``robustness.parquet`` (verdicts), ``runs.parquet`` (per seed and firm) and
``robustness.md`` (the summary, as Markdown).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sim import claims
from sim.apps import experiment
from sim.output import write_table
from sim.studies import robustness

SCENARIOS = {
    "default market": ((), claims.DEFAULT_MARKET),
    "scenario=static_needs": (("scenario=static_needs",), claims.COUNTER),
    "scenario=deep_pockets": (("scenario=deep_pockets",), claims.COUNTER),
}


def summary(verdicts: pd.DataFrame) -> str:
    """Markdown: per scenario and pattern, the count of perturbations it holds in and the exceptions."""
    lines = ["| scenario | pattern | baseline | holds in | fails (n.s.) under | reverses under |",
             "|---|---|---|---|---|---|"]
    for (scenario, pattern), group in verdicts.groupby(["scenario", "pattern"], sort=False):
        base = group[group["perturbation"] == robustness.BASELINE].iloc[0]
        perturbed = group[group["perturbation"] != robustness.BASELINE]
        held = (perturbed["verdict"] == "holds").sum()

        def listed(kind: str, rows: pd.DataFrame = perturbed) -> str:
            chosen = rows[rows["verdict"] == kind]
            return "; ".join(f"{r.perturbation} ({r.mean:+,.3g})" for r in chosen.itertuples()) or "none"

        lines.append(f"| {scenario} | {pattern} | {base['verdict']} {base['mean']:+,.3g} "
                     f"[{base['low']:,.3g}, {base['high']:,.3g}] | {held} of {len(perturbed)} | "
                     f"{listed('fails')} | {listed('reverses')} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    """Run the study and print and write its tables."""
    parser = experiment.StudyParser(description=__doc__.splitlines()[0])
    experiment.with_config_dir(parser)
    parser.add_argument("--seeds", type=int, default=6)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--factors", default="0.5,1.5")
    parser.add_argument("--out", type=Path, default=Path("outputs/robustness"))
    parser.add_argument("overrides", nargs="*", help="Hydra overrides applied to every scenario")
    args = parser.parse_args()
    factors = tuple(float(f) for f in args.factors.split(","))
    scenarios = {name: ((*base, *args.overrides), judged) for name, (base, judged) in SCENARIOS.items()}
    verdicts, runs = robustness.study(scenarios, range(args.seeds), args.workers, factors)

    for (scenario, pattern), group in verdicts.groupby(["scenario", "pattern"], sort=False):
        print(f"\n== {scenario}: {pattern} ({args.seeds} seeds, paired 95% intervals)")
        for row in group.itertuples():
            exits = f"  not always alive: {row.survival}" if row.survival else ""
            print(f"{row.perturbation:42} {row.verdict:9} {row.mean:+14,.4g} [{row.low:,.4g}, {row.high:,.4g}]{exits}")
    text = summary(verdicts)
    print("\n== summary\n" + text)
    args.out.mkdir(parents=True, exist_ok=True)
    write_table(verdicts, args.out / "robustness.parquet")
    write_table(runs, args.out / "runs.parquet")
    (args.out / "robustness.md").write_text(text)
    print(f"written: {args.out}/robustness.parquet, runs.parquet, robustness.md")


if __name__ == "__main__":
    main()
