"""Driving the course in a real browser: a JupyterLab (or Notebook 7) of its own on 127.0.0.1,
headless Chromium through Playwright, digits drawn with real mouse movements. Used by the browser
tests and by `python -m tools.pad_latency`.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
PAD_SIZE = 280  # the pad's own pixels; the page may show it smaller
STUDENT_SETTINGS = Path(__file__).resolve().parent.parent / "jupyter"  # as the Makefile's lab


def write_notebook(path: Path, *cells: str) -> Path:
    """A notebook of these code cells, for the Python 3 kernel."""
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    nbformat.write(new_notebook(cells=[new_code_cell(c) for c in cells], metadata={"kernelspec": {
        "name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}}), path)
    return path


def pad_notebook(folder: Path, busy_s: float, module: str = "digitlab.pad") -> Path:
    """`folder/pad.ipynb`: a cell that shows the pad (the `DrawingPad` of `module`), then one
    that keeps Python busy for about `busy_s` seconds on a 2-core laptop."""
    return write_notebook(
        folder / "pad.ipynb",
        f"from digitlab import pretrained\nfrom {module} import DrawingPad\n\n"
        "pad = DrawingPad(pretrained.load())\npad",
        # sum over a range holds Python's lock, in C; a time.sleep would not do: ipykernel
        # handles widget messages while a cell sleeps. 10**8 take 1 to 3 s.
        f"total = sum(range({max(1, round(busy_s / 2.5))} * 10**8))  # another cell, busy")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def jupyter(root: Path, scratch: Path, app: str = "lab") -> Iterator[str]:
    """A Jupyter server (`lab` or `notebook`) on `root` with the settings a student's `make lab`
    has (the project's jupyter/ folder) and data and runtime folders of its own; yields its URL
    and stops it, kernels and all."""
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(scratch / "config"),
           "JUPYTER_CONFIG_PATH": str(STUDENT_SETTINGS), "JUPYTER_PLATFORM_DIRS": "1",
           "JUPYTER_DATA_DIR": str(scratch / "data"), "IPYTHONDIR": str(scratch / "ipython"),
           "JUPYTER_RUNTIME_DIR": str(scratch / "runtime")}
    scratch.mkdir(parents=True, exist_ok=True)
    port, log = free_port(), scratch / f"{app}.log"
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyter", app, "--no-browser", "--allow-root", f"--port={port}",
         "--ServerApp.ip=127.0.0.1", "--IdentityProvider.token=", f"--ServerApp.root_dir={root}"],
        env=env, stdout=subprocess.DEVNULL, stderr=open(log, "w"),
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
            raise RuntimeError(f"jupyter {app} did not start:\n{log.read_text()[-2000:]}")
        yield url
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)


def accept_kernel(page) -> None:
    """Answer a "Select Kernel" dialog, if one is open, with the kernel it offers, as a student
    would: Notebook 7 once asked, on a loaded machine, for a notebook that names its kernel and
    had said "Idle" (the dialog then took every click meant for the notebook)."""
    dialog = page.locator(".jp-Dialog", has_text="Select Kernel")
    if dialog.count():
        dialog.locator(".jp-Dialog-button.jp-mod-accept").click()


def run_cell(page, index: int) -> None:
    """Click into a code cell and press Shift+Enter, as a student runs one. A kernel that has
    just said "Idle" may not take it yet on a loaded machine, or a kernel dialog may stand in
    the way: then answer it and press again, as a student would."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    prompt = page.locator(".jp-CodeCell .jp-InputPrompt").nth(index)
    for _ in range(5):
        accept_kernel(page)
        try:
            page.locator(".jp-CodeCell .jp-InputArea-editor").nth(index).click(timeout=10_000)
        except PlaywrightTimeout:  # something stands over the cell: look again
            continue
        page.keyboard.press("Shift+Enter")
        deadline = time.time() + 10
        while time.time() < deadline:
            if prompt.inner_text().strip() not in ("[ ]:", ""):  # [*]: running, [1]: done
                return
            time.sleep(0.2)
    raise AssertionError(f"cell {index} never started running")


def draw(page, canvas, points) -> None:
    """Press, move through the points (in pad pixels) and release, as a hand would."""
    box = canvas.bounding_box()
    scale = box["width"] / PAD_SIZE

    def at(x, y):
        return box["x"] + x * scale, box["y"] + y * scale

    page.mouse.move(*at(*points[0]))
    page.mouse.down()
    for x, y in points[1:]:
        page.mouse.move(*at(x, y), steps=3)
    page.mouse.up()


# Jupyter scrolls its notebook panel itself, so the page cannot: scroll that panel instead.
SCROLL_INTO_VIEW = """element => {
    let panel = element.parentElement;
    while (panel && !(panel.scrollHeight > panel.clientHeight
                      && /auto|scroll/.test(getComputedStyle(panel).overflowY))) {
        panel = panel.parentElement;
    }
    if (!panel) return null;
    panel.scrollTop += element.getBoundingClientRect().top - panel.getBoundingClientRect().top - 40;
    return panel.className;
}"""


def bring_into_view(page, element) -> None:
    """Scroll until the element sits wholly on screen: cells render lazily as they come near."""
    height = page.viewport_size["height"]
    for _ in range(40):
        box = element.bounding_box()
        if box and 0 <= box["y"] and box["y"] + box["height"] <= height:
            return
        element.evaluate(SCROLL_INTO_VIEW)
        time.sleep(0.25)
    raise AssertionError(f"could not scroll {element} into view: it is at {element.bounding_box()}")


def pad_is_white(page) -> bool:
    """Whether the pad's canvas shows its white background: the widget is live and drawn."""
    return page.evaluate("""() => {
        const c = document.querySelector('canvas.digitlab-pad');
        if (!c || !c.width) return false;
        const [r, g, b, a] = c.getContext('2d').getImageData(5, 5, 1, 1).data;
        return r > 250 && g > 250 && b > 250 && a > 250;
    }""")


def wait_for_pad(page, limit_s: float = 60) -> None:
    """Poll the canvas's pixels (never sleep a guessed time) until the pad is live."""
    deadline = time.time() + limit_s
    while not pad_is_white(page):
        if time.time() > deadline:
            raise AssertionError("the pad never showed its white background")
        time.sleep(0.2)


def timings(page) -> dict:
    """What the pad measured in the browser: {'ink': [ms, ...], 'answer': [ms, ...]}."""
    text = page.locator(".digitlab-pad-root").first.get_attribute("data-timings")
    return json.loads(text) if text else {"ink": [], "answer": []}
