"""Global sensitivity of an outcome to market and segment parameters: Morris screening, then Sobol indices.

Question: which assumptions about the market move the centric firm's profit
edge over the focused firm (or any firm's headline) the most, alone and
through interactions, when all of them vary together over plausible ranges?

Expected (domain brief, README): drift of needs should matter most to the
centric edge (reading needs pays when needs move), with the price of research
and customers' price sensitivity next (ODD 8.3, 8.5).

What the run showed (``python experiments/sensitivity.py --trajectories 10
market.customers=2000``: the default 12 parameters, 130 Morris and 384 Sobol
runs, seed 0 for every sample): by Morris mu* (effect over a parameter's whole
range) drift of needs leads (74.1 M, sigma 99.1 M), then segment spend
(63.9 M), the price of a research interview (60.5 M, but mu -6.9 M: effects
of both signs, sigma 94.8 M) and price sensitivity (56.8 M, mu -55.9 M: more
price-sensitive customers shrink the edge); service cost 38.1 M; word of
mouth, review and churn rates, inertia, want lag and initial penetration
5-21 M. The drift effect agrees with ``experiments/volatility.py`` (the edge
grows by about 60 M from drift 0 to 3). Sobol over those four (N = 64): price
sensitivity has the largest share of the variance (S1 0.45 ± 0.24, ST 0.59 ±
0.28), then spend (S1 0.22, ST 0.26), research cost (0.18, 0.30) and drift
(0.11, 0.28); the ST sum of 1.4 says much of the variance is interactions.
Intervals are wide at this size: read the ranking, not the digits.

Usage: ``.venv/bin/python experiments/sensitivity.py [--param PATH=LOW:HIGH ...]
[--outcome centric-focused.cumulative_profit] [--trajectories 10] [--sobol-n 64] [--top 4] [--seeds 1]
[--seed 0] [--workers 2] [--out DIR] [overrides ...]``; e.g. ``--param market.drift=0:3 --param
segments.*.spend=0.8:1.2`` (``segments.*``/``firms.*`` bounds are factors on each base value). Without
``--param`` the default list of :data:`sim.studies.sensitivity.DEFAULT_FACTORS` is used. Trailing Hydra overrides
apply to every run (``market.customers=2000 market.steps=60`` for a quick look).

Morris runs ``trajectories x (parameters + 1)`` samples, Sobol ``sobol-n x
(top + 2)``, each over ``--seeds`` common seeds (0..N-1, the same for every
sample: common random numbers). Prints the Morris table (mu*, sigma, mu*_conf)
and the Sobol table (S1, ST with 95% confidence); writes ``morris.parquet``,
``sobol.parquet``, ``morris_samples.parquet``, ``sobol_samples.parquet``
(each sample's parameter values and outcome), ``figure.png`` and ``report.md``.
"""

from __future__ import annotations

import argparse

import pandas as pd

from sim import ConfigError, money
from sim.apps import experiment, fail
from sim.output import sensitivity_figure
from sim.studies import sensitivity

STUDY = "sensitivity"


def _arguments() -> argparse.Namespace:
    parser = experiment.parser(__doc__, seeds=1)
    parser.add_argument("--param", action="append", default=[], metavar="PATH=LOW:HIGH",
                        help="a parameter and its bounds (repeat; default: the built-in list)")
    parser.add_argument("--outcome", default="centric-focused.cumulative_profit",
                        help="FIRM.HEADLINE or FIRM-FIRM.HEADLINE (default centric-focused.cumulative_profit)")
    parser.add_argument("--trajectories", type=int, default=10, help="Morris trajectories (default 10)")
    parser.add_argument("--sobol-n", type=int, default=64, help="Sobol base sample size, a power of 2 (default 64)")
    parser.add_argument("--top", type=int, default=4, help="parameters by Morris mu* that Sobol studies (default 4)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the Morris and Sobol samples (default 0)")
    parser.add_argument("--launcher", choices=sorted(LAUNCHERS),
                        help="run the samples as a market-sim sweep on this Hydra launcher (default: joblib workers "
                             "in this process); the sweeps and their design tables go under OUT/sweeps")
    return parser.parse_args()


LAUNCHERS = {"basic": (), "joblib": ("hydra/launcher=joblib",), "submitit_local": ("hydra/launcher=submitit_local",),
             "slurm": ("hydra/launcher=slurm",), "ray": ("hydra/launcher=ray",)}


MONEY = ("cumulative_profit", "first_year_profit", "final_customer_equity")


def report(morris: pd.DataFrame, sobol: pd.DataFrame, outcome: sensitivity.Response, runs: int, seeds: int,
           sobol_n: int) -> str:
    """The Morris and Sobol tables in markdown (effects of money outcomes in millions)."""
    number = money if outcome.headline in MONEY else "{:,.4g}".format
    shown = morris.assign(bounds=[f"{r.low:g} .. {r.high:g}" for r in morris.itertuples()])
    shown = shown[["parameter", "bounds", "mu", "mu_star", "sigma", "mu_star_conf"]].rename(
        columns={"mu_star": "mu*", "mu_star_conf": "mu*_conf"})
    for column in ("mu", "mu*", "sigma", "mu*_conf"):
        shown[column] = shown[column].map(number)
    indices = sobol.assign(**{name: [sensitivity.shown_index(r[name], r[name + "_conf"], r[name + "_unreliable"])
                                     for _, r in sobol.iterrows()] for name in ("S1", "ST")})[["parameter", "S1", "ST"]]
    warning = sensitivity.sobol_warning(sobol, sobol_n)
    return "\n".join([f"# Global sensitivity of {outcome.label} ({runs} runs, {seeds} common seed(s) per sample)", "",
                      "## Morris screening (by mu*; ranges are values, or factors for segments.*/firms.*)", "",
                      experiment.markdown(shown), "", "## Sobol indices of the top parameters by mu* (95% confidence)",
                      "", experiment.markdown(indices), "", *([warning, ""] if warning else []),
                      "mu*: mean absolute elementary effect (influence); mu: its signed mean; sigma: spread of the "
                      "effects (interaction or non-linearity); all three in the outcome's units per the parameter's "
                      "whole range (SALib divides each step by its share of the range). S1: share of the outcome's "
                      "variance due to the parameter alone; ST: "
                      "including its interactions; other parameters at the base values."])


def main() -> None:
    """Check the parameters, screen them, run Sobol on the top ones, print and write the report."""
    args = _arguments()
    try:
        for name in ("trajectories", "seeds", "top"):
            if getattr(args, name) < (2 if name == "trajectories" else 1):
                raise ConfigError(f"--{name}: too small, got {getattr(args, name)}")
        if args.sobol_n < 2:
            raise ConfigError(f"--sobol-n: must be >= 2, got {args.sobol_n}")
        factors = [sensitivity.parse_factor(text) for text in args.param] or list(sensitivity.DEFAULT_FACTORS)
        outcome = sensitivity.parse_outcome(args.outcome)
        base = experiment.compose(STUDY, ["output.tenures=false", *args.overrides])
        sensitivity.check(base, factors, outcome)
    except ConfigError as error:
        fail(str(error), STUDY)
    seeds = range(args.seeds)
    out = experiment.output_dir(STUDY, args.out)
    launcher = None
    if args.launcher:
        workers = (f"hydra.launcher.n_jobs={args.workers}",) if args.launcher == "joblib" else ()
        launcher = sensitivity.Launcher((*LAUNCHERS[args.launcher], *workers),
                                        ("output.tenures=false", *args.overrides), out / "sweeps")
    morris_samples, morris = sensitivity.morris(base, factors, outcome, args.trajectories, seeds, args.workers,
                                                args.seed, launcher)
    top = [next(f for f in factors if f.path == path) for path in morris["parameter"].head(args.top)]
    sobol_samples, sobol = sensitivity.sobol(base, top, outcome, args.sobol_n, seeds, args.workers, args.seed,
                                             launcher)
    runs = (len(morris_samples) + len(sobol_samples)) * args.seeds
    text = report(morris, sobol, outcome, runs, args.seeds, args.sobol_n)
    print(text)
    experiment.write(out, {"morris": morris, "sobol": sobol, "morris_samples": morris_samples,
                        "sobol_samples": sobol_samples}, sensitivity_figure(morris, sobol, outcome.label), text)
    print(f"\nresults: {out}")


if __name__ == "__main__":
    main()
