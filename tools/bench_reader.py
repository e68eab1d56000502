"""`python -m tools.bench_reader` (and `tools.bench`'s reader section): what a user waits for
and how much memory a fresh `digitlab predict` takes, each run in its own process as a user
runs it, beside the path it replaced (the Keras ensemble on TensorFlow, `--model` with the same
three networks in one `.keras` file).

The pictures are drawn from digitlab's stroke templates on grey paper with noise: a 12 MP phone
JPEG of one digit and of a row of ten, a 40 MP PNG of one digit, and a folder of 1,000 small
photos; and a busy page of 300 black blocks. Rates over a folder are taken after start-up:
(1,000 - 1) pictures over the time 1,000 took less the time one took.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from digitlab.strokes import TEMPLATES, render

# (the row's text, what it measures, the unit, target, whether more is better)
ROWS = [
    ("photo_s", "fresh `predict` on a 12 MP JPEG of one digit", "s", 0.5, False),
    ("photo_mb", "... its peak memory", "MB", 150, False),
    ("folder_rate", "a folder of 1,000 photos, after start-up", "pictures/s", 200, True),
    ("number_s", "fresh `predict --number` on a 12 MP JPEG of ten digits", "s", 1.0, False),
    ("busy_s", "fresh `predict --number` on a busy page (300 blocks)", "s", 2.0, False),
    ("png40_s", "fresh `predict` on a 40 MP PNG of one digit", "s", 2.0, False),
    ("png40_mb", "... its memory above a small picture's", "MB", 300, False),
    ("jpeg12_mb", "... and a 12 MP JPEG's above a small picture's", "MB", 300, False),
]


def digit_ink(digit: int, side: int, width: float) -> np.ndarray:
    """A template digit as ink amounts in [0, 1], side x side."""
    return render([[(side * x, side * y) for x, y in stroke] for stroke in TEMPLATES[digit]],
                  side, width)


def photo(ink: np.ndarray, size: tuple[int, int], seed: int = 0) -> Image.Image:
    """`ink` centred on a size[0] x size[1] page of grey paper with a little noise."""
    rng = np.random.default_rng(seed)
    page = np.full(size[::-1], 0.82, np.float32)
    top, left = (size[1] - ink.shape[0]) // 2, (size[0] - ink.shape[1]) // 2
    page[top:top + ink.shape[0], left:left + ink.shape[1]] -= 0.7 * ink
    page += rng.normal(0, 0.02, (size[1] // 8 + 1, size[0] // 8 + 1)).repeat(8, 0).repeat(
        8, 1)[:size[1], :size[0]].astype(np.float32)
    return Image.fromarray(np.clip(page * 255, 0, 255).astype(np.uint8)).convert("RGB")


def make_pictures(folder: Path, count: int) -> dict[str, Path]:
    """The benchmark's pictures, written into `folder`."""
    rows = np.concatenate([digit_ink(d, 300, 22) for d in range(10)], axis=1)
    pictures = {"small": (photo(digit_ink(7, 120, 10), (200, 200)), "png"),
                "jpeg12": (photo(digit_ink(7, 1500, 90), (4000, 3000)), "jpg"),
                "row12": (photo(rows, (4000, 3000)), "jpg"),
                "png40": (photo(digit_ink(3, 2500, 150), (7300, 5480)), "png")}
    rng, busy = np.random.default_rng(0), np.full((600, 800), 235, np.uint8)
    for _ in range(300):  # blocks of 4-13 pixels, anywhere: hundreds of pieces to weigh
        x, y, size = rng.integers(0, 790), rng.integers(0, 590), rng.integers(4, 14)
        busy[y:y + size + 1, x:x + size + 1] = 20
    pictures["busy"] = (Image.fromarray(busy), "png")
    paths = {}
    for name, (image, ext) in pictures.items():
        paths[name] = folder / f"{name}.{ext}"
        image.save(paths[name], quality=90) if ext == "jpg" else image.save(paths[name])
    many = folder / "many"
    many.mkdir()
    for i in range(count):
        photo(digit_ink(i % 10, 120, 10 + i % 5), (200, 200), seed=i).save(many / f"{i:04}.png")
    return paths


# `digitlab predict` that writes its peak resident memory (VmHWM, kB) to stderr as it exits.
# Not the child's ru_maxrss: Linux carries the parent's size at fork through exec into it.
PEAK = """import atexit, re, runpy, sys
def peak():
    status = open("/proc/self/status").read()
    sys.stderr.write("\\npeak_kb " + re.search(r"VmHWM:\\s*(\\d+)", status).group(1) + "\\n")
atexit.register(peak)
sys.argv = ["digitlab", "predict", *sys.argv[1:]]
runpy.run_module("digitlab", run_name="__main__")
"""


def run_fresh(args: list[str]) -> tuple[float, float]:
    """(wall seconds, peak resident MB) of a fresh `digitlab predict ARGS` (Linux)."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", PEAK, *args], capture_output=True, text=True,
                          check=False)
    wall = time.perf_counter() - start
    if done.returncode not in (0, 1):  # 1: a digit read as "?" is still a reading
        raise RuntimeError(f"digitlab predict {' '.join(args[:3])}: {done.stderr[-2000:]}")
    return wall, int(done.stderr.rsplit("peak_kb ", 1)[1]) / 1024


def measure(paths: dict[str, Path], model: list[str], repeats: int) -> dict[str, float]:
    """Each row's figure for one way of reading (`model`: the extra arguments), the best of
    `repeats` runs (the least disturbed by the rest of the machine)."""
    def best(args):
        runs = [run_fresh([*model, *args]) for _ in range(repeats)]
        return min(r[0] for r in runs), min(r[1] for r in runs)

    small_s, small_mb = best([str(paths["small"])])
    photo_s, photo_mb = best([str(paths["jpeg12"])])
    many = sorted(str(p) for p in (paths["small"].parent / "many").iterdir())
    folder_s, _ = best(many)
    png40_s, png40_mb = best([str(paths["png40"])])
    return {"photo_s": photo_s, "photo_mb": photo_mb,
            "folder_rate": (len(many) - 1) / max(folder_s - small_s, 1e-9),
            "number_s": best(["--number", str(paths["row12"])])[0],
            "busy_s": best(["--number", str(paths["busy"])])[0],
            "png40_s": png40_s, "png40_mb": png40_mb - small_mb,
            "jpeg12_mb": photo_mb - small_mb}


def keras_ensemble(folder: Path) -> Path:
    """The shipped ensemble as one `.keras` file, for the path LiteRT replaced."""
    from digitlab import pretrained, saving, start_tensorflow

    start_tensorflow()
    return saving.save(pretrained.load(), folder / "ensemble.keras")


def bench(repeats: int = 3, count: int = 1000, before: bool = True) -> list[dict]:
    """Every row, for LiteRT and (`before`) for TensorFlow, printed as a Markdown table."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        paths = make_pictures(folder, count)
        now = measure(paths, [], repeats)
        old = (measure(paths, ["--model", str(keras_ensemble(folder))], repeats) if before
               else dict.fromkeys(now, float("nan")))
    rows = [{"name": key, "what": what, "unit": unit, "before": old[key], "now": now[key],
             "target": target, "more_is_better": more_better,
             "met": bool(now[key] >= target if more_better else now[key] <= target)}
            for key, what, unit, target, more_better in ROWS]
    print(table(rows), flush=True)
    return rows


def table(rows: list[dict]) -> str:
    """The rows as a Markdown table."""
    lines = ["| reading | before: TensorFlow, Keras | now: LiteRT | target | met |",
             "|---|---|---|---|---|"]
    for row in rows:
        digits = 2 if row["unit"] == "s" else 0
        sign = "≥" if row["more_is_better"] else "≤"
        before, now = (round(row[k], digits) + 0.0 for k in ("before", "now"))  # no "-0"
        lines.append(f"| {row['what']} | {before:,.{digits}f} {row['unit']} | "
                     f"{now:,.{digits}f} {row['unit']} | {sign} {row['target']:,} "
                     f"{row['unit']} | {'yes' if row['met'] else '**no**'} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m tools.bench_reader", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--repeats", type=int, default=3, help="runs of each (default 3: the best)")
    p.add_argument("--count", type=int, default=1000, help="photos in the folder (default 1,000)")
    args = p.parse_args(argv)
    bench(args.repeats, args.count)
    return 0


if __name__ == "__main__":
    sys.exit(main())
