"""Sweeps on Hydra's launchers: same bytes everywhere, a record per job, failures kept apart, resume after a kill."""

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sim.output import jobs
from sim.sweeps.driver import LOCK, SweepLock, one_job_per_configuration

MARKET_SIM = str(Path(sys.executable).with_name("market-sim"))
TINY = ["market.customers=300", "market.steps=12", "output.figure=false"]
LAUNCHERS = {
    "basic": [],
    "joblib": ["hydra/launcher=joblib", "hydra.launcher.n_jobs=2"],
    "submitit_local": ["hydra/launcher=submitit_local"],
    "ray": ["hydra/launcher=ray", "+hydra.launcher.ray.init.num_cpus=2",
            "+hydra.launcher.ray.init.include_dashboard=false"],
}


def _sweep(args, cwd, **kwargs):
    return subprocess.run([MARKET_SIM, "-m", *args], cwd=cwd, capture_output=True, text=True, timeout=600, **kwargs)


@pytest.fixture(scope="module")
def basic_sweep(tmp_path_factory):
    cwd = tmp_path_factory.mktemp("basic")
    done = _sweep([*TINY, "seed=range(0,4)", "hydra.sweep.dir=sweep"], cwd)
    assert done.returncode == 0, done.stderr
    return cwd / "sweep"


@pytest.mark.slow
@pytest.mark.parametrize("launcher", ["joblib", "submitit_local", "ray"])
def test_every_launcher_writes_the_same_bytes_per_job(basic_sweep, tmp_path, launcher):
    done = _sweep([*LAUNCHERS[launcher], *TINY, "seed=range(0,4)", "hydra.sweep.dir=sweep"], tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    console = (done.stdout + done.stderr).splitlines()  # in a pipe: the sweep's own lines and nothing else
    assert all(line.startswith(("sweep: ", "[job ")) for line in console), console
    for job in range(4):
        assert (tmp_path / "sweep" / str(job) / "firms.parquet").read_bytes() == \
            (basic_sweep / str(job) / "firms.parquet").read_bytes(), job
        assert jobs.is_complete(tmp_path / "sweep" / str(job))


def test_the_seed_range_idiom_gives_one_job_per_replication_with_its_record(basic_sweep):
    states = jobs.scan(basic_sweep)
    assert [state.status for state in states] == ["complete"] * 4
    records = [state.record for state in states]
    assert [record["seed"] for record in records] == [0, 1, 2, 3]
    assert sorted(records[2]["overrides"]) == ["market.customers=300", "market.steps=12", "output.figure=False",
                                               "seed=2"]
    for record in records:
        assert record["status"] == "complete" and record["error"] is None
        assert record["wall_time_seconds"] > 0 and record["git_commit"] and record["versions"]["numpy"]
    job = basic_sweep / "0"
    assert (job / ".hydra" / "config.yaml").is_file() and (job / ".hydra" / "overrides.yaml").is_file()
    marker = (job / jobs.COMPLETE).stat().st_mtime_ns
    assert all(marker >= path.stat().st_mtime_ns for path in job.iterdir() if path.is_file())
    summary = json.loads((basic_sweep / "sweep.json").read_text())
    assert (summary["jobs"], summary["complete"], summary["failed"]) == (4, 4, 0)


INJECT = """
import sys
import sim.apps.cli
import sim.world.run
real = sim.world.run.run_model
def flaky(config, seed=None, **options):
    if config.seed == 2:
        raise RuntimeError("injected failure")
    return real(config, seed, **options)
sim.world.run.run_model = flaky
sys.argv = ["market-sim", *sys.argv[1:]]
sim.apps.cli.main()
"""


def test_a_failing_job_is_recorded_and_loses_no_other_job_then_a_rerun_completes_it(tmp_path):
    args = ["-m", *TINY, "seed=range(0,4)", "hydra.sweep.dir=sweep"]
    done = subprocess.run([sys.executable, "-c", INJECT, *args], cwd=tmp_path, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 1, done.stderr
    states = {state.directory.name: state for state in jobs.scan(tmp_path / "sweep")}
    assert {name: state.status for name, state in states.items()} == {
        "0": "complete", "1": "complete", "2": "failed", "3": "complete"}
    assert states["2"].record["error"] == "RuntimeError: injected failure"
    assert "injected failure" in (tmp_path / "sweep" / "2" / "error.txt").read_text()
    summary = json.loads((tmp_path / "sweep" / "sweep.json").read_text())
    assert summary["failed_jobs"] == [{"job": "2", "error": "RuntimeError: injected failure"}]
    assert "[job 2] seed=2: failed: RuntimeError: injected failure" in done.stdout.splitlines()
    kept = {name: (tmp_path / "sweep" / name / "firms.parquet").stat().st_mtime_ns for name in ("0", "1", "3")}
    rerun = _sweep(args[1:], tmp_path)
    assert rerun.returncode == 0, rerun.stderr
    assert [state.status for state in jobs.scan(tmp_path / "sweep")] == ["complete"] * 4
    assert kept == {name: (tmp_path / "sweep" / name / "firms.parquet").stat().st_mtime_ns for name in kept}


def test_a_killed_sweep_resumes_with_exactly_the_missing_jobs(tmp_path):
    args = ["market.customers=1000", "market.steps=60", "output.figure=false", "seed=range(0,6)",
            "hydra.sweep.dir=sweep"]
    process = subprocess.Popen([MARKET_SIM, "-m", *args], cwd=tmp_path, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        if sum(state.status == "complete" for state in jobs.scan(tmp_path / "sweep")) >= 2:
            break
        time.sleep(0.1)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    before = {state.directory.name: (state.directory / "firms.parquet").stat().st_mtime_ns
              for state in jobs.scan(tmp_path / "sweep") if state.status == "complete"}
    assert 2 <= len(before) < 6
    rerun = _sweep(args, tmp_path)
    assert rerun.returncode == 0, rerun.stderr
    states = jobs.scan(tmp_path / "sweep")
    assert [state.directory.name for state in states] == [str(job) for job in range(6)]
    assert all(state.status == "complete" for state in states)
    assert f"; {len(before)} already complete, not run again" in rerun.stderr
    assert rerun.stdout.count("[job ") == 6 - len(before)
    assert before == {name: (tmp_path / "sweep" / name / "firms.parquet").stat().st_mtime_ns for name in before}


def test_a_different_sweep_into_a_used_folder_is_refused_before_any_job_runs(basic_sweep):
    before = {path: path.stat().st_mtime_ns for path in basic_sweep.glob("*/firms.parquet")}
    done = _sweep([*TINY, "seed=range(1,5)", f"hydra.sweep.dir={basic_sweep}"], basic_sweep.parent)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [done.stderr.strip()]
    assert "job 0" in done.stderr and "holds the results of" in done.stderr
    assert before == {path: path.stat().st_mtime_ns for path in basic_sweep.glob("*/firms.parquet")}


def test_runs_started_together_never_share_a_folder(tmp_path):
    processes = [subprocess.Popen([MARKET_SIM, *TINY], cwd=tmp_path, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE, text=True) for _ in range(3)]
    for process in processes:
        assert process.wait(timeout=300) == 0, process.stderr.read()
    runs = [path.parent for path in (tmp_path / "outputs").glob("*/*/COMPLETE")]
    assert len(runs) == 3 and len({run.name for run in runs}) == 3


def test_replications_run_in_parallel_from_a_plain_script_without_a_main_guard(tmp_path):
    script = tmp_path / "plain.py"
    script.write_text("import sim\n"
                      "frame = sim.replicate(sim.load_config(['market.customers=300', 'market.steps=12']), range(4), "
                      "workers=2)\nprint(len(frame))\n")
    done = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "12"


def test_a_bad_seed_among_replications_stops_the_sweep_before_any_job(tmp_path):
    done = _sweep([*TINY, "seed=3,-1", "hydra.sweep.dir=sweep"], tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip() == "market-sim: error: seed: must be a whole number >= 0, got -1"
    assert not (tmp_path / "sweep").exists()


def test_market_sim_sweeps_with_the_sim_sweeper_which_composes_one_job_per_configuration(tmp_path):
    shown = subprocess.run([MARKET_SIM, "--cfg", "hydra", "--package", "hydra.sweeper"], cwd=tmp_path,
                           capture_output=True, text=True, timeout=120)
    assert "hydra_plugins.sim_sweeper.sim_sweeper.SimSweeper" in shown.stdout, shown.stderr
    batch = [["seed=0", "market.drift=1"], ["seed=1", "market.drift=1"], ["market.drift=2", "seed=0"],
             ["+design.row=3", "market.drift=1", "seed=0"]]
    assert one_job_per_configuration(batch) == [batch[0], batch[2]]


def test_a_bad_value_in_a_later_configuration_of_a_sweep_stops_it_before_any_job(tmp_path):
    done = _sweep([*TINY, "seed=0,1", "market.drift=1,-3", "hydra.sweep.dir=sweep"], tmp_path)
    assert done.returncode == 2 and "market.drift" in done.stderr, done.stderr
    assert not (tmp_path / "sweep").exists()


@pytest.mark.parametrize(("swept", "named"), [
    (["market.drift=0,abc", "seed=range(0,3)"], "market-sim: error: market.drift: Value 'abc'"),
    (["network=random,smallworld", "seed=0,1"], "market-sim: error: network: unknown option 'smallworld'"),
])
def test_a_bad_value_in_a_sweep_is_one_line_and_leaves_no_sweep_folder(tmp_path, swept, named):
    done = _sweep([*TINY, *swept], tmp_path)
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1 and done.stderr.startswith(named), done.stderr
    assert not any(tmp_path.iterdir()), list(tmp_path.rglob("*"))


def test_a_sweep_prints_one_line_per_job_and_draws_figures_only_when_asked(tmp_path):
    done = _sweep(["market.customers=300", "market.steps=6", "market.drift=0,1", "seed=0,1",
                   "hydra.sweep.dir=sweep"], tmp_path)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert [line.split(":")[0] for line in lines] == [
        "[job 0] market.drift=0 seed=0", "[job 1] market.drift=0 seed=1", "[job 2] market.drift=1 seed=0",
        "[job 3] market.drift=1 seed=1"]
    firm = r"(focused|centric|obsessed) -?[\d.,]+( [Mk])?( \(exit m\d+\))?"
    assert all(re.fullmatch(rf"[^:]+: {firm}, {firm}, {firm}", line) for line in lines), lines
    assert not list((tmp_path / "sweep").glob("*/market.png"))
    asked = _sweep(["market.customers=300", "market.steps=6", "seed=0", "output.figure=true",
                    "hydra.sweep.dir=drawn"], tmp_path)
    assert asked.returncode == 0, asked.stderr
    assert (tmp_path / "drawn" / "0" / "market.png").is_file()


def test_a_sweep_folder_in_use_is_refused_at_once_and_a_stale_lock_is_taken_over(tmp_path):
    holder = SweepLock(tmp_path / "sweep")
    holder.acquire()
    refused = _sweep([*TINY, "seed=0,1", "hydra.sweep.dir=sweep"], tmp_path)
    holder.release()
    assert refused.returncode == 2
    assert refused.stderr.strip().splitlines() == [
        f"market-sim: error: hydra.sweep.dir: sweep is in use by another sweep (pid {os.getpid()}); wait for it or "
        "use another hydra.sweep.dir"]
    assert sorted(path.name for path in (tmp_path / "sweep").iterdir()) == []
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    (tmp_path / "sweep" / LOCK).write_text(dead.stdout)  # left by a sweep that was killed
    done = _sweep([*TINY, "seed=0,1", "hydra.sweep.dir=sweep"], tmp_path)
    assert done.returncode == 0, done.stderr
    assert [state.status for state in jobs.scan(tmp_path / "sweep")] == ["complete"] * 2
    assert not (tmp_path / "sweep" / LOCK).exists()


def test_ctrl_c_ends_a_sweep_with_one_line_saying_how_to_resume_it_and_its_sweep_json(tmp_path):
    args = ["market.customers=2000", "market.steps=60", "seed=range(0,20)", "hydra.sweep.dir=sweep"]
    process = subprocess.Popen([MARKET_SIM, "-m", *args], cwd=tmp_path, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, start_new_session=True)
    deadline = time.monotonic() + 240
    while not jobs.is_complete(tmp_path / "sweep" / "0") and time.monotonic() < deadline:
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGINT)  # as Ctrl-C does: to the whole process group
    out, err = process.communicate(timeout=120)
    assert process.returncode == 130, err
    summary = json.loads((tmp_path / "sweep" / "sweep.json").read_text())
    done = summary["complete"]
    assert summary["interrupted"] and summary["expected_jobs"] == 20 and 1 <= done < 20
    assert err.splitlines() == [
        "sweep: 20 jobs into sweep",
        f"interrupted: {done} of 20 jobs complete; resume with: market-sim -m market.customers=2000 "
        "market.steps=60 'seed=range(0,20)' hydra.sweep.dir=sweep"]
    assert len(out.splitlines()) == done
    assert not (tmp_path / "sweep" / LOCK).exists()
