"""Metrics on hand-built arrays, and CLV against its closed form."""

import numpy as np
import pytest

from sim.world.metrics import (
    bass_cumulative,
    customer_equity,
    customer_lifetime_value,
    net_promoter_score,
    periodic_rate,
    retention_rate,
)


def test_nps_is_promoters_minus_detractors_in_points():
    scores = np.array([10, 9, 9, 8, 7, 6, 0, 3, 10, 5])
    assert net_promoter_score(scores) == pytest.approx(100 * (4 - 4) / 10)
    assert net_promoter_score(np.array([9, 10, 7])) == pytest.approx(200 / 3)
    assert net_promoter_score(np.array([0, 6, 8, 9])) == pytest.approx(-25.0)


def test_nps_of_nobody_is_undefined():
    assert np.isnan(net_promoter_score(np.array([], dtype=int)))


def test_retention_counts_kept_share_and_is_undefined_without_customers():
    rates = retention_rate(np.array([100, 50, 0]), np.array([5, 50, 0]))
    assert rates[0] == pytest.approx(0.95)
    assert rates[1] == pytest.approx(0.0)
    assert np.isnan(rates[2])


@pytest.mark.parametrize(("margin", "retention", "discount"), [(10.0, 0.8, 0.1), (2.5, 0.95, 0.008), (1.0, 0.0, 0.05)])
def test_clv_equals_closed_form(margin, retention, discount):
    assert customer_lifetime_value(margin, retention, discount) == pytest.approx(
        margin * retention / (1 + discount - retention)
    )


def test_clv_matches_the_definition_it_abbreviates():
    """Expected discounted margins of a customer kept with probability r each period."""
    margin, retention, discount = 3.0, 0.9, 0.01
    rng = np.random.default_rng(1)
    lifetimes = rng.geometric(1 - retention, size=200_000) - 1  # periods survived after now
    periods = np.arange(1, lifetimes.max() + 1)
    discounted = np.concatenate([[0.0], np.cumsum(margin / (1 + discount) ** periods)])
    simulated = discounted[lifetimes].mean()
    assert simulated == pytest.approx(customer_lifetime_value(margin, retention, discount), rel=0.01)


def test_customer_equity_sums_clvs():
    margins = np.array([1.0, 2.0, 4.0])
    retention = np.array([0.9, 0.5, 0.0])
    expected = sum(m * r / (1.05 - r) for m, r in zip(margins, retention, strict=True))
    assert customer_equity(margins, retention, 0.05) == pytest.approx(expected)


def test_periodic_rate_compounds_to_the_annual_rate():
    assert (1 + periodic_rate(0.1, 12)) ** 12 == pytest.approx(1.1)


def test_bass_curve_starts_at_zero_and_saturates():
    assert bass_cumulative(0.0, 0.03, 0.38) == pytest.approx(0.0)
    assert bass_cumulative(50.0, 0.03, 0.38) == pytest.approx(1.0, abs=1e-6)
    t = np.linspace(0, 10, 50)
    assert np.all(np.diff(bass_cumulative(t, 0.03, 0.38)) > 0)
