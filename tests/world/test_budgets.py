"""Budgets that follow the accounts: listening sized to revenue and cash, marketing cut to cash, no move on noise."""

import numpy as np
import pytest

from sim import run_model
from sim.world import strategies
from tests.conftest import SMALL


def test_a_programme_shrinks_to_its_share_of_revenue_and_to_the_cash_on_hand(compose):
    config = compose()
    centric, costs = config.strategies["centric"], config.market.costs
    planned = strategies.programme_cost(centric, costs)
    assert planned == 150 * costs.research_cost  # interviews only: it neither surveys nor tracks
    rich = 10 * planned / centric.research_budget
    assert strategies.programme_scale(centric, costs, revenue=rich, cash=rich) == 1.0
    assert strategies.programme_scale(centric, costs, revenue=planned, cash=rich) == pytest.approx(
        centric.research_budget)
    assert strategies.programme_scale(centric, costs, revenue=rich, cash=planned / 4) == pytest.approx(0.25)
    assert strategies.programme_scale(centric, costs, revenue=rich, cash=-1.0) == 0.0


def test_one_reading_or_a_move_within_the_estimates_margin_of_error_never_justifies_a_redesign():
    rng = np.random.default_rng(0)
    offering = np.zeros(4)
    assert not strategies.beyond_noise(np.ones((1, 4)), offering, np.ones(4), smoothing=0.5)
    noisy = offering + rng.standard_normal((3, 4))  # three readings scattered around where the firm already is
    assert not strategies.beyond_noise(noisy, offering, noisy.mean(axis=0), smoothing=0.5)
    precise = 0.5 + 0.05 * rng.standard_normal((50, 4))
    assert strategies.beyond_noise(precise, offering, precise.mean(axis=0), smoothing=0.5)
    assert not strategies.beyond_noise(precise, precise.mean(axis=0), precise.mean(axis=0) + 0.001, smoothing=0.5)
    # a smoothed estimate is surer than one review: the same short move passes with more smoothing
    near = precise.mean(axis=0) + 0.012
    assert not strategies.beyond_noise(precise, precise.mean(axis=0), near, smoothing=1.0)
    assert strategies.beyond_noise(precise, precise.mean(axis=0), near, smoothing=0.2)


def test_move_confidence_zero_moves_on_any_estimate_of_two_readings_and_higher_confidence_asks_more():
    rng = np.random.default_rng(1)
    readings = 0.5 + 0.1 * rng.standard_normal((20, 4))
    offering = readings.mean(axis=0)
    short = offering + 0.01
    assert strategies.beyond_noise(readings, offering, short, smoothing=0.5, confidence=0.0)
    assert not strategies.beyond_noise(readings, offering, short, smoothing=0.5, confidence=0.95)
    assert not strategies.beyond_noise(readings[:1], offering, short, smoothing=0.5, confidence=0.0)


@pytest.mark.parametrize("size", [20_000, 100_000])
def test_no_firm_spends_more_on_listening_than_its_budget_share_of_revenue(compose, size):
    config = compose(*SMALL, "market.steps=60", f"market.total_customers={size}")
    firms = run_model(config, 0).firms
    for name, history in firms.groupby("firm", observed=True):
        budget = config.strategies[str(history["strategy"].iloc[0])].research_budget
        assert history["cost_research"].sum() <= budget * history["revenue"].sum() + 1e-6, name
        assert (history["cost_marketing"] <= history["cash"].shift(fill_value=np.inf).clip(lower=0) + 1e-6).all()


def test_a_lone_firm_in_a_small_market_adopts_instead_of_researching_itself_out_of_business(compose):
    # The case: at 20,000 potential customers the fixed programme cost more than the market paid,
    # and the firm's customers went 17, 279, then 0 by month 24.
    firms = run_model(compose("scenario=bass_docking", "market.customers=2000", "market.steps=36",
                              "market.total_customers=20000"), 0).firms
    assert firms["alive"].all()
    customers = firms.set_index("step")["customers"]
    assert customers.loc[36] > customers.loc[12] > customers.loc[1] > 0
