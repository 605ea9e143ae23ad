"""Every shipped config option composes, validates and runs (seeded smoke tests)."""

from pathlib import Path

import pytest

from sim.config.compose import CONFIG_DIR
from sim.world.run import run_model

STUDY_SPACES = ("search", "futures")  # read by market-sim-optimise and experiments/futures.py, not config groups
TINY = ("market.customers=800", "market.steps=40")  # long enough for every scenario's events
OPTIONS = [
    f"{group.name}={option.stem}"
    for group in sorted(Path(CONFIG_DIR).iterdir())
    if group.is_dir() and group.name not in ("strategy", "firm_profile", *STUDY_SPACES)
    for option in sorted(group.glob("*.yaml"))
]


@pytest.mark.parametrize("option", OPTIONS)
def test_each_config_option_runs(compose, option):
    config = compose(*TINY, option)
    assert config.market.customers == 800  # command-line values win over a scenario's
    result = run_model(config, seed=1)
    assert len(result.firms) == config.market.steps * len(config.firms)
    assert result.firms["customers"].max() > 0


@pytest.mark.parametrize("strategy", sorted(p.stem for p in (Path(CONFIG_DIR) / "strategy").glob("*.yaml")))
def test_each_strategy_preset_can_run_every_firm(compose, strategy):
    config = compose(*TINY, *(f"firms.{name}.strategy={strategy}" for name in ("focused", "centric", "obsessed")))
    result = run_model(config, seed=1)
    assert set(result.firms["strategy"]) == {strategy}


@pytest.mark.parametrize("preset", sorted(p.stem for p in (Path(CONFIG_DIR) / "firm_profile").glob("*.yaml")))
def test_a_firm_can_be_added_from_the_command_line(compose, preset):
    config = compose(*TINY, f"+firm_profile@firms.newcomer={preset}", "firms.newcomer.price=0.75")
    assert config.firms["newcomer"].strategy == preset
    assert config.firms["newcomer"].price == 0.75
    result = run_model(config, seed=1)
    assert "newcomer" in set(result.firms["firm"])


def test_a_firm_written_inline_is_the_same_as_a_profile_plus_fields(compose):
    inline = compose(*TINY, "+firms.lowcost={strategy: low_cost, price: 0.75, offering: [0.3, 0.6, 0.3, 0.2]}")
    profile = compose(*TINY, "+firm_profile@firms.lowcost=focused", "firms.lowcost.strategy=low_cost",
                      "firms.lowcost.price=0.75", "firms.lowcost.offering=[0.3,0.6,0.3,0.2]")
    assert inline == profile
    assert inline.firms["lowcost"].offering == [0.3, 0.6, 0.3, 0.2] and inline.firms["lowcost"].price == 0.75
