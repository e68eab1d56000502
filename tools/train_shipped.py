"""`python -m tools.train_shipped`: retrain the networks that ship in digitlab.

The shipped model averages the probabilities of three networks, a LeNet, a deep CNN and a
VGG-style network, each trained by its recipe in `digitlab.recipes.SHIPPED` on MNIST's training
images less the 5,000 validation digits and on digits drawn in handwriting fonts
(`handwriting.TRAINING_FONTS`, which need the Debian font packages `.ci/run` lists). A fourth
network, `one_digit` (`recipes.ONE_DIGIT`), tells the number reader whether a piece of ink it cut
is one whole digit; it learns from the pieces `tools.pieces` cuts from numbers of the same
training digits. A fifth, `pair` (`recipes.PAIR`), reads a piece as two touching digits; it
learns from the pieces `tools.pairs` makes the same way. Same seed, same machine: same weights.
Each network goes to its file in `digitlab/weights/` with a card (`.json`) that records the
recipe, the data's checksums, its accuracy, the date and the machine. `--network N` trains one
alone.
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
PIECE_NUMBERS = 20_000  # numbers of training digits whose pieces one_digit learns from
# Each kind of number it learns from: how many, as a share of those, and `pieces.make`'s mixed,
# lengths and thin. Besides plain numbers: digits of mixed sizes; one digit alone on its page (a
# lone digit, judged at its own size, is whole); drawn with a 1-pixel pencil (its broken,
# hair-thin strokes were judged no whole digit: lone pencil pages read 180 of 200 to plain
# `predict`'s 196).
KINDS = {"plain": (1.0, False, (2, 6), False), "mixed": (0.35, True, (2, 6), False),
         "alone": (0.4, False, (1, 1), False), "pencil": (0.25, False, (1, 6), True)}
PAIR_NUMBERS = 60_000  # numbers of training digits whose pieces the pair network learns from
# As KINDS, for the pair network: touching digits are most often in plain numbers; it learns to
# answer "not two digits" for a digit of mixed sizes, drawn with a pencil, or alone on its page
# too (without lone digits, 4 of 5,200 lone validation digits read as two, wrong and sure).
PAIR_KINDS = {"plain": (1.0, False, (2, 6), False), "mixed": (0.2, True, (2, 6), False),
              "pencil": (0.15, False, (2, 6), True), "alone": (0.15, False, (1, 1), False)}
PAIRS = ("the pieces tools.pairs makes from {n} numbers of 2-6 of MNIST's training digits less "
         "the 5,000 validation digits, {mixed} more in digits of mixed sizes, {pencil} drawn "
         "with a 1-pixel pencil and {alone} of one digit alone: two neighbouring digits (label "
         "10 x left + right) or not (100); held out: the pieces of {held} numbers of the "
         "validation digits")
CHUNKS = 20  # made in this many seeded chunks: the same pieces however many CPUs share them
PIECES = ("the pieces tools.pieces cuts from {n} numbers of 2-6 of MNIST's training digits less "
          "the 5,000 validation digits, {mixed} more in digits of mixed sizes, {alone} of one "
          "digit alone and {pencil} of 1-6 digits drawn with a 1-pixel pencil, one whole digit "
          "(label 1) or not (0), whole digits repeated {k} times to make a third; held out: the "
          "pieces of {held} numbers of the validation digits, and of as many of each other kind")


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
    card = _card(recipe, result, DATA.format(n=font_digits), font_digits=font_digits,
                 fonts_missing=missing_fonts, training_images=len(x))
    card["test_accuracy"] = training.accuracy(model, x_test, y_test)
    return _ship(model, recipe, card, out)


def _made(make, kinds: dict, count: int, source: tuple, held: list[tuple]):
    """`make`'s pieces of `count` numbers of the digits in `source` and of `kinds`' shares as
    many of each other kind, in `CHUNKS` seeded chunks a kind (seeds k * CHUNKS + i for the k-th),
    and of each `held` job, shared among the CPUs: how many numbers of each kind, the chunks,
    and the held-out sets."""
    from concurrent.futures import ProcessPoolExecutor

    sizes = {kind: round(share * count) for kind, (share, *_) in kinds.items()}
    jobs = [(*source, n // CHUNKS + (i < n % CHUNKS), k * CHUNKS + i, *kinds[kind][1:])
            for k, (kind, n) in enumerate(sizes.items()) for i in range(CHUNKS)]
    with ProcessPoolExecutor(os.cpu_count() or 1) as pool:
        made = list(pool.map(make, *zip(*jobs, *held, strict=True)))
    return sizes, made[:len(jobs)], made[len(jobs):]


def train_one_digit(out: Path, epochs: int | None = None, count: int = PIECE_NUMBERS) -> dict:
    """Train the one-digit network on the pieces of `count` numbers and of `KINDS`' shares as
    many of each other kind, save it and its card to `out`; return the card."""
    from tools import pieces

    recipe = recipes.ONE_DIGIT
    epochs = epochs or pick(full=recipe.epochs, quick=1)
    held = pick(full=1000, quick=20)  # numbers of validation digits whose pieces it is tried on
    (x_all, y_all), _ = data.load_mnist()
    (digits, _), (held_digits, _) = data.split(x_all, y_all)
    # seeds 0-19 plain, 20-39 mixed, 40-59 alone, 60-79 pencil; the held-out pieces' 10**6 on
    sizes, chunks, held_sets = _made(pieces.make, KINDS, count, (digits,), [
        (held_digits, held, 10**6 + k, *style) for k, (_, *style) in enumerate(KINDS.values())])
    held_out = dict(zip(KINDS, held_sets, strict=True))
    x = np.concatenate([c[0] for c in chunks])
    y = np.concatenate([c[1] for c in chunks])
    repeat = max(1, round(0.5 * (y == 0).sum() / max((y == 1).sum(), 1)))  # wholes a third
    x = np.concatenate([x, *[x[y == 1]] * (repeat - 1)])
    y = np.concatenate([y, *[y[y == 1]] * (repeat - 1)])
    training.set_seed(0)
    model = recipe.build()
    result = recipes.fit(recipe, model, (x, y), epochs=epochs, seed=0)
    card = _card(recipe, result, PIECES.format(n=count, **sizes, k=repeat, held=held),
                 training_images=len(x))
    card["held_out"] = {}
    for kind, (x_held, y_held) in held_out.items():  # plain first: its figures are the card's own
        whole = keras.ops.convert_to_numpy(model(data.scale(x_held), training=False))[:, 1] >= 0.5
        figures = {"pieces": len(y_held), "accuracy": float(np.mean(whole == y_held)),
                   "wholes_passed": float(whole[y_held == 1].mean()),
                   "others_passed": float(whole[y_held == 0].mean())}
        if kind == "plain":
            card["held_out"].update(figures)
        else:
            card["held_out"][kind] = figures
    return _ship(model, recipe, card, out)


def train_pair(out: Path, epochs: int | None = None, count: int = PAIR_NUMBERS) -> dict:
    """Train the pair network on the pieces `tools.pairs` makes from `count` numbers and
    `PAIR_KINDS`' shares as many of each other kind, save it and its card to `out`; return the
    card."""
    from tools import pairs

    recipe = recipes.PAIR
    epochs = epochs or pick(full=recipe.epochs, quick=1)
    held = pick(full=2000, quick=20)  # numbers of validation digits whose pieces it is tried on
    (x_all, y_all), _ = data.load_mnist()
    (digits, labels), (held_digits, held_labels) = data.split(x_all, y_all)
    sizes, chunks, [(x_held, y_held)] = _made(pairs.make, PAIR_KINDS, count, (digits, labels), [
        (held_digits, held_labels, held, 10**6, *PAIR_KINDS["plain"][1:])])
    x = np.concatenate([c[0] for c in chunks])
    y = np.concatenate([c[1] for c in chunks])
    training.set_seed(0)
    model = recipe.build()
    result = recipes.fit(recipe, model, (x, y), epochs=epochs, seed=0)
    card = _card(recipe, result, PAIRS.format(n=count, **sizes, held=held),
                 training_images=len(x))
    read = keras.ops.convert_to_numpy(model(data.scale(x_held), training=False)).argmax(1)
    two = y_held != pairs.NOT_A_PAIR
    card["held_out"] = {"pieces": len(y_held), "pairs": int(two.sum()),
                        "accuracy": float(np.mean(read == y_held)),
                        "pairs_read_right": float(np.mean(read[two] == y_held[two])),
                        "others_read_as_two": float(np.mean(read[~two] != pairs.NOT_A_PAIR))}
    return _ship(model, recipe, card, out)


def _card(recipe: recipes.Recipe, result: training.Result, source: str, **facts) -> dict:
    """A network's card: its recipe and data, how long it trained, where and with what."""
    return {
        "recipe": {"network": recipe.description, "data": source,
                   "batch_size": recipe.batch_size, "epochs": len(result.history["loss"]),
                   "peak_lr": recipe.peak_lr, "seed": 0, **facts},
        "training_seconds": round(result.seconds, 1),
        "data_sha256": {name: checksum for name, (checksum, _) in data.FILES.items()},
        "date": time.strftime("%Y-%m-%d"),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python "
                   f"{platform.python_version()}",
        "software": {"tensorflow": __import__("tensorflow").__version__,
                     "keras": keras.__version__},
    }


def _ship(model, recipe: recipes.Recipe, card: dict, out: Path) -> dict:
    """Save `model` to `out` without its optimiser's state, which would triple the file (an
    uncompiled copy: keras.models.clone_model would compile the clone with the same
    optimiser), and its card beside it; return the card."""
    slim = recipe.build()
    slim.set_weights(model.get_weights())
    saving.save(slim, out, overwrite=True)
    out.with_suffix(".json").write_text(json.dumps(card, indent=2) + "\n")
    return card


def shipped() -> dict[str, Path]:
    """Each shipped network's `.keras` file, by name (looked up when asked, not at import)."""
    return {**pretrained.MEMBERS, "one_digit": pretrained.ONE_DIGIT, "pair": pretrained.PAIR}


def export_lite() -> list[Path]:
    """Write the reader's TFLite files from the shipped `.keras` files, one per network."""
    sources = shipped()
    for name, source in sources.items():
        saving.save_tflite(saving.load(source), pretrained.LITE[name], overwrite=True)
    return [pretrained.LITE[name] for name in sources]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m tools.train_shipped", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    files = shipped()
    p.add_argument("--network", choices=sorted(files),
                   help="train this network alone (default: all five)")
    p.add_argument("--out", type=Path,
                   help="where --network's model goes (default: its file in the package)")
    p.add_argument("--epochs", type=int, help="default: the recipe's")
    p.add_argument("--font-digits", type=int, default=FONT_DIGITS, metavar="N",
                   help=f"renderings of each digit in each training font (default {FONT_DIGITS}"
                        ", 0: none)")
    p.add_argument("--pieces-of", type=int, default=PIECE_NUMBERS, metavar="N",
                   help=f"numbers whose pieces one_digit learns from (default {PIECE_NUMBERS})")
    p.add_argument("--pairs-of", type=int, default=PAIR_NUMBERS, metavar="N",
                   help=f"numbers whose pieces pair learns from (default {PAIR_NUMBERS})")
    p.add_argument("--export", action="store_true",
                   help="train nothing: only write the .tflite files from the .keras ones")
    args = p.parse_args(argv)
    if args.export and (args.network or args.out):
        p.error("--export trains nothing, so it takes no --network or --out")
    if args.network is None and args.out is not None:
        p.error("--out needs --network: the shipped networks go to their files in the package")
    jobs = files
    if args.export:
        jobs = {}
    elif args.network:
        jobs = {args.network: args.out or files[args.network]}
    for network, out in jobs.items():
        if network == "one_digit":
            card = train_one_digit(out, args.epochs, args.pieces_of)
            print(f"saved {out}: {card['held_out']['accuracy']:.2%} of held-out pieces right")
        elif network == "pair":
            card = train_pair(out, args.epochs, args.pairs_of)
            print(f"saved {out}: {card['held_out']['accuracy']:.2%} of held-out pieces right")
        else:
            card = train(out, network, args.epochs, args.font_digits)
            print(f"saved {out}: test accuracy {card['test_accuracy']:.2%}")
    if args.out is None:  # the package's own networks changed: the reader's copies follow
        for path in export_lite():
            print(f"exported {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
