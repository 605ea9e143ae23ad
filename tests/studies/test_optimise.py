"""Dial search (``market-sim-optimise``): spaces are checked, searches repeat exactly, the best score is real."""

import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import optuna
import pandas as pd
import pytest
import yaml

from sim.apps.commands import optimise_main
from sim.config.compose import load_config
from sim.config.schema import ConfigError, StrategyConfig
from sim.studies import optimise, spaces
from sim.world.run import run_model

OPTIMISE = str(Path(sys.executable).with_name("market-sim-optimise"))
TINY = ["market.customers=400", "market.steps=24"]
SEEDS = 2
# audience: target is valid only with targeting: clv, so some proposals are pruned
SPACE = """\
audience: {choice: [customers, target]}
targeting: {choice: [none, clv]}
lead: {int: [0, 12], step: 3}
adjust_rate: {float: [0.1, 1.0]}
"""


def _profits(config, firm, seeds):
    return [next(row for row in run_model(config, seed).summary["firms"] if row["firm"] == firm)["cumulative_profit"]
            for seed in seeds]


@pytest.fixture(scope="module")
def config():
    return load_config(TINY)


@pytest.fixture(scope="module")
def search(tmp_path_factory):
    path = tmp_path_factory.mktemp("space") / "mine.yaml"
    path.write_text(SPACE)
    space = spaces.load_search_space(str(path))
    return optimise.Search(firm="focused", space=space, seeds=SEEDS, market=" ".join(TINY))


@pytest.fixture(scope="module")
def outcome(config, search):
    return optimise.optimise(config, search, trials=8, check_seeds=2, batch=3, workers=1, sampler_seed=1)


@pytest.fixture(scope="module")
def table(outcome, search):
    return optimise.trials_table(outcome.study, search.space)


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("lead: {int: [0, 24]}\nleed: {int: [0, 3]}\n", "bad.yaml: leed: unknown dial; did you mean lead? allowed: "),
        ("lead: {int: [5, 5]}\n", "bad.yaml: lead: empty range [5, 5]"),
        ("adjust_rate: {float: [0.9, 0.1]}\n", "bad.yaml: adjust_rate: empty range [0.9, 0.1]"),
        ("pricing_policy: {choice: []}\n", "bad.yaml: pricing_policy: choice needs a non-empty list"),
        ("lead: {float: [0, 2]}\n", "bad.yaml: lead: the dial is of type int, not float"),
        ("information: {int: [0, 2]}\n", "bad.yaml: information: the dial is of type str, not int; use {choice"),
        ("lead: {int: [0, 24], step: 5}\n", "bad.yaml: lead: range [0, 24] is not a whole number of steps of 5"),
        ("lead: [0, 24]\n", "bad.yaml: lead: expected exactly one of"),
        ("information: {choice: [wants, needs], step: 1}\n", "bad.yaml: information: unknown key(s) step; allowed: "
                                                             "choice"),
    ],
)
def test_a_bad_space_is_one_line_naming_its_file_and_dial(tmp_path, text, named):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as error:
        spaces.load_search_space(str(path))
    assert named in str(error.value)
    assert "\n" not in str(error.value)


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("adjust_rate: {float: [0.1, 1.5]}\n", "adjust_rate: 1.5 makes no valid strategy for firm 'focused'"),
        ("pricing_policy: {choice: [value, valu]}\n", "pricing_policy: 'valu' makes no valid strategy"),
        ("audience: {choice: [customers, target]}\n", "'target' needs targeting: clv"),
    ],
)
def test_a_value_no_strategy_can_take_is_refused_before_the_search(tmp_path, config, text, named):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    space = spaces.load_search_space(str(path))
    with pytest.raises(ConfigError) as error:
        optimise.check_space(space, config, "focused")
    assert str(error.value).startswith(f"{path}: ")
    assert named in str(error.value)


@pytest.mark.parametrize("name", spaces.search_space_names())
def test_every_shipped_space_is_valid_for_every_firm(config, name):
    space = spaces.load_search_space(name)
    assert len(space.dials) >= 4
    for firm in config.firms:
        optimise.check_space(space, config, firm)


def test_the_shipped_spaces_include_focused_and_pricing():
    assert {"focused", "pricing"} <= set(spaces.search_space_names())


def test_the_first_trial_is_the_preset_and_renaming_it_changes_no_result(config, table):
    first = table.iloc[0]
    focused = config.strategies["focused"]
    assert first["preset"]
    assert (first["audience"], first["targeting"], first["lead"], first["adjust_rate"]) == (
        focused.audience, focused.targeting, focused.lead, focused.adjust_rate)
    assert [first["profit_seed_0"], first["profit_seed_1"]] == _profits(config, "focused", range(SEEDS))


def test_invalid_combinations_are_pruned_with_their_reason_and_never_scored(table):
    invalid = (table["audience"] == "target") & (table["targeting"] == "none")
    assert invalid.any(), "the sampler seed no longer proposes an invalid combination; pick another"
    assert (table.loc[invalid, "state"] == "pruned").all()
    assert table.loc[invalid, "reason"].str.contains("'target' needs targeting: clv").all()
    assert table.loc[invalid, "score"].isna().all()
    assert (table.loc[~invalid, "state"] == "complete").all()
    assert len(table) == 8


def test_a_score_is_the_mean_profit_of_its_dials_run_again_and_the_best_is_the_highest(config, outcome):
    scored = [trial for trial in outcome.study.trials if trial.value is not None]
    # whether 8 trials beat the preset in a tiny market is chance; the best proposal is checked either way
    proposal = max((trial for trial in scored if not trial.user_attrs.get("preset")), key=lambda trial: trial.value)
    changed = optimise.with_dials(config, "focused", proposal.params)
    assert changed.firms["focused"] != config.firms["focused"]
    assert changed.strategies["focused"] == config.strategies["focused"]  # only the firm's own copy changes
    assert changed.firms["centric"] == config.firms["centric"]
    assert proposal.value == np.mean(_profits(changed, "focused", range(SEEDS)))
    assert optimise.best_trial(outcome.study).value == max(trial.value for trial in scored)


def test_the_check_runs_best_and_preset_again_on_the_search_seeds_and_on_fresh_ones(outcome):
    check = outcome.check.set_index("seed")
    assert list(check.index) == [0, 1, 2, 3]
    assert list(check["seeds"]) == ["search", "search", "fresh", "fresh"]
    best = optimise.best_trial(outcome.study)
    preset = outcome.study.trials[0]
    assert list(check.loc[[0, 1], "best"]) == best.user_attrs["profits"]
    assert list(check.loc[[0, 1], "preset"]) == preset.user_attrs["profits"]
    assert np.allclose(check["difference"], check["best"] - check["preset"])


def test_the_same_sampler_seed_repeats_the_search_exactly_and_another_does_not(config, search, table):
    again = optimise.run_search(config, search, trials=8, batch=3, workers=1, sampler_seed=1)
    pd.testing.assert_frame_equal(optimise.trials_table(again, search.space), table)
    other = optimise.run_search(config, search, trials=8, batch=3, workers=1, sampler_seed=2)
    assert not optimise.trials_table(other, search.space)["adjust_rate"].equals(table["adjust_rate"])


def test_a_stored_search_resumes_with_the_missing_trials_and_refuses_other_settings(tmp_path, config, search):
    storage = tmp_path / "study.db"
    first = optimise.trials_table(
        optimise.run_search(config, search, trials=3, batch=3, workers=1, storage=storage), search.space)
    resumed = optimise.run_search(config, search, trials=5, batch=3, workers=1, storage=storage)
    assert len(optimise.finished(resumed)) == 5
    pd.testing.assert_frame_equal(optimise.trials_table(resumed, search.space).iloc[:3], first)
    with pytest.raises(ConfigError, match="other settings"):
        optimise.run_search(config, replace(search, seeds=3), trials=5, workers=1, storage=storage)


def test_a_quantile_objective_scores_a_lower_quantile(search):
    robust = replace(search, objective="quantile", quantile=0.25)
    assert robust.score([5.0, 1.0, 3.0, 2.0, 4.0]) == 2.0
    assert search.score([5.0, 1.0, 3.0, 2.0, 4.0]) == 3.0


def test_the_best_strategy_file_is_a_complete_preset_that_loads_back(tmp_path, outcome):
    text = optimise.strategy_yaml(outcome, "found")
    assert text.startswith("# Found by market-sim-optimise")
    assert set(yaml.safe_load(text)) == set(vars(StrategyConfig()))
    (tmp_path / "strategy").mkdir()
    (tmp_path / "strategy" / "found.yaml").write_text(text)
    loaded = load_config([*TINY, f"hydra.searchpath=[file://{tmp_path}]", "+strategy@strategies.found=found",
                          "firms.focused.strategy=found"])
    assert loaded.strategies["found"] == outcome.best
    assert outcome.best == replace(loaded.strategies["focused"], **optimise.best_trial(outcome.study).params)


def test_the_report_names_the_changed_dials_and_says_which_figure_is_biased(outcome):
    text = optimise.report(outcome)
    for name, (before, after) in outcome.changed().items():
        assert f"- {name}: " in text
        assert before != after
    assert "| search 0-1 (chose the best) |" in text
    assert "| fresh 2-3 (the check) |" in text
    assert "biased upwards" in text


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--space", "nosuch"], "unknown search space 'nosuch'; allowed: focused"),
        (["--firm", "nosuch"], "unknown firm 'nosuch'; allowed: centric, focused, obsessed"),
        (["--trials", "0"], "--trials: must be >= 1"),
        (["--seeds", "1"], "--seeds: must be >= 2"),
        (["--objective", "best"], "invalid choice: 'best'"),
        (["--save-as", "focused"], "focused.yaml exists"),
        (["--base", "nosuch"], "scenario: unknown option 'nosuch'"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_no_output(tmp_path, capsys, args, named):
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as stopped:
        optimise_main([*args, "--out", str(out)])
    assert stopped.value.code == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("market-sim-optimise: error: ")
    assert named in lines[0]
    assert captured.out == ""
    assert not out.exists()


def test_save_as_writes_the_preset_once_and_refuses_to_overwrite_it(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(optimise, "STRATEGY_DIR", tmp_path / "strategy")
    (tmp_path / "strategy").mkdir()
    args = ["--base", " ".join(TINY), "--space", "pricing", "--trials", "2", "--seeds", "2", "--workers", "1",
            "--save-as", "mine", "--out", str(tmp_path / "out")]
    optimise_main(args)
    saved = tmp_path / "strategy" / "mine.yaml"
    assert "firms.focused.strategy=mine" in saved.read_text()
    StrategyConfig(**yaml.safe_load(saved.read_text())).validate("mine")
    capsys.readouterr()
    with pytest.raises(SystemExit) as stopped:
        optimise_main(args)
    assert stopped.value.code == 2
    assert "mine.yaml exists" in capsys.readouterr().err


def test_save_as_writes_into_a_users_config_folder_that_then_composes(tmp_path, capsys):
    mine = tmp_path / "my_conf"
    optimise_main(["--base", " ".join(TINY), "--space", "pricing", "--trials", "2", "--seeds", "2", "--workers", "1",
                   "--config-dir", str(mine), "--save-as", "tuned", "--out", str(tmp_path / "out")])
    assert f"--config-dir {mine} firms.focused.strategy=tuned" in capsys.readouterr().out
    config = load_config(["+strategy@strategies.tuned=tuned", "firms.focused.strategy=tuned"], config_dirs=[mine])
    assert config.firms["focused"].strategy == "tuned"
    assert not (optimise.STRATEGY_DIR / "tuned.yaml").exists()


def test_the_command_writes_trials_best_strategy_and_report(tmp_path):
    out = tmp_path / "out"
    done = subprocess.run([OPTIMISE, "--base", " ".join(TINY), "--space", "pricing", "--trials", "3", "--seeds", "2",
                           "--workers", "1", "--out", str(out)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("[  1/3] trial 0: score ")
    trials = pd.read_parquet(out / "trials.parquet")
    assert list(trials["number"]) == [0, 1, 2]
    assert {"state", "score", "pricing_policy", "promotion_depth", "reaction_threshold", "winback_discount",
            "profit_seed_0", "profit_seed_1"} <= set(trials.columns)
    best = trials.loc[trials["score"].idxmax()]
    strategy = StrategyConfig(**yaml.safe_load((out / "best_strategy.yaml").read_text()))
    assert strategy.pricing_policy == best["pricing_policy"]
    assert strategy.reaction_threshold == best["reaction_threshold"]
    assert (out / "report.md").read_text() in done.stdout
    assert len(pd.read_parquet(out / "check.parquet")) == 4
    market = pd.read_parquet(out / "market.parquet")
    assert set(market["config"]) == {"preset", "best"} and set(market["firm"]) == set(load_config(list(TINY)).firms)
    nobody = market.groupby("config")["no_firm_share"].agg(["min", "max"])
    assert (nobody["min"] == nobody["max"]).all()  # the market's figure, the same for every firm of a config
    assert "Buying from nobody at the end:" in done.stdout


def test_the_report_warns_when_the_best_dials_empty_the_market():
    market = pd.DataFrame({"config": ["preset", "best"], "firm": ["focused", "focused"],
                           "cumulative_profit": [1e6, 2e6], "mean_price": [1.0, 4.0], "final_price": [1.0, 6.0],
                           "no_firm_share": [0.15, 0.70], "market_size": [1e6, 1e6]})
    outcome = SimpleNamespace(market=market)
    lines = optimise._market_lines(outcome)
    assert "| focused | 1.0 M -> 2.0 M | 1.00 -> 4.00 | 1.00 -> 6.00 |" in lines
    assert any(line.startswith("Warning: the best dials shrink the market by 55.0%") for line in lines)
    assert any("the market's size at the end: 1,000,000 and 1,000,000 potential customers" in line for line in lines)
    outcome.market = market.assign(no_firm_share=[0.15, 0.17])
    assert not any(line.startswith("Warning") for line in optimise._market_lines(outcome))


def test_under_keep_market_the_best_trial_is_the_best_that_kept_the_market():
    study = optuna.create_study(direction="maximize")
    study.set_user_attr("min_served", 0.8)
    for value, shortfall in ((30.0, 0.2), (20.0, -0.01), (10.0, -0.1)):
        study.add_trial(optuna.trial.create_trial(value=value, user_attrs={"shortfall": shortfall}))
    assert optimise.best_trial(study).value == 20.0
    emptying = optuna.create_study(direction="maximize")
    emptying.set_user_attr("min_served", 0.8)
    emptying.add_trial(optuna.trial.create_trial(value=30.0, user_attrs={"shortfall": 0.2}))
    with pytest.raises(ConfigError, match="keep_market: none of 1 trials kept the market"):
        optimise.best_trial(emptying)


@pytest.mark.parametrize("fraction", [0.0, 1.5])
def test_keep_market_is_a_fraction_of_the_preset_market(fraction):
    with pytest.raises(ConfigError, match="keep_market: must be above 0 and at most 1"):
        optimise.Search(firm="focused", space=spaces.load_search_space("pricing"), keep_market=fraction)
