"""`python -m digitlab.bench`: time what a student waits for; print a Markdown table, save JSON."""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path


def time_import(repeats: int) -> list[float]:
    """Seconds for `import digitlab` in a fresh interpreter."""
    code = "import time; t = time.perf_counter(); import digitlab; print(time.perf_counter() - t)"
    return [float(subprocess.check_output([sys.executable, "-c", code], text=True))
            for _ in range(repeats)]


def time_load(repeats: int) -> list[float]:
    """Seconds for a warm `load_mnist()`: files on disk and in the OS cache, fully verified."""
    from digitlab.data import load_mnist

    load_mnist()  # warm-up: downloads if needed and fills the OS file cache
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        load_mnist()
        times.append(time.perf_counter() - start)
    return times


def time_drawing(repeats: int) -> list[float]:
    """Seconds from the end of a stroke on the 280x280 pad to the ten probabilities: render the
    strokes, make the 28x28 input, call the shipped model directly (as the pad does)."""
    from digitlab import predict, pretrained
    from digitlab.pad import digit_image

    model = pretrained.load()
    seven = [[(80, 60), (200, 60), (150, 150), (120, 240)], [(110, 150), (190, 150)]]
    predict.classify(model, digit_image(seven, 280, 18)[None])  # warm-up: traces the model
    times = []
    for _ in range(max(repeats, 20)):
        start = time.perf_counter()
        predict.classify(model, digit_image(seven, 280, 18)[None])
        times.append(time.perf_counter() - start)
    return times


def time_photo(repeats: int) -> list[float]:
    """Seconds to read a 1,000x1,000 photo of a digit: load, find ink, clean, crop, predict."""
    import numpy as np
    from PIL import Image, ImageDraw

    from digitlab import predict, pretrained

    photo = Image.new("L", (1000, 1000), 220)
    ImageDraw.Draw(photo).line([(300, 200), (700, 200), (450, 850)], fill=40, width=40)
    model = pretrained.load()
    predict.predict(model, photo)
    times = []
    for _ in range(max(repeats, 10)):
        start = time.perf_counter()
        predict.predict(model, np.asarray(photo))
        times.append(time.perf_counter() - start)
    return times


BENCHES = {  # name -> (what it measures, function, target in seconds)
    "import": ("`import digitlab`", time_import, None),
    "load": ("warm `load_mnist()` (read, gunzip, SHA-256, decode)", time_load, 0.5),
    "draw": ("drawing pad: end of stroke -> probabilities", time_drawing, 0.030),
    "photo": ("`predict` on a 1,000x1,000 photo", time_photo, None),
}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m digitlab.bench", description=__doc__)
    p.add_argument("--only", nargs="+", choices=BENCHES, help="run just these benchmarks")
    p.add_argument("--quick", action="store_true", help="one repeat each: a smoke test")
    p.add_argument("--json", type=Path, default=Path("bench-results/bench.json"))
    args = p.parse_args(argv)
    repeats = 1 if args.quick else 5

    rows = []
    print("| benchmark | median | p95 | target | met |\n|---|---|---|---|---|")
    for name in args.only or BENCHES:
        what, run, target = BENCHES[name]
        times = sorted(run(repeats))
        median, p95 = statistics.median(times), times[min(len(times) - 1, int(0.95 * len(times)))]
        met = "n/a" if target is None else ("yes" if median <= target else "**no**")
        goal = "" if target is None else f"≤ {target:g} s"
        print(f"| {what} | {median:.3f} s | {p95:.3f} s | {goal} | {met} |", flush=True)
        rows.append({"name": name, "what": what, "median_s": median, "p95_s": p95,
                     "target_s": target, "times_s": times})
    args.json.parent.mkdir(parents=True, exist_ok=True)
    machine = {"python": platform.python_version(), "machine": platform.machine(),
               "processor": platform.processor(), "date": time.strftime("%Y-%m-%d")}
    args.json.write_text(json.dumps({"machine": machine, "results": rows}, indent=2))
    print(f"\nsaved {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
