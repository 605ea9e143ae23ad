"""Figures draw every firm on every panel from a result table."""

from sim.plots import PANELS, market_figure
from sim.run import run_model


def test_market_figure_has_a_line_per_firm_on_each_panel(small_config):
    firms = run_model(small_config).firms
    figure = market_figure(firms, small_config.market.steps_per_year)
    axes = figure.get_axes()
    assert [axis.get_title() for axis in axes] == [title for _, title in PANELS]
    assert all(len(axis.get_lines()) == len(small_config.firms) for axis in axes)
