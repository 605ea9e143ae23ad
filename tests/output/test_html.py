"""``report.html``: one file that opens from disk in a browser with the network cut off, and still draws its charts.

The browser is headless Chromium (Debian's ``chromium``) under Playwright
(:mod:`sim.apps.browser`); every request that is not for the file itself is
refused and recorded. Without Chromium the browser tests are skipped, except
under CI, where they fail. Without the ``classroom`` extra, asking for the page
is bad input: one line, exit code 2, nothing written.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from sim.apps.browser import CHROMIUM, chromium

HAVE_CHROMIUM = Path(CHROMIUM).exists()
BIN = Path(sys.executable).parent
MOST = 2_000_000  # bytes: small enough to email or put on a course page

needs_browser = pytest.mark.skipif(
    not HAVE_CHROMIUM and not os.environ.get("CI"),
    reason="Chromium not installed (Debian: apt-get install chromium; .ci/run installs it)",
)


@pytest.fixture(scope="module")
def run_page(tmp_path_factory):
    folder = tmp_path_factory.mktemp("run")
    done = subprocess.run([str(BIN / "market-sim"), "market.customers=500", "market.steps=12", "output.html=true",
                           f"hydra.run.dir={folder}"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return folder / "report.html"


@pytest.fixture(scope="module")
def compare_page(tmp_path_factory):
    folder = tmp_path_factory.mktemp("compare")
    done = subprocess.run([str(BIN / "market-sim-compare"), "market.drift=2", "--common",
                           "market.customers=600 market.steps=6", "--seeds", "2", "--workers", "1", "--html",
                           "--out", str(folder)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return folder / "report.html"


def _open_offline(path: Path, chart: str) -> tuple[dict[str, list[str]], int]:
    """Open ``path`` with every non-file request refused: what it asked for and what went wrong, and marks drawn."""
    seen: dict[str, list[str]] = {"refused": [], "requests": [], "failed": [], "errors": []}

    def refuse_the_network(route):
        if route.request.url.startswith("file:"):
            route.continue_()
        else:
            seen["refused"].append(route.request.url)
            route.abort()

    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1300, "height": 900})
        page.route("**/*", refuse_the_network)
        page.on("request", lambda request: seen["requests"].append(request.url))
        page.on("requestfailed", lambda request: seen["failed"].append(request.url))
        page.on("pageerror", lambda error: seen["errors"].append(str(error)))
        page.on("console", lambda message: seen["errors"].append(message.text) if message.type == "error" else None)
        page.goto(path.as_uri())
        page.wait_for_selector(f"#{chart} svg .role-mark", state="attached", timeout=20_000)
        marks = page.locator(f"#{chart} svg .role-mark path, #{chart} svg .role-mark line").count()
    return seen, marks


def _assert_drawn_offline(path: Path, chart: str) -> None:
    seen, marks = _open_offline(path, chart)
    print(f"{path}: {path.stat().st_size / 1e6:.2f} MB, {marks} marks, requests {seen['requests']}")
    assert seen["refused"] == [], "the page reached for the network"
    assert seen["failed"] == [] and seen["errors"] == []
    assert all(url.startswith(("file:", "data:", "blob:")) for url in seen["requests"]), seen["requests"]
    assert marks > 0


def test_a_run_writes_one_small_page_that_loads_no_script_and_names_its_command(run_page):
    text = run_page.read_text()
    assert run_page.stat().st_size < MOST
    assert "<script src" not in text and 'src="http' not in text
    assert "market-sim market.customers=500 market.steps=12 output.html=true" in text
    assert "3 firms, 12 months, seed 0" in text and "cum. profit" in text


@needs_browser
def test_the_run_page_draws_its_charts_with_the_network_cut_off(run_page):
    _assert_drawn_offline(run_page, "firms-over-time")


@needs_browser
def test_a_comparison_page_draws_its_differences_with_the_network_cut_off(compare_page):
    text = compare_page.read_text()
    assert compare_page.stat().st_size < MOST
    assert "market-sim-compare market.drift=2 --common" in text and "Paired comparison (2 seeds" in text
    _assert_drawn_offline(compare_page, "differences")


@pytest.mark.parametrize(("module", "call", "program"), [
    ("vl_convert", "sys.argv[1:] = ['output.html=true', 'market.steps=1']\nfrom sim.apps.cli import main; main()",
     "market-sim"),
    ("altair", "from sim.apps.commands import compare_main; compare_main(['market.drift=2', '--html'])",
     "market-sim-compare"),
])
def test_without_the_classroom_extra_html_is_refused_in_one_line_before_anything_runs(tmp_path, module, call, program):
    code = f"import sys\nsys.modules[{module!r}] = None\n{call}\n"
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith(f"{program}: error: {module} is not installed: it comes with the 'classroom' extra")
    assert list(tmp_path.iterdir()) == []
