"""Inputs that pass each field's own range but cannot run as asked: refused before a run, naming the field."""

import pytest

from sim.config import load_config
from sim.config.schema import ConfigError

TYPO = "# @package _global_\nfirms:\n  focussed:\n    price: 0.9\n"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (["network.mean_degree=20000"], r"network\.mean_degree: must be below market\.customers \(10000\)"),
        (["network=scale_free", "market.customers=300", "network.mean_degree=300"], "largest allowed: 298"),
        (["network=homophilous", "network.mean_degree=10000"], "largest allowed: 9999"),
        (["network=scale_free", "network.mean_degree=7"], "needs an even mean degree .*; use 6 or 8"),
        (["market.customers=2"], "too few customers for a graph; use network=fully_mixed"),
        (["events=[{kind: switch, firm: focused, month: 118, lag: 6, strategy: centric}]"],
         r"events\[0\]\.lag: the switch would take effect at month 124"),
        (["market.steps=24", "events=[{kind: switch, firm: focused, month: 20, lag: 5, dials: {lead: 2}}]"],
         r"events\[0\]\.lag: .*\(market.steps=24\); use a lag of at most 4"),
    ],
)
def test_impossible_combinations_are_refused(compose, overrides, message):
    with pytest.raises(ConfigError, match=message):
        compose(*overrides)


@pytest.mark.parametrize(
    "overrides",
    [
        ["network=random", "network.mean_degree=11"],
        ["network=fully_mixed", "market.customers=2"],
        ["events=[{kind: switch, firm: focused, month: 114, lag: 6, strategy: centric}]"],
        ["scenario=ryanair"],
        ["+firms.newco={strategy: centric, price: 0.8}"],
        ["+firm_profile@firms.newco=obsessed"],
    ],
)
def test_the_possible_neighbours_still_compose(compose, overrides):
    compose(*overrides)


def test_a_misspelt_firm_in_a_scenario_is_refused_with_the_nearest_name(tmp_path):
    (tmp_path / "scenario").mkdir()
    (tmp_path / "scenario" / "typo.yaml").write_text(TYPO)
    with pytest.raises(ConfigError, match=r"^firms\.focussed: not a firm of this market \(did you mean focused\?\); "
                                          r"a new firm needs its strategy \(firms\.focussed\.strategy=\.\.\.\)$"):
        load_config(["scenario=typo"], config_dirs=[tmp_path])


def test_a_firm_added_by_a_scenario_may_get_its_strategy_from_an_override(tmp_path):
    (tmp_path / "scenario").mkdir()
    (tmp_path / "scenario" / "typo.yaml").write_text(TYPO)
    config = load_config(["scenario=typo", "firms.focussed.strategy=centric"], config_dirs=[tmp_path])
    assert config.firms["focussed"].strategy == "centric"


def test_a_firm_outside_a_smaller_line_up_lists_the_line_up(tmp_path):
    (tmp_path / "scenario").mkdir()
    (tmp_path / "scenario" / "typo.yaml").write_text(TYPO)
    with pytest.raises(ConfigError, match=r"\(its firms: solo\)"):
        load_config(["firms=monopoly", "scenario=typo"], config_dirs=[tmp_path])
