"""`python -m tools.bench`: time what a student waits for; print Markdown tables, save JSON
and a plot.

Training: each network's classic recipe (`CLASSIC`, the tutorials' own, here) and digitlab's
(`digitlab.recipes.RECIPES`) trains in a fresh Python process, so its peak memory is its own;
after every epoch (for recipes counted in steps, at every tenth of the run) the test accuracy is
taken, off the clock. digitlab's recipes run `--repeats` times with seeds 0, 1, ... and the table
gives medians; the classic ones, which take far longer, run once. `--quick` is a smoke test of
all that, every recipe for a few steps in this one process.

Reading (`tools.bench_reader`): fresh `digitlab predict` processes on photos, a 40 MP PNG and a
folder of 1,000 pictures, with LiteRT beside the TensorFlow path it replaced; `--quick` reads
32 pictures with LiteRT alone.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

from digitlab import models
from digitlab.recipes import RECIPES, Recipe
from tools import bench_reader
from tools.run_lessons import peak_memory_mb

TRAINING = {  # recipe key -> (the table's row, target test accuracy, target seconds of training)
    "raw_mlp": ("raw MLP", 0.98, 20),
    "mlp": ("Keras MLP", 0.98, 20),
    "lenet": ("LeNet", 0.99, 45),
    "deep_cnn": ("deep CNN", 0.994, 360),
}
LENET_MEMORY_TARGET_MB = 2048


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


# ------------------------------------------------------------------------------- training

# The classic tutorials' recipes, the reference each of digitlab's is timed against.
CLASSIC = {
    # notebook 01's starting point: no activation between the layers (the bug it hunts)
    "raw_mlp": Recipe("linear 784-512-256-128-10, Adam 1e-4, 1,000 x 128", batch_size=128,
                      steps=1000, peak_lr=1e-4),
    "mlp": Recipe("256-128-64, Adam 1e-4, batch 100, 10 epochs", batch_size=100, epochs=10,
                  peak_lr=1e-4, build=lambda: models.mlp((256, 128, 64))),
    "lenet": Recipe("Adam 1e-3, batch 16, 5 epochs", batch_size=16, epochs=5, build=models.lenet),
    "deep_cnn": Recipe("32/64/1024, plain SGD 1e-3, 10,000 x 100", batch_size=100, steps=10_000,
                       sgd=True, build=models.deep_cnn),
}


class _TestCurve:
    """Test accuracy after each epoch against training seconds, the evaluations off the clock."""

    def __init__(self, x, y):
        self.x, self.y, self.points, self.paused = x, y, [], 0.0
        self.start = time.perf_counter()

    def record(self, accuracy_of) -> None:
        stop = time.perf_counter()
        self.points.append((stop - self.start - self.paused, accuracy_of(self.x, self.y)))
        self.paused += time.perf_counter() - stop


def _train_raw(recipe: Recipe, train, curve: _TestCurve, seed: int, every: int,
               linear: bool) -> None:
    """Notebook 01's network (`digitlab.raw_mlp`), trained by a GradientTape step; `linear`: no
    activation between the layers, as in the classic tutorial."""
    import numpy as np

    from digitlab import raw_mlp
    from digitlab._tf import tf
    from digitlab.data import make_dataset

    params = raw_mlp.init_params(seed)
    variables = [v for pair in params for v in pair]
    optimizer = recipe.optimizer(len(train[0]))

    def forward(x):
        return raw_mlp.forward(params, tf.reshape(x, (-1, 784)), linear=linear)

    @tf.function
    def step(x, y):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
                tf.cast(y, tf.int32), forward(x)))
        optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables, strict=True))

    def accuracy_of(x, y):
        return float(np.mean(np.argmax(forward(x.astype(np.float32) / 255), axis=1) == y))

    batches = iter(make_dataset(*train, recipe.batch_size, shuffle=True, seed=seed).repeat())
    for i in range(1, recipe.total_steps(len(train[0])) + 1):
        step(*next(batches))
        if i % every == 0:
            curve.record(accuracy_of)


def train_recipe(key: str, kind: str, seed: int, quick: bool) -> dict:
    """Train network `key` from scratch by its `kind` ("classic" or "digitlab") of recipe; its
    test-accuracy curve, time and peak memory."""
    import dataclasses

    from digitlab import data, recipes, training

    recipe = (CLASSIC if kind == "classic" else RECIPES)[key]
    (x, y), test = data.load_mnist()
    train_set = data.split(x, y)[0]
    if quick:  # a smoke test: a few batches of real digits, one evaluation
        train_set, test = (train_set[0][:512], train_set[1][:512]), (test[0][:1000], test[1][:1000])
        recipe = dataclasses.replace(recipe, epochs=1 if recipe.epochs else 0,
                                     steps=10 if recipe.steps else 0)
    steps = recipe.total_steps(len(train_set[0]))
    # ten points, or one each epoch; a smoke test's one, at the end
    every = steps if quick else steps // 10 if recipe.steps else steps // recipe.epochs
    training.set_seed(seed)
    curve = _TestCurve(*test)
    if recipe.build is None:
        _train_raw(recipe, train_set, curve, seed, every, linear=kind == "classic")
    else:
        from digitlab._tf import keras

        model = recipe.build()
        record = keras.callbacks.LambdaCallback(on_epoch_end=lambda *_: curve.record(
            lambda xs, ys: training.accuracy(model, xs, ys)))
        recipes.fit(recipe, model, train_set, every=every if recipe.steps else None, seed=seed,
                    progress=False, callbacks=[record])
    seconds, accuracy = curve.points[-1]
    return {"network": TRAINING[key][0], "recipe": kind, "description": recipe.description,
            "seed": seed, "seconds": seconds, "accuracy": accuracy, "curve": curve.points,
            "peak_memory_mb": peak_memory_mb()}


def run_training(key: str, kind: str, seed: int, quick: bool) -> dict:
    """One training run: in a worker process of its own, or as a quick smoke test in this one
    (it measures nothing, so it need not pay for TensorFlow's start-up each time)."""
    if not quick:
        return train_in_worker(key, kind, seed)
    return train_recipe(key, kind, seed, quick)


def train_in_worker(key: str, kind: str, seed: int, quick: bool = False) -> dict:
    """`train_recipe` in a fresh Python process (its own memory, nothing cached)."""
    command = [sys.executable, "-m", "tools.bench", "--worker", key, kind, str(seed)]
    done = subprocess.run(command + (["--quick"] if quick else []), capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parent.parent)  # where `tools` imports
    if done.returncode:
        raise RuntimeError(f"training {key} by the {kind} recipe failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _time_to(target: float, curve: list) -> float | None:
    """Training seconds until the test accuracy first reached `target` (None: never)."""
    return next((s for s, acc in curve if acc >= target), None)


def bench_training(key: str, repeats: int, quick: bool) -> list[dict]:
    """Rows for one network: the classic recipe once, digitlab's `repeats` times."""
    network, target_acc, target_s = TRAINING[key]
    rows = []
    for kind, seeds in (("classic", [0]), ("digitlab", range(repeats))):
        runs = [run_training(key, kind, seed, quick) for seed in seeds]
        reach = [_time_to(target_acc, r["curve"]) for r in runs]
        row = {"name": key, "network": network, "recipe": kind,
               "description": runs[0]["description"], "runs": runs,
               "seconds": statistics.median(r["seconds"] for r in runs),
               "accuracy": statistics.median(r["accuracy"] for r in runs),
               "accuracy_range": [min(r["accuracy"] for r in runs),
                                  max(r["accuracy"] for r in runs)],
               # a run that never reached the target counts as infinitely slow; None: never
               "seconds_to_target": _finite(statistics.median(
                   t if t is not None else math.inf for t in reach)),
               "peak_memory_mb": max((r["peak_memory_mb"] or 0) for r in runs) or None,
               "target_accuracy": target_acc, "target_s": target_s}
        # the targets are digitlab's to meet; a classic recipe is the reference beside it
        row["met"] = (row["accuracy"] >= target_acc and row["seconds"] <= target_s
                      if kind == "digitlab" else None)
        rows.append(row)
        print(_training_line(row), flush=True)
    return rows


def _finite(x: float) -> float | None:
    return None if math.isinf(x) else x


TRAINING_HEADER = ("| network | recipe | runs | training time | time to target | test accuracy "
                   "| peak memory | target | met |\n|---|---|---|---|---|---|---|---|---|")
TIMING_HEADER = "| benchmark | median | p95 | target | met |\n|---|---|---|---|---|"


def _training_line(row: dict) -> str:
    lo, hi = row["accuracy_range"]
    spread = f" ({lo:.2%}–{hi:.2%})" if len(row["runs"]) > 1 else ""
    reach = _finite(row["seconds_to_target"] or math.inf)  # older files hold Infinity
    memory = f"{row['peak_memory_mb']:,.0f} MB" if row["peak_memory_mb"] else "n/a"
    met = "reference" if row["recipe"] == "classic" else ("yes" if row["met"] else "**no**")
    return (f"| {row['network']} | {row['recipe']}: {row['description']} | {len(row['runs'])} "
            f"| {row['seconds']:.1f} s | {'never' if reach is None else f'{reach:.1f} s'} "
            f"| {row['accuracy']:.2%}{spread} | {memory} "
            f"| ≥ {row['target_accuracy']:.1%} in ≤ {row['target_s']} s | {met} |")


def plot_training(rows: list[dict], path: Path) -> None:
    """Test accuracy against training time, one panel per network, every run drawn."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    networks = list(dict.fromkeys(r["network"] for r in rows))
    fig, axes = plt.subplots(1, len(networks), figsize=(4.5 * len(networks), 4.4), squeeze=False)
    for ax, network in zip(axes[0], networks, strict=True):
        mine = [r for r in rows if r["network"] == network]
        for row in mine:
            style = "--" if row["recipe"] == "classic" else "-"
            for i, run in enumerate(row["runs"]):
                seconds, accs = zip(*run["curve"], strict=True)
                ax.plot(seconds, accs, style + "o", ms=3, color="C0" if style == "-" else "C3",
                        alpha=0.8, label=row["recipe"] if i == 0 else None)
        ax.axhline(row["target_accuracy"], color="grey", lw=1, label="target accuracy")
        ax.axvline(row["target_s"], color="grey", lw=1, ls=":", label="target time")
        # low enough to show where every run ended, high enough to tell the best apart
        low = min(row["target_accuracy"] - 0.05, *(r["accuracy"] - 0.01 for r in mine))
        ax.set(title=network, xlabel="training seconds", ylabel="test accuracy",
               ylim=(max(low, 0.85), 1.0))
        ax.grid(alpha=0.3)
    fig.legend(*axes[0][0].get_legend_handles_labels(), loc="lower center", ncol=4)
    fig.suptitle("Test accuracy against training time: classic recipes and digitlab's")
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    fig.savefig(path, dpi=100)
    plt.close(fig)


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


def _memory_line(training: list[dict]) -> str | None:
    lenet = next((r for r in training if (r["network"], r["recipe"]) == ("LeNet", "digitlab")),
                 None)
    if not (lenet and lenet["peak_memory_mb"]):
        return None
    ok = lenet["peak_memory_mb"] <= LENET_MEMORY_TARGET_MB
    return (f"peak memory training LeNet (digitlab's recipe): {lenet['peak_memory_mb']:,.0f} MB, "
            f"target ≤ {LENET_MEMORY_TARGET_MB:,} MB: {'met' if ok else '**not met**'}")


def show(path: Path) -> None:
    """Print the tables of a saved run again (e.g. for docs/results.md)."""
    saved = json.loads(path.read_text())
    machine = saved["machine"]
    cpu = machine["processor"] or machine["machine"]
    print(f"{machine['date']}, {machine.get('cpus', '?')} CPUs, {cpu}, Python {machine['python']}"
          f"{' (quick mode)' if saved['quick'] else ''}\n")
    if saved["results"]:
        print("\n".join([TIMING_HEADER, *map(_timing_line, saved["results"])]) + "\n")
    if saved.get("reader"):
        print(bench_reader.table(saved["reader"]) + "\n")
    if saved["training"]:
        print("\n".join([TRAINING_HEADER, *map(_training_line, saved["training"])]))
        memory = _memory_line(saved["training"])
        print(f"\n{memory}" if memory else "")


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
    p.add_argument("--worker", nargs=3, metavar=("KEY", "KIND", "SEED"),
                   help=argparse.SUPPRESS)  # one training run, in its own process
    args = p.parse_args(argv)
    if args.worker:
        key, kind, seed = args.worker
        print(json.dumps(train_recipe(key, kind, int(seed), args.quick)))
        return 0
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
        print("\n" + TRAINING_HEADER, flush=True)
    for name in (n for n in TRAINING if n in chosen):
        training += bench_training(name, repeats, args.quick)
    memory = _memory_line(training)
    if memory:
        print("\n" + memory)

    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"machine": _machine(), "quick": args.quick,
                                     "results": timings, "reader": reader,
                                     "training": training}, indent=2))
    print(f"\nsaved {args.json}")
    if training:
        plot_training(training, args.json.with_suffix(".png"))
        print(f"saved {args.json.with_suffix('.png')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
