"""The dashboard in a real browser: serve it on a free local port and drive headless Chromium at it.

The browser test and the README's screenshot both use this. Chromium is
Debian's (``apt-get install chromium``) driven by Playwright from PyPI, with
no browser download; the flags keep it from reaching for Google's servers,
which a machine without internet refuses many times a second.

``make screenshot`` (``python -m sim.apps.browser docs/dashboard.png``) serves the
default market, plays two years and saves the page.
"""

from __future__ import annotations

import argparse
import io
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import Browser

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = ("--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync")


def free_port() -> int:
    """A localhost port nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def dashboard(timeout: float = 120.0) -> Iterator[str]:
    """Serve ``market-sim-dashboard`` on a free port; yield its address once it answers; stop it after."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    command = [str(Path(sys.executable).with_name("market-sim-dashboard")), "--host", "127.0.0.1", "--port", str(port)]
    with tempfile.TemporaryFile() as log:
        server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + timeout
            while not _answers(url):
                if server.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    raise RuntimeError(f"market-sim-dashboard did not serve {url}:\n"
                                       f"{log.read().decode(errors='replace')[-3000:]}")
                time.sleep(0.5)
            yield url
        finally:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status == 200
    except OSError:
        return False


@contextmanager
def chromium() -> Iterator[Browser]:
    """Headless Debian Chromium under Playwright."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=list(CHROMIUM_FLAGS))
        try:
            yield browser
        finally:
            browser.close()


VIEWPORTS = {"projector": (1366, 768), "full HD": (1920, 1080)}
"""The screens a class meets: an old projector and a full-HD one."""


def open_page(browser: Browser, url: str, size: tuple[int, int] = VIEWPORTS["projector"]):
    """A new session (its own cookies, so its own market) on the dashboard, once the market shows month 0."""
    from playwright.sync_api import expect

    page = browser.new_context(viewport={"width": size[0], "height": size[1]}).new_page()
    page.goto(url)
    expect(page.get_by_text(re.compile(r"^Month: 0 of \d+$"))).to_be_visible(timeout=90_000)
    return page


def step(page, month: int) -> float:
    """Click Step and wait until the page shows ``month``: the seconds a student waits, click to redrawn page."""
    from playwright.sync_api import expect

    started = time.perf_counter()
    page.get_by_role("button", name="Step").click()
    expect(page.get_by_text(re.compile(rf"^Month: {month} of \d+$"))).to_be_visible(timeout=30_000)
    page.evaluate("() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")
    return time.perf_counter() - started


def step_times(steps: int = 24, size: tuple[int, int] = VIEWPORTS["projector"]) -> list[float]:
    """Serve the default dashboard and time ``steps`` clicks on Step from headless Chromium (``make bench``)."""
    with dashboard() as url, chromium() as browser:
        page = open_page(browser, url, size)
        return [step(page, month) for month in range(1, steps + 1)]


def screenshot(path: Path, months: int = 24) -> None:
    """Serve the default dashboard, step it ``months`` times at 1366 x 768 and save the page as a PNG at ``path``."""
    with dashboard() as url, chromium() as browser:
        page = open_page(browser, url, VIEWPORTS["projector"])
        for month in range(1, months + 1):
            step(page, month)
        page.wait_for_timeout(500)
        picture = page.screenshot()
    path.parent.mkdir(parents=True, exist_ok=True)
    from PIL import Image

    # 256 colours are plenty for a page of flat colours and lines, and keep the committed picture small
    Image.open(io.BytesIO(picture)).convert("RGB").quantize(256).save(path, optimize=True)


def main() -> None:
    """``python -m sim.apps.browser PATH [--months N]``: the README's dashboard screenshot."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", type=Path)
    parser.add_argument("--months", type=int, default=24)
    args = parser.parse_args()
    screenshot(args.path, args.months)
    print(f"saved {args.path}")


if __name__ == "__main__":
    main()
