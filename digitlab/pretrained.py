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
    "network": "LeNet (61,706 parameters); random rotation up to 10 degrees, shift up to "
               "2 px and zoom up to 10% while training, so it tolerates real handwriting",
    "data": "MNIST, all 60,000 training images; tested on the 10,000 test images",
    "optimizer": "Adam, learning rate 2e-3 with cosine decay to 0",
    "batch_size": 64,
    "epochs": 15,
    "seed": 0,
}


def load(path: str | os.PathLike | None = None):
    """The shipped model (or the one at `path`), loaded in Keras' safe mode."""
    from digitlab import saving

    if path is None and not MODEL.is_file():
        raise FileNotFoundError(f"no model at {MODEL}: train one with `python -m "
                                "digitlab.pretrained`, or pass the path of a .keras file")
    return saving.load(MODEL if path is None else path)


def train(out: Path = MODEL, epochs: int = RECIPE["epochs"]) -> dict:
    """Train the shipped model with RECIPE, save it and its card; return the card."""
    from digitlab import data, models, saving
    from digitlab import train as training
    from digitlab._tf import keras

    (x_train, y_train), (x_test, y_test) = data.load_mnist()
    x, y = training.quick_subset(x_train, y_train)
    training.set_seed(RECIPE["seed"])
    model = models.lenet(augment=models.augmentation(seed=RECIPE["seed"]), name="digitlab_digits")
    steps = epochs * int(np.ceil(len(x) / RECIPE["batch_size"]))
    model.compile(keras.optimizers.Adam(keras.optimizers.schedules.CosineDecay(2e-3, steps)),
                  "sparse_categorical_crossentropy", metrics=["accuracy"])
    result = training.fit(model, (x, y), epochs=epochs, batch_size=RECIPE["batch_size"],
                          seed=RECIPE["seed"])
    card = {
        "recipe": {**RECIPE, "epochs": len(result.history["loss"]),
                   "training_images": len(x)},
        "test_accuracy": training.accuracy(model, x_test, y_test),
        "training_seconds": round(result.seconds, 1),
        "data_sha256": {name: checksum for name, (checksum, _) in data.FILES.items()},
        "date": time.strftime("%Y-%m-%d"),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python "
                   f"{platform.python_version()}",
        "software": {"tensorflow": __import__("tensorflow").__version__,
                     "keras": keras.__version__},
    }
    saving.save(model, out, overwrite=True)
    out.with_suffix(".json").write_text(json.dumps(card, indent=2) + "\n")
    return card


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m digitlab.pretrained", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", type=Path, default=MODEL, help=f"default: {MODEL}")
    p.add_argument("--epochs", type=int, default=RECIPE["epochs"])
    args = p.parse_args(argv)
    card = train(args.out, args.epochs)
    print(f"saved {args.out}: test accuracy {card['test_accuracy']:.2%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
