"""The ready-trained model that ships inside digitlab, and the command that makes it.

`python -m digitlab.pretrained` retrains it from scratch with the recipe below (same seed, same
machine: same weights) and writes `pretrained/digits.keras` with a card, `digits.json`, that
records the recipe, the data's checksums, the test accuracy, the date and the machine.
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

MODEL = Path(__file__).resolve().parent / "pretrained" / "digits.keras"
RECIPE = {
    # The deep CNN reads the validation sources better (see the README), but its 13 MB of weights
    # are more than the repository keeps (2 MB); LeNet is the best network that fits.
    "network": "lenet",
    "augmentation": "random rotation up to 10 degrees, shift up to 2 px and zoom up to 10% "
                    "while training, so it tolerates real handwriting",
    "data": "MNIST's training images less the 5,000 that data.split(seed=0) holds out for "
            "validation; tested on the 10,000 test images",
    "optimizer": "Adam, learning rate 2e-3 with cosine decay to 0",
    "batch_size": 64,
    "epochs": 15,
    "seed": 0,
    "distorted_copies": 0,
}


def load(path: str | os.PathLike | None = None):
    """The shipped model (or the one at `path`), loaded in Keras' safe mode."""
    from digitlab import saving

    if path is None and not MODEL.is_file():
        raise FileNotFoundError(f"no model at {MODEL}: train one with `python -m "
                                "digitlab.pretrained`, or pass the path of a .keras file")
    return saving.load(MODEL if path is None else path)


NETWORKS = {"lenet": "LeNet (61,706 parameters)",
            "deep_cnn": "the deep CNN with batch norm (3.3 million parameters)"}


def train(out: Path = MODEL, epochs: int = RECIPE["epochs"], network: str = RECIPE["network"],
          distorted_copies: int = RECIPE["distorted_copies"]) -> dict:
    """Train a model by RECIPE (or with another network, or elastically distorted copies of the
    training images added), save it and its card; return the card.

    It trains on MNIST less the 5,000 images `data.split` holds out, so that
    `python -m digitlab.handwriting --validation` can use those to compare recipes.
    """
    from digitlab import data, models, saving
    from digitlab import train as training
    from digitlab._tf import keras

    (x_all, y_all), (x_test, y_test) = data.load_mnist()
    (x, y), _ = data.split(x_all, y_all)
    x, y = training.quick_subset(x, y)
    if distorted_copies:
        x = np.concatenate([x, *(data.distort(x, seed=RECIPE["seed"] + 1 + i)
                                 for i in range(distorted_copies))])
        y = np.tile(y, 1 + distorted_copies)
    training.set_seed(RECIPE["seed"])
    build = {"lenet": models.lenet, "deep_cnn": lambda **kw: models.deep_cnn(batchnorm=True, **kw)}

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
                   "distorted_copies": distorted_copies,
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
    p.add_argument("--out", type=Path, default=MODEL, help=f"default: {MODEL}")
    p.add_argument("--epochs", type=int, default=RECIPE["epochs"])
    p.add_argument("--network", choices=sorted(NETWORKS), default=RECIPE["network"])
    p.add_argument("--distorted-copies", type=int, default=RECIPE["distorted_copies"], metavar="N",
                   help="add N elastically distorted copies of the training images")
    args = p.parse_args(argv)
    card = train(args.out, args.epochs, args.network, args.distorted_copies)
    print(f"saved {args.out}: test accuracy {card['test_accuracy']:.2%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
