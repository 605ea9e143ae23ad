"""What the driver of a sweep (``market-sim -m``) does around the jobs, whichever Hydra launcher runs them.

Jobs may run in this process (basic launcher), in worker processes (joblib),
on a Ray cluster or under Slurm (submitit), so the driver learns how far a
sweep has got only from the job directories it shares with them: it counts
complete markers and failed records (``sim/output/jobs.py``). Progress shows done,
failed, remaining and time left; at the end ``sweep.json`` sums up the sweep,
and a sweep with failed jobs exits with code 1 after every other job has
finished and kept its results.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.experimental.callback import Callback
from omegaconf import DictConfig, OmegaConf
from tqdm import tqdm

from sim.output import jobs
from sim.output.files import atomic_write_text

# Sweepers that expand jobs as Hydra's basic sweeper does (``sim`` checks fewer of them first)
BASIC_SWEEPERS = ("hydra._internal.core_plugins.basic_sweeper.BasicSweeper",
                  "hydra_plugins.sim_sweeper.sim_sweeper.SimSweeper")
# Overrides that vary within a configuration: replications (seed) and rows of a design table
WITHIN_CONFIGURATION = ("seed=", "+design.row=")
POLL_SECONDS = 0.5


def job_overrides(config: DictConfig) -> list[list[str]] | None:
    """Every job's overrides, in job order, as Hydra's basic sweeper expands them; ``None`` for other sweepers."""
    if OmegaConf.select(config, "hydra.sweeper._target_") not in BASIC_SWEEPERS:
        return None
    parsed = OverridesParser.create().parse_overrides(list(config.hydra.overrides.task))
    return [list(job) for batch in BasicSweeper.split_arguments(parsed, None) for job in batch]


def one_job_per_configuration(overrides: Sequence[Sequence[str]]) -> list[Sequence[str]]:
    """The first job of each configuration: jobs that differ only by seed or design row are one configuration."""
    first: dict[tuple[str, ...], Sequence[str]] = {}
    for job in overrides:
        first.setdefault(tuple(item for item in job if not item.startswith(WITHIN_CONFIGURATION)), job)
    return list(first.values())


class SweepProgress(Callback):
    """Watch a sweep's directory from the driver: a progress bar while it runs, ``sweep.json`` when it ends."""

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._bar: tqdm | None = None
        self._sweep = Path()
        self._started = 0.0
        self._before: set[str] = set()

    def __getstate__(self) -> dict[str, Any]:
        """Launchers send callbacks to their workers; the watcher (thread, bar) stays in the driver."""
        return {}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__()

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        """Note the jobs already complete (a resumed sweep) and start watching."""
        self._sweep = Path(str(config.hydra.sweep.dir))
        self._started = time.perf_counter()
        self._before = {state.directory.name for state in jobs.scan(self._sweep) if state.status == "complete"}
        expected = job_overrides(config)
        self._bar = tqdm(total=len(expected) if expected is not None else None, desc="sweep", unit="job",
                         file=sys.stderr, dynamic_ncols=True, disable=None)
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _update(self) -> tuple[int, int]:
        states = jobs.scan(self._sweep)
        done = sum(state.status == "complete" for state in states)
        failed = sum(state.status == "failed" for state in states)
        if self._bar is not None:
            self._bar.n = done + failed
            self._bar.set_postfix(done=done, failed=failed, resumed=len(self._before), refresh=False)
            self._bar.refresh()
        return done, failed

    def _watch(self) -> None:
        while not self._stop.wait(POLL_SECONDS):
            self._update()

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        """Stop watching, write ``sweep.json``, say how the sweep went; exit 1 if any job failed."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        done, failed = self._update()
        if self._bar is not None:
            self._bar.close()
        states = jobs.scan(self._sweep)
        summary = {
            "sweep_dir": str(self._sweep),
            "jobs": len(states),
            "complete": done,
            "failed": failed,
            "already_complete_at_start": len(self._before),
            "failed_jobs": [{"job": state.directory.name, "error": state.record.get("error")}
                            for state in states if state.status == "failed"],
            "wall_time_seconds": time.perf_counter() - self._started,
            "finished": jobs.now(),
        }
        atomic_write_text(self._sweep / "sweep.json", json.dumps(summary, indent=2) + "\n")
        print(f"sweep: {done} complete ({len(self._before)} of them before this start), {failed} failed, "
              f"in {summary['wall_time_seconds']:.1f} s: {self._sweep}", file=sys.stderr)
        if failed:
            raise SystemExit(1)
