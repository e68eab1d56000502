"""The ready-trained model that ships inside digitlab, and the command that makes it.

The shipped model is an ensemble: it averages the probabilities of two networks, a LeNet and a
deep CNN, each trained by the recipe below. `python -m digitlab.pretrained` retrains both from
scratch (same seed, same machine: same weights) and writes each to its file in `pretrained/`
(`MEMBERS`) with a card (`.json`) that records the recipe, the data's checksums, the test
accuracy, the date and the machine. `--network N` trains one network alone.
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

DIRECTORY = Path(__file__).resolve().parent / "pretrained"
# Chosen on the validation sources (see the README): the deep CNN with a 1024-unit dense layer
# is more than the repository keeps (2 MB a file); the deep CNN with a 128-unit one fits but beat
# the LeNet by less than the 0.2 points that would justify 7x the weights; their average beat
# the LeNet by 0.30 points.
MEMBERS = {"lenet": DIRECTORY / "digits.keras", "deep_cnn_128": DIRECTORY / "digits-deep.keras"}
RECIPE = {
    "augmentation": "random rotation up to 10 degrees, shift up to 2 px and zoom up to 10% "
                    "while training, so it tolerates real handwriting",
    "data": "MNIST's training images less the 5,000 that data.split(seed=0) holds out for "
            "validation, with font_digits renderings of each digit in each of "
            "handwriting.TRAINING_FONTS; tested on MNIST's 10,000 test images",
    "optimizer": "Adam, learning rate 2e-3 with cosine decay to 0",
    "batch_size": 64,
    "epochs": 15,
    "seed": 0,
    "distorted_copies": 0,
    "font_digits": 200,
}


def load(path: str | os.PathLike | None = None):
    """The shipped ensemble (or the one model at `path`), loaded in Keras' safe mode."""
    from digitlab import models, saving

    if path is not None:
        model = saving.load(path)
        if tuple(model.input_shape[1:]) not in ((28, 28), (28, 28, 1)):
            raise ValueError(f"{path}: this model does not take 28x28 images (its input is "
                             f"{model.input_shape[1:]})")
        if tuple(model.output_shape[1:]) != (10,):
            raise ValueError(f"{path}: this model does not give ten probabilities, one per "
                             f"digit (its output is {model.output_shape[1:]})")
        return model
    missing = [str(file) for file in MEMBERS.values() if not file.is_file()]
    if missing:
        raise FileNotFoundError(f"no model at {', '.join(missing)}: train them with `python -m "
                                "digitlab.pretrained`, or pass the path of a .keras file")
    return models.average([saving.load(file) for file in MEMBERS.values()],
                          name="digitlab_digits")


def cards() -> dict[str, dict]:
    """Each shipped network's card: recipe, data checksums, test accuracy, date, machine."""
    return {name: json.loads(file.with_suffix(".json").read_text())
            for name, file in MEMBERS.items()}


NETWORKS = {"lenet": "LeNet (61,706 parameters)",
            "deep_cnn": "the deep CNN with batch norm (3.3 million parameters)",
            "deep_cnn_128": "the deep CNN with batch norm and a 128-unit dense layer "
                            "(455,210 parameters)"}


def train(out: Path, network: str, epochs: int = RECIPE["epochs"],
          distorted_copies: int = RECIPE["distorted_copies"],
          font_digits: int = RECIPE["font_digits"]) -> dict:
    """Train `network` by RECIPE (or with elastically distorted copies of the training images,
    or another number of font digits), save it and its card to `out`; return the card.

    It trains on MNIST less the 5,000 images `data.split` holds out, so that
    `python -m digitlab.handwriting --validation` can use those to compare recipes.
    """
    from digitlab import data, handwriting, models, saving
    from digitlab import train as training
    from digitlab._tf import keras
    from digitlab.config import is_quick

    (x_all, y_all), (x_test, y_test) = data.load_mnist()
    (x, y), _ = data.split(x_all, y_all)
    x, y = training.quick_subset(x, y)
    if distorted_copies:
        x = np.concatenate([x, *(data.distort(x, seed=RECIPE["seed"] + 1 + i)
                                 for i in range(distorted_copies))])
        y = np.tile(y, 1 + distorted_copies)
    missing_fonts = []
    if font_digits:
        x_fonts, y_fonts, missing_fonts = handwriting.training_font_digits(
            1 if is_quick() else font_digits)
        if missing_fonts:
            print(f"fonts not installed, so not trained on: {' '.join(missing_fonts)}")
        x, y = np.concatenate([x, x_fonts]), np.concatenate([y, y_fonts])
    if is_quick():  # `fit` keeps the first QUICK_EXAMPLES: let them be a mix of every part
        pick = np.random.default_rng(RECIPE["seed"]).permutation(len(x))
        x, y = x[pick], y[pick]
        x, y = training.quick_subset(x, y)
    training.set_seed(RECIPE["seed"])
    build = {"lenet": models.lenet,
             "deep_cnn": lambda **kw: models.deep_cnn(batchnorm=True, **kw),
             "deep_cnn_128": lambda **kw: models.deep_cnn(batchnorm=True, dense=128, **kw)}

    def fresh() -> keras.Model:
        return build[network](augment=models.augmentation(seed=RECIPE["seed"]),
                              name="digitlab_digits")

    model = fresh()
    steps = epochs * int(np.ceil(len(x) / RECIPE["batch_size"]))
    model.compile(keras.optimizers.Adam(keras.optimizers.schedules.CosineDecay(2e-3, steps)),
                  "sparse_categorical_crossentropy", metrics=["accuracy"])
    result = training.fit(model, (x, y), epochs=epochs, batch_size=RECIPE["batch_size"],
                          seed=RECIPE["seed"])
    card = {
        "recipe": {**RECIPE, "network": f"{NETWORKS[network]}; {RECIPE['augmentation']}",
                   "distorted_copies": distorted_copies, "font_digits": font_digits,
                   "fonts_missing": missing_fonts,
                   "epochs": len(result.history["loss"]), "training_images": len(x)},
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
    slim = fresh()
    slim.set_weights(model.get_weights())
    saving.save(slim, out, overwrite=True)
    out.with_suffix(".json").write_text(json.dumps(card, indent=2) + "\n")
    return card


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m digitlab.pretrained", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--network", choices=sorted(NETWORKS),
                   help="train this network alone (default: every member of the ensemble)")
    p.add_argument("--out", type=Path,
                   help="where --network's model goes (default: its file in the package)")
    p.add_argument("--epochs", type=int, default=RECIPE["epochs"])
    p.add_argument("--distorted-copies", type=int, default=RECIPE["distorted_copies"], metavar="N",
                   help="add N elastically distorted copies of the training images")
    p.add_argument("--font-digits", type=int, default=RECIPE["font_digits"], metavar="N",
                   help="add N renderings of each digit in each training font (0: none)")
    args = p.parse_args(argv)
    if args.network is None and args.out is not None:
        p.error("--out needs --network: the ensemble's members go to their files in the package")
    if args.network is not None and args.network not in MEMBERS and args.out is None:
        p.error(f"--network {args.network} is not shipped: say where it goes with --out")
    jobs = {args.network: args.out or MEMBERS[args.network]} if args.network else MEMBERS
    for network, out in jobs.items():
        card = train(out, network, args.epochs, args.distorted_copies, args.font_digits)
        print(f"saved {out}: test accuracy {card['test_accuracy']:.2%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
