"""Each network trained from scratch by the classic tutorial's recipe (`CLASSIC`, the
tutorials' own, kept here) and by digitlab's (`digitlab.recipes.RECIPES`), for `tools.bench`.

Each run trains in a fresh Python process (`python -m tools.bench_training --worker`), so its
peak memory is its own; after every epoch (for recipes counted in steps, at every tenth of the
run) the test accuracy is taken, off the clock. digitlab's recipes run several times with seeds
0, 1, ... and the table gives medians; the classic ones, which take far longer, run once.
"""

from __future__ import annotations

import dataclasses
import json
import math
import statistics
import subprocess
import sys
import time
from pathlib import Path

from digitlab import models
from digitlab.recipes import RECIPES, Recipe
from tools.run_lessons import peak_memory_mb

TRAINING = {  # recipe key -> (the table's row, target test accuracy, target seconds of training)
    "raw_mlp": ("raw MLP", 0.98, 20),
    "mlp": ("Keras MLP", 0.98, 20),
    "lenet": ("LeNet", 0.99, 45),
    "deep_cnn": ("deep CNN", 0.994, 360),
}
LENET_MEMORY_TARGET_MB = 2048
LENET_SPEEDUP_TARGET = 3.5  # digitlab's LeNet reaches its target this many times sooner


# The classic tutorials' recipes, the reference each of digitlab's is timed against (Keras runs
# them as the tutorials did, one batch per call into TensorFlow).
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
    command = [sys.executable, "-m", "tools.bench_training", "--worker", key, kind, str(seed)]
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


def _memory_line(training: list[dict]) -> str | None:
    lenet = next((r for r in training if (r["network"], r["recipe"]) == ("LeNet", "digitlab")),
                 None)
    if not (lenet and lenet["peak_memory_mb"]):
        return None
    ok = lenet["peak_memory_mb"] <= LENET_MEMORY_TARGET_MB
    return (f"peak memory training LeNet (digitlab's recipe): {lenet['peak_memory_mb']:,.0f} MB, "
            f"target ≤ {LENET_MEMORY_TARGET_MB:,} MB: {'met' if ok else '**not met**'}")


def table(rows: list[dict]) -> str:
    """The training rows as a Markdown table, with LeNet's memory and speed-up under it."""
    under = [line for line in (_memory_line(rows), _speedup_line(rows)) if line]
    return "\n".join([TRAINING_HEADER, *map(_training_line, rows)]) + "".join(
        f"\n\n{line}" for line in under)


def _speedup_line(rows: list[dict]) -> str | None:
    """How many times sooner digitlab's LeNet reaches the target accuracy than the classic."""
    lenet = {r["recipe"]: r["seconds_to_target"] for r in rows if r["network"] == "LeNet"}
    if not (lenet.get("classic") and lenet.get("digitlab")):
        return None
    times = lenet["classic"] / lenet["digitlab"]
    ok = times >= LENET_SPEEDUP_TARGET
    return (f"LeNet reaches its target accuracy {times:.1f} times sooner by digitlab's recipe "
            f"than by the classic one, target {LENET_SPEEDUP_TARGET} times: "
            f"{'met' if ok else '**not met**'}")


def main(argv: list[str] | None = None) -> int:
    """`--worker KEY KIND SEED [--quick]`: one training run, its row printed as JSON."""
    args = argv if argv is not None else sys.argv[1:]
    if len(args) < 4 or args[0] != "--worker":
        print(__doc__, file=sys.stderr)
        return 2
    key, kind, seed = args[1:4]
    print(json.dumps(train_recipe(key, kind, int(seed), "--quick" in args)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
