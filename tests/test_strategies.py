"""Strategy decision rules on hand-built numbers (ODD 7.6)."""

import numpy as np
import pytest

from sim import strategies
from sim.config import CostConfig, StrategyConfig
from sim.customers import create_population


def test_value_price_splits_the_advantage_and_respects_cost():
    assert strategies.value_price(own_utility=1.0, rival_utility=0.2, rival_price=1.0,
                                  price_sensitivity=2.0, floor=0.5) == pytest.approx(1.2)
    assert strategies.value_price(own_utility=0.0, rival_utility=0.4, rival_price=0.9,
                                  price_sensitivity=1.0, floor=0.5) == pytest.approx(0.7)
    assert strategies.value_price(own_utility=0.0, rival_utility=2.0, rival_price=0.9,
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


def test_listening_buys_samples_with_budgets_and_reads_the_right_thing(small_config):
    population = create_population(small_config, 3, np.random.default_rng(1))
    costs = CostConfig(survey_noise=0.0, research_noise=0.0)
    pool = np.flatnonzero(population.segment == 1)
    n = population.size
    wants = strategies.listen(StrategyConfig(information="wants", survey_budget=60 * costs.survey_cost / n),
                              pool, population, costs, np.random.default_rng(2))
    assert len(wants.readings) == 60
    assert wants.cost == pytest.approx(60 * costs.survey_cost)
    needs = strategies.listen(
        StrategyConfig(information="needs", research_budget=len(pool) * 10 * costs.research_cost / n),
        pool, population, costs, np.random.default_rng(3))
    assert len(needs.readings) == len(pool)  # never more respondents than the audience has
    assert needs.ideal == pytest.approx(population.needs[pool].mean(axis=0))
    assert wants.ideal != pytest.approx(population.needs[pool].mean(axis=0), abs=0.05)


def test_projection_extrapolates_the_trend_by_the_lead():
    level, trend = np.array([0.5, 0.5]), np.array([0.01, -0.02])
    assert strategies.projected_ideal(level, trend, 12) == pytest.approx([0.62, 0.26])
    assert strategies.projected_ideal(level, None, 12) == pytest.approx(level)
