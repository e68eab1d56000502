"""`python -m tools.bench`: time what a student waits for; print Markdown tables, save JSON
and a plot (`make results` saves them to docs/results/, which `make docs` writes
docs/results.md from).

Waiting (`TIMINGS`): importing digitlab, loading MNIST, the drawing pad, a photo, a number.
Reading (`tools.bench_reader`): fresh `digitlab predict` processes on photos, a 40 MP PNG and a
folder of 1,000 pictures, with LiteRT beside the TensorFlow path it replaced; `--quick` reads
32 pictures with LiteRT alone.
Training (`tools.bench_training`): each network by the classic tutorial's recipe and by
digitlab's, in fresh processes. `--quick` is a smoke test of all that, every recipe for a few
steps in this one process.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

from tools import bench_reader, bench_training
from tools.bench_training import TRAINING


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
    from digitlab.strokes import digit_image

    model = pretrained.load()
    seven = [[(80, 60), (200, 60), (150, 150), (120, 240)], [(110, 150), (190, 150)]]
    predict.classify(model, digit_image(seven, 280, 18)[None])  # warm-up: traces the model
    times = []
    for _ in range(max(repeats, 50)):
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


def time_number(repeats: int) -> list[float]:
    """Seconds to read a clean row of five handwritten digits, 1,200x264 pixels, as a number
    (`digitlab predict --number`): find the ink and the row, cut, read."""
    import numpy as np
    from PIL import Image

    from digitlab import number, pretrained
    from digitlab.strokes import TEMPLATES, render

    row = np.concatenate([render([[(280 * x, 280 * y) for x, y in stroke] for stroke in
                                  TEMPLATES[d]], 280, 18) for d in range(5)], axis=1)
    photo = Image.fromarray((235 - 215 * row).astype(np.uint8)).resize((1200, 264))
    model = pretrained.load()
    if number.read(model, photo).text != "01234":  # warm-up (traces the model), and a check
        raise RuntimeError("the number benchmark's row no longer reads 01234")
    times = []
    for _ in range(max(repeats, 30)):
        start = time.perf_counter()
        number.read(model, photo)
        times.append(time.perf_counter() - start)
    return times


# ----------------------------------------------------------------------------------- main

TIMINGS = {  # name -> (what it measures, function, target in seconds)
    "import": ("`import digitlab`", time_import, None),
    "load": ("warm `load_mnist()` (read, gunzip, SHA-256, decode)", time_load, 0.5),
    "draw": ("drawing pad: end of stroke -> probabilities", time_drawing, 0.015),
    "photo": ("`predict` on a 1,000x1,000 photo", time_photo, None),
    # the reader before digitlab.number (connected strokes at 256 pixels) took 11.3 ms
    "number": ("`predict --number` on a clean row of five digits", time_number, 0.012),
}


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f} ms"


def _timing_line(row: dict) -> str:
    target = row["target_s"]
    met = "n/a" if target is None else ("yes" if row["median_s"] <= target else "**no**")
    goal = "" if target is None else f"≤ {_ms(target)}"
    return f"| {row['what']} | {_ms(row['median_s'])} | {_ms(row['p95_s'])} | {goal} | {met} |"


TIMING_HEADER = "| benchmark | median | p95 | target | met |\n|---|---|---|---|---|"


def tables(saved: dict) -> dict[str, str]:
    """A saved run's tables, Markdown, by section: "timings", "reader", "training"."""
    return {k: v for k, v in {
        "timings": saved["results"] and "\n".join([TIMING_HEADER,
                                                    *map(_timing_line, saved["results"])]),
        "reader": saved.get("reader") and bench_reader.table(saved["reader"]),
        "training": saved["training"] and bench_training.table(saved["training"])}.items() if v}


def show(path: Path) -> None:
    """Print the tables of a saved run again."""
    saved = json.loads(path.read_text())
    machine = saved["machine"]
    cpu = machine["processor"] or machine["machine"]
    print(f"{machine['date']}, {machine.get('cpus', '?')} CPUs, {cpu}, Python {machine['python']}"
          f"{' (quick mode)' if saved['quick'] else ''}\n")
    print("\n\n".join(tables(saved).values()))


def _machine() -> dict:
    return {"python": platform.python_version(), "machine": platform.machine(),
            "processor": platform.processor(), "cpus": os.cpu_count(),
            "date": time.strftime("%Y-%m-%d")}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m tools.bench", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--only", nargs="+", choices=[*TIMINGS, "reader", *TRAINING],
                   help="run just these benchmarks")
    p.add_argument("--repeats", type=int, default=3,
                   help="runs of each timing and of each digitlab recipe (default 3)")
    p.add_argument("--quick", action="store_true",
                   help="a smoke test: one repeat, a few training steps")
    p.add_argument("--json", type=Path, default=Path("bench-results/bench.json"),
                   help="where to write the figures (the plot goes beside it)")
    p.add_argument("--show", type=Path, metavar="JSON",
                   help="print the tables of a saved run instead of running anything")
    args = p.parse_args(argv)
    if args.show:
        show(args.show)
        return 0
    if args.repeats < 1:
        p.error("--repeats must be at least 1")
    repeats = 1 if args.quick else args.repeats
    if args.quick:
        print("quick mode: a smoke test of every benchmark, not a measurement\n")
    chosen = args.only or [*TIMINGS, "reader", *TRAINING]

    timings, training = [], []
    if any(name in TIMINGS for name in chosen):
        print(TIMING_HEADER)
    for name in (n for n in TIMINGS if n in chosen):
        what, run, target = TIMINGS[name]
        times = sorted(run(repeats))
        median, p95 = statistics.median(times), times[min(len(times) - 1, int(0.95 * len(times)))]
        timings.append({"name": name, "what": what, "median_s": median, "p95_s": p95,
                        "target_s": target, "times_s": times})
        print(_timing_line(timings[-1]), flush=True)
    reader = []
    if "reader" in chosen:  # fresh processes, as a user runs `digitlab predict`
        print()
        reader = bench_reader.bench(repeats, count=32 if args.quick else 1000,
                                    before=not args.quick)
    if any(name in TRAINING for name in chosen):
        print("\n" + bench_training.TRAINING_HEADER, flush=True)
    for name in (n for n in TRAINING if n in chosen):
        training += bench_training.bench_training(name, repeats, args.quick)
    memory = bench_training._memory_line(training)
    if memory:
        print("\n" + memory)

    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"machine": _machine(), "quick": args.quick,
                                     "results": timings, "reader": reader,
                                     "training": training}, indent=2))
    print(f"\nsaved {args.json}")
    if training:
        bench_training.plot_training(training, args.json.with_suffix(".png"))
        print(f"saved {args.json.with_suffix('.png')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
