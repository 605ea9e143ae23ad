"""Strategy decision rules on hand-built numbers (ODD 7.6)."""

import numpy as np
import pytest

from sim.config.schema import CostConfig, StrategyConfig
from sim.world import strategies
from sim.world.population import create_population


def test_value_price_splits_the_advantage_and_respects_cost():
    assert strategies.value_price(own_utility=1.0, alternative_utility=0.2, alternative_price=1.0,
                                  price_sensitivity=2.0, floor=0.5) == pytest.approx(1.2)
    assert strategies.value_price(own_utility=0.0, alternative_utility=0.4, alternative_price=0.9,
                                  price_sensitivity=1.0, floor=0.5) == pytest.approx(0.7)
    assert strategies.value_price(own_utility=0.0, alternative_utility=2.0, alternative_price=0.9,
                                  price_sensitivity=1.0, floor=0.6) == pytest.approx(0.6)


def test_never_raise_only_cuts_to_the_cheapest_rival_and_not_below_cost():
    assert strategies.never_raise_price(1.0, 0.9, 0.5, losing=True) == pytest.approx(0.9)
    assert strategies.never_raise_price(1.0, 0.9, 0.5, losing=False) == pytest.approx(1.0)
    assert strategies.never_raise_price(0.8, 1.2, 0.5, losing=True) == pytest.approx(0.8)
    assert strategies.never_raise_price(1.0, 0.4, 0.7, losing=True) == pytest.approx(0.7)
    assert strategies.never_raise_price(0.6, 0.4, 0.7, losing=True) == pytest.approx(0.6)


def test_promotions_run_only_while_losing_ground():
    assert strategies.promotional_price(1.0, 0.1, losing=True) == pytest.approx(0.9)
    assert strategies.promotional_price(1.0, 0.1, losing=False) == pytest.approx(1.0)
    assert strategies.losing_ground(0.30, 0.32, 10.0, 10.0, threshold=0.03)
    assert not strategies.losing_ground(0.315, 0.32, 10.0, 10.0, threshold=0.03)
    assert strategies.losing_ground(0.32, 0.32, 5.0, 10.0, threshold=0.03)
    assert not strategies.losing_ground(0.32, float("nan"), 5.0, float("nan"), threshold=0.03)


def test_value_service_is_where_willingness_to_pay_meets_marginal_cost():
    value = StrategyConfig(service_policy="value")
    assert strategies.service_level(value, 0.5, service_sensitivity=0.6, price_sensitivity=2.0,
                                    service_cost=0.5) == pytest.approx(0.3)
    assert strategies.service_level(value, 0.5, 3.0, 1.0, 0.3) == pytest.approx(1.0)
    assert strategies.service_level(StrategyConfig(service_policy="fixed"), 0.4, 3.0, 1.0, 0.3) == 0.4
    assert strategies.service_level(StrategyConfig(service_policy="max"), 0.4, 0.0, 1.0, 0.3) == 1.0


def test_segment_values_rank_by_clv_times_size_and_skip_unknown_segments():
    values = strategies.segment_values(
        margin=np.array([1.0, 3.0, np.nan]), retention=np.array([0.9, 0.99, 0.99]),
        segment_sizes=np.array([3500.0, 2000.0, 1500.0]), discount=0.008)
    assert np.argmax(values) == 1
    assert values[2] == -np.inf


def test_a_big_move_toward_customers_pays_but_jitter_among_them_does_not():
    rng = np.random.default_rng(0)
    needs = np.array([0.6, 0.6, 0.5, 0.7]) + 0.15 * rng.standard_normal((200, 4))
    common = dict(expected_needs=needs, fit_weight=3.0, price_sensitivity=0.8, spend=3.0, horizon=24)
    far = np.array([0.3, 0.6, 0.3, 0.3])
    assert strategies.reposition_pays(old=far, new=(far + needs.mean(axis=0)) / 2, customers=500,
                                      cost=0.3 * 10_000 * 0.25, **common)
    centre = needs.mean(axis=0)
    jitter = centre + np.array([0.02, -0.02, 0.0, 0.01])
    assert not strategies.reposition_pays(old=centre, new=jitter, customers=500,
                                          cost=0.3 * 10_000 * 0.03, **common)
    assert not strategies.reposition_pays(old=far, new=(far + centre) / 2, customers=0, cost=1.0, **common)


def test_listening_buys_a_number_of_respondents_and_reads_the_right_thing(small_config):
    population = create_population(small_config, 3, np.random.default_rng(1))
    costs = CostConfig(survey_noise=0.0, research_noise=0.0)
    pool = np.flatnonzero(population.segment == 1)
    wants = strategies.listen(StrategyConfig(information="wants", survey_respondents=60),
                              pool, population, costs, np.random.default_rng(2))
    assert len(wants.readings) == 60
    assert wants.cost == pytest.approx(60 * costs.survey_cost)
    population.weight[:] = 1.0  # each simulated customer is one real one
    needs = strategies.listen(StrategyConfig(information="needs", research_respondents=10 * len(pool)),
                              pool, population, costs, np.random.default_rng(3))
    assert len(needs.readings) == len(pool)  # never more respondents than the real audience has
    assert needs.ideal == pytest.approx(population.needs[pool].mean(axis=0), abs=0.02)
    assert wants.ideal != pytest.approx(population.needs[pool].mean(axis=0), abs=0.05)


def test_what_a_sample_tells_does_not_depend_on_how_many_customers_are_simulated(compose):
    """The same 100 respondents give the same precision whether 1,500 or 15,000 customers stand for the market."""
    spreads = []
    for customers in (1500, 15_000):
        config = compose(f"market.customers={customers}")
        population = create_population(config, 3, np.random.default_rng(4))
        pool = np.flatnonzero(population.segment == 1)
        rng = np.random.default_rng(5)
        estimates = [strategies.listen(StrategyConfig(information="needs", research_respondents=100), pool,
                                       population, config.market.costs, rng).ideal
                     for _ in range(300)]
        spreads.append(np.std(estimates, axis=0).mean())
    assert spreads[0] == pytest.approx(spreads[1], rel=0.15)
    assert spreads[0] == pytest.approx(np.hypot(0.1, 0.15) / np.sqrt(100), rel=0.15)


def test_a_segment_that_stands_for_more_real_customers_is_drawn_more_often(small_config):
    population = create_population(small_config, 3, np.random.default_rng(1))
    pool = np.flatnonzero(population.segment <= 1)
    population.weight[population.segment == 1] *= 3.0
    sample = strategies.sample_respondents(pool, 20_000, population.weight, np.random.default_rng(0))
    drawn = np.mean(population.segment[sample] == 1)
    real = population.weight[pool][population.segment[pool] == 1].sum() / population.weight[pool].sum()
    assert drawn == pytest.approx(real, abs=0.01)
    assert real > 0.6


def test_tracking_surveys_tell_nps_with_sampling_noise_and_cost_per_response(small_config):
    population = create_population(small_config, 3, np.random.default_rng(1))
    customers = np.arange(1000)
    population.score[customers] = np.where(customers < 500, 10, np.where(customers < 700, 8, 3))
    costs = small_config.market.costs
    readings = [strategies.track(400, customers, population, costs, np.random.default_rng(seed))
                for seed in range(200)]
    nps = np.array([r.nps for r in readings])
    assert nps.mean() == pytest.approx(20.0, abs=1.0)  # 50% promoters, 30% detractors
    assert nps.std() == pytest.approx(100 * np.sqrt((0.8 - 0.2**2) / 400), rel=0.2)
    assert readings[0].cost == pytest.approx(400 * costs.tracking_cost)
    silent = strategies.track(0, customers, population, costs, np.random.default_rng(0))
    assert np.isnan(silent.nps) and silent.cost == 0.0


def test_projection_extrapolates_the_trend_by_the_lead():
    level, trend = np.array([0.5, 0.5]), np.array([0.01, -0.02])
    assert strategies.projected_ideal(level, trend, 12) == pytest.approx([0.62, 0.26])
    assert strategies.projected_ideal(level, None, 12) == pytest.approx(level)
