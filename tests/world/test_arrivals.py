"""An open population: customers arrive as well as leave, and shares, surveys and sizes are of those present."""

import numpy as np
import pytest

from sim import ConfigError, MarketModel, run_model
from sim.world import strategies
from sim.world.population import NO_FIRM

SEGMENTS = ("price_first", "busy_solution_seekers", "enthusiasts", "loyal_high_value")


def every_segment(**values: float) -> list[str]:
    return [f"segments.{segment}.{key}={value}" for segment in SEGMENTS for key, value in values.items()]


def sizes(result) -> np.ndarray:
    return result.firms.groupby("step")["market_size"].first().to_numpy()


def test_a_closed_market_builds_no_arrivals_and_keeps_its_size(compose):
    model = MarketModel(compose("market.customers=1500", "market.steps=12"), seed=0)
    assert model.population.size == 1500 and not model.open
    assert (model.arrival_slots == 1500).all()


@pytest.mark.parametrize("seed", range(4))
def test_arrivals_that_balance_dropout_hold_the_market_within_5_percent_for_ten_years(compose, seed):
    result = run_model(compose("scenario=turnover", "market.customers=3000"), seed)
    start = result.summary["total_customers"]
    assert np.abs(sizes(result) / start - 1).max() < 0.05
    lost = result.firms.groupby("step")["churned"].sum().sum()
    assert lost > 0.5 * start  # customers did leave: the balance is not a closed market's


def test_without_dropout_arrivals_grow_the_market_by_their_rate_independent_of_the_resolution(compose):
    grown = [sizes(run_model(compose(f"market.customers={n}", "market.steps=60", *every_segment(arrivals=0.1)), 0))
             for n in (2000, 8000)]
    for size in grown:
        assert size[-1] / 1e6 == pytest.approx(1.5, rel=0.03)  # five years at a tenth of the start a year
    assert grown[0][-1] == pytest.approx(grown[1][-1], rel=0.03)


def test_arrivals_come_unaware_with_no_firm_and_only_customers_present_are_surveyed(compose):
    model = MarketModel(compose("market.customers=1500", "market.steps=24", *every_segment(arrivals=0.5)), seed=0)
    population = model.population
    for _ in range(6):
        model.step()
    start, stop = model.arrival_slots[6:8]
    assert stop > start and population.gone[start:].all()
    model.step()
    arrived = np.arange(start, stop)
    assert not population.gone[arrived].any()
    # they chose in the month they arrived only if marketing or word of mouth reached them first
    unaware = ~population.aware[arrived].any(axis=1)
    assert (population.firm[arrived][unaware] == NO_FIRM).all() and unaware.mean() > 0.9
    everyone = strategies.audience(model.config.strategies["focused"].__class__(audience="everyone"),
                                   population, np.empty(0, dtype=np.int64), -1)
    assert np.array_equal(everyone, np.flatnonzero(~population.gone))
    assert model.segment_sizes.sum() == pytest.approx(population.weight[~population.gone].sum())


def test_shares_are_of_the_customers_present_when_the_market_shrinks(compose):
    leaving = every_segment(**{"purchases.dropout": 0.5})
    result = run_model(compose("market.customers=2000", "market.steps=36", *leaving), 0)
    final = result.firms[result.firms["step"] == 36]
    assert final["share"].sum() == pytest.approx(final["customers"].sum() / final["market_size"].iloc[0])
    summary = result.summary["firms"][0]
    assert summary["no_firm_share"] == pytest.approx(1 - final.loc[final["alive"], "share"].sum())
    # gamma(1)-mixed hazards of mean 0.5 a year: a share (1 + 0.5 x 3)^-1 is still there after three years
    assert summary["market_size"] == pytest.approx(0.4e6, rel=0.05)


def test_a_segment_change_event_sets_a_segments_arrival_rate_from_its_month(compose):
    result = run_model(compose("market.customers=2000", "market.steps=36",
                               "events=[{kind: segment_change, segment: enthusiasts, month: 13, arrivals: 1.0}]"), 0)
    size = sizes(result)
    assert (size[:12] == 1e6).all()
    enthusiasts = compose().segments["enthusiasts"].share * 1e6
    assert size[-1] - 1e6 == pytest.approx(2 * enthusiasts, rel=0.1)  # two years at the segment's size a year


@pytest.mark.parametrize("override, field", [
    ("segments.enthusiasts.arrivals=-0.1", "segments.enthusiasts.arrivals"),
    ("events=[{kind: segment_change, segment: enthusiasts, month: 3, arrivals: -1}]", "events[0].arrivals"),
])
def test_a_negative_arrival_rate_is_refused_naming_the_field(compose, override, field):
    with pytest.raises(ConfigError, match=field.replace("[", r"\[").replace("]", r"\]")):
        compose(override)
