"""What the driver of a sweep (``market-sim -m``) does around the jobs, whichever Hydra launcher runs them.

Jobs may run in this process (basic launcher), in worker processes (joblib),
on a Ray cluster or under Slurm (submitit), so the driver learns how far a
sweep has got only from the job directories it shares with them: it counts
complete markers and failed records (``sim/output/jobs.py``) and prints one
line per finished job from its record, so job lines come out whole and in
one place whichever process ran the job. One sweep at a time uses a sweep
directory (:class:`SweepLock`): two sweeps into one directory would run its
jobs twice. Progress shows done, failed, remaining and time left; at the end
``sweep.json`` sums up the sweep, and a sweep with failed jobs exits with
code 1 after every other job has finished and kept its results. Ctrl-C ends
a sweep the same way, with the command that resumes it and exit code 130
(the shell's code for a process ended by SIGINT).
"""

from __future__ import annotations

import atexit
import json
import os
import shlex
import signal
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from types import FrameType
from typing import Any

from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.experimental.callback import Callback
from omegaconf import DictConfig, OmegaConf
from tqdm import tqdm

from sim.config.schema import ConfigError
from sim.output import jobs
from sim.output.files import atomic_write_text

try:
    import fcntl
except ImportError:  # Windows has no flock: sweeps there are not locked
    fcntl = None  # type: ignore[assignment]

# Sweepers that expand jobs as Hydra's basic sweeper does (``sim`` checks fewer of them first)
BASIC_SWEEPERS = ("hydra._internal.core_plugins.basic_sweeper.BasicSweeper",
                  "hydra_plugins.sim_sweeper.sim_sweeper.SimSweeper")
# Overrides that vary within a configuration: replications (seed) and rows of a design table
WITHIN_CONFIGURATION = ("seed=", "+design.row=")
POLL_SECONDS = 0.5
LOCK = "sweep.lock"
INTERRUPTED_EXIT = 130


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


def fixed_keys(config: DictConfig) -> set[str]:
    """The keys the sweep's command sets to one value for every job: a job's line leaves them out."""
    parsed = OverridesParser.create().parse_overrides(list(config.hydra.overrides.task))
    return {override.get_key_element() for override in parsed if not override.is_sweep_override()}


def resume_command(config: DictConfig) -> str:
    """The command that started this sweep, into its directory: run again, it runs only the unfinished jobs."""
    arguments = [item for item in sys.argv[1:] if not item.startswith("hydra.sweep.dir=")]
    return shlex.join([str(config.hydra.help.app_name), *arguments, f"hydra.sweep.dir={config.hydra.sweep.dir}"])


class SweepInterrupted(SystemExit):
    """Ctrl-C ended the sweep (exit code 130) from wherever the driver was: see :func:`interrupted`."""

    def __init__(self) -> None:
        super().__init__(INTERRUPTED_EXIT)


def interrupted(error: BaseException) -> bool:
    """Whether ``error`` arose while Ctrl-C was ending the sweep: then it is a consequence, not a failure.

    The interruption is raised at whatever line the driver had reached, and
    code unwinding from there (a ``finally`` in Hydra or OmegaConf) may raise
    an error of its own, with :class:`SweepInterrupted` in its chain.
    """
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return any(isinstance(item, SweepInterrupted) for item in chain)


class SweepInUse(ConfigError):
    """Another sweep holds the lock on the sweep directory."""


class SweepLock:
    """The lock of one sweep directory: ``sweep.lock`` holds the pid of the sweep using it, and an ``flock`` on it.

    The system drops an ``flock`` when its process ends however it ends, so
    the lock of a killed sweep (a dead pid) is taken over by the next sweep;
    the file itself is removed when the sweep ends or is interrupted.
    """

    def __init__(self, sweep: Path) -> None:
        self.path = sweep / LOCK
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock, or raise :class:`SweepInUse` naming the process that holds it."""
        if fcntl is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = os.read(fd, 32).decode().strip() or "unknown"
                os.close(fd)
                raise SweepInUse(f"hydra.sweep.dir: {self.path.parent} is in use by another sweep (pid {holder}); "
                                 f"wait for it or use another hydra.sweep.dir") from None
            # The holder may have ended and removed the file between open and flock: lock the file there now
            if self.path.exists() and os.stat(self.path).st_ino == os.fstat(fd).st_ino:
                break
            os.close(fd)
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        atexit.register(self.release)  # also when the sweep ends by an exception, before on_multirun_end

    def release(self) -> None:
        """Remove the lock file, then drop the lock (in that order, so nobody locks a file about to vanish)."""
        if self._fd is None:
            return
        self.path.unlink(missing_ok=True)
        os.close(self._fd)
        self._fd = None


class SweepProgress(Callback):
    """Watch a sweep from the driver: its lock, a progress bar and a line per job, ``sweep.json`` when it ends."""

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._bar: tqdm | None = None
        self._sweep = Path()
        self._lock: SweepLock | None = None
        self._started = 0.0
        self._before: set[str] = set()
        self._shown: dict[str, str | None] = {}
        self._expected: int | None = None
        self._fixed: set[str] = set()
        self._resume = ""
        self._sigint: Any = None

    def __getstate__(self) -> dict[str, Any]:
        """Launchers send callbacks to their workers; the watcher (thread, bar, lock) stays in the driver."""
        return {}

    def __setstate__(self, state: dict[str, Any]) -> None:
        """In a worker, where no bar is shared with another process, tqdm locks with a thread lock.

        Its default lock is a named semaphore, created with a job's first bar
        (``run_model`` makes one even when it shows none); a launcher that kills
        its workers at Ctrl-C leaks it, with a warning after the sweep's last line.
        """
        self.__init__()
        tqdm.set_lock(threading.RLock())

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        """Lock the sweep directory, note the jobs already complete (a resumed sweep), start watching.

        Ctrl-C then ends the sweep through :meth:`_interrupt` instead of a traceback.
        """
        self._sweep = Path(str(config.hydra.sweep.dir))
        self._lock = SweepLock(self._sweep)
        self._lock.acquire()
        self._started = time.perf_counter()
        states = jobs.scan(self._sweep)
        self._before = {state.directory.name for state in states if state.status == "complete"}
        self._shown = {state.directory.name: state.record.get("finished") for state in states}
        expected = job_overrides(config)
        self._expected = len(expected) if expected is not None else None
        self._fixed = fixed_keys(config)
        self._resume = resume_command(config)
        if threading.current_thread() is threading.main_thread():
            self._sigint = signal.signal(signal.SIGINT, self._interrupt)
        resumed = f"; {len(self._before)} already complete, not run again" if self._before else ""
        count = f" {self._expected} jobs" if self._expected is not None else ""
        print(f"sweep:{count} into {self._sweep}{resumed}", file=sys.stderr)
        self._bar = tqdm(total=self._expected, desc="sweep", unit="job", file=sys.stderr, dynamic_ncols=True,
                         disable=None)
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _job_line(self, state: jobs.JobState) -> str:
        """``[job 3] seed=2 market.drift=1: <headline>``: the overrides that vary between jobs, then how it went."""
        varying = [item for item in state.record.get("overrides", []) if item.split("=")[0] not in self._fixed]
        outcome = f"failed: {state.record.get('error')}" if state.status == "failed" else state.record.get(
            "headline") or "complete"
        return " ".join([f"[job {state.directory.name}]", *varying]) + f": {outcome}"

    def _update(self) -> tuple[int, int]:
        states = jobs.scan(self._sweep)
        for state in states:
            finished = state.record.get("finished")
            if state.status != "pending" and self._shown.get(state.directory.name) != finished:
                self._shown[state.directory.name] = finished
                tqdm.write(self._job_line(state), file=sys.stdout)
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

    def _finish(self, interrupted: bool) -> tuple[int, int, float]:
        """Stop watching, write ``sweep.json``, free the directory; the complete and failed jobs and the time taken."""
        if self._sigint is not None:
            signal.signal(signal.SIGINT, self._sigint)
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
            "expected_jobs": self._expected,
            "complete": done,
            "failed": failed,
            "already_complete_at_start": len(self._before),
            "failed_jobs": [{"job": state.directory.name, "error": state.record.get("error")}
                            for state in states if state.status == "failed"],
            "interrupted": interrupted,
            "wall_time_seconds": time.perf_counter() - self._started,
            "finished": jobs.now(),
        }
        atomic_write_text(self._sweep / "sweep.json", json.dumps(summary, indent=2) + "\n")
        if self._lock is not None:
            self._lock.release()
        return done, failed, summary["wall_time_seconds"]

    def _interrupt(self, signum: int, frame: FrameType | None) -> None:
        """Ctrl-C: end the sweep with ``sweep.json`` and one line saying how to resume it; exit 130.

        The job that was running is left incomplete and runs again on resume.
        """
        done, _, _ = self._finish(interrupted=True)
        total = self._expected if self._expected is not None else len(jobs.scan(self._sweep))
        print(f"interrupted: {done} of {total} jobs complete; resume with: {self._resume}", file=sys.stderr)
        raise SweepInterrupted

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        """Stop watching, write ``sweep.json``, say how the sweep went; exit 1 if any job failed."""
        done, failed, seconds = self._finish(interrupted=False)
        print(f"sweep: {done} complete ({len(self._before)} of them before this start), {failed} failed, "
              f"in {seconds:.1f} s: {self._sweep}", file=sys.stderr)
        if failed:
            raise SystemExit(1)
