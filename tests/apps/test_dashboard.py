"""The live dashboard, driven as a teacher would drive it: in a real browser against a real server.

The server is ``market-sim-dashboard`` on a free localhost port; the browser
is headless Chromium (Debian's ``chromium``, which ``.ci/run`` installs)
driven by Playwright with no browser download (:mod:`sim.apps.browser`). Without
Chromium the browser test is skipped, except under CI, where it fails. A screenshot is kept outside
the repository, in ``$SIM_ARTIFACTS`` (default: the system's temp folder).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
import pytest

from sim.apps.browser import CHROMIUM, chromium, dashboard
from sim.apps.dashboard import DashboardMarket, overrides
from sim.apps.live import LiveCharts, NetworkView, firms_so_far, network_figure, segment_table
from sim.output.figures import market_figure

HAVE_CHROMIUM = Path(CHROMIUM).exists()
ARTIFACTS = Path(os.environ.get("SIM_ARTIFACTS", Path(tempfile.gettempdir()) / "market-sim-artifacts"))

needs_browser = pytest.mark.skipif(
    not HAVE_CHROMIUM and not os.environ.get("CI"),
    reason="Chromium not installed (Debian: apt-get install chromium; .ci/run installs it)",
)


def test_the_controls_compose_the_market_market_sim_would_run():
    model = DashboardMarket(scenario="ryanair", focused="obsessed", customers=2_000, drift=0.5, seed=3)
    assert model.config.firms["focused"].strategy == "obsessed"
    assert "lowcost" in model.config.firm_names
    assert model.config.market.customers == 2_000 and model.config.market.drift == 0.5
    assert overrides(seed=3)[-1] == "seed=3" and model.config.seed == 3


def test_controls_left_at_the_default_leave_a_scenarios_own_settings_alone():
    assert DashboardMarket(scenario="nokia_apple", customers=2_000).config.market.drift == 0.0
    assert DashboardMarket(scenario="nokia_apple", customers=2_000, drift=2.0).config.market.drift == 2.0
    docking = DashboardMarket(scenario="bass_docking")
    assert docking.config.network.kind == "fully_mixed" and docking.config.market.customers == 20_000
    assert len(docking.view.customers) == 300 and len(docking.view.edges) == 0
    assert overrides(seed=4) == ["seed=4"]


def test_the_network_picture_keeps_its_layout_while_colours_follow_the_firms():
    model = DashboardMarket(customers=2_000, seed=1)
    view = model.view
    assert len(view.customers) == 300 and len(view.edges) > 300  # a neighbourhood, not isolated dots
    again = NetworkView.of(model, seed=1)  # the same sample and layout for the same run
    assert all((getattr(again, part) == getattr(view, part)).all() for part in ("customers", "edges", "positions"))
    before = model.population.firm[view.customers].copy()
    for _ in range(12):
        model.step()
    assert model.view is view
    assert (model.population.firm[view.customers] != before).any()
    assert network_figure(model, view).axes[0].get_title().endswith("month 12")


def test_the_live_tables_are_the_run_so_far():
    model = DashboardMarket(customers=2_000, seed=1)
    assert len(LiveCharts(model).figure.axes) == 4  # before the first step: empty panels, no error
    for _ in range(3):
        model.step()
    shares = segment_table(model)
    assert list(shares.columns) == model.config.firm_names
    assert list(shares.index) == model.config.segment_names
    assert ((shares >= 0) & (shares <= 100)).all().all()
    rows = model.recorder.firm_rows
    assert {row["step"] for row in rows} == {1, 2, 3}


def test_live_charts_updated_in_place_draw_the_same_lines_as_the_saved_figure():
    model = DashboardMarket(customers=2_000, seed=2)
    live = LiveCharts(model)
    for _ in range(15):
        model.step()
        live.update()
    saved = market_figure(firms_so_far(model))
    for live_axis, saved_axis in zip(live.figure.axes, saved.axes, strict=True):
        assert [line.get_label() for line in live_axis.lines] == [line.get_label() for line in saved_axis.lines]
        for mine, theirs in zip(live_axis.lines, saved_axis.lines, strict=True):
            np.testing.assert_array_equal(mine.get_xydata(), theirs.get_xydata())
    assert live.figure._repr_png_().startswith(b"\x89PNG")  # shows itself in a notebook


@pytest.fixture(scope="module")
def dashboard_url():
    with dashboard() as url:
        yield url


@needs_browser
def test_a_teacher_steps_changes_a_strategy_and_resets_in_a_browser(dashboard_url):
    from playwright.sync_api import expect

    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1500, "height": 1100})
        errors: list[str] = []
        page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(dashboard_url)
        expect(page.get_by_text("Step: 0")).to_be_visible(timeout=90_000)
        charts = page.locator("img").first
        expect(charts).to_be_visible(timeout=30_000)
        before = charts.get_attribute("src")

        page.get_by_role("button", name="Step").click()
        expect(page.get_by_text("Step: 1")).to_be_visible(timeout=30_000)
        expect(charts).not_to_have_attribute("src", before, timeout=30_000)

        page.locator(".v-select", has_text="Strategy of firm 'focused'").click()
        page.locator(".menuable__content__active .v-list-item", has_text="obsessed").click()
        page.get_by_role("button", name="Reset").click()
        expect(page.get_by_text("Step: 0")).to_be_visible(timeout=60_000)
        expect(page.get_by_text("firms.focused.strategy=obsessed")).to_be_visible(timeout=60_000)

        page.get_by_role("button", name="Step").click()
        expect(page.get_by_text("Step: 1")).to_be_visible(timeout=30_000)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=ARTIFACTS / "dashboard.png", full_page=True)
    assert not errors, errors


def test_the_page_displays_inside_jupyter():
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell("from sim.apps.dashboard import page\npage")]
    NotebookClient(notebook, timeout=180, kernel_name="python3").execute()
    outputs = notebook.cells[0].outputs
    assert len(outputs) == 1 and "text" not in outputs[0], outputs  # the widget, and nothing on stderr
    assert "application/vnd.jupyter.widget-view+json" in outputs[0]["data"]
