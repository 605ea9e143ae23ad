"""``market-sim``: the Hydra command-line entry point, a thin shell around :func:`sim.world.run.run_model`.

Bad input (an unknown option, a value of the wrong type, a malformed
override, a config that fails validation) ends with one ``market-sim: error:``
line naming the field, exit code 2 and no result files: the config is
validated by :class:`ValidateOnStart` before Hydra creates any directory.
"""

from __future__ import annotations

import logging
import os
import sys
import time
import traceback
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import hydra
from hydra import compose
from hydra.core.hydra_config import HydraConfig
from hydra.experimental.callback import Callback
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf

from sim import extras
from sim.apps.errors import describe_bad_input, fail
from sim.config.compose import CONFIG_DIR, check_new_firms, expand_new_firms, to_sim_config
from sim.config.schema import SimConfig, register_configs
from sim.output import jobs
from sim.output.files import atomic_write_text, write_figure
from sim.sweeps.driver import SweepInterrupted, interrupted, job_overrides, one_job_per_configuration
from sim.world.outcomes import OUTCOMES, exits, headline_table, nobody_sentence
from sim.world.results import RunResult

log = logging.getLogger(__name__)

#: The outcomes of the table printed after a run (headings and formats from :data:`sim.world.outcomes.OUTCOMES`)
TABLE_OUTCOMES = ("cumulative_profit", "final_share", "annual_retention", "mean_nps", "common_nps", "mean_price",
                  "final_price")

register_configs()


class ValidateOnStart(Callback):
    """Validate the composed config before Hydra creates any output directory.

    Hydra turns exceptions raised in callbacks into warnings, so bad input
    leaves through ``SystemExit``, which it lets pass.
    """

    def on_run_start(self, config: DictConfig, **kwargs: Any) -> None:
        """Fail a single run early on bad input."""
        if "design" in config and config.design.get("row") is None:
            fail("design.row: a run from a design table needs the row number (+design.row=K or 'range(0,N)')")
        overrides = [*config.hydra.overrides.hydra, *config.hydra.overrides.task]
        self._validate(config, config.hydra.job.config_name, overrides)

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        """Fail a sweep before any job runs when its base config or any job's config is bad.

        Jobs are expanded as Hydra's basic sweeper expands them; other
        sweepers choose values as they go, so only the base config is checked.
        """
        config_name, hydra_overrides = config.hydra.job.config_name, list(config.hydra.overrides.hydra)
        self._validate(config, config_name, [*hydra_overrides, *config.hydra.overrides.task])
        expected = job_overrides(config) or []
        seeds = [item for overrides in expected for item in overrides if item.startswith("seed=")]
        bad = [item for item in seeds if not item.removeprefix("seed=").isdigit()]
        if bad:
            fail(f"seed: must be a whole number >= 0, got {bad[0].removeprefix('seed=')}")
        # Replications differ only by their seed: one compose per configuration checks them all, with the
        # command's hydra.* overrides (its hydra.searchpath finds the user's own configs).
        # The rows of a design table (sim/config/compose.py) are checked as their jobs run.
        for overrides in one_job_per_configuration(expected):
            job = [*hydra_overrides, *overrides]
            self._validate(compose(config_name=config_name, overrides=job), config_name, job)
        sweep = Path(str(config.hydra.sweep.dir))
        for number, overrides in enumerate(expected):
            held = jobs.held_overrides(sweep / str(number))
            if held is not None and sorted(held) != sorted(overrides):
                fail(f"hydra.sweep.dir: job {number} in {sweep} holds the results of {' '.join(held)}, not of "
                     f"{' '.join(overrides)}; resume a sweep with the same command, or start a new sweep folder")

    @staticmethod
    def _validate(config: DictConfig, config_name: str, overrides: Sequence[str]) -> None:
        try:
            check_new_firms(config_name, overrides)
            to_sim_config(config)
        except Exception as error:
            message = describe_bad_input(error)
            if message is None:
                raise
            fail(message)
        if config.output.html:
            from sim.output.html import require

            try:
                require()
            except extras.MissingExtra as error:
                fail(str(error))


class KeepOtherResults(Callback):
    """Refuse a run into a folder that holds another run's results, before Hydra writes its files there.

    A sweep's job folders are the driver's concern: ``ValidateOnStart`` refuses
    a sweep into folders holding other jobs, and a job with the same overrides
    is skipped as complete, which is how a sweep resumes.
    """

    def on_run_start(self, config: DictConfig, **kwargs: Any) -> None:
        """Fail when ``hydra.run.dir`` holds a complete run with other overrides (the same overrides reuse it)."""
        directory = Path(str(config.hydra.run.dir))
        held = jobs.held_overrides(directory)
        if held is not None and sorted(held) != sorted(config.hydra.overrides.task):
            fail(f"hydra.run.dir: {directory} holds the results of {' '.join(held) or 'the defaults'}; use another "
                 f"hydra.run.dir, or the same overrides to reuse it")


def summary_table(result: RunResult) -> str:
    """The per-firm headline table printed at the end of a run, the share buying from nobody and the market's size."""
    return (headline_table(result.summary, TABLE_OUTCOMES).to_string(index=False)
            + "\n" + nobody_sentence(result.summary))


def headline(result: RunResult) -> str:
    """Each firm's cumulative profit, best first, with the month it exited: the one line a sweep prints for a job."""
    firms = sorted(result.summary["firms"], key=lambda row: row["cumulative_profit"], reverse=True)
    exited = dict(exits(result.firms).itertuples(index=False))
    return ", ".join(f"{row['firm']} {OUTCOMES['cumulative_profit'].show(row['cumulative_profit'])}"
                     + (f" (exit m{exited[row['firm']]})" if row["firm"] in exited else "") for row in firms)


def execute(config: SimConfig, directory: Path, progress: bool = False, overrides: Sequence[str] = ()) -> RunResult:
    """Run the model and write its tables, summary, figure and the config it ran (``config.yaml``) into ``directory``.

    ``config.yaml`` is the validated config itself, after any design row
    (``.hydra/config.yaml`` is Hydra's composition, before it). With
    ``output.html``, ``report.html`` shows the run and ``overrides`` as the command that reproduces it.
    """
    # The model (Mesa) and matplotlib load here, in the job, so a sweep's driver starts without them
    from sim.output import html
    from sim.output.figures import market_figure
    from sim.output.files import write_results
    from sim.world.run import run_model

    if config.output.html:
        html.require()  # a missing extra fails before the run, not after it
    result = run_model(config, progress=progress)
    write_results(result, directory, tenures=config.output.tenures)
    atomic_write_text(directory / "config.yaml", OmegaConf.to_yaml(OmegaConf.structured(config)))
    if config.output.figure:
        write_figure(market_figure(result.firms, config.market.steps_per_year),
                     directory / f"market.{config.output.figure_format}", dpi=config.output.figure_dpi)
    if config.output.html:
        page = html.run_page(result, config, html.command("market-sim", overrides), TABLE_OUTCOMES)
        atomic_write_text(directory / "report.html", page)
    return result


@hydra.main(version_base="1.3", config_path=str(CONFIG_DIR), config_name="config")
def _app(cfg: DictConfig) -> None:
    """One job: skip it if complete, else run, write, record; in a sweep, a job that raises is recorded failed.

    A run prints its table. A job of a sweep prints nothing: the sweep's
    driver prints one line per job from its record (:mod:`sim.sweeps.driver`),
    and it draws no figure unless the sweep sets ``output.figure`` (at about
    0.7 s a job, figures were 40% of a small sweep's time).
    """
    hydra_config = HydraConfig.get()
    in_sweep = hydra_config.mode == RunMode.MULTIRUN
    directory = Path(hydra_config.runtime.output_dir)
    overrides = list(hydra_config.overrides.task)
    held = jobs.held_overrides(directory)
    if held is not None:
        if sorted(held) == sorted(overrides):
            if not in_sweep:
                print(f"already complete: {directory}")
        else:  # a job of a sweep the driver could not check ahead (a run into such a folder is refused at its start)
            log.error("%s holds the results of %s; left as it is", directory, " ".join(held))
        return
    if in_sweep and "output.figure" not in (item.lstrip("+~").split("=")[0] for item in overrides):
        cfg.output.figure = False
    started, clock = jobs.now(), time.perf_counter()
    try:
        config = to_sim_config(cfg)
        result = execute(config, directory, progress=hydra_config.mode == RunMode.RUN, overrides=overrides)
    except Exception as error:
        if interrupted(error):  # Ctrl-C ended the sweep; Hydra would record this and run the next job
            raise SweepInterrupted from error
        if not in_sweep:
            raise
        jobs.record(directory, status="failed", overrides=overrides, seed=cfg.get("seed"), started=started,
                    wall_time=time.perf_counter() - clock, error=f"{type(error).__name__}: {error}")
        (directory / "error.txt").write_text(traceback.format_exc())
        return
    jobs.record(directory, status="complete", overrides=overrides, seed=config.seed, started=started,
                wall_time=time.perf_counter() - clock, headline=headline(result))
    if in_sweep:
        return
    print(summary_table(result))
    print(f"results: {directory} ({result.summary['wall_time_seconds']:.2f} s)")


def main() -> None:
    """Console entry point: run the Hydra app, turning bad input into exit code 2.

    Hydra turns an exception raised in a callback into a warning and goes on.
    A start callback that raises (validation, the lock on a sweep folder) must
    stop the command before it writes anything, so that warning is made an
    error, reported by its cause like any other bad input.
    """
    os.environ["HYDRA_FULL_ERROR"] = "1"
    warnings.filterwarnings("error", message=r"Callback \w+\.on_(multi)?run_start raised", category=UserWarning)
    try:
        sys.argv[1:] = expand_new_firms(sys.argv[1:])
        _app()
    except Exception as error:
        if interrupted(error):
            raise SweepInterrupted from None
        message = describe_bad_input(error)
        if message is None:
            raise
        fail(message)


if __name__ == "__main__":
    main()
