"""The ready-trained networks that ship inside digitlab: the digit model (three networks whose
probabilities it averages), the network that tells `numbers` whether a piece of ink it cut is
one whole digit, and the one that reads a piece as two touching digits.

The weights are in `digitlab/weights/`, each file with its card (`.json`: recipe, data checksums,
test accuracy, date, machine). `python -m tools.train_shipped` (in the project, not installed)
retrains them and exports each to TensorFlow Lite (`lenet.tflite`, ...), which
the reader runs with LiteRT: `reader()` and `one_digit()` answer without importing TensorFlow.
"""

from __future__ import annotations

import functools
import json
import os
from pathlib import Path

WEIGHTS = Path(__file__).resolve().parent / "weights"
# The recipes are `recipes.SHIPPED`, under the same names.
MEMBERS = {name: WEIGHTS / f"{name}.keras" for name in ("lenet", "deep_cnn_128", "vgg")}
ONE_DIGIT = WEIGHTS / "one_digit.keras"  # its recipe: `recipes.ONE_DIGIT`
PAIR = WEIGHTS / "pair.keras"  # its recipe: `recipes.PAIR`
# Generated from the files above (`python -m tools.train_shipped --export`), never edited: one
# file per network, each the size of its .keras file, averaged by the reader as `load` averages.
LITE = {name: WEIGHTS / f"{name}.tflite" for name in (*MEMBERS, "one_digit", "pair")}


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
                                "tools.train_shipped` in the project, or pass the path of a "
                                ".keras file")
    return models.average([saving.load(file) for file in MEMBERS.values()],
                          name="digitlab_digits")


@functools.cache
def reader():
    """The shipped ensemble as LiteRT runs it (`lite.LiteModel`): what `digitlab predict` reads
    with, in a fraction of a second and without TensorFlow; loaded once."""
    from digitlab.lite import LiteModel

    return LiteModel(*(LITE[name] for name in MEMBERS))


@functools.cache
def one_digit():
    """The shipped network that gives the probability that a 28x28 piece of ink is one whole
    digit (its second output), not a fragment or two run together, run by LiteRT; loaded once.
    The Keras model it was exported from is `ONE_DIGIT`."""
    from digitlab.lite import LiteModel

    return LiteModel(LITE["one_digit"])


@functools.cache
def pair():
    """The shipped network that reads a 28x56 piece of ink as two digits side by side: 101
    probabilities, `10 * left + right` and then "not two digits", run by LiteRT; loaded once.
    The Keras model it was exported from is `PAIR`."""
    from digitlab.lite import LiteModel

    return LiteModel(LITE["pair"])


def cards() -> dict[str, dict]:
    """Each shipped network's card: recipe, data checksums, test accuracy, date, machine."""
    return {name: json.loads(file.with_suffix(".json").read_text())
            for name, file in MEMBERS.items()}
