"""``market-sim``: the Hydra command-line entry point, a thin shell around :func:`sim.world.run.run_model`.

Bad input (an unknown option, a value of the wrong type, a malformed
override, a config that fails validation) ends with one ``market-sim: error:``
line naming the field, exit code 2 and no result files: the config is
validated by :class:`ValidateOnStart` before Hydra creates any directory.
"""

from __future__ import annotations

import argparse
import logging
import os
import shlex
import sys
import time
import traceback
from collections.abc import Sequence
from dataclasses import fields, is_dataclass
from datetime import datetime
from difflib import get_close_matches
from pathlib import Path
from typing import Any, NoReturn

import hydra
import pandas as pd
import yaml
from hydra import compose
from hydra.core.hydra_config import HydraConfig
from hydra.errors import HydraException, MissingConfigException, OverrideParseException
from hydra.experimental.callback import Callback
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import ConfigAttributeError, ConfigKeyError, OmegaConfBaseException

from sim.config.compose import CONFIG_DIR, INSTALLED_CONFIGS, expand_new_firms, load_config, to_sim_config
from sim.config.schema import ConfigError, SimConfig, register_configs
from sim.output import jobs
from sim.output.files import atomic_write_text, write_figure, write_table
from sim.sweeps.driver import job_overrides, one_job_per_configuration
from sim.world.results import RunResult

log = logging.getLogger(__name__)

BAD_INPUT_EXIT = 2
GLOBAL_GROUPS = ("scenario",)  # groups whose files change the whole config (package _global_)
TABLE_COLUMNS = {  # summary field: (heading, format)
    "firm": ("firm", "{}"),
    "strategy": ("strategy", "{}"),
    "cumulative_profit": ("cum. profit", "{:,.0f}"),
    "final_share": ("final share", "{:.3f}"),
    "annual_retention": ("retention/yr", "{:.3f}"),
    "mean_nps": ("NPS own months", "{:.1f}"),
    "common_nps": ("NPS all trade", "{:.1f}"),
    "main_target_segment": ("target", "{}"),
}

register_configs()


def fail(message: str, program: str = "market-sim") -> NoReturn:
    """Report bad input as one line and exit with code 2."""
    print(f"{program}: error: {message}", file=sys.stderr)
    raise SystemExit(BAD_INPUT_EXIT)


class ValidateOnStart(Callback):
    """Validate the composed config before Hydra creates any output directory.

    Hydra turns exceptions raised in callbacks into warnings, so bad input
    leaves through ``SystemExit``, which it lets pass.
    """

    def on_run_start(self, config: DictConfig, **kwargs: Any) -> None:
        """Fail a single run early on bad input."""
        if "design" in config and config.design.get("row") is None:
            fail("design.row: a run from a design table needs the row number (+design.row=K or 'range(0,N)')")
        self._validate(config)

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        """Fail a sweep before any job runs when its base config or any job's config is bad.

        Jobs are expanded as Hydra's basic sweeper expands them; other
        sweepers choose values as they go, so only the base config is checked.
        """
        self._validate(config)
        expected = job_overrides(config) or []
        seeds = [item for overrides in expected for item in overrides if item.startswith("seed=")]
        bad = [item for item in seeds if not item.removeprefix("seed=").isdigit()]
        if bad:
            fail(f"seed: must be a whole number >= 0, got {bad[0].removeprefix('seed=')}")
        # Replications differ only by their seed: one compose per configuration checks them all.
        # The rows of a design table (sim/config/compose.py) are checked as their jobs run.
        for overrides in one_job_per_configuration(expected):
            self._validate(compose(config_name=config.hydra.job.config_name, overrides=overrides))
        sweep = Path(str(config.hydra.sweep.dir))
        for number, overrides in enumerate(expected):
            held = jobs.held_overrides(sweep / str(number))
            if held is not None and sorted(held) != sorted(overrides):
                fail(f"hydra.sweep.dir: job {number} in {sweep} holds the results of {' '.join(held)}, not of "
                     f"{' '.join(overrides)}; resume a sweep with the same command, or start a new sweep folder")

    @staticmethod
    def _validate(config: DictConfig) -> None:
        try:
            to_sim_config(config)
        except Exception as error:
            message = describe_bad_input(error)
            if message is None:
                raise
            fail(message)


def summary_table(result: RunResult) -> str:
    """The per-firm headline table printed at the end of a run."""
    frame = pd.DataFrame(result.summary["firms"])[list(TABLE_COLUMNS)]
    formatters = {field: fmt.format for field, (_, fmt) in TABLE_COLUMNS.items()}
    headers = [heading for heading, _ in TABLE_COLUMNS.values()]
    return frame.to_string(index=False, formatters=formatters, header=headers)


def execute(config: SimConfig, directory: Path, progress: bool = False) -> RunResult:
    """Run the model and write its tables, summary, figure and the config it ran (``config.yaml``) into ``directory``.

    ``config.yaml`` is the validated config itself, after any design row
    (``.hydra/config.yaml`` is Hydra's composition, before it).
    """
    # The model (Mesa) and matplotlib load here, in the job, so a sweep's driver starts without them
    from sim.output.figures import market_figure
    from sim.output.files import write_results
    from sim.world.run import run_model

    result = run_model(config, progress=progress)
    write_results(result, directory, tenures=config.output.tenures)
    atomic_write_text(directory / "config.yaml", OmegaConf.to_yaml(OmegaConf.structured(config)))
    if config.output.figure:
        write_figure(market_figure(result.firms, config.market.steps_per_year), directory / "market.png")
    return result


@hydra.main(version_base="1.3", config_path=str(CONFIG_DIR), config_name="config")
def _app(cfg: DictConfig) -> None:
    """One job: skip it if complete, else run, write, record; in a sweep, a job that raises is recorded failed."""
    hydra_config = HydraConfig.get()
    directory = Path(hydra_config.runtime.output_dir)
    overrides = list(hydra_config.overrides.task)
    held = jobs.held_overrides(directory)
    if held is not None:
        if sorted(held) == sorted(overrides):
            print(f"already complete: {directory}")
        else:
            log.error("%s holds the results of %s; left as it is", directory, " ".join(held))
        return
    started, clock = jobs.now(), time.perf_counter()
    try:
        config = to_sim_config(cfg)
        result = execute(config, directory, progress=hydra_config.mode == RunMode.RUN)
    except Exception as error:
        if hydra_config.mode != RunMode.MULTIRUN:
            raise
        jobs.record(directory, status="failed", overrides=overrides, seed=cfg.get("seed"), started=started,
                    wall_time=time.perf_counter() - clock, error=f"{type(error).__name__}: {error}")
        (directory / "error.txt").write_text(traceback.format_exc())
        log.error("job %s failed: %s: %s", directory.name, type(error).__name__, error)
        return
    jobs.record(directory, status="complete", overrides=overrides, seed=config.seed, started=started,
                wall_time=time.perf_counter() - clock)
    print(summary_table(result))
    print(f"results: {directory} ({result.summary['wall_time_seconds']:.2f} s)")


def nearest_names(full_key: str, schema: object = None) -> str:
    """``"; did you mean ...?"`` with the valid names nearest a misspelt key, and the names allowed there.

    The names are the fields of ``schema`` (the dataclass OmegaConf names in
    its error, so a preset added on the command line is covered too), else
    the keys at that place in the default config; ``""`` if neither is known.
    """
    *parents, wrong = full_key.split(".")
    if is_dataclass(schema):
        names = [item.name for item in fields(schema)]
    else:
        node: Any = load_config()
        try:
            for name in parents:
                node = node[name] if isinstance(node, dict) else getattr(node, name)
        except (AttributeError, KeyError):
            return ""
        names = list(node) if isinstance(node, dict) else [item.name for item in fields(node)] if is_dataclass(
            node) else []
    if not names:
        return ""
    near = get_close_matches(wrong, names, n=3)
    return (f"; did you mean {' or '.join(near)}?" if near else "") + f"; allowed: {', '.join(sorted(names))}"


def describe_bad_input(error: BaseException) -> str | None:
    """One line naming the field and what is allowed, or ``None`` if ``error`` is not bad input."""
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    for item in chain:
        if isinstance(item, ConfigError):
            return str(item)
    for item in chain:
        if isinstance(item, yaml.MarkedYAMLError) and (item.context_mark or item.problem_mark) is not None:
            mark = item.context_mark or item.problem_mark
            detail = "; ".join(part for part in (item.context, item.problem) if part)
            return f"{mark.name}, line {mark.line + 1}: YAML syntax error: {detail}"
    for item in chain:
        if isinstance(item, OmegaConfBaseException) and getattr(item, "full_key", None) in GLOBAL_GROUPS:
            group = item.full_key
            return (f"{group}: the {group} file must begin with the line '# @package _global_' "
                    f"(its keys are changes to the whole config)")
    for item in chain:
        if isinstance(item, OverrideParseException):
            detail = " ".join(item.message.split()).split(" See https://")[0]
            return f"malformed override {item.override!r}: {detail}; expected key=value (see 'market-sim --help')"
    for item in chain:
        if isinstance(item, MissingConfigException) and item.options:
            group = (item.missing_cfg_file or "").rsplit("/", 1)[0]
            wanted = (item.missing_cfg_file or "").rsplit("/", 1)[-1]
            return f"{group}: unknown option {wanted!r}; allowed: {', '.join(sorted(item.options))}"
    for item in chain:
        if isinstance(item, OmegaConfBaseException):
            key = getattr(item, "full_key", None)
            message = " ".join(str(getattr(item, "msg", item)).strip().splitlines()[0].split())
            if key and isinstance(item, ConfigKeyError | ConfigAttributeError):
                message += nearest_names(key, getattr(item, "object_type", None))
            return f"{key}: {message}" if key else message
    for item in chain:
        if isinstance(item, HydraException):
            return " ".join(str(item).split())
    return None


def main() -> None:
    """Console entry point: run the Hydra app, turning bad input into exit code 2."""
    os.environ["HYDRA_FULL_ERROR"] = "1"
    try:
        sys.argv[1:] = expand_new_firms(sys.argv[1:])
        _app()
    except Exception as error:
        message = describe_bad_input(error)
        if message is None:
            raise
        fail(message)


def _overrides(text: str) -> list[str]:
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
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, default=None, help="default: outputs/compare/<date>_<time>")
    args = parser.parse_args(argv)
    from sim.output.figures import comparison_figure
    from sim.studies import compare  # loads scipy.stats (1 s): not at market-sim's start-up

    if args.seeds < 2:
        fail(f"--seeds: must be >= 2 for an interval, got {args.seeds}", "market-sim-compare")
    common = shlex.split(args.common)
    labels = [" ".join(_overrides(text)) for text in args.alternatives]
    try:
        configs = {compare.BASELINE: load_config([*shlex.split(args.base), *common])}
        configs.update({label: load_config([*common, *_overrides(text)])
                        for label, text in zip(labels, args.alternatives, strict=True)})
    except Exception as error:
        message = describe_bad_input(error)
        if message is None:
            raise
        fail(message, "market-sim-compare")
    out = args.out or Path("outputs/compare") / datetime.now().strftime("%Y-%m-%d_%H-%M-%S-%f")
    runs, trajectories = compare.run(configs, range(args.seeds), args.workers)
    table = pd.concat([compare.differences(runs, label) for label in labels], ignore_index=True)
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
    print(f"results: {out}")


class _OneLineParser(argparse.ArgumentParser):
    """An argument parser whose errors are one ``<prog>: error:`` line with exit code 2, no usage block."""

    def error(self, message: str) -> NoReturn:
        """Report a bad argument the way every other bad input is reported."""
        fail(message, self.prog)


def optimise_main(argv: Sequence[str] | None = None) -> None:
    """``market-sim-optimise``: search a firm's strategy dials for the most profit over common seeds (Optuna)."""
    program = "market-sim-optimise"
    try:  # optuna comes with the optional 'studies' extra; market-sim itself must not need it
        import optuna

        from sim.studies import optimise
    except ImportError as error:
        fail(f"{error.name} is not installed; install the studies extra: pip install -e '.[studies]'", program)
    parser = _OneLineParser(
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
    base = _overrides(args.base)
    try:
        mine = [args.config_dir] if args.config_dir is not None and args.config_dir.is_dir() else []
        config = load_config(base, config_dirs=mine)
        if args.firm not in config.firms:
            raise ConfigError(f"firm: unknown firm {args.firm!r}; allowed: {', '.join(sorted(config.firms))}")
        search = optimise.Search(firm=args.firm, space=optimise.load_space(args.space), seeds=args.seeds,
                                 objective=args.objective, quantile=args.quantile, market=" ".join(base))
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
    "seed": ("0", "seed of the simulated cohorts and the optimiser"),
    "iterations": ("40", "generations of differential evolution at most"),
    "cohorts": ("3", "simulated copies of the cohort per evaluation of the objective"),
    "replicates": ("20", "fresh simulated cohorts in the forecast"),
    "benchmark": ("true", "also fit BG/NBD (needs the calibration extra)"),
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
    if values["benchmark"].lower() not in ("true", "false"):
        fail(f"benchmark: must be true or false, got {values['benchmark']!r}", program)
    return values


def calibrate_main(argv: Sequence[str] | None = None) -> None:
    """``market-sim-calibrate``: fit a segment's purchase process to a transaction log and forecast its holdout."""
    program = "market-sim-calibrate"
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv and argv[0] in ("-h", "--help"):
        print(f"usage: {program} data=<csv> calibration_end=<date> holdout_end=<date> [key=value ...]\n")
        print("Calibrate one segment's purchase and dropout process to a cohort's transaction log (method of "
              "simulated moments),\nforecast the holdout and compare with BG/NBD. Keys:")
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
                                cohorts=int(values["cohorts"]))
    except ImportError as error:
        fail(f"benchmark: {error} (or benchmark=false)", program)
    except ValueError as error:
        fail(str(error), program)
    print()
    print(forecast.report(result))
    out = Path(values["out"]) if "out" in values else (
        Path("outputs/calibrate") / datetime.now().strftime("%Y-%m-%d_%H-%M-%S-%f"))
    forecast.write(result, out, source=values["data"])
    print(f"results: {out}")


if __name__ == "__main__":
    main()
