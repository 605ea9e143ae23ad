"""Robustness across futures (sim/studies/futures.py, experiments/futures.py): sampling, regret, what decides."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.config.schema import ConfigError
from sim.studies import futures, spaces

ROOT = Path(__file__).resolve().parents[2]
TINY = ["market.customers=300", "market.steps=24"]


@pytest.fixture(scope="module")
def space():
    return spaces.load_futures_space("default")


def test_the_latin_hypercube_hits_every_stratum_of_every_range_once(space):
    sampled = futures.sample(space, 20, seed=4)
    for uncertainty in space.uncertainties:
        column = sampled[uncertainty.name]
        if uncertainty.kind == "choices":
            assert set(column.cat.categories) == set(uncertainty.bounds)
            counts = column.value_counts()
            assert counts.max() - counts.min() <= 1  # strata map evenly onto the choices
        else:
            low, high = uncertainty.bounds
            strata = np.floor((column - low) / (high - low) * 20).astype(int)
            assert sorted(strata) == list(range(20))
    assert sampled.equals(futures.sample(space, 20, seed=4))
    assert not sampled.equals(futures.sample(space, 20, seed=5))


def test_a_future_sets_its_assumptions_and_only_our_firms_strategy_differs(space):
    sampled = futures.sample(space, 2, seed=0)
    configs = futures.future_configs(space, sampled, TINY)
    base = space.base_config(TINY)
    row = sampled.iloc[0]
    focused, centric = configs[(0, "focused")], configs[(0, "centric")]
    assert focused.market.drift == pytest.approx(row["drift"])
    assert focused.network.kind == row["network"]
    assert focused.firms["rival_1"].strategy == row["rival_1"]
    for name, segment in base.segments.items():
        assert focused.segments[name].price_sensitivity == pytest.approx(
            segment.price_sensitivity * row["price_sensitivity"], rel=1e-5)
    assert (focused.firms["us"].strategy, centric.firms["us"].strategy) == ("focused", "centric")
    assert focused.firms["rival_2"] == centric.firms["rival_2"] and focused.market == centric.market


@pytest.mark.parametrize(("text", "message"), [
    ("firm: nobody\nstrategies: [focused, centric]\nbase: [firms=rivals]\nuncertainties: {}\n", "firm: unknown firm"),
    ("firm: us\nstrategies: [focused, visionary]\nbase: [firms=rivals]\nuncertainties: {}\n", "strategies"),
    ("firm: us\nstrategies: [focused, centric]\nbase: [firms=rivals]\n"
     "uncertainties: {d: {path: market.drift, range: [2, 1]}}\n", "uncertainties.d.range"),
    ("firm: us\nstrategies: [focused, centric]\nbase: [firms=rivals]\n"
     "uncertainties: {d: {path: market.drfit, range: [0, 1]}}\n", "uncertainties"),
    ("firm: us\nstrategies: [focused, centric]\n", "missing uncertainties"),
])
def test_a_bad_space_is_refused_with_its_field(tmp_path, text, message):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message):
        spaces.load_futures_space(str(path))


def test_regret_is_the_shortfall_from_the_best_strategy_of_each_future():
    outcomes = pd.DataFrame({"future": [0, 0, 1, 1], "strategy": ["a", "b", "a", "b"],
                             "cumulative_profit": [5.0, 3.0, 1.0, 4.0]})
    regrets = futures.regret(outcomes, "cumulative_profit").set_index(["future", "strategy"])["regret"]
    assert regrets.to_dict() == {(0, "a"): 0.0, (0, "b"): 2.0, (1, "a"): 3.0, (1, "b"): 0.0}
    table = futures.strategy_table(futures.regret(outcomes, "cumulative_profit"), "cumulative_profit")
    assert table.loc["a", "max_regret"] == 3.0 and table.loc["b", "max_regret"] == 2.0
    assert list(table.index) == ["b", "a"]  # least maximum regret first
    assert table.loc["a", "wins"] == 0.5
    assert list(futures.winners(outcomes, "cumulative_profit")) == ["a", "b"]


def test_the_tree_and_prim_find_a_planted_rule(space):
    sampled = futures.sample(space, 200, seed=1)
    winner = pd.Series(np.where(sampled["drift"] > 1.5, "centric", "focused"), index=sampled.index)
    rules, importance = futures.deciding_tree(sampled, winner)
    assert importance.index[0] == "drift" and importance.iloc[0] > 0.99
    assert "drift <= 1.5" in rules
    box = futures.prim_box(sampled, (winner == "centric").to_numpy())
    assert set(box["limits"]) == {"drift"}
    assert box["limits"]["drift"][0] == pytest.approx(1.5, abs=0.05)
    assert box["density"] == 1.0 and box["coverage"] > 0.9


def test_every_strategy_of_a_future_runs_on_the_same_seed(space):
    sampled = futures.sample(space, 2, seed=0)
    outcomes = futures.evaluate(space, sampled, extra=TINY, seed=7)
    assert outcomes.groupby("future")["seed"].unique().map(list).to_dict() == {0: [7], 1: [8]}
    assert set(outcomes["strategy"]) == set(space.strategies) and (outcomes["firm"] == "us").all()


def test_the_study_runs_with_one_command_and_writes_its_tables(tmp_path):
    done = subprocess.run([sys.executable, "experiments/futures.py", "--futures", "10", "--out", str(tmp_path),
                           *TINY], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "max regret" in done.stdout and "Importance of each assumption" in done.stdout
    assert {p.name for p in tmp_path.iterdir()} == {"futures.parquet", "outcomes.parquet", "strategies.parquet",
                                                    "report.md"}
    outcomes = pd.read_parquet(tmp_path / "outcomes.parquet")
    assert len(outcomes) == 30 and (outcomes["regret"] >= 0).all()
    assert (outcomes.groupby("future")["regret"].min() == 0).all()


def test_the_study_refuses_a_bad_space_in_one_line(tmp_path):
    done = subprocess.run([sys.executable, "experiments/futures.py", "--space", "nosuch", "--out", str(tmp_path / "x")],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and "unknown futures space 'nosuch'; allowed: default" in done.stderr
    assert not (tmp_path / "x").exists()
