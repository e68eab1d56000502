"""`python -m tools.conditions`: MNIST digits pictured the ways students picture digits.

Each capture condition renders a 28x28 MNIST digit as a picture a student might hand in: cropped
edge to edge, drawn with a one-pixel pencil in a paint program, faint, light on dark, on tinted,
lined or squared paper, small on a large page, rotated, blurred, noisy, squeezed by JPEG, in
uneven light, with a thick marker... The command reads every condition's pictures through
digitlab's preprocessing and the shipped model, and prints the share read right and the share
called blank. The preprocessing is tuned on pictures of the 5,000 validation digits
(`--split validation`); docs/results.md reports the test digits, which tuning never sees.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

from digitlab import predict
from tools.captures import CONDITIONS, Render

FLOOR, MEAN_FLOOR, BLANK_CEILING = 0.97, 0.985, 0.005  # every condition, their mean, blanks


def split_digits(split: str) -> tuple[np.ndarray, np.ndarray]:
    """MNIST's test digits ("test"), or the 5,000 validation digits that training never sees
    ("validation", `data.split`'s)."""
    from digitlab import data

    (x_train, y_train), test = data.load_mnist()
    return test if split == "test" else data.split(x_train, y_train)[1]


def sample(total: int, count: int, fresh: bool = False) -> np.ndarray:
    """Which `count` of `total` digits a run reads (seed 0), or with `fresh` as many others."""
    chosen = np.random.default_rng(0).choice(total, min(count, total), replace=False)
    if fresh:
        rest = np.setdiff1d(np.arange(total), chosen)
        chosen = np.random.default_rng(1).choice(rest, min(count, len(rest)), replace=False)
    return chosen


def measure(model, digits: np.ndarray, labels: np.ndarray,
            conditions: dict[str, Render] = CONDITIONS, seed: int = 0) -> list[dict]:
    """Per condition: the share of the digits read right, and the share called blank."""
    from tqdm.auto import tqdm

    rows = []
    for name, render in tqdm(conditions.items(), desc="conditions", unit="condition"):
        rng = np.random.default_rng(seed)
        read = predict.predict_each(model, (render(digit, rng) for digit in digits))
        guesses = np.array([-1 if r is None else r.digit for r in read])
        rows.append({"condition": name, "pictures": len(digits),
                     "accuracy": float(np.mean(guesses == labels)),
                     "blank": float(np.mean([r is None for r in read]))})
    return rows


def examples(digit: np.ndarray, conditions: dict[str, Render] = CONDITIONS, seed: int = 0):
    """A figure of one digit under every condition, as the picture a student would hand in."""
    import matplotlib.pyplot as plt

    columns = 7
    fig, axes = plt.subplots(-(-len(conditions) // columns), columns,
                             figsize=(2 * columns, 2.3 * -(-len(conditions) // columns)))
    for ax in axes.ravel():
        ax.axis("off")
    for ax, (name, render) in zip(axes.ravel(), conditions.items(), strict=False):
        picture = render(digit, np.random.default_rng(seed))
        shown = np.asarray(picture) if isinstance(picture, Image.Image) else picture
        if shown.dtype != np.uint8:
            shown = np.clip(shown, 0, 1)
        ax.imshow(shown, cmap="gray", vmin=0, vmax=255 if shown.dtype == np.uint8 else 1)
        ax.set_title(f"{name}\n{shown.shape[1]}x{shown.shape[0]} px", fontsize=8)
    fig.suptitle("One MNIST test digit under every capture condition (large pictures shown "
                 "shrunk)")
    fig.tight_layout()
    return fig


def floors_met(saved: dict) -> bool:
    """Whether every condition reads `FLOOR` and calls at most `BLANK_CEILING` blank, and the
    mean reads `MEAN_FLOOR`."""
    return saved["mean"] >= MEAN_FLOOR and all(
        row["accuracy"] >= FLOOR and row["blank"] <= BLANK_CEILING for row in saved["rows"])


def table(saved: dict, *others: dict) -> str:
    """A saved run as a Markdown table; `others` (runs on other digits) as columns beside it."""
    def name(run: dict) -> str:
        return "fresh test digits" if run.get("fresh") else f"{run['split']} digits"

    lines = [f"| condition | {name(saved)} | called blank |"
             + "".join(f" {name(o)} |" for o in others), "|---|---|---|" + "---|" * len(others)]
    for i, row in enumerate(saved["rows"]):
        lines.append(f"| {row['condition']} | {row['accuracy']:.1%} | {row['blank']:.1%} |"
                     + "".join(f" {o['rows'][i]['accuracy']:.1%} |" for o in others))
    lines.append(f"| **mean** | **{saved['mean']:.2%}** | |"
                 + "".join(f" {o['mean']:.2%} |" for o in others))
    return "\n".join(lines) + (
        f"\n\nFloors ({FLOOR:.0%} each, at most {BLANK_CEILING:.1%} called blank, mean "
        f"{MEAN_FLOOR:.1%}): {'met' if floors_met(saved) else '**not met**'}.")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m tools.conditions", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--split", choices=["test", "validation"], default="test",
                   help="MNIST's test digits (to report) or the validation digits (to tune on)")
    p.add_argument("--count", type=int, default=1000, help="digits per condition (default 1000)")
    p.add_argument("--fresh", action="store_true",
                   help="read other digits than the default run does: a check on digits that "
                        "no earlier run has seen")
    p.add_argument("--model", help="a .keras model (default: the one digitlab ships)")
    p.add_argument("--json", type=Path, default=None,
                   help="default: bench-results/conditions-SPLIT[-fresh].json")
    p.add_argument("--figure", type=Path, default=None,
                   help="also save a picture of one digit under every condition here")
    args = p.parse_args(argv)
    from digitlab import pretrained

    digits, labels = split_digits(args.split)
    chosen = sample(len(digits), args.count, args.fresh)
    digits, labels = digits[chosen], labels[chosen]
    model = pretrained.load(args.model)
    print(f"{len(digits):,} {args.split} digits per condition"
          f"{', none of those the default run reads' * args.fresh}\n")
    rows = measure(model, digits, labels)
    saved = {"date": time.strftime("%Y-%m-%d"), "split": args.split, "fresh": args.fresh,
             "count": len(digits), "rows": rows,
             "mean": float(np.mean([row["accuracy"] for row in rows]))}
    print(table(saved))
    out = args.json or Path(f"bench-results/conditions-{args.split}{'-fresh' * args.fresh}.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(saved, indent=2))
    if args.figure:
        examples(digits[0]).savefig(args.figure, dpi=80)
    return 0 if floors_met(saved) else 1


if __name__ == "__main__":
    sys.exit(main())
