"""`python -m tools.train_shipped`: retrain the networks of the model that ships in digitlab.

The shipped model averages the probabilities of two networks, a LeNet and a deep CNN, each trained
by its recipe in `digitlab.recipes.SHIPPED` on MNIST's training images less the 5,000 validation
digits and on digits drawn in handwriting fonts (`handwriting.TRAINING_FONTS`, which need the
Debian font packages `.ci/run` lists). Same seed, same machine: same weights. Each network goes to
its file in `digitlab/weights/` with a card (`.json`) that records the recipe, the data's
checksums, the test accuracy, the date and the machine. `--network N` trains one alone.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

from digitlab import data, pretrained, recipes, saving, training
from digitlab._tf import keras
from digitlab.config import is_quick, pick
from tools import handwriting

FONT_DIGITS = 200  # drawings of each digit in each training font
DATA = ("MNIST's training images less the 5,000 that data.split(seed=0) holds out for "
        "validation, with {n} renderings of each digit in each of handwriting.TRAINING_FONTS; "
        "tested on MNIST's 10,000 test images")


def train(out: Path, network: str, epochs: int | None = None,
          font_digits: int = FONT_DIGITS) -> dict:
    """Train `network` by its shipped recipe, save it and its card to `out`; return the card."""
    recipe = recipes.SHIPPED[network]
    epochs = epochs or pick(full=recipe.epochs, quick=2)  # quick mode: a smoke test
    (x_all, y_all), (x_test, y_test) = data.load_mnist()
    (x, y), _ = data.split(x_all, y_all)
    missing_fonts = []
    if font_digits:
        x_fonts, y_fonts, missing_fonts = handwriting.training_font_digits(
            1 if is_quick() else font_digits)
        if missing_fonts:
            print(f"fonts not installed, so not trained on: {' '.join(missing_fonts)}")
        x, y = np.concatenate([x, x_fonts]), np.concatenate([y, y_fonts])
    if is_quick():  # a quick subset, mixed from every part
        mixed = np.random.default_rng(0).permutation(len(x))
        x, y = training.quick_subset(x[mixed], y[mixed])
    training.set_seed(0)
    model = recipe.build()
    result = recipes.fit(recipe, model, (x, y), epochs=epochs, seed=0)
    card = {
        "recipe": {"network": recipe.description, "data": DATA.format(n=font_digits),
                   "batch_size": recipe.batch_size, "epochs": len(result.history["loss"]),
                   "peak_lr": recipe.peak_lr, "seed": 0, "font_digits": font_digits,
                   "fonts_missing": missing_fonts, "training_images": len(x)},
        "test_accuracy": training.accuracy(model, x_test, y_test),
        "training_seconds": round(result.seconds, 1),
        "data_sha256": {name: checksum for name, (checksum, _) in data.FILES.items()},
        "date": time.strftime("%Y-%m-%d"),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python "
                   f"{platform.python_version()}",
        "software": {"tensorflow": __import__("tensorflow").__version__,
                     "keras": keras.__version__},
    }
    # Ship the weights without the optimiser's state, which would triple the file: an uncompiled
    # copy (keras.models.clone_model would compile the clone with the same optimiser).
    slim = recipe.build()
    slim.set_weights(model.get_weights())
    saving.save(slim, out, overwrite=True)
    out.with_suffix(".json").write_text(json.dumps(card, indent=2) + "\n")
    return card


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m tools.train_shipped", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--network", choices=sorted(pretrained.MEMBERS),
                   help="train this network alone (default: every member of the ensemble)")
    p.add_argument("--out", type=Path,
                   help="where --network's model goes (default: its file in the package)")
    p.add_argument("--epochs", type=int, help="default: the recipe's")
    p.add_argument("--font-digits", type=int, default=FONT_DIGITS, metavar="N",
                   help=f"renderings of each digit in each training font (default {FONT_DIGITS}"
                        ", 0: none)")
    args = p.parse_args(argv)
    if args.network is None and args.out is not None:
        p.error("--out needs --network: the ensemble's members go to their files in the package")
    jobs = {args.network: args.out or pretrained.MEMBERS[args.network]} if args.network \
        else pretrained.MEMBERS
    for network, out in jobs.items():
        card = train(out, network, args.epochs, args.font_digits)
        print(f"saved {out}: test accuracy {card['test_accuracy']:.2%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
