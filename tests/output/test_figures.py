"""Figures draw every firm on every panel from a result table."""

from sim.output.figures import PANELS, market_figure
from sim.world.run import run_model


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
        nbformat.v4.new_code_cell("from sim.config.compose import load_config\nfrom sim.world.run import run_model\n"
                                  "from sim.output.figures import market_figure\nimport sim.apps.live, sim.studies.replicate, sim.studies.claims"),
        nbformat.v4.new_code_cell("result = run_model(load_config(['market.customers=500', 'market.steps=6']))\n"
                                  "market_figure(result.firms)"),
    ]
    NotebookClient(notebook, timeout=120, kernel_name="python3").execute()
    assert notebook.cells[1].outputs == []
    (shown,) = notebook.cells[2].outputs
    assert "image/png" in shown["data"]
