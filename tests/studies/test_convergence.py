"""Resolution apart from economics: the verdicts do not depend on how many customers are simulated.

``market.customers`` is a resolution setting: at one ``market.total_customers``
two affordable resolutions must give the same winner order, the same exits,
and every firm's headline figures within their intervals (judged together,
Bonferroni-corrected). The full study is ``experiments/convergence.py``.
"""

import pytest

from sim.studies import convergence

SIZES = (10_000, 40_000)
SEEDS = range(12)


@pytest.fixture(scope="module")
def runs():
    return convergence.run(SIZES, SEEDS, ["output.tenures=false"])


@pytest.mark.slow
def test_the_winner_order_and_the_exits_do_not_depend_on_the_resolution(runs):
    assert convergence.winner_order(runs, SIZES[0]) == convergence.winner_order(runs, SIZES[1])
    survival = runs.groupby(["customers", "firm"])["alive"].mean().unstack("customers")
    assert (survival[SIZES[0]] == survival[SIZES[1]]).all(), survival


@pytest.mark.slow
def test_every_headline_agrees_within_its_interval_at_both_resolutions(runs):
    comparisons = len(convergence.HEADLINES) * runs["firm"].nunique()
    agreement = convergence.agreement(runs, *SIZES, confidence=1 - 0.05 / comparisons)
    assert agreement["agrees"].all(), agreement[~agreement["agrees"]]
    # The check has power: intervals are narrow next to the profits they compare.
    profit = agreement[agreement["headline"] == "cumulative_profit"].set_index("firm")
    means = runs[runs["customers"] == SIZES[1]].groupby("firm")["cumulative_profit"].mean()
    assert ((profit["high"] - profit["low"]) / 2 < 0.1 * means.abs().reindex(profit.index)).all()
