"""``market-sim-compare``: paired answers with common random numbers, checked against the raw runs."""

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from sim.config.compose import load_config
from sim.studies import compare
from sim.world.run import run_model

COMPARE = str(Path(sys.executable).with_name("market-sim-compare"))
COMMON = "market.customers=800 market.steps=12"


@pytest.fixture(scope="module")
def compared(tmp_path_factory):
    out = tmp_path_factory.mktemp("compare")
    done = subprocess.run([COMPARE, "market.drift=2", "--common", COMMON, "--seeds", "3", "--workers", "1",
                           "--out", str(out)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    return out, done.stdout


def test_it_answers_first_in_sentences_then_writes_report_table_and_figure(compared):
    out, stdout = compared
    first = stdout.splitlines()[2]
    assert first.startswith("- With market.drift=2, the focused firm's cumulative profit is")
    assert "paired runs" in first
    for name in ("report.md", "runs.parquet", "differences.parquet", "trajectories.parquet", "trajectories_1.png"):
        assert (out / name).is_file(), name
    assert (out / "report.md").read_text() in stdout


def test_its_figures_match_a_recomputation_from_the_raw_runs(compared):
    out, _ = compared
    table = pd.read_parquet(out / "differences.parquet").set_index(["firm", "headline"])
    for firm in ("focused", "centric", "obsessed"):
        profits = {}
        for label, overrides in (("baseline", []), ("alternative", ["market.drift=2"])):
            config = load_config([*COMMON.split(), *overrides])
            profits[label] = [next(f for f in run_model(config, seed).summary["firms"] if f["firm"] == firm)
                              ["cumulative_profit"] for seed in range(3)]
        differences = [a - b for a, b in zip(profits["alternative"], profits["baseline"], strict=True)]
        row = table.loc[(firm, "cumulative_profit")]
        assert row["difference"] == pytest.approx(sum(differences) / 3)
        assert row["ahead"] == sum(d > 0 for d in differences)


def test_a_difference_that_is_not_distinguishable_from_zero_is_said_plainly():
    row = {"alternative": "x", "firm": "focused", "headline": "cumulative_profit", "difference": 10.0,
           "low": -5.0, "high": 25.0, "ahead": 2, "pairs": 3}
    assert "not distinguishable from the baseline's" in compare.sentence(row)


def test_a_bad_alternative_is_one_line_and_exit_2(tmp_path):
    done = subprocess.run([COMPARE, "no_such_scenario", "--out", str(tmp_path / "out")], capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [done.stderr.strip()]
    assert "scenario: unknown option 'no_such_scenario'" in done.stderr
    assert not (tmp_path / "out").exists()


def test_a_scenario_of_ones_own_is_found_in_a_config_dir(tmp_path):
    """``--config-dir`` as market-sim has it: a calibrated market's scenario compared without copying it into conf/."""
    (tmp_path / "mine" / "scenario").mkdir(parents=True)
    (tmp_path / "mine" / "scenario" / "small.yaml").write_text(
        "# @package _global_\nmarket:\n  customers: 600\n  steps: 6\n")
    done = subprocess.run([COMPARE, "firms.focused.price=0.9", "--common", "scenario=small", "--config-dir",
                           str(tmp_path / "mine"), "--seeds", "2", "--workers", "1", "--out", str(tmp_path / "out")],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    runs = pd.read_parquet(tmp_path / "out" / "runs.parquet")
    assert "With firms.focused.price=0.9" in done.stdout and len(runs) > 0
    missing = subprocess.run([COMPARE, "x=1", "--config-dir", str(tmp_path / "nowhere")], capture_output=True,
                             text=True, timeout=120)
    assert missing.returncode == 2 and missing.stderr.strip().endswith(f"no such folder: {tmp_path / 'nowhere'}")


TINY = ["market.customers=600", "market.steps=12"]
SWITCH = "events=[{kind: switch, month: 6, firm: focused, strategy: centric}]"


def _compared(base, alternative, seeds=2):
    configs = {compare.BASELINE: load_config([*TINY, *base]), "alt": load_config([*TINY, *alternative])}
    runs, trajectories = compare.run(configs, range(seeds))
    month = compare.decision_month(*configs.values())
    return runs, trajectories, compare.differences(runs, "alt", trajectories=trajectories, month=month)


def test_an_entrant_is_reported_by_its_mean_and_the_decision_window_starts_at_the_switch():
    runs, trajectories, table = _compared([], ["scenario=ryanair", SWITCH])
    entrant = table[table["firm"] == "lowcost"].set_index("headline")
    assert not entrant["paired"].any() and set(entrant["note"]) == {compare.ENTERS}
    profits = runs.loc[(runs["config"] == "alt") & (runs["firm"] == "lowcost"), "cumulative_profit"]
    assert entrant.loc["cumulative_profit", "value"] == pytest.approx(profits.mean())
    assert entrant.loc["cumulative_profit", "low"] <= profits.mean() <= entrant.loc["cumulative_profit", "high"]
    focused = table[table["firm"] == "focused"].set_index("headline")
    assert focused.loc["decision_profit", "window"] == "month 6 on"
    cumulative = trajectories[trajectories["firm"] == "focused"].set_index(["config", "seed", "step"])
    gained = {config: [cumulative.loc[(config, seed, 12), "cumulative_profit"]
                       - cumulative.loc[(config, seed, 5), "cumulative_profit"] for seed in range(2)]
              for config in (compare.BASELINE, "alt")}
    assert focused.loc["decision_profit", "difference"] == pytest.approx(
        sum(a - b for a, b in zip(gained["alt"], gained[compare.BASELINE], strict=True)) / 2)
    text = compare.report(table, 2)
    assert f"the lowcost firm {compare.ENTERS}: its cumulative profit is" in text
    assert "| alt | lowcost | cumulative profit | whole run | — |" in text
    assert "focused firm's profit from the decision on (month 6 on)" in text


def test_a_common_window_that_ends_before_the_decision_says_so_instead_of_a_zero_difference():
    exit_early = "{kind: exit, month: 3, firm: obsessed}"
    _, _, table = _compared([f"events=[{exit_early}]"],
                            [f"events=[{exit_early}, {{kind: switch, month: 6, firm: focused, strategy: centric}}]"])
    rows = table.set_index(["firm", "headline"])
    assert rows.loc[("focused", "common_nps"), "window"].endswith("all before month 3: the decision cannot show here")
    empty = rows.loc[("focused", "decision_common_nps")]
    assert empty["note"] == compare.NO_COMMON and pd.isna(empty["difference"])
    assert f"| {compare.NO_COMMON} |" in compare.report(table, 2)


def test_without_events_there_is_no_decision_window():
    assert compare.decision_month(load_config(TINY)) is None
