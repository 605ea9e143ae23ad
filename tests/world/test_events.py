"""Events on a timeline (ODD 7.8): each kind acts at its month through the model's own state."""

import numpy as np
import pytest

from sim.config.schema import ConfigError
from sim.world import strategies
from sim.world.model import MarketModel
from sim.world.run import run_model

SMALL = ("market.customers=1500", "market.steps=24")


def _firm(result, name):
    return result.firms[result.firms["firm"] == name].set_index("step")


def test_a_switch_costs_at_once_and_changes_behaviour_after_its_lag(compose):
    config = compose(*SMALL, "events=[{kind: switch, firm: focused, strategy: centric, month: 6, lag: 4, "
                             "transition_cost: 0.5}]")
    focused = _firm(run_model(config), "focused")
    assert focused.loc[6, "cost_transition"] == pytest.approx(0.5 * config.market.total_customers)
    assert focused["cost_transition"].drop(6).eq(0).all()
    assert (focused.loc[:9, "strategy"] == "focused").all()
    assert (focused.loc[10:, "strategy"] == "centric").all()
    assert focused.loc[6, "event"] == "switch" and focused.loc[10, "event"] == "switched"
    assert focused.loc[:9, "target_segment"].eq("").all()
    assert focused.loc[12:, "target_segment"].ne("").all()  # a centric firm plans around a segment


def test_a_switch_can_change_single_dials(compose):
    model = MarketModel(compose(*SMALL, "events=[{kind: switch, firm: centric, month: 2, dials: {review_every: 1}}]"))
    centric = model.firm_named("centric")
    model.step()
    assert centric.strategy.review_every == 3
    model.step()
    assert centric.strategy.review_every == 1
    assert centric.strategy.research_respondents == 150  # other dials kept
    assert centric.strategy_name == "centric+dials"


def test_a_firm_that_enters_later_has_no_customers_until_it_does(compose):
    config = compose(*SMALL, "events=[{kind: enter, firm: obsessed, month: 8}]")
    result = run_model(config)
    obsessed = _firm(result, "obsessed")
    assert not obsessed.loc[:7, "alive"].any()
    assert (obsessed.loc[:7, ["customers", "revenue", "cost_fixed"]] == 0).all().all()
    assert obsessed.loc[8:, "alive"].all()
    assert obsessed.loc[24, "customers"] > 0
    assert obsessed.loc[8, "event"] == "enter"


def test_an_exit_event_releases_the_firms_customers(compose):
    result = run_model(compose(*SMALL, "events=[{kind: exit, firm: centric, month: 5}]"))
    centric = _firm(result, "centric")
    assert centric.loc[4, "alive"] and not centric.loc[5, "alive"]
    assert centric.loc[5, "released"] == pytest.approx(centric.loc[4, "customers"])
    assert (centric.loc[5:, "customers"] == 0).all()
    exits = result.tenures[result.tenures["ended_by"] == "exit"]
    assert (exits["firm"] == "centric").all() and (exits["end"] == 5).all()


def test_a_needs_shift_moves_a_segments_needs_and_its_drift(compose):
    shift, drift = [0.2, 0.0, -0.1, 0.0], [0.0, 0.12, 0.0, 0.0]
    model = MarketModel(compose(*SMALL, "market.needs_noise=0", f"events=[{{kind: needs_shift, segment: enthusiasts, "
                                f"month: 3, shift: {shift}, drift: {drift}}}]"))
    code = model.config.segment_names.index("enthusiasts")
    members = np.flatnonzero(model.population.segment == code)
    before_drift = model.population.drift[code].copy()
    for _ in range(2):
        model.step()
    before = model.population.needs[members].copy()
    model.step()
    expected = before + np.array(shift) + np.array(drift) / 12
    assert model.population.needs[members] == pytest.approx(expected)
    assert not np.allclose(before_drift, model.population.drift[code])


def test_a_segment_change_sets_its_price_sensitivity(compose):
    model = MarketModel(compose(*SMALL, "events=[{kind: segment_change, segment: price_first, month: 2, "
                                        "price_sensitivity: 1.0}]"))
    members = model.population.segment == 0
    model.step()
    assert (model.population.price_sensitivity[members] == 4.0).all()
    model.step()
    assert (model.population.price_sensitivity[members] == 1.0).all()
    assert (model.population.price_sensitivity[~members] != 1.0).any()


def test_a_segment_that_doubles_doubles_its_real_customers_and_grows_the_market(compose):
    grow = "events=[{kind: segment_change, segment: loyal_high_value, month: 7, size: 2.0}]"
    grown, same = (run_model(compose(*SMALL, *extra), 5) for extra in ((grow,), ()))
    segments = {name: run.segments.set_index(["step", "firm", "segment"]) for name, run in
                (("grown", grown), ("same", same))}
    before, after = (6, "centric", "loyal_high_value"), (7, "centric", "loyal_high_value")
    assert segments["grown"].loc[before, "customers"] == segments["same"].loc[before, "customers"]
    # At the month it fires, the segment's customers each stand for twice as many real ones,
    # so the firm's count doubles (up to that month's own moves) while its share of the segment does not jump.
    ratio = segments["grown"].loc[after, "customers"] / segments["same"].loc[after, "customers"]
    assert ratio == pytest.approx(2.0, rel=0.05)
    assert segments["grown"].loc[after, "share"] == pytest.approx(segments["same"].loc[after, "share"], abs=0.03)
    summary_size = grown.summary["total_customers"]
    month_7 = grown.firms[grown.firms["step"] == 7]
    assert month_7["customers"].sum() / month_7["share"].sum() == pytest.approx(
        summary_size * (1 + 0.20), rel=1e-9)  # the market is now 1.2 times its size: shares are of it


def test_a_segment_that_shrinks_is_sampled_less_by_research(compose):
    config = compose(*SMALL, "events=[{kind: segment_change, segment: price_first, month: 1, size: 0.1}]")
    model = MarketModel(config)
    model.step()
    everyone = np.arange(model.population.size)
    sample = strategies.sample_respondents(everyone, 5000, model.population.weight, np.random.default_rng(0))
    share = np.mean(model.population.segment[sample] == 0)
    assert share == pytest.approx(0.035 / (0.035 + 0.65), abs=0.015)


def test_a_price_cut_is_what_customers_pay_for_its_duration(compose):
    config = compose(*SMALL, "events=[{kind: price_cut, firm: centric, price: 0.6, month: 4, duration: 3}]")
    centric = _firm(run_model(config), "centric")
    assert (centric.loc[4:6, "price"] == 0.6).all()
    assert (centric.loc[[3, 7], "price"] != 0.6).all()
    spend = centric["cost_goods"] / config.firms["centric"].unit_cost
    assert (centric["revenue"] / spend).to_numpy() == pytest.approx(centric["price"].to_numpy())


def test_a_run_with_events_is_deterministic(compose):
    config = compose(*SMALL, "events=[{kind: price_cut, firm: focused, price: 0.7, month: 3, duration: 2}]")
    assert run_model(config, seed=2).firms.equals(run_model(config, seed=2).firms)


def test_every_firm_entering_later_is_refused(compose):
    with pytest.raises(ConfigError, match=r"^events: at least one firm"):
        compose(*SMALL, "firms=monopoly", "events=[{kind: enter, firm: solo, month: 3}]")
