"""The ``market-sim`` command: overrides, multirun, and bad input (exit 2, one line, no files)."""

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

MARKET_SIM = str(Path(sys.executable).with_name("market-sim"))
TINY = ["market.customers=600", "market.steps=12"]


def _run(args, cwd):
    return subprocess.run([MARKET_SIM, *args], cwd=cwd, capture_output=True, text=True, timeout=300)


def test_a_run_with_overrides_writes_every_output(tmp_path):
    done = _run([*TINY, "network=scale_free", "seed=7", "hydra.run.dir=run"], tmp_path)
    assert done.returncode == 0, done.stderr
    run = tmp_path / "run"
    for name in ("firms.parquet", "segments.parquet", "tenures.parquet", "summary.json", "market.png",
                 ".hydra/config.yaml"):
        assert (run / name).is_file(), name
    firms = pd.read_parquet(run / "firms.parquet")
    assert set(firms["firm"]) == {"focused", "centric", "obsessed"}
    assert firms["step"].max() == 12
    assert "cum. profit" in done.stdout and "centric" in done.stdout


def test_the_figure_is_written_in_the_format_asked_for(tmp_path):
    done = _run([*TINY, "output.figure_format=svg", "output.figure_dpi=100", "hydra.run.dir=run"], tmp_path)
    assert done.returncode == 0, done.stderr
    figures = sorted(path.name for path in (tmp_path / "run").glob("market.*"))
    assert figures == ["market.svg"]
    assert "<svg" in (tmp_path / "run" / "market.svg").read_text()


def test_multirun_sweeps_each_combination_with_the_same_results_as_single_runs(tmp_path):
    done = _run(["-m", *TINY, "seed=1,2", "firms=default,duopoly", "hydra.sweep.dir=sweep"], tmp_path)
    assert done.returncode == 0, done.stderr
    jobs = sorted(p.parent for p in (tmp_path / "sweep").glob("*/firms.parquet"))
    assert len(jobs) == 4
    firm_counts = sorted(pd.read_parquet(job / "firms.parquet")["firm"].nunique() for job in jobs)
    assert firm_counts == [2, 2, 3, 3]
    alone = _run([*TINY, "seed=2", "firms=duopoly", "hydra.run.dir=alone"], tmp_path)
    assert alone.returncode == 0, alone.stderr
    single = (tmp_path / "alone" / "firms.parquet").read_bytes()
    assert sum((job / "firms.parquet").read_bytes() == single for job in jobs) == 1


def test_a_sweep_with_one_bad_job_stops_before_any_job_runs(tmp_path):
    done = _run(["-m", "market.steps=6", "market.customers=600,-5,700", "hydra.sweep.dir=sweep"], tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip() == "market-sim: error: market.customers: must be >= 2, got -5"
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["firms.centric.strategy=visionary"], "firms.centric.strategy"),
        (["network=lattice"], "network"),
        (["segments.price_first.share=0.5"], "segments"),
        (["market.customers=-5"], "market.customers"),
        (["market.customers=many"], "market.customers"),
        (["market.customers=[1,2"], "market.customers=[1,2"),
        (["strategy@strategies.centric=visionary"], "strategy"),
        (["events=[{kind: merger, firm: focused, month: 3}]"], "events[0].kind"),
        (["events=[{kind: exit, firm: nokia, month: 3}]"], "events[0].firm"),
        (["events=[{kind: exit, firm: focused, month: 500}]"], "events[0].month"),
        (["events=[{kind: switch, firm: focused, month: 3, dials: {lead: -1}}]"], "events[0].dials.lead"),
        (["events=[{kind: switch, firm: focused, month: 3, dials: {foresight: 2}}]"], "events[0].dials"),
        (["events=[{kind: needs_shift, segment: enthusiasts, month: 3, shift: [0.1]}]"], "events[0].shift"),
        (["events=[{kind: price_cut, firm: focused, month: 3}]"], "events[0].price"),
        (["events=[{kind: exit, firm: focused}]"], "events[0].month: Missing mandatory value"),
        (["events=[{kind: segment_change, segment: enthusiasts, month: 3, size: -1}]"], "events[0].size"),
        (["events=[{kind: segment_change, segment: enthusiasts, month: 3}]"], "events[0].price_sensitivity"),
        (["firms.focused.initial_share=0.8", "firms.centric.initial_share=0.4"], "firms: initial_share"),
        (["+market.drfit=2"], "market.drfit: unknown key 'drfit'; did you mean drift?"),
        (["+firms.lowcost={strategy: visionary}"], "firms.lowcost.strategy: unknown value 'visionary'"),
        (["+firms.focused.switch_to=centric"], "firms.focused.switch_to: unknown key"),
        (["firms.focusd.price=2"], "did you mean focused?"),
        (["market.wom.imitaton=1"], "did you mean imitation?"),
        (["+strategy@strategies.mine=centric", "strategies.mine.winback=0.3", "firms.centric.strategy=mine"],
         "strategies.mine.winback: Key 'winback' not in 'StrategyConfig'; did you mean winback_discount?; "
         "allowed: acquisition_boost, "),
        (["output.figure_format=gif"], "output.figure_format: unknown value 'gif'; allowed: pdf, png, svg"),
        (["output.figure_dpi=10"], "output.figure_dpi: must be from 50 to 600"),
        (["firms.focussed.price=0.9"], "firms.focussed: Key 'focussed' is not in struct; did you mean focused"),
        (["network.mean_degree=20000"], "network.mean_degree: must be below market.customers (10000)"),
        (["network=random", "network.mean_degree=10000"], "largest allowed: 9999"),
        (["network.mean_degree=11"], "network.mean_degree: a small_world network needs an even mean degree"),
        (["market.customers=5"], "network.mean_degree: must be below market.customers (5)"),
        (["events=[{kind: switch, firm: focused, month: 118, lag: 6, strategy: centric}]"],
         "events[0].lag: the switch would take effect at month 124, after the run ends (market.steps=120); "
         "use a lag of at most 2"),
    ],
)
def test_bad_input_is_one_clear_line_exit_2_and_no_files(tmp_path, args, named):
    done = _run(args, tmp_path)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("market-sim: error: ")
    assert named in lines[0]
    assert "Traceback" not in done.stderr + done.stdout
    assert not any(tmp_path.iterdir()), list(tmp_path.rglob("*"))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("# @package _global_\nmarket:\n  drift: [1, 2\n",
         "mine.yaml, line 4, column 1: YAML syntax error: expected ',' or ']', but got '<stream end>' "
         "(while parsing a flow sequence started at line 3, column 10)"),
        ("# @package _global_\nmarket:\n  drift: 2.0\n  steps: 24\n  customers: 600\n seed: 3\n",
         "mine.yaml, line 6, column 2: YAML syntax error"),
        ("# @package _global_\nfirms:\n  focussed:\n    price: 0.9\n",
         "firms.focussed: not a firm of this market (did you mean focused?); a new firm needs its strategy "
         "(firms.focussed.strategy=...)"),
        ("market:\n  drift: 2.0\n", "the scenario file must begin with the line '# @package _global_'"),
    ],
)
def test_a_broken_scenario_file_is_named_in_one_line(tmp_path, text, expected):
    folder = tmp_path / "user" / "scenario"
    folder.mkdir(parents=True)
    (folder / "mine.yaml").write_text(text)
    work = tmp_path / "work"
    work.mkdir()
    done = _run([f"hydra.searchpath=[file://{tmp_path / 'user'}]", "scenario=mine"], work)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0], done.stderr
    assert not any(work.iterdir())


def test_a_scenario_adds_a_firm_only_when_it_names_its_strategy(tmp_path):
    """A misspelt firm is refused; a firm added on purpose, as conf/scenario/ryanair.yaml adds one, runs."""
    folder = tmp_path / "user" / "scenario"
    folder.mkdir(parents=True)
    (folder / "typo.yaml").write_text("# @package _global_\nfirms:\n  focussed:\n    price: 0.9\n")
    (folder / "newco.yaml").write_text("# @package _global_\nfirms:\n  newco:\n    strategy: centric\n")
    work = tmp_path / "work"
    work.mkdir()
    refused = _run(["--config-dir", str(tmp_path / "user"), "scenario=typo", *TINY], work)
    assert refused.returncode == 2
    assert refused.stderr.strip().splitlines() == [
        "market-sim: error: firms.focussed: not a firm of this market (did you mean focused?); a new firm needs "
        "its strategy (firms.focussed.strategy=...)"]
    assert not any(work.iterdir())
    done = _run(["--config-dir", str(tmp_path / "user"), "scenario=newco", *TINY, "output.figure=false",
                 "hydra.run.dir=run"], work)
    assert done.returncode == 0, done.stderr
    assert set(pd.read_parquet(work / "run" / "firms.parquet")["firm"]) == {"focused", "centric", "obsessed", "newco"}


def test_a_broken_user_config_is_named_with_its_line_and_column(tmp_path):
    (tmp_path / "mine.yaml").write_text("defaults:\n  - config\n  - _self_\nmarket:\n  steps: 12\n   customers: 9\n")
    work = tmp_path / "work"
    work.mkdir()
    done = _run(["--config-dir", str(tmp_path), "--config-name", "mine"], work)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"market-sim: error: {tmp_path / 'mine.yaml'}, line 6, column 13: YAML syntax error: mapping values are not "
        "allowed here; check the indentation and brackets there"]
    assert not any(work.iterdir())


def test_a_sweep_over_scenarios_of_ones_own_checks_each_for_misspelt_firms(tmp_path):
    folder = tmp_path / "user" / "scenario"
    folder.mkdir(parents=True)
    (folder / "tiny.yaml").write_text("# @package _global_\nmarket:\n  steps: 3\n  customers: 600\n")
    (folder / "typo.yaml").write_text("# @package _global_\nfirms:\n  focussed:\n    price: 0.9\n")
    work = tmp_path / "work"
    work.mkdir()
    done = _run(["-m", f"hydra.searchpath=[file://{tmp_path / 'user'}]", "scenario=tiny,typo", "seed=1,2"], work)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "market-sim: error: firms.focussed: not a firm of this market (did you mean focused?); a new firm needs "
        "its strategy (firms.focussed.strategy=...)"]
    assert not any(work.iterdir())


def test_a_run_into_a_folder_holding_another_run_is_refused_and_the_folder_left_as_it_is(tmp_path):
    first = _run(["market.customers=300", "market.steps=6", "seed=0", "hydra.run.dir=X"], tmp_path)
    assert first.returncode == 0, first.stderr
    before = {path: path.stat().st_mtime_ns for path in (tmp_path / "X").rglob("*")}
    other = _run(["market.customers=300", "market.steps=6", "seed=1", "hydra.run.dir=X"], tmp_path)
    assert other.returncode == 2
    assert other.stderr.strip().splitlines() == [
        "market-sim: error: hydra.run.dir: X holds the results of market.customers=300 market.steps=6 seed=0; use "
        "another hydra.run.dir, or the same overrides to reuse it"]
    assert before == {path: path.stat().st_mtime_ns for path in (tmp_path / "X").rglob("*")}
    same = _run(["seed=0", "market.customers=300", "market.steps=6", "hydra.run.dir=X"], tmp_path)
    assert same.returncode == 0 and same.stdout.startswith("already complete"), same.stderr
