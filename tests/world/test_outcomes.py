"""The table of headline outcomes: every summary field it names, shown as a reader expects."""

import pytest

from sim.world.outcomes import MONEY, OUTCOMES, money, money_change


def test_every_outcome_is_a_field_of_a_runs_summary(small_config) -> None:
    from sim import run_model

    row = run_model(small_config, seed=0).summary["firms"][0]
    assert set(OUTCOMES) <= set(row)
    assert all(isinstance(row[name], float) for name in OUTCOMES)


@pytest.mark.parametrize(("value", "shown", "change"), [
    (48_885_103.0, "48.9 M", "+48.9 M"),
    (-2_021_033.0, "-2.0 M", "-2.0 M"),
    (7_405.0, "7.4 k", "+7.4 k"),
    (207.0, "207", "+207"),
])
def test_money_is_in_millions_then_thousands(value, shown, change) -> None:
    assert (money(value), money_change(value)) == (shown, change)
    assert OUTCOMES["cumulative_profit"].show(value) == shown and OUTCOMES["cumulative_profit"].unit == MONEY


def test_shares_and_points_keep_their_precision() -> None:
    assert OUTCOMES["final_share"].show(0.4651) == "0.465"
    assert OUTCOMES["final_share"].show_change(-0.42) == "-0.420"
    assert OUTCOMES["common_nps"].show(10.14) == "10.1"
    assert OUTCOMES["common_nps"].show_change(11.0) == "+11.0"
