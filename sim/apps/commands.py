"""The commands besides ``market-sim``: compare, optimise, calibrate and report, each a thin shell over its study.

Each parses its arguments, refuses bad input through :func:`sim.apps.errors.fail`
before it runs or writes anything, calls the study and writes its files.
Heavy or optional libraries load inside the command that needs them.
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from collections.abc import Sequence
from datetime import datetime
from difflib import get_close_matches
from pathlib import Path

import pandas as pd

from sim import extras
from sim.apps.errors import OneLineParser, describe_bad_input, fail
from sim.config.compose import INSTALLED_CONFIGS, load_config
from sim.config.schema import ConfigError
from sim.output.files import atomic_write_text, write_figure, write_table


def scenario_or_overrides(text: str) -> list[str]:
    """A scenario name (``best_buy``) or space-separated Hydra overrides (``"market.drift=2 seed=3"``)."""
    words = shlex.split(text)
    return [f"scenario={text}"] if len(words) == 1 and "=" not in words[0] else words


def compare_main(argv: Sequence[str] | None = None) -> None:
    """``market-sim-compare``: alternatives against a baseline, paired seed by seed (common random numbers)."""
    parser = argparse.ArgumentParser(
        prog="market-sim-compare",
        description="Run a baseline and alternatives with the same seeds and report paired differences.",
        epilog="Example: market-sim-compare best_buy 'market.drift=2' --seeds 20 "
               "(each alternative is a scenario name or quoted overrides)")
    parser.add_argument("alternatives", nargs="+", help="scenario names or quoted override sets")
    parser.add_argument("--base", default="", help="overrides of the baseline (default: the default market)")
    parser.add_argument("--common", default="", help="overrides applied to the baseline and every alternative")
    parser.add_argument("--config-dir", type=Path, default=None,
                        help="a folder of your own configs laid out like conf/ (scenario/, strategy/, ...), as "
                             "market-sim --config-dir")
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, default=None, help="default: outputs/compare/<date>_<time>")
    parser.add_argument("--html", action="store_true",
                        help="also write report.html: sentences, table and a chart in one file that opens offline")
    args = parser.parse_args(argv)
    from sim.output import html
    from sim.output.figures import comparison_figure
    from sim.studies import compare  # loads scipy.stats (1 s): not at market-sim's start-up

    if args.html:
        try:
            html.require()
        except extras.MissingExtra as error:
            fail(str(error), "market-sim-compare")
    if args.seeds < 2:
        fail(f"--seeds: must be >= 2 for an interval, got {args.seeds}", "market-sim-compare")
    if args.config_dir is not None and not args.config_dir.is_dir():
        fail(f"--config-dir: no such folder: {args.config_dir}", "market-sim-compare")
    common = shlex.split(args.common)
    folders = () if args.config_dir is None else (args.config_dir,)
    labels = [" ".join(scenario_or_overrides(text)) for text in args.alternatives]
    try:
        configs = {compare.BASELINE: load_config([*shlex.split(args.base), *common], config_dirs=folders)}
        configs.update({label: load_config([*common, *scenario_or_overrides(text)], config_dirs=folders)
                        for label, text in zip(labels, args.alternatives, strict=True)})
    except Exception as error:
        message = describe_bad_input(error)
        if message is None:
            raise
        fail(message, "market-sim-compare")
    out = args.out or Path("outputs/compare") / datetime.now().strftime("%Y-%m-%d_%H-%M-%S-%f")
    runs, trajectories = compare.run(configs, range(args.seeds), args.workers)
    table = pd.concat([compare.differences(runs, label, trajectories=trajectories,
                                           month=compare.decision_month(configs[compare.BASELINE], configs[label]))
                       for label in labels], ignore_index=True)
    text = compare.report(table, args.seeds)
    print(text)
    out.mkdir(parents=True, exist_ok=True)
    write_table(runs, out / "runs.parquet")
    write_table(table, out / "differences.parquet")
    write_table(trajectories, out / "trajectories.parquet")
    for index, label in enumerate(labels, start=1):
        figure = comparison_figure(trajectories, compare.BASELINE, label,
                                   configs[label].market.steps_per_year)
        write_figure(figure, out / f"trajectories_{index}.png")
    (out / "report.md").write_text(text)
    if args.html:
        arguments = sys.argv[1:] if argv is None else list(argv)
        # the chart draws paired differences of whole-run outcomes; entrants and decision windows are in the text
        charted = table[table["paired"] & table["headline"].isin(compare.HEADLINES) & table["difference"].notna()]
        page = html.compare_page(text, charted, html.command("market-sim-compare", arguments))
        atomic_write_text(out / "report.html", page)
    print(f"results: {out}")


def optimise_main(argv: Sequence[str] | None = None) -> None:
    """``market-sim-optimise``: search a firm's strategy dials for the most profit over common seeds (Optuna)."""
    program = "market-sim-optimise"
    try:  # optuna comes with the optional 'studies' extra; market-sim itself must not need it
        extras.require("optuna")
    except extras.MissingExtra as error:
        fail(str(error), program)
    import optuna

    from sim.studies import optimise, spaces

    parser = OneLineParser(
        prog=program,
        description="Search the strategy dials of one firm for the highest cumulative profit over common seeds "
                    "(Optuna TPE), then check the best dials against the preset on fresh seeds.",
        epilog="Example: market-sim-optimise --firm focused --space focused --trials 30 --seeds 5 "
               "(spaces: conf/search/*.yaml)")
    parser.add_argument("--firm", default="focused", help="the firm whose strategy dials are searched")
    parser.add_argument("--space", default="focused", help="a search space in conf/search/ or a YAML file's path")
    parser.add_argument("--trials", type=int, default=30,
                        help="trials the study should hold (a resumed study runs only the missing ones)")
    parser.add_argument("--seeds", type=int, default=5,
                        help="every trial runs seeds 0..N-1 (use at least 5 for a decision; 2 is a smoke test)")
    parser.add_argument("--check-seeds", type=int, default=None,
                        help="fresh seeds on which the best dials and the preset run again (default: --seeds)")
    parser.add_argument("--objective", choices=optimise.OBJECTIVES, default="mean",
                        help="score a trial by the mean profit over its seeds or by a lower quantile")
    parser.add_argument("--quantile", type=float, default=0.2, help="the quantile of --objective quantile")
    parser.add_argument("--workers", type=int, default=2, help="processes running the runs of a batch of trials")
    parser.add_argument("--keep-market", type=float, default=None, metavar="FRACTION",
                        help="only dials that keep the share of the market buying from some firm at least FRACTION "
                             "of the preset's (e.g. 0.9)")
    parser.add_argument("--base", default="", help="the market: a scenario name or quoted overrides")
    parser.add_argument("--out", type=Path, default=None, help="default: outputs/optimise/<date>_<time>")
    parser.add_argument("--storage", type=Path, default=None,
                        help="SQLite file that keeps the study, so an interrupted search can be resumed")
    parser.add_argument("--study-name", default=None, help="the study's name in --storage (default: <firm>-<space>)")
    parser.add_argument("--sampler-seed", type=int, default=0, help="seed of the TPE sampler")
    parser.add_argument("--batch", type=int, default=optimise.BATCH,
                        help="trials proposed together, whose runs share one pool of workers (part of what makes "
                             "a search reproducible, with --sampler-seed)")
    parser.add_argument("--config-dir", type=Path, default=None,
                        help="a folder of your own configs laid out like conf/: --base may name its scenarios, and "
                             "--save-as writes into its strategy/ (required for --save-as with an installed package)")
    parser.add_argument("--save-as", default=None,
                        help="also write the best strategy as a preset NAME.yaml (never overwrites one)")
    args = parser.parse_args(argv)
    check_seeds = args.seeds if args.check_seeds is None else args.check_seeds
    for flag, value, least in (("--trials", args.trials, 1), ("--seeds", args.seeds, 2), ("--workers", args.workers, 1),
                               ("--batch", args.batch, 1), ("--check-seeds", check_seeds, 2)):
        if value < least:
            fail(f"{flag}: must be >= {least}, got {value}", program)
    saved = None
    if args.save_as is not None:
        if not args.save_as.isidentifier():
            fail(f"--save-as: {args.save_as!r} is not a preset name (letters, digits and _)", program)
        if args.config_dir is None and INSTALLED_CONFIGS:
            fail("--save-as: the installed package's presets are not to be changed; give --config-dir DIR, "
                 "a folder of your own", program)
        folder = optimise.STRATEGY_DIR if args.config_dir is None else args.config_dir / "strategy"
        for existing in (optimise.STRATEGY_DIR / f"{args.save_as}.yaml", folder / f"{args.save_as}.yaml"):
            if existing.exists():
                fail(f"--save-as: {existing} exists; choose another name (presets are never overwritten)", program)
        saved = folder / f"{args.save_as}.yaml"
    if args.storage is not None and not args.storage.parent.is_dir():
        fail(f"--storage: no directory {args.storage.parent}", program)
    base = scenario_or_overrides(args.base)
    try:
        mine = [args.config_dir] if args.config_dir is not None and args.config_dir.is_dir() else []
        config = load_config(base, config_dirs=mine)
        if args.firm not in config.firms:
            raise ConfigError(f"firm: unknown firm {args.firm!r}; allowed: {', '.join(sorted(config.firms))}")
        search = optimise.Search(firm=args.firm, space=spaces.load_search_space(args.space), seeds=args.seeds,
                                 objective=args.objective, quantile=args.quantile, market=" ".join(base),
                                 keep_market=args.keep_market)
        optimise.check_space(search.space, config, args.firm)
        optuna.logging.set_verbosity(optuna.logging.WARNING)  # one progress line per trial is ours
        outcome = optimise.optimise(
            config, search, args.trials, check_seeds=check_seeds, batch=args.batch, workers=args.workers,
            sampler_seed=args.sampler_seed, storage=args.storage, study_name=args.study_name,
            on_trial=lambda study, trial: print(optimise.progress_line(study, trial, args.trials), flush=True))
    except Exception as error:
        message = describe_bad_input(error)
        if message is None:
            raise
        fail(message, program)
    text = optimise.report(outcome)
    print()
    print(text)
    out = args.out or Path("outputs/optimise") / datetime.now().strftime("%Y-%m-%d_%H-%M-%S-%f")
    out.mkdir(parents=True, exist_ok=True)
    write_table(optimise.trials_table(outcome.study, search.space), out / "trials.parquet")
    write_table(outcome.check, out / "check.parquet")
    write_table(outcome.market, out / "market.parquet")
    (out / "best_strategy.yaml").write_text(optimise.strategy_yaml(outcome))
    (out / "report.md").write_text(text)
    if saved is not None:
        saved.parent.mkdir(parents=True, exist_ok=True)
        with saved.open("x") as stream:  # "x": never overwrite a preset written meanwhile
            stream.write(optimise.strategy_yaml(outcome, args.save_as))
        where = "" if args.config_dir is None else f"--config-dir {args.config_dir} "
        print(f"saved: {saved} (use {where}firms.{args.firm}.strategy={args.save_as} with "
              f"+strategy@strategies.{args.save_as}={args.save_as})")
    print(f"results: {out}")


CALIBRATE_KEYS = {  # key: (default, meaning)
    "data": (None, "CSV transaction log, one row per purchase"),
    "calibration_end": (None, "last day of the calibration period (ISO date)"),
    "holdout_end": (None, "last day of the holdout period (ISO date)"),
    "columns.customer": ("customer", "heading of the customer id column"),
    "columns.date": ("date", "heading of the date column"),
    "columns.amount": ("amount", "heading of the amount column"),
    "method": ("likelihood", "how the process is fitted: likelihood (Pareto/NBD, exact) or moments (simulated)"),
    "seed": ("0", "seed of the simulated cohorts and the optimiser"),
    "iterations": ("40", "with method=moments: generations of differential evolution at most"),
    "cohorts": ("3", "with method=moments: simulated copies of the cohort per evaluation of the objective"),
    "replicates": ("20", "fresh simulated cohorts in the forecast"),
    "benchmark": ("true", "also fit BG/NBD (needs the calibration extra)"),
    "scenario": (None, "also write a market of these customers as scenario/<name>.yaml in the results folder"),
    "firms": ("default", "with scenario: the firms preset of that market (conf/firms)"),
    "firm": (None, "with scenario: the firm the log belongs to (default: the preset's first)"),
    "arrivals": ("log", "with scenario: new potential customers a year after calibration: log, hold or a rate"),
    "out": (None, "results folder (default outputs/calibrate/<date>_<time>)"),
}


def _calibrate_arguments(argv: Sequence[str], program: str) -> dict[str, str]:
    """``key=value`` words, checked against :data:`CALIBRATE_KEYS`, with the defaults filled in."""
    given: dict[str, str] = {}
    allowed = ", ".join(CALIBRATE_KEYS)
    for word in argv:
        key, equals, value = word.partition("=")
        if not equals or not key:
            fail(f"{word!r}: expected key=value; keys: {allowed}", program)
        if key not in CALIBRATE_KEYS:
            near = get_close_matches(key, CALIBRATE_KEYS, n=1)
            hint = f" (did you mean {near[0]}?)" if near else ""
            fail(f"{key}: unknown key{hint}; allowed: {allowed}", program)
        given[key] = value
    for key in ("data", "calibration_end", "holdout_end"):
        if not given.get(key):
            fail(f"{key}: required (usage: {program} data=log.csv calibration_end=1997-09-30 "
                 f"holdout_end=1998-06-30)", program)
    values = {key: default for key, (default, _) in CALIBRATE_KEYS.items() if default is not None} | given
    for key, least in (("seed", 0), ("iterations", 1), ("cohorts", 1), ("replicates", 2)):
        if not values[key].isdigit() or int(values[key]) < least:
            fail(f"{key}: must be a whole number >= {least}, got {values[key]!r}", program)
    from sim.clv.calibration import METHODS

    if values["method"] not in METHODS:
        fail(f"method: must be one of {', '.join(METHODS)}, got {values['method']!r}", program)
    if values["benchmark"].lower() not in ("true", "false"):
        fail(f"benchmark: must be true or false, got {values['benchmark']!r}", program)
    _check_market_keys(values, program)
    return values


def _check_market_keys(values: dict[str, str], program: str) -> None:
    """The keys of the calibrated market (``scenario``, ``firms``, ``firm``, ``arrivals``), before any work."""
    from sim.clv.market import ARRIVALS
    from sim.config.compose import CONFIG_DIR

    if "scenario" in values and not values["scenario"].replace("_", "").replace("-", "").isalnum():
        fail(f"scenario: a name of letters, digits, _ and - (a file name), got {values['scenario']!r}", program)
    presets = sorted(path.stem for path in (CONFIG_DIR / "firms").glob("*.yaml"))
    if values["firms"] not in presets:
        fail(f"firms: must be one of {', '.join(presets)}, got {values['firms']!r}", program)
    arrivals = values["arrivals"]
    if arrivals not in ARRIVALS:
        try:
            rate = float(arrivals)
        except ValueError:
            rate = -1.0
        if not rate >= 0:
            fail(f"arrivals: must be {', '.join(ARRIVALS)} or a rate a year >= 0, got {arrivals!r}", program)
    if "firm" in values:
        from sim.config import load_config

        present = list(load_config([f"firms={values['firms']}"]).firms)
        if values["firm"] not in present:
            fail(f"firm: firms={values['firms']} has {', '.join(present)}, got {values['firm']!r}", program)


def calibrate_main(argv: Sequence[str] | None = None) -> None:
    """``market-sim-calibrate``: fit a segment's purchase process to a transaction log and forecast its holdout."""
    program = "market-sim-calibrate"
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv and argv[0] in ("-h", "--help"):
        print(f"usage: {program} data=<csv> calibration_end=<date> holdout_end=<date> [key=value ...]\n")
        print("Calibrate one segment's purchase and dropout process to a cohort's transaction log (by the\n"
              "Pareto/NBD's likelihood, or simulated moments), forecast the holdout and compare with Pareto/NBD\n"
              "and BG/NBD. Keys:")
        for key, (default, meaning) in CALIBRATE_KEYS.items():
            print(f"  {key:<17} {meaning}" + (f" [{default}]" if default is not None else ""))
        return
    values = _calibrate_arguments(argv, program)
    from sim.clv import forecast, translog

    try:
        log = translog.read_log(Path(values["data"]), {f: values[f"columns.{f}"] for f in translog.COLUMNS})
    except translog.LogError as error:
        fail(f"data: {error}", program)
    try:
        cohort = translog.build_cohort(log, values["calibration_end"], values["holdout_end"])
    except translog.LogError as error:
        fail(str(error), program)
    try:
        result = forecast.study(cohort, seed=int(values["seed"]), iterations=int(values["iterations"]),
                                replicates=int(values["replicates"]), benchmark=values["benchmark"].lower() == "true",
                                cohorts=int(values["cohorts"]), method=values["method"])
    except ImportError as error:
        fail(f"benchmark: {error} (or benchmark=false)", program)
    except ValueError as error:
        fail(str(error), program)
    market = None
    if "scenario" in values:
        from sim.clv import market as log_market
        from sim.config import ConfigError

        arrivals = values["arrivals"] if values["arrivals"] in log_market.ARRIVALS else float(values["arrivals"])
        try:
            market = log_market.build(result.fit, cohort, values["scenario"], values["firms"], values.get("firm"),
                                      arrivals)
        except ConfigError as error:
            fail(str(error), program)
    print()
    print(forecast.report(result))
    out = Path(values["out"]) if "out" in values else (
        Path("outputs/calibrate") / datetime.now().strftime("%Y-%m-%d_%H-%M-%S-%f"))
    forecast.write(result, out, source=values["data"])
    if market is not None:
        log_market.write(market, out, source=values["data"])
        print("\n" + "\n".join(market.lines(out)))
    print(f"results: {out}")


def report_main(argv: Sequence[str] | None = None) -> None:
    """``market-sim-report SWEEP_DIR``: update the sweep's result store and write its report."""
    from sim.sweeps import report, store  # duckdb, lifelines: only for this command

    program = "market-sim-report"
    parser = OneLineParser(prog=program, description=(report.__doc__ or "").splitlines()[0])
    parser.add_argument("sweep", metavar="SWEEP_DIR", type=Path, help="a sweep directory (hydra.sweep.dir)")
    parser.add_argument("--out", type=Path, default=None, help="report directory (default SWEEP_DIR/report)")
    parser.add_argument("--by", nargs="+", default=None, metavar="PARAMETER",
                        help="swept parameters for the figures: bands against each numeric one, a heatmap of the "
                             "first two (default: every swept parameter, in sweep order)")
    parser.add_argument("--no-survival", action="store_true", help="skip the Kaplan-Meier section")
    parser.add_argument("--outcome", nargs="+", default=list(report.OUTCOME_NAMES), metavar="NAME",
                        help="the outcomes to show, the first leading the sentences and heatmap (default: "
                             f"{' '.join(report.OUTCOME_NAMES)})")
    parser.add_argument("--csv", action="store_true", help="also write every table as CSV beside its Parquet file")
    parser.add_argument("--format", choices=report.FIGURE_FORMATS, default="png", help="figure format (default png)")
    parser.add_argument("--dpi", type=int, default=150, help="resolution of png figures (default 150)")
    arguments = parser.parse_args(argv)
    if arguments.dpi <= 0:
        fail(f"--dpi: must be positive, got {arguments.dpi}", program)
    started = time.perf_counter()
    try:
        written = report.build_report(arguments.sweep, arguments.out or arguments.sweep / "report", arguments.by,
                                      with_survival=not arguments.no_survival, outcomes=arguments.outcome,
                                      csv=arguments.csv, figure_format=arguments.format, dpi=arguments.dpi)
    except (store.StoreError, ValueError) as error:
        fail(str(error), program)
    print(f"report: {written} ({time.perf_counter() - started:.1f} s)")


def dashboard_main(argv: Sequence[str] | None = None) -> None:
    """``market-sim-dashboard [--host H] [--port P]``: the classroom dashboard, once its extra is known present."""
    try:
        extras.require("solara", "altair")
    except extras.MissingExtra as error:
        fail(str(error), "market-sim-dashboard")
    from sim.apps import dashboard

    dashboard.main(argv)
