"""The BG/NBD benchmark: a MAP fit recovers a cohort simulated from known parameters, expectations behave."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.clv.bgnbd import BetaGeoFit, conditional_expected, expected_cumulative, fit

TRUTH = BetaGeoFit(r=0.25, alpha=4.0, a=0.8, b=2.5, seconds=0.0)
WEEKS = 39
WEEK_ENDS = np.arange(1, WEEKS + 1)  # the ends of weeks 1..39, where the curve is tallied


def simulate(params: BetaGeoFit, n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    """A cohort born in weeks 0-9, observed to the end of week 39, drawn from the BG/NBD's generative process.

    Each customer buys at a Poisson rate ~ gamma(r, alpha) and drops out after each repeat purchase with a
    probability ~ beta(a, b); K, the purchase after which it drops out, is geometric. Of N purchases in (0, T]
    the first min(N, K) happen, and the k-th of N uniform times on (0, T] is T * beta(k, N - k + 1).
    """
    rng = np.random.default_rng(seed)
    birth = rng.uniform(0.0, 9.0, n)
    horizon = WEEKS - birth
    rate = rng.gamma(params.r, 1.0 / params.alpha, n)
    dropout = rng.beta(params.a, params.b, n)
    arrivals = rng.poisson(rate * horizon)
    frequency = np.minimum(arrivals, rng.geometric(dropout))
    last = horizon * rng.beta(np.maximum(frequency, 1), arrivals - frequency + 1)
    recency = np.where(frequency > 0, last, 0.0)
    summary = pd.DataFrame({"customer_id": np.arange(n), "frequency": frequency, "recency": recency, "T": horizon})
    return summary, birth


@pytest.fixture(scope="module")
def cohort() -> tuple[pd.DataFrame, np.ndarray]:
    return simulate(TRUTH, 2000, seed=1)


@pytest.fixture(scope="module")
def fitted(cohort: tuple[pd.DataFrame, np.ndarray]) -> BetaGeoFit:
    return fit(cohort[0])


def test_map_fit_recovers_the_cohort_curve(cohort: tuple[pd.DataFrame, np.ndarray], fitted: BetaGeoFit) -> None:
    summary, birth = cohort
    truth = expected_cumulative(TRUTH, birth, WEEK_ENDS)
    assert abs(summary["frequency"].sum() / truth[-1] - 1) < 0.1  # the simulation is the model it claims to be
    assert abs(expected_cumulative(fitted, birth, WEEK_ENDS)[-1] / truth[-1] - 1) < 0.1
    assert fitted.r == pytest.approx(TRUTH.r, rel=0.25)
    assert fitted.alpha == pytest.approx(TRUTH.alpha, rel=0.25)
    assert fitted.seconds > 0


def test_closed_forms_agree_with_the_library(cohort: tuple[pd.DataFrame, np.ndarray]) -> None:
    import arviz
    from pymc_marketing.clv import BetaGeoModel

    customers = cohort[0].sort_values("frequency").iloc[::400]  # from no repeat purchase to many
    customers = customers.assign(customer_id=np.arange(len(customers)))  # the library's results come in id order
    model = BetaGeoModel()
    model.build_model(customers)
    model.fit_result = arviz.from_dict(posterior={name: [[getattr(TRUTH, name)]] for name in ("r", "alpha", "a", "b")})
    ages = np.array([0.0, 0.5, 13.0, 39.0, 78.0])
    new = model.expected_purchases_new_customer(customers, t=ages).to_numpy().ravel()
    assert new[0] == 0
    late = expected_cumulative(TRUTH, np.array([38.5]), WEEK_ENDS)  # born half a week before the end of week 39
    assert np.all(late[:-1] == 0)
    assert late[-1] == pytest.approx(new[1], rel=1e-6)
    at_zero = expected_cumulative(TRUTH, np.zeros(1), np.arange(1, 79))
    np.testing.assert_allclose(at_zero[ages[2:].astype(int) - 1], new[2:], rtol=1e-6)
    ahead = model.expected_purchases(customers, future_t=39).to_numpy().ravel()
    np.testing.assert_allclose(conditional_expected(TRUTH, customers, 39), ahead, rtol=1e-6)


def test_conditional_expectation_rises_with_frequency_for_a_recent_buyer(fitted: BetaGeoFit) -> None:
    frequency = np.arange(0, 20)
    recent = pd.DataFrame({"frequency": frequency, "recency": 30.0, "T": 30.0})
    expected = conditional_expected(fitted, recent, 39)
    assert np.all(np.diff(expected) > 0)


def test_expected_cumulative_is_zero_before_births_and_then_rises() -> None:
    curve = expected_cumulative(TRUTH, np.array([4.0, 4.0, 6.5]), np.arange(1, 21))
    assert np.all(curve[:4] == 0)  # weeks 1-4 end at or before the first birth
    assert np.all(np.diff(curve[3:]) > 0)
