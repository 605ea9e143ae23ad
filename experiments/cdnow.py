"""CDNOW: calibrate the simulator's customers to a real transaction log and forecast their next nine months.

Question: can the simulator's purchase process (a personal Poisson rate and a
personal dropout hazard, both gamma-distributed, ODD 7.9), calibrated on
the first 39 weeks of the CDNOW cohort, forecast the following 39 weeks as
well as the standard CLV model, BG/NBD, fitted to the same weeks?

Design: the CDNOW master log (23,570 customers who first bought in the first
quarter of 1997, 69,659 transactions to June 1998; in the MIT-licensed
``lifetimes`` wheel, read as a file) is split at 1997-09-30; the holdout
runs to 1998-06-30 (other splits with ``--calibration-end``). The
simulator's rate and dropout distributions are fitted by the Pareto/NBD's
exact likelihood (``--method moments``: by simulated moments); Pareto/NBD by
maximum likelihood and BG/NBD by pymc-marketing's MAP stand beside it. Each
forecasts the cohort's weekly cumulative repeat purchases and each
customer's holdout purchases given its history.

Usage: ``.venv/bin/python experiments/cdnow.py [--method likelihood|moments] [--seed 0]
[--iterations 40] [--cohorts 3] [--replicates 20] [--no-benchmark] [--calibration-end 1997-09-30]
[--holdout-end 1998-06-30] [--scenario NAME [--firms default] [--arrivals log]] [--out DIR]``.
Writes ``weekly.parquet``, ``customers.parquet``, ``errors.parquet``,
``forecast.png``, ``segment.yaml``, ``fit.json`` and ``report.md``; with
``--scenario`` also the market of these customers (``scenario/NAME.yaml``
and ``market.json``, :mod:`sim.clv.market`), run with
``market-sim --config-dir OUT scenario=NAME``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from sim.apps import experiment, fail
from sim.clv import forecast, market, translog
from sim.config import ConfigError

STUDY = "cdnow"
CALIBRATION_END, HOLDOUT_END = "1997-09-30", "1998-06-30"


def main() -> None:
    """Read CDNOW, run the calibration study, print and write its report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--method", choices=("likelihood", "moments"), default="likelihood",
                        help="how the simulator's process is fitted (ODD 8.10)")
    parser.add_argument("--calibration-end", default=CALIBRATION_END, help="last day of calibration (ISO)")
    parser.add_argument("--holdout-end", default=HOLDOUT_END, help="last day of the holdout (ISO)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the simulated cohorts and the optimiser")
    parser.add_argument("--iterations", type=int, default=40, help="generations of differential evolution at most")
    parser.add_argument("--cohorts", type=int, default=3, help="simulated copies of the cohort per evaluation")
    parser.add_argument("--replicates", type=int, default=20, help="fresh simulated cohorts in the forecast")
    parser.add_argument("--no-benchmark", action="store_true", help="skip BG/NBD (no pymc-marketing needed)")
    parser.add_argument("--scenario", default=None, help="also write a market of these customers under this name")
    parser.add_argument("--firms", default="default", help="with --scenario: the firms preset of that market")
    parser.add_argument("--arrivals", default="log", help="with --scenario: log, hold or a rate a year")
    parser.add_argument("--out", type=Path, default=None, help="output directory (default outputs/cdnow/<stamp>)")
    args = parser.parse_args()
    started = time.perf_counter()
    try:
        cohort = translog.build_cohort(translog.read_cdnow(), args.calibration_end, args.holdout_end)
        result = forecast.study(cohort, seed=args.seed, iterations=args.iterations, replicates=args.replicates,
                                benchmark=not args.no_benchmark, cohorts=args.cohorts, method=args.method)
        if args.scenario is not None:
            arrivals = args.arrivals if args.arrivals in market.ARRIVALS else float(args.arrivals)
            calibrated = market.build(result.fit, cohort, args.scenario, args.firms, arrivals=arrivals)
    except (translog.LogError, ImportError, ConfigError, ValueError) as error:
        fail(str(error), STUDY)
    print()
    print(forecast.report(result))
    out = experiment.output_dir(STUDY, args.out)
    source = "CDNOW_master.txt (lifetimes 0.11.3)"
    forecast.write(result, out, source=source)
    if args.scenario is not None:
        market.write(calibrated, out, source=source)
        print("\n" + "\n".join(calibrated.lines(out)))
    print(f"\nresults: {out} ({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
