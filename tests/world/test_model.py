"""The model's schedule and firms' accounts (ODD 3, 7.5-7.7)."""

import gc
import io
import sys

import numpy as np
import pytest

from sim.world.model import MarketModel
from sim.world.run import run_model


def test_changing_one_mechanism_does_not_shift_another_mechanisms_draws(compose):
    needs = []
    for review_rate in (0.02, 0.08):
        model = MarketModel(compose("market.customers=1500", f"market.behaviour.review_rate={review_rate}"))
        for _ in range(6):
            model.step()
        needs.append(model.population.needs.copy())
    assert np.array_equal(needs[0], needs[1])


def test_firms_learn_the_trend_of_a_drifting_ideal(small_config):
    model = MarketModel(small_config)
    firm = model.firms[1]
    slope = np.array([0.004, -0.002, 0.0, 0.001])
    rng = np.random.default_rng(0)
    for step in range(3, 121, 3):
        model.steps = step
        firm._learn_ideal(np.full(4, 0.5) + slope * step + 0.01 * rng.standard_normal(4))
    assert firm.ideal_trend == pytest.approx(slope, abs=0.0015)
    assert firm.ideal == pytest.approx(0.5 + slope * 120, abs=0.02)


def test_revenue_and_costs_are_booked_at_the_offer_customers_saw(small_config):
    firms = run_model(small_config).firms
    focused = firms[firms["firm"] == "focused"]
    spend = focused["cost_goods"] / small_config.firms["focused"].unit_cost
    assert (focused["revenue"] / spend).to_numpy() == pytest.approx(focused["price"].to_numpy())
    assert focused["price"].nunique() == 2  # list price and promotions both happened
    service_cost = small_config.market.costs.service_cost * focused["service"] ** 2
    assert focused["cost_service"].to_numpy() == pytest.approx((spend * service_cost).to_numpy())


def test_a_firm_out_of_cash_exits_and_releases_its_customers(compose):
    result = run_model(compose("market.customers=1500", "market.steps=6", "firms.obsessed.initial_cash=0",
                                 "firms.obsessed.fixed_cost=1.0"))
    obsessed = result.firms[result.firms["firm"] == "obsessed"].set_index("step")
    assert not obsessed.loc[1, "alive"]
    assert obsessed.loc[1, "released"] > 0
    assert (obsessed.loc[1:, "customers"] == 0).all()
    assert (obsessed.loc[2:, "revenue"] == 0).all()
    exits = result.tenures[result.tenures["ended_by"] == "exit"]
    assert len(exits) * result.summary["scale"] == pytest.approx(obsessed.loc[1, "released"])
    assert (exits["firm"] == "obsessed").all()
    assert obsessed.loc[1, "retention_rate"] == pytest.approx(0.0)


def test_a_finished_run_leaves_no_model_behind_in_memory(small_config):
    """Sweeps run hundreds of models in one worker: each must be collectable once its run returns."""
    def alive():
        gc.collect()
        return sum(isinstance(item, MarketModel) for item in gc.get_objects())

    before = alive()
    run_model(small_config)
    assert alive() == before


class _Terminal(io.StringIO):
    def isatty(self):
        return True


@pytest.mark.parametrize("stream", [_Terminal, io.StringIO])
def test_a_long_run_shows_its_progress_on_a_terminal_only(small_config, monkeypatch, stream):
    import sim.world.run

    captured = stream()
    monkeypatch.setattr(sys, "stderr", captured)
    monkeypatch.setattr(sim.world.run, "PROGRESS_AFTER_SECONDS", 0.0)
    run_model(small_config, progress=True)
    shown = captured.getvalue()
    if stream is _Terminal:
        assert f"/{small_config.market.steps} [" in shown and "month/s" in shown
    else:
        assert shown == ""
