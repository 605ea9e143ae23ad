"""Validation: every bad value is refused with a message naming its field."""

import pytest

from sim.config.schema import ConfigError, FirmConfig, MarketConfig, NetworkConfig, StrategyConfig


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        (["market.customers=-5"], "market.customers"),
        (["market.steps=0"], "market.steps"),
        (["segments.price_first.share=0.5"], "segments"),
        (["segments.enthusiasts.needs=[0.1,0.2]"], "segments.enthusiasts.needs"),
        (["firms.centric.strategy=visionary"], "firms.centric.strategy"),
        (["strategies.focused.information=gossip"], "strategies.focused.information"),
        (["network.kind=lattice"], "network.kind"),
        (["network.mean_degree=1"], "network.mean_degree"),
        (["market.wom.imitation=-0.1"], "market.wom.imitation"),
        (["firms.obsessed.service=1.5"], "firms.obsessed.service"),
        (["strategies.centric.audience=target", "strategies.centric.targeting=none"], "strategies.centric.audience"),
        (["firms.focused.initial_share=1.2"], "firms.focused.initial_share"),
        (["firms.focused.initial_share=0.7", "firms.centric.initial_share=0.5"], "firms"),
        (["firms.focused.initial_share=0.5", "firms.centric.initial_share=0.2", "firms.obsessed.initial_share=0.2"],
         "firms"),
        (["firms.obsessed.initial_share=0.2", "+events=[{kind: enter, month: 5, firm: obsessed}]"],
         "firms.obsessed.initial_share"),
    ],
)
def test_bad_values_name_their_field(compose, overrides, field):
    with pytest.raises(ConfigError, match=rf"^{field}: "):
        compose(*overrides)


def test_unknown_strategy_lists_the_allowed_ones(compose):
    with pytest.raises(ConfigError, match="allowed: centric, focused, low_cost, obsessed"):
        compose("firms.centric.strategy=visionary")


def test_shares_not_summing_to_one_report_the_sum(compose):
    with pytest.raises(ConfigError, match=r"shares must sum to 1, got 1\.15"):
        compose("segments.price_first.share=0.5")


def test_default_config_is_the_documented_market(compose):
    config = compose()
    assert config.market.customers == 10_000
    assert config.market.steps == 120
    assert len(config.market.attributes) == 4
    assert list(config.segments) == ["price_first", "busy_solution_seekers", "enthusiasts", "loyal_high_value"]
    assert {name: firm.strategy for name, firm in config.firms.items()} == {
        "focused": "focused", "centric": "centric", "obsessed": "obsessed"}
    assert config.network.kind == "small_world"


def test_schema_defaults_are_the_default_yaml(compose):
    """One place for each default: the dataclasses and conf/ agree."""
    config = compose()
    assert config.market == MarketConfig()
    assert config.network == NetworkConfig()
    assert config.strategies["focused"] == StrategyConfig()
    assert all(firm == FirmConfig(strategy=firm.strategy) for firm in config.firms.values())


def test_a_new_strategy_can_be_written_in_yaml_alone(compose, tmp_path):
    (tmp_path / "strategy").mkdir()
    (tmp_path / "strategy" / "frugal.yaml").write_text(
        "information: needs\naudience: market\nresearch_respondents: 40\n")
    config = compose(f"hydra.searchpath=[file://{tmp_path}]", "+strategy@strategies.frugal=frugal",
                     "firms.obsessed.strategy=frugal")
    assert config.firms["obsessed"].strategy == "frugal"
    assert config.strategies["frugal"].research_respondents == 40
    assert config.strategies["frugal"].pricing_policy == "promotional"  # unset dials keep schema defaults
