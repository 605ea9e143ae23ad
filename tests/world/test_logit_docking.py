"""Docking to the logit price equilibrium (ODD 8.11), as the Bass test docks word of mouth.

In the reduced market of ``scenario=logit_docking`` demand is a multinomial
logit with an outside option, so the Bertrand-Nash prices are known; firms
pricing for profit from the demand they estimate must settle there.
"""

import numpy as np
import pytest
from scipy.optimize import minimize_scalar

import sim
from sim.world.metrics import logit_nash_prices, logit_shares

SEEDS = range(8)
BURN_IN = 60  # months before the prices are judged
MARKETS = {
    "monopoly": ["firms=monopoly"],
    "symmetric duopoly": ["firms=duopoly"],
    "asymmetric triopoly": ["firms=default", "firms.focused.unit_cost=0.4", "firms.obsessed.unit_cost=0.6"],
}


def test_the_reference_meets_every_firms_first_order_condition():
    alpha, costs, qualities = 2.0, np.array([0.4, 0.5, 0.7]), np.array([2.0, 2.3, 2.1])
    prices, shares = logit_nash_prices(alpha, costs, qualities, -1.0)
    assert shares == pytest.approx(logit_shares(qualities - alpha * prices, -1.0), rel=1e-12)
    assert prices - costs == pytest.approx(1.0 / (alpha * (1.0 - shares)), rel=1e-9)


def test_the_reference_monopoly_price_maximises_profit():
    alpha, cost, quality = 2.0, 0.575, 2.25
    (price,), _ = logit_nash_prices(alpha, np.array([cost]), np.array([quality]), -1.0)
    best = minimize_scalar(lambda p: -(p - cost) * logit_shares(np.array([quality - alpha * p]), -1.0)[0],
                           bounds=(cost, 5.0), method="bounded", options={"xatol": 1e-10})
    assert price == pytest.approx(best.x, rel=1e-6)


@pytest.mark.slow
@pytest.mark.parametrize("market", MARKETS)
def test_profit_seeking_firms_settle_at_the_logit_nash_prices(market):
    config = sim.load_config(["scenario=logit_docking", *MARKETS[market]])
    expected = {firm: price for firm, (price, _) in sim.logit_docking_equilibrium(config).items()}
    settled = [run[run["step"] > BURN_IN].groupby("firm", observed=True)["price"].mean()
               for run in (sim.run_model(config, seed=seed).firms for seed in SEEDS)]
    mean = sum(settled) / len(settled)
    for firm, price in expected.items():
        assert mean[firm] == pytest.approx(price, rel=0.02), (firm, mean[firm], price)



@pytest.mark.parametrize("scenario", ["default", "best_buy"])
def test_value_pricing_never_settles_above_the_monopoly_price(scenario):
    """Buying nothing is among a value-pricing firm's alternatives, so rivals cannot ratchet it past a monopolist.

    Two value-pricing firms that each find their own audience likes them
    better would otherwise price against each other without end (``best_buy``
    reached 7.3 and 7.5 by month 120 before buying nothing was an alternative).
    """
    for seed in range(2):
        model = sim.MarketModel(sim.load_config([] if scenario == "default" else [f"scenario={scenario}"]), seed=seed)
        while model.running:
            model.step()
        for firm in model.firms:
            if firm.alive and firm.strategy.pricing_policy == "value":
                assert firm.price <= model.monopoly_price(firm.code), (firm.name, firm.price)
