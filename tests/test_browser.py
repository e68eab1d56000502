"""The drawing pad in a real browser: JupyterLab on 127.0.0.1, headless Chromium driven by
Playwright, digits drawn with real mouse movements, the answer read off the page.

Skips, saying why, only where no Chromium or Playwright can be found. On failure it leaves
screenshots in test-artifacts/.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest

from conftest import require

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = "05_your_handwriting.ipynb"
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]

try:
    from playwright.sync_api import sync_playwright
except ImportError:
    sync_playwright = None



@pytest.fixture(autouse=True)
def browser_installed():
    require(CHROMIUM is not None and sync_playwright is not None,
            "no browser: install Debian's chromium and `pip install playwright` to run this test")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def lab(tmp_path):
    """A JupyterLab of its own (own config, data and runtime folders) on a copy of notebook 05."""
    root = tmp_path / "course"
    root.mkdir()
    shutil.copy(ROOT / "notebooks" / NOTEBOOK, root / NOTEBOOK)
    config = tmp_path / "config"
    (config / "labconfig").mkdir(parents=True)
    (config / "labconfig" / "default_setting_overrides.json").write_text(json.dumps(
        {"@jupyterlab/apputils-extension:notification": {"fetchNews": "false",
                                                         "checkForUpdates": False}}))
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(config), "JUPYTER_PLATFORM_DIRS": "1",
           "JUPYTER_DATA_DIR": str(tmp_path / "data"), "IPYTHONDIR": str(tmp_path / "ipython"),
           "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime")}
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--allow-root", f"--port={port}",
         "--ServerApp.ip=127.0.0.1", "--IdentityProvider.token=", f"--ServerApp.root_dir={root}"],
        env=env, stdout=subprocess.DEVNULL, stderr=open(tmp_path / "lab.log", "w"),
        start_new_session=True)  # its own process group: the kernels go down with it
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(f"{url}/api/status", timeout=1)
                break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("JupyterLab did not start:\n" + (tmp_path / "lab.log").read_text()[-2000:])
        yield url
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)


def draw(page, canvas, points):
    """Press, move through the points (in pad pixels) and release, as a hand would."""
    box = canvas.bounding_box()
    scale = box["width"] / 280  # the pad is 280 px wide; the page may scale it

    def at(x, y):
        return box["x"] + x * scale, box["y"] + y * scale

    page.mouse.move(*at(*points[0]))
    page.mouse.down()
    for x, y in points[1:]:
        page.mouse.move(*at(x, y), steps=3)
    page.mouse.up()


# JupyterLab scrolls its notebook panel itself, so the page cannot: scroll that panel instead.
SCROLL_INTO_VIEW = """element => {
    let panel = element.parentElement;
    while (panel && !(panel.scrollHeight > panel.clientHeight
                      && /auto|scroll/.test(getComputedStyle(panel).overflowY))) {
        panel = panel.parentElement;
    }
    if (!panel) return null;
    panel.scrollTop += element.getBoundingClientRect().top - panel.getBoundingClientRect().top - 80;
    return panel.className;
}"""


def bring_into_view(page, element, viewport_height: int = 1000) -> None:
    """Scroll until the element sits wholly on screen: cells render lazily as they come near."""
    for _ in range(40):
        box = element.bounding_box()
        if box and 0 <= box["y"] and box["y"] + box["height"] <= viewport_height:
            return
        element.evaluate(SCROLL_INTO_VIEW)
        time.sleep(0.25)
    raise AssertionError(f"could not scroll the pad into view (it is at {element.bounding_box()})")


def wait_until_idle(page, quiet_s: float = 4, limit_s: float = 300) -> None:
    """Wait until the kernel has been idle for `quiet_s`: between cells it is idle only briefly."""
    idle = page.get_by_text("| Idle")
    deadline, since = time.time() + limit_s, None
    while time.time() < deadline:
        if idle.is_visible():
            since = since or time.time()
            if time.time() - since >= quiet_s:
                return
        else:
            since = None
        time.sleep(0.25)
    raise AssertionError("the notebook did not finish running")


def pad_is_white(page) -> bool:
    """Whether the pad's canvas shows its white background: the widget is live and drawn."""
    return page.evaluate("""() => {
        const c = document.querySelector('.digitlab-pad canvas') ||
                  document.querySelector('canvas.digitlab-pad');
        if (!c || !c.width) return false;
        const [r, g, b, a] = c.getContext('2d').getImageData(5, 5, 1, 1).data;
        return r > 250 && g > 250 && b > 250 && a > 250;
    }""")


def test_draw_a_one_and_a_zero(lab):
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        try:
            page.goto(f"{lab}/lab/tree/{NOTEBOOK}?reset")
            page.get_by_text("| Idle").wait_for(timeout=120_000)  # the kernel exists and waits
            page.get_by_text("Run", exact=True).first.click()
            page.get_by_text("Run All Cells", exact=True).click()
            pad = page.locator(".digitlab-pad").first
            pad.wait_for(timeout=180_000)
            wait_until_idle(page)  # Run All scrolls along with each cell until the last is done
            bring_into_view(page, pad)
            deadline = time.time() + 60
            while not pad_is_white(page):  # poll the pixels rather than sleep
                assert time.time() < deadline, "the pad never showed its white background"
                time.sleep(0.2)
            answer = page.locator(".digitlab-answer")

            draw(page, pad, [(150, 40), (147, 100), (143, 170), (140, 240)])
            answer.get_by_text("It reads: 1").wait_for(timeout=30_000)

            page.locator(".digitlab-clear").click()
            answer.get_by_text("Draw a digit").wait_for(timeout=30_000)
            circle = [(140 + 55 * np.sin(t), 140 - 95 * np.cos(t))
                      for t in np.linspace(0, 2 * np.pi, 30)]
            draw(page, pad, circle)
            answer.get_by_text("It reads: 0").wait_for(timeout=30_000)
            page.screenshot(path=str(ARTIFACTS / "pad-zero.png"))
        except Exception:
            page.screenshot(path=str(ARTIFACTS / "pad-failure.png"), full_page=True)
            raise
        finally:
            browser.close()
