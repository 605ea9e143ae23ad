"""Figures draw every firm on every panel from a result table, fit for a slide: units said, exits marked."""

import pandas as pd
import pytest

from sim import run_model
from sim.output.figures import PANELS, mark_exits, market_figure


def test_market_figure_has_a_line_per_firm_on_each_panel(small_config):
    firms = run_model(small_config).firms
    figure = market_figure(firms, small_config.market.steps_per_year)
    axes = figure.get_axes()
    assert [axis.get_title() for axis in axes] == [title for _, title in PANELS]
    assert all(len(axis.get_lines()) == len(small_config.firms) for axis in axes)


def test_in_a_notebook_figures_show_as_pictures_and_importing_prints_nothing():
    """A plain kernel without ipywidgets (Jupyter, VS Code): no warnings on import, the figure as a PNG."""
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_code_cell("import sys\nsys.modules['ipywidgets'] = None  # as in a kernel without them"),
        nbformat.v4.new_code_cell("import sim\n"
                                  "loaded = sim.load_config, sim.run_model, sim.market_figure, sim.segment_table, "
                                  "sim.replicate, sim.claims"),
        nbformat.v4.new_code_cell("config = sim.load_config(['market.customers=500', 'market.steps=6'])\n"
                                  "sim.market_figure(sim.run_model(config).firms)"),
    ]
    NotebookClient(notebook, timeout=120, kernel_name="python3").execute()
    assert notebook.cells[1].outputs == []
    (shown,) = notebook.cells[2].outputs
    assert "image/png" in shown["data"]


def _firms(steps=24, profit=1e6, exit_at=None, enter_at=None):
    """A hand-built firms table: focused (its own strategy), rival (strategy centric), exiting and entering firms."""
    rows = []
    for name, strategy in (("focused", "focused"), ("rival", "centric"), ("late", "focused")):
        for step in range(1, steps + 1):
            alive = not ((name == "rival" and exit_at and step >= exit_at) or (name == "late" and enter_at
                                                                                   and step < enter_at))
            rows.append({"step": step, "firm": name, "strategy": strategy, "alive": alive,
                         "released": 50.0 if name == "rival" and step == exit_at else 0.0,
                         "share": 0.3 + step / 1e4 if alive else 0.0,
                         "cumulative_profit": profit * (12 + step / steps) if alive else profit * 12,
                         "retention_rate": 0.9991 + step / 1e5 if alive else float("nan"),
                         "nps": 40.001 + step / 1e5 if alive else float("nan")})
    frame = pd.DataFrame(rows)
    frame["firm"] = pd.Categorical(frame["firm"], ["focused", "rival", "late"])
    return frame


def test_the_title_names_the_firms_present_and_the_legend_each_firm_once(compose):
    config = compose("market.customers=500", "market.steps=12", "+firms.entrant={strategy: centric}",
                     "events=[{kind: enter, firm: entrant, month: 6}]")
    figure = market_figure(run_model(config).firms, config.market.steps_per_year)
    assert figure.get_suptitle() == "focused, centric, obsessed and entrant over 1 year"
    (legend,) = figure.legends
    assert [text.get_text() for text in legend.get_texts()] == ["focused", "centric", "obsessed", "entrant (centric)"]
    assert not any(axis.texts for axis in figure.axes)  # an entry is not an exit


@pytest.mark.parametrize(("profit", "unit"), [(1e6, "(M)"), (1e3, "(k)")])
def test_money_is_in_millions_or_thousands_and_no_axis_has_an_offset(profit, unit):
    figure = market_figure(_firms(profit=profit))
    figure.draw_without_rendering()  # tick labels and offsets are set when drawn
    assert figure.axes[1].get_ylabel() == f"cumulative profit {unit}"
    for axis in figure.axes:
        assert axis.xaxis.get_offset_text().get_text() == ""
        assert axis.yaxis.get_offset_text().get_text() == ""
        assert "(" in axis.get_ylabel()  # each unit said
    ticks = [tick.get_text() for tick in figure.axes[1].get_yticklabels()]
    assert "12" in ticks and "13" in ticks


def test_an_exit_is_marked_once_on_every_panel_in_its_firms_colour():
    firms = _firms(exit_at=15, enter_at=5)
    figure = market_figure(firms)
    mark_exits(figure, firms)  # marking again replaces the marks
    for axis in figure.axes:
        (text,) = axis.texts
        assert text.get_text() == "exit m15"
        rival = next(line for line in axis.get_lines() if line.get_label() == "rival (centric)")
        assert text.get_color() == rival.get_color()
        assert len(axis.collections) == 1


def test_an_empty_figure_spans_the_horizon_with_each_measures_range():
    empty = _firms().iloc[:0]
    figure = market_figure(empty, 12, horizon_years=10)
    figure.draw_without_rendering()
    assert {axis.get_xlim() for axis in figure.axes} == {(0.0, 10.0)}
    assert [axis.get_ylim() for axis in figure.axes] == [(0.0, 1.0), (0.0, 1e6), (0.0, 1.0), (-100.0, 100.0)]
