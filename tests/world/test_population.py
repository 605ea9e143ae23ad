"""Customer submodels, one phase at a time (ODD 7: drift, word of mouth, choice, experience)."""

import numpy as np
import pytest

from sim.world.network import build_contacts
from sim.world.offers import Offers, rated_value, value
from sim.world.phases import choose_firms, drift_needs, experience, spread_word_of_mouth
from sim.world.population import NO_FIRM, create_population


def _offers(n_firms, k, n_segments, **changes):
    offers = dict(
        offering=np.full((n_firms, k), 0.5),
        price=np.ones(n_firms),
        service=np.full(n_firms, 0.5),
        alive=np.ones(n_firms, dtype=bool),
        innovation=np.zeros((n_firms, n_segments)),
        winback_discount=np.zeros(n_firms),
    )
    offers.update(changes)
    return Offers(**offers)


@pytest.fixture
def world(small_config):
    population = create_population(small_config, 3, np.random.default_rng(0))
    return small_config, population


def test_population_has_exact_segment_shares_and_even_starting_firms(world):
    config, population = world
    shares = np.bincount(population.segment) / population.size
    assert shares == pytest.approx([s.share for s in config.segments.values()], abs=1 / population.size)
    held = np.bincount(population.firm[population.firm >= 0], minlength=3)
    assert held.sum() / population.size == pytest.approx(config.market.initial_penetration, abs=0.03)
    assert held.min() > 0.8 * held.max()
    assert population.aware[np.flatnonzero(population.firm >= 0), population.firm[population.firm >= 0]].all()


def test_an_incumbent_starts_with_its_initial_share_and_the_others_split_the_rest(compose):
    config = compose("market.customers=20000", "firms.focused.initial_share=0.5")
    assert config.start_shares() == [0.5, 0.25, 0.25]
    population = create_population(config, 3, np.random.default_rng(1))
    held = np.bincount(population.firm[population.firm >= 0], minlength=3)
    assert held / held.sum() == pytest.approx([0.5, 0.25, 0.25], abs=0.015)


def test_needs_drift_with_their_segment_and_wants_lag_behind(world):
    config, population = world
    config.market.needs_noise = 0.0
    before_needs, before_perceived = population.needs.copy(), population.perceived.copy()
    drift_needs(population, config, np.random.default_rng(1))
    step = population.drift[population.segment]
    assert population.needs - before_needs == pytest.approx(step)
    lag = population.want_lag[population.segment, None]
    assert population.perceived - before_perceived == pytest.approx(lag * (population.needs - before_perceived))
    # After ten years of drift, stated wants of the slow-to-notice busy segment trail their needs.
    for _ in range(config.market.steps_per_year * 10):
        drift_needs(population, config, np.random.default_rng(1))
    busy = list(config.segments).index("busy_solution_seekers")
    members = np.flatnonzero(population.segment == busy)
    stated_gap = (population.wants(members) - population.needs[members]).mean(axis=0)
    bias = np.array(config.segments["busy_solution_seekers"].want_bias)
    monthly_drift = population.drift[busy]
    steady_lag = monthly_drift * (1 - lag[members[0], 0]) / lag[members[0], 0]  # gap where lag catches drift
    assert np.abs(steady_lag).max() > 0.005
    assert stated_gap == pytest.approx(bias - steady_lag, abs=0.02)


def test_nobody_chooses_a_firm_they_do_not_know_or_that_has_exited(world):
    config, population = world
    k, s = population.needs.shape[1], len(config.segments)
    population.firm[:] = NO_FIRM
    population.aware[:] = False
    population.aware[:, 0] = True
    population.aware[::2, 1] = True
    offers = _offers(3, k, s, alive=np.array([False, True, True]))
    moves = choose_firms(population, offers, config, np.random.default_rng(2))
    assert moves.joined.size > 0
    assert set(np.unique(moves.joined_firm)) == {1}
    assert np.all(moves.joined % 2 == 0)


def test_a_cheaper_firm_wins_more_shoppers(world):
    config, population = world
    k, s = population.needs.shape[1], len(config.segments)
    population.firm[:] = NO_FIRM
    population.aware[:] = True
    offers = _offers(3, k, s, price=np.array([0.8, 1.0, 1.0]))
    moves = choose_firms(population, offers, config, np.random.default_rng(3))
    counts = np.bincount(moves.joined_firm, minlength=3)
    assert counts[0] > 1.3 * counts[1:].max()


def test_inertia_and_win_backs_keep_customers(world):
    config, population = world
    k, s = population.needs.shape[1], len(config.segments)
    population.aware[:] = True
    population.firm[:] = 0
    population.satisfaction[:] = 0.0
    worse = _offers(3, k, s, price=np.array([1.2, 1.0, 1.0]))

    def choose(offers, inertia):
        population.inertia[:] = inertia
        return choose_firms(population, offers, config, np.random.default_rng(4))

    assert choose(worse, 3.0).left.size < 0.5 * choose(worse, 0.0).left.size
    sweetened = _offers(3, k, s, price=np.array([1.2, 1.0, 1.0]), winback_discount=np.array([0.5, 0.0, 0.0]))
    without, offered = choose(worse, 0.0), choose(sweetened, 0.0)
    assert offered.won_back[0] > 0
    assert (without.left.size - offered.left.size) * config.market.scale == pytest.approx(offered.won_back[0])
    assert offered.winback_cost[0] > 0


def test_satisfaction_rises_with_value_and_expectations_adapt(world):
    config, population = world
    k, s = population.needs.shape[1], len(config.segments)
    population.firm[:] = np.arange(population.size) % 2
    population.expectation[:] = 0.0
    offers = _offers(2, k, s, price=np.array([0.8, 1.2]))
    experience(population, offers, config, np.random.default_rng(5))
    cheap, dear = population.firm == 0, population.firm == 1
    assert population.satisfaction[cheap].mean() > population.satisfaction[dear].mean()
    assert population.score[cheap].mean() > population.score[dear].mean()
    experienced = value(population, offers, config, np.arange(population.size), rated=True)[
        np.arange(population.size), population.firm]
    rate = config.market.behaviour.expectation_adaptation
    assert population.expectation == pytest.approx(rate * experienced)


def test_a_cheap_bare_offer_is_chosen_yet_rated_below_a_dearer_full_one(world):
    """Stated versus revealed: price drives choice fully but ratings only as value for money."""
    config, population = world
    k, s = population.needs.shape[1], len(config.segments)
    enthusiasts = np.flatnonzero(population.segment == list(config.segments).index("enthusiasts"))
    offers = _offers(2, k, s, price=np.array([0.7, 1.0]), service=np.array([0.0, 0.5]))
    chosen = value(population, offers, config, enthusiasts)
    assert (chosen[:, 0] > chosen[:, 1]).all()
    population.firm[enthusiasts] = np.arange(enthusiasts.size) % 2
    rated = rated_value(population, offers, config, enthusiasts)
    bare = population.firm[enthusiasts] == 0
    assert rated[bare].mean() < rated[~bare].mean()
    population.value_for_money[:] = 1.0  # customers who rate as they choose
    assert rated_value(population, offers, config, enthusiasts)[bare].mean() > rated[~bare].mean()


def test_word_of_mouth_spreads_awareness_only_from_customers(world):
    config, population = world
    k, s = population.needs.shape[1], len(config.segments)
    contacts = build_contacts(config.network, population.segment, np.random.default_rng(6))
    population.aware[:] = False
    population.firm[:] = NO_FIRM
    population.firm[: population.size // 2] = 0
    population.score[: population.size // 2] = 9
    offers = _offers(3, k, s)
    rng = np.random.default_rng(7)
    for _ in range(config.market.steps_per_year):
        spread_word_of_mouth(population, offers, contacts, config, rng)
    # A year at hazard q * buzz, buzz being the contacts' mean talk about firm 0 (constant here).
    talk = np.where(population.firm == 0, population.wom_activity, 0.0)
    expected = np.mean(1 - np.exp(-config.market.wom.imitation * contacts.mean(talk)))
    assert population.aware[:, 0].mean() == pytest.approx(expected, abs=0.03)
    assert not population.aware[:, 1:].any()


def test_negative_word_of_mouth_travels_further(world):
    config, population = world
    k, s = population.needs.shape[1], len(config.segments)
    contacts = build_contacts(config.network, population.segment, np.random.default_rng(8))
    offers = _offers(3, k, s)
    half = population.size // 2
    population.firm[:] = NO_FIRM
    population.firm[:half] = 0
    population.firm[half:] = 1
    population.score[:half] = 10
    population.score[half:] = 0
    population.attitude[:] = 0.0
    spread_word_of_mouth(population, offers, contacts, config, np.random.default_rng(9))
    positive, negative = population.attitude[:, 0].mean(), population.attitude[:, 1].mean()
    assert -negative == pytest.approx(config.market.wom.negative_reach * positive, rel=0.15)
