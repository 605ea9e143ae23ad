"""The live dashboard, driven as a teacher would drive it: in a real browser against a real server.

The server is ``market-sim-dashboard`` on a free localhost port; the browser
is headless Chromium (Debian's ``chromium``, which ``.ci/run`` installs)
driven by Playwright with no browser download (:mod:`sim.apps.browser`). Without
Chromium the browser test is skipped, except under CI, where it fails. A screenshot is kept outside
the repository, in ``$SIM_ARTIFACTS`` (default: the system's temp folder).
"""

from __future__ import annotations

import itertools
import os
import re
import tempfile
from pathlib import Path

import numpy as np
import pytest
from matplotlib.text import Text

from sim.apps.browser import CHROMIUM, VIEWPORTS, chromium, dashboard, open_page, step
from sim.apps.dashboard import DEFAULT_SETTINGS, NO_SCENARIO, SCENARIOS, DashboardMarket, build, overrides
from sim.apps.live import CHART_DPI, LiveCharts, LiveNetwork, NetworkView, firms_so_far, network_figure, segment_table
from sim.config.compose import CONFIG_DIR
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


def test_live_pictures_are_drawn_with_type_of_at_least_12_pixels():
    """At CHART_DPI a point is a pixel, and the page shows each picture at its own size (the browser test)."""
    model = DashboardMarket(customers=2_000, seed=1)
    charts, network = LiveCharts(model), LiveNetwork(model, model.view)
    for _ in range(3):
        model.step()
    for picture in (charts.png(), network.png()):
        assert picture.startswith(b"\x89PNG")
    for figure in (charts.figure, network.figure):
        texts = [text for text in figure.findobj(Text) if text.get_visible() and text.get_text().strip()]
        assert len(texts) >= 5 and min(text.get_fontsize() for text in texts) * CHART_DPI / 72 >= 12


def test_the_live_charts_frame_is_drawn_again_only_when_an_axis_changes():
    model = DashboardMarket(customers=2_000, seed=1)
    charts = LiveCharts(model)
    frames = []
    for _ in range(60):
        model.step()
        charts.png()
        frames.append(id(charts.snapshots.frame))
    after_first_year = sum(a != b for a, b in itertools.pairwise(frames[11:]))
    assert after_first_year < 16  # of 48 months: most draw only the lines
    saved = charts.png()
    charts.snapshots.frame = None  # the same picture drawn whole
    assert charts.png() == saved


def test_a_value_the_cli_refuses_is_refused_with_its_line_and_the_market_stays():
    market, message = build({**DEFAULT_SETTINGS, "dials": {"firms.focused.price": -1}})
    assert market is None and message == "firms.focused.price: must be >= 0.0, got -1.0"
    market, message = build({**DEFAULT_SETTINGS, "customers": 2_000, "dials": {"strategies.centric.pricing_policy":
                                                                            "profit"}})
    assert message == "" and market.config.strategies["centric"].pricing_policy == "profit"


def test_each_scenario_is_described_by_its_own_file():
    for name, text in SCENARIOS.items():
        if name != NO_SCENARIO:
            assert text and text.split()[0].rstrip(":") in (CONFIG_DIR / "scenario" / f"{name}.yaml").read_text(), name
    assert SCENARIOS["fast_drift"] == "What if needs drift twice as fast?"


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
    assert network_figure(model, view).texts[0].get_text().endswith("month 12")


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
def test_each_session_runs_its_own_market_and_a_run_stops_at_its_horizon(dashboard_url):
    """Two students: the second starts at month 0 while the first is at month 3; at the horizon Step is off."""
    from playwright.sync_api import expect

    with chromium() as browser:
        first = open_page(browser, dashboard_url)
        errors: list[str] = []
        first.on("pageerror", lambda error: errors.append(str(error)))
        for month in (1, 2, 3):
            step(first, month)
        second = open_page(browser, dashboard_url)  # waits for "Month: 0 of 120" in its own session
        expect(first.get_by_text("Month: 3 of 120")).to_be_visible()
        step(second, 1)
        expect(first.get_by_text("Month: 3 of 120")).to_be_visible()

        years = first.locator(".v-input", has=first.get_by_text(re.compile("^Years: 10$")))
        years.get_by_role("slider").focus()
        first.keyboard.press("Home")  # the shortest horizon, one year: a new market at month 0
        expect(first.get_by_text("Month: 0 of 12")).to_be_visible(timeout=60_000)
        expect(first.get_by_text("market-sim market.steps=12 seed=0")).to_be_visible()
        for month in range(1, 13):
            step(first, month)
        expect(first.get_by_role("button", name="Step")).to_be_disabled()
        expect(first.get_by_text("Run finished at month 12")).to_be_visible()
        expect(first.get_by_text(re.compile(r"earned most"))).to_be_visible()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        first.screenshot(path=ARTIFACTS / "dashboard_finished.png", full_page=True)
        expect(second.get_by_text("Month: 1 of 120")).to_be_visible()
    assert not errors, errors


@needs_browser
@pytest.mark.parametrize("size", list(VIEWPORTS.values()), ids=list(VIEWPORTS))
def test_the_page_reads_on_a_projector(dashboard_url, size):
    """Pictures shown at the size they are drawn (so their type is the 12 px it is drawn at), no card over another,
    every slider's value written beside it."""
    with chromium() as browser:
        page = open_page(browser, dashboard_url, size)
        for month in (1, 2, 3):
            step(page, month)
        shown = page.eval_on_selector_all("img", "pictures => pictures.map(p => [p.naturalWidth, p.clientWidth])")
        assert len(shown) == 2 and all(drawn > 300 and abs(drawn - width) <= 1 for drawn, width in shown), shown
        boxes = page.eval_on_selector_all(".v-card", "cards => cards.filter(c => c.offsetParent !== null)"
                                          ".map(c => { const r = c.getBoundingClientRect(); "
                                          "return [r.left, r.top, r.right, r.bottom]; })")
        boxes = [box for box in boxes if box[2] > box[0] and box[3] > box[1]]
        for i, a in enumerate(boxes):
            for b in boxes[i + 1:]:
                inside = (a[0] <= b[0] and b[2] <= a[2] and a[1] <= b[1] and b[3] <= a[3]) or (
                    b[0] <= a[0] and a[2] <= b[2] and b[1] <= a[1] and a[3] <= b[3])
                overlap = min(a[2], b[2]) - max(a[0], b[0]) > 1 and min(a[3], b[3]) - max(a[1], b[1]) > 1
                assert inside or not overlap, (a, b)
        for label in ("Simulated customers: 10,000", "Years: 10", "Seed: 0", "price of focused: 1.00"):
            assert page.get_by_text(label).is_visible(), label
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=ARTIFACTS / f"dashboard_{size[0]}x{size[1]}.png", full_page=True)


def test_the_page_displays_inside_jupyter():
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell("from sim.apps.dashboard import page\npage")]
    NotebookClient(notebook, timeout=180, kernel_name="python3").execute()
    outputs = notebook.cells[0].outputs
    assert len(outputs) == 1 and "text" not in outputs[0], outputs  # the widget, and nothing on stderr
    assert "application/vnd.jupyter.widget-view+json" in outputs[0]["data"]


def test_an_exit_is_marked_once_not_redrawn_every_month_after(monkeypatch):
    """The marks are part of the kept frame: marking again every month after an exit redrew it every month."""
    import sim.apps.live

    marked = []
    monkeypatch.setattr(sim.apps.live, "mark_exits", lambda *args: marked.append(args))
    model = DashboardMarket(customers=2_000, seed=1, dials={"events": "[{kind:exit,firm:obsessed,month:3}]"})
    charts = LiveCharts(model)
    for _ in range(12):
        model.step()
        charts.png()
    assert charts.exits == 1 and len(marked) == 1
