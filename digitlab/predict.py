"""Read handwritten digits, one per picture (`numbers` reads a whole number)."""

from __future__ import annotations

import sys
import weakref
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from digitlab import preprocess


@dataclass
class Prediction:
    """What the network read: the digit, all ten probabilities, and the 28x28 image it saw."""

    digit: int
    probabilities: np.ndarray
    image: np.ndarray

    @property
    def confidence(self) -> float:
        return float(self.probabilities[self.digit])


_TRACED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _traced(model):
    """The model's forward pass compiled into a TensorFlow graph, once per model.

    Profiled on 2 CPU cores: an eager `model(x)` on one image takes about 13 ms, nearly all of it
    Python dispatching layer by layer; the traced graph takes about 1 ms (`model.predict`, built
    for big datasets, about 80 ms). It reads the weights at each call, so further training shows.
    """
    if model not in _TRACED:
        from digitlab._tf import tf

        ref = weakref.ref(model)  # a strong reference here would keep the model alive forever
        _TRACED[model] = tf.function(lambda x: ref()(x, training=False), reduce_retracing=True)
    return _TRACED[model]


def classify(model, images: np.ndarray) -> list[Prediction]:
    """Run the model directly on 28x28 images (a traced call: far faster than `model.predict`).
    `model` is a Keras model, a `lite.LiteModel`, or any function of a batch of images giving
    ten probabilities each."""
    images = np.asarray(images, np.float32)
    keras = sys.modules.get("keras")  # not imported: `model` cannot be a Keras model
    if keras is not None and isinstance(model, keras.Model):
        probs = keras.ops.convert_to_numpy(_traced(model)(images))
    else:
        probs = np.asarray(model(images))
    return [Prediction(int(p.argmax()), p, image) for p, image in zip(probs, images, strict=True)]


def predict(model, source) -> Prediction:
    """Read the one digit in a picture (path, file contents, PIL image or array)."""
    return classify(model, preprocess.preprocess(source)[None])[0]


def predict_each(model, sources: Iterable) -> list[Prediction | None]:
    """Read the one digit in each picture; None where a picture holds no digit."""
    images = []
    for source in sources:
        try:
            images.append(preprocess.preprocess(source))
        except preprocess.NoDigitFound:
            images.append(None)
    found = [image for image in images if image is not None]
    read = iter(classify(model, np.stack(found)) if found else [])
    return [None if image is None else next(read) for image in images]
