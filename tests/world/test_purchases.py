"""The purchase process and dropout inside the market (ODD 2, 3 and 7.9): steady unless a segment asks otherwise."""

import numpy as np
import pandas as pd
import pytest

from sim.config.compose import load_config
from sim.world.model import STREAMS, MarketModel
from sim.world.phases import buy, last_purchases
from sim.world.population import NO_FIRM, create_population
from sim.world.run import RunResult, run_model

# Listening budgets that never bind: a programme sized to revenue would let the purchase process's noise in
# revenue change what firms hear, and the twins below must decide alike.
SMALL = ("market.customers=2000", "market.steps=24",
         *(f"strategies.{name}.research_budget=1.0" for name in ("focused", "centric", "obsessed", "low_cost")))


@pytest.fixture(scope="module")
def steady() -> RunResult:
    """The small default market (every segment steady, nobody drops out), seed 0."""
    return run_model(load_config(SMALL), 0)


def every_segment(compose, **fields: object) -> list[str]:
    """Overrides setting ``purchases.<field>`` in every segment of the default market."""
    return [f"segments.{segment}.purchases.{name}={value}"
            for segment in compose().segment_names for name, value in fields.items()]


def assert_same_tables(first, second) -> None:
    for table in ("firms", "segments", "tenures"):
        pd.testing.assert_frame_equal(getattr(first, table), getattr(second, table))


def test_newer_streams_come_last_so_the_older_streams_keep_their_draws():
    assert STREAMS[:6] == ("network", "population", "needs", "word_of_mouth", "choice", "experience")
    assert STREAMS[6:] == ("purchases", "arrivals")
    mechanisms = np.random.SeedSequence(5).spawn(2)[0]
    before = [np.random.default_rng(s).random(4) for s in mechanisms.spawn(6)]
    mechanisms = np.random.SeedSequence(5).spawn(2)[0]
    now = [np.random.default_rng(s).random(4) for s in mechanisms.spawn(len(STREAMS))]
    assert all(np.array_equal(old, new) for old, new in zip(before, now[:6], strict=False))


def test_a_steady_market_draws_nothing_from_the_purchases_stream(compose):
    model = MarketModel(compose(*SMALL), seed=0)
    mechanisms = np.random.SeedSequence(0).spawn(2)[0]
    untouched = np.random.default_rng(mechanisms.spawn(len(STREAMS))[STREAMS.index("purchases")])
    for _ in range(6):
        model.step()
    assert model.streams["purchases"].bit_generator.state == untouched.bit_generator.state
    assert not model.population.gone.any()


@pytest.mark.parametrize("block", [
    {"process": "steady", "rate": 12.0, "rate_shape": 1.0, "amount_shape": 0.0, "dropout": 0.0, "dropout_shape": 1.0},
    {"process": "steady", "rate": 3.0, "rate_shape": 7.0, "amount_shape": 2.0, "dropout": 0.0, "dropout_shape": 4.0},
], ids=["defaults", "steady-ignores-rates"])
def test_a_steady_purchases_block_given_explicitly_changes_no_table(compose, steady, block):
    assert_same_tables(steady, run_model(compose(*SMALL, *every_segment(compose, **block)), 0))


def test_poisson_customers_buy_at_their_segment_mean_rate_with_gamma_heterogeneity(compose):
    config = compose("market.customers=20000", *every_segment(compose, process="poisson", rate=12, amount_shape=0))
    population = create_population(config, 3, np.random.default_rng(0), purchases=np.random.default_rng(1))
    population.firm[:] = 0
    rng = np.random.default_rng(2)
    counts = np.array([np.rint(buy(population, config, rng)[0] / population.habits.per_purchase)
                       for _ in range(12)])
    assert counts.mean() == pytest.approx(1.0, abs=0.03)  # 12 a year is one a month
    # a gamma(1) mixture of Poissons of mean 1 (geometric): variance 1 + 1^2 / shape = 2, not Poisson's 1
    assert counts[0].var() == pytest.approx(2.0, abs=0.15)
    population.firm[::2] = NO_FIRM
    bought, purchases = buy(population, config, rng)
    assert (bought[::2] == population.spend[::2]).all()  # no firm, no draw: the tallies skip them anyway
    assert np.array_equal(purchases[1::2] * population.habits.per_purchase[1::2], bought[1::2])


def test_firms_count_their_purchases_one_per_steady_customer_and_each_poisson_purchase(compose, steady):
    firms = steady.firms
    assert np.array_equal(firms["purchases"], firms["customers"])
    # everyone spends 1 a month at 12 a year, exactly 1 a purchase: what was bought is what was paid for
    poisson = run_model(compose(*SMALL, *every_segment(compose, process="poisson", rate=12, amount_shape=0),
                                *(f"segments.{name}.{dial}={value}" for name in compose().segment_names
                                  for dial, value in (("spend", 1), ("spend_spread", 0)))), 0)
    firms = poisson.firms
    assert firms["purchases"].sum() > 0
    assert np.allclose(firms["purchases"], firms["revenue"] / firms["price"])


def test_a_poisson_market_books_what_its_steady_twin_books_on_the_same_customers(compose, steady):
    # Rates nearly alike across customers (rate_shape 50): each customer's rate is drawn once and kept, so with
    # shape 1 the twins' revenue differs by about 5% a seed at this size however many months are summed.
    poisson = run_model(compose(*SMALL, *every_segment(compose, process="poisson", rate=12, rate_shape=50,
                                                        amount_shape=2)), 0)

    def by_month(result, column):
        return result.firms.pivot(index="step", columns="firm", values=column)

    same = (by_month(steady, "customers") == by_month(poisson, "customers")).all(axis=1).cumprod().astype(bool)
    assert same.sum() >= 12, "the twins should hold the same customers for their first year"
    steady_revenue = by_month(steady, "revenue")[same].sum(axis=1)
    poisson_revenue = by_month(poisson, "revenue")[same].sum(axis=1)
    assert poisson_revenue.sum() / steady_revenue.sum() == pytest.approx(1.0, abs=0.03)
    monthly = poisson_revenue / steady_revenue
    assert monthly.std() > 0.005  # the process is on: months vary around the steady figure


def test_customers_who_drop_out_never_return_and_leave_at_the_gamma_mixture_rate(compose):
    mean, shape, years = 0.5, 2.0, 2
    config = compose(*SMALL, *every_segment(compose, dropout=mean, dropout_shape=shape))
    model = MarketModel(config, seed=0)
    population = model.population
    starting = population.firm != NO_FIRM
    gone = population.gone.copy()
    for _ in range(years * config.market.steps_per_year):
        model.step()
        assert (population.gone >= gone).all()
        gone = population.gone.copy()
        assert (population.firm[gone] == NO_FIRM).all()
        assert (population.score[gone] == -1).all()
    tables = model.tables()

    # a customer of hazard mu ~ gamma(shape, mean / shape) is still there at t with E[exp(-mu t)]
    # = (1 + mean t / shape)^-shape
    expected = 1 - (1 + mean * years / shape) ** -shape
    for who in (starting, np.ones_like(starting)):
        error = np.sqrt(expected * (1 - expected) / who.sum())
        assert gone[who].mean() == pytest.approx(expected, abs=4 * error)

    spells = tables["tenures"]
    dropouts = spells[spells["ended_by"] == "dropout"]
    assert len(dropouts) > 100
    assert dropouts["customer"].is_unique
    assert set(dropouts["customer"]) <= set(np.flatnonzero(gone))
    later = spells.merge(dropouts[["customer", "end"]], on="customer", suffixes=("", "_dropout"))
    assert (later["start"] < later["end_dropout"]).all()  # no spell begins once a customer has dropped out
    assert dropouts["churned"].all()  # an event in survival analysis, like churn
    left = spells["ended_by"].isin(["churn", "dropout"]).sum()
    assert tables["firms"]["churned"].sum() == pytest.approx(left * config.market.scale)


def test_the_same_seed_gives_the_same_tables_with_the_process_on(compose):
    config = compose(*SMALL, *every_segment(compose, process="poisson", amount_shape=2, dropout=0.3))
    first = run_model(config, 4)
    assert (first.tenures["ended_by"] == "dropout").any()
    assert_same_tables(first, run_model(config, 4))


def test_a_customer_who_drops_out_buys_until_it_leaves(compose):
    """Half a month's purchases on average when the hazard is small, and each leaver's own share of its spend."""
    config = compose("market.customers=20000", *every_segment(compose, dropout=0.6, dropout_shape=1000))
    population = create_population(config, 3, np.random.default_rng(0), purchases=np.random.default_rng(1))
    leavers = np.arange(population.size)
    bought, purchases = last_purchases(population, leavers, config, np.random.default_rng(2))
    share = bought / population.spend
    assert ((share > 0) & (share < 1)).all()
    hazard_step = 0.6 / 12  # E[t | t < 1 step] for an exponential of that hazard, in steps
    expected = 1 / hazard_step - np.exp(-hazard_step) / -np.expm1(-hazard_step)
    assert share.mean() == pytest.approx(expected, rel=0.01)
    assert np.allclose(purchases, share)  # steady customers: that share of one purchase
    assert last_purchases(population, leavers[:0], config, np.random.default_rng(2))[0].size == 0
