"""`python -m tools.pad_latency`: what a student feels when drawing on the pad, measured in the
browser (JupyterLab in headless Chromium): pen down to ink under the pen, and pen up to the
answer on screen, with the kernel idle and while another cell keeps it busy.

The page itself times each digit: from the mouse event's own time stamp to the first painted
frame whose canvas pixel under the pen is ink, and to the first frame showing "It reads". So any
pad with the same CSS classes can be measured: `--pad FILE` measures a pad module of another
version (e.g. `git show REV:digitlab/pad.py > old_pad.py`).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from tools import browser

CANVAS = "canvas.digitlab-pad, .digitlab-pad canvas"
# Listen before the pad does (capture phase). Ink: poll each painted frame until the canvas pixel
# under the pen is ink. Answer: note the time of every change the pad's output area makes (bars,
# numbers, text); the last one after the pen went up is when the student sees the final reading.
INSTRUMENT = """canvasSelector => {
    const canvas = document.querySelector(canvasSelector);
    window.padTimes = {ink: [], up: null, lastChange: 0};
    new MutationObserver(() => { window.padTimes.lastChange = performance.now(); }).observe(
        canvas.closest('.jp-OutputArea-output'),
        {subtree: true, attributes: true, childList: true, characterData: true});
    document.addEventListener('pointerdown', event => {
        if (event.target !== canvas) return;
        const box = canvas.getBoundingClientRect();
        const x = Math.round((event.clientX - box.left) * canvas.width / box.width);
        const y = Math.round((event.clientY - box.top) * canvas.height / box.height);
        const start = event.timeStamp;
        const poll = () => {
            if (canvas.getContext('2d').getImageData(x, y, 1, 1).data[0] < 128) {
                window.padTimes.ink.push(performance.now() - start);
            } else if (performance.now() - start < 60000) {
                requestAnimationFrame(poll);
            }
        };
        requestAnimationFrame(poll);
    }, true);
    document.addEventListener('pointerup', event => { window.padTimes.up = event.timeStamp; },
                              true);
}"""
SETTLED_MS = 1500  # no change for this long after the answer shows: the reading is final
ONE = [(150, 40), (148, 80), (146, 120), (144, 160), (142, 200), (140, 240)]


def course(root: Path, pad_file: Path | None, busy_s: float) -> str:
    """A notebook that shows the pad (`pad_file`'s, if given), then a cell that keeps Python
    busy."""
    if pad_file:
        shutil.copy(pad_file, root / "measured_pad.py")
    return browser.pad_notebook(root, busy_s, "measured_pad" if pad_file else "digitlab.pad").name


def draw_and_time(page, canvas, limit_s: float) -> float:
    """Draw a 1; ms from pen up to the last change of the pad's reading."""
    browser.draw(page, canvas, ONE)
    page.locator(".digitlab-answer").get_by_text("It reads").wait_for(timeout=limit_s * 1000)
    while page.evaluate(f"performance.now() - window.padTimes.lastChange < {SETTLED_MS}"):
        time.sleep(0.2)
    return page.evaluate("window.padTimes.lastChange - window.padTimes.up")


def measure(pad_file: Path | None, digits: int, busy_s: float) -> dict:
    """Draw `digits` ones with the kernel idle, then one while it is busy; the page's times."""
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as scratch, sync_playwright() as p:
        root = Path(scratch) / "course"
        root.mkdir()
        name = course(root, pad_file, busy_s)
        chromium = p.chromium.launch(executable_path=browser.CHROMIUM, args=browser.CHROMIUM_ARGS)
        page = chromium.new_page(viewport={"width": 1400, "height": 1000})
        with browser.jupyter(root, Path(scratch)) as url:
            page.goto(f"{url}/lab/tree/{name}?reset")
            page.get_by_text("| Idle").wait_for(timeout=120_000)
            browser.run_cell(page, 0)
            canvas = page.locator(CANVAS).first
            canvas.wait_for(timeout=120_000)
            browser.bring_into_view(page, canvas)
            time.sleep(2)  # the first reading traces the model: not what a student waits for
            page.evaluate(INSTRUMENT, CANVAS)
            answer, clear = page.locator(".digitlab-answer"), page.locator(".digitlab-clear")
            times = {"idle": {"answer": []}, "busy": {"answer": []}}
            for kernel in ("idle",) * digits + ("busy",):
                clear.click()
                answer.get_by_text("Draw a digit").wait_for(timeout=30_000)
                if kernel == "busy":
                    times["idle"]["ink"] = page.evaluate("window.padTimes.ink.splice(0)")
                    browser.run_cell(page, 1)
                    page.locator(".jp-InputPrompt", has_text="[*]").wait_for(timeout=30_000)
                    browser.bring_into_view(page, canvas)
                times[kernel]["answer"].append(draw_and_time(page, canvas, busy_s + 60))
            times["busy"]["ink"] = page.evaluate("window.padTimes.ink")
        chromium.close()
    return times


def _ms(values: list[float]) -> str:
    if not values:
        return "never"
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    spread = f" (p95 {p95:.0f})" if len(ordered) > 1 else ""
    return f"{statistics.median(ordered):.0f} ms{spread}"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m tools.pad_latency", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--pad", type=Path, help="a pad module to measure instead of digitlab.pad")
    p.add_argument("--digits", type=int, default=10, help="digits drawn with the kernel idle")
    p.add_argument("--busy", type=float, default=5,
                   help="about how many seconds the busy cell runs on a 2-core laptop")
    args = p.parse_args(argv)
    if browser.CHROMIUM is None:
        p.error("no Chromium found: install Debian's chromium")
    times = measure(args.pad and args.pad.resolve(), args.digits, args.busy)
    print("| pad | kernel | pen down -> ink | pen up -> last bar update |\n|---|---|---|---|")
    for kernel, t in times.items():
        print(f"| {args.pad.name if args.pad else 'digitlab.pad'} | {kernel} | "
              f"{_ms(t['ink'])} | {_ms(t['answer'])} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
