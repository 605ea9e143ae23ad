"""Figures draw every firm on every panel from a result table."""

from sim import run_model
from sim.output.figures import PANELS, market_figure


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
