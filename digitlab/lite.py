"""Run a network exported to TensorFlow Lite with LiteRT (`ai-edge-litert`), Google's runtime
for `.tflite` files: no TensorFlow import, so a fresh `digitlab predict` answers in a fraction
of a second (TensorFlow alone takes seconds and hundreds of MB to start).

`saving.save_tflite` writes such a file; `pretrained.reader()` is the shipped digit model, one
file per network of its ensemble.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import numpy as np

from digitlab.quiet import stderr_held


def runtime() -> str:
    """Which runtime reads `.tflite` files here, with its version."""
    from importlib.metadata import version

    return f"LiteRT {version('ai-edge-litert')}"


class _Network:
    """One `.tflite` file's interpreter, sized once per batch shape."""

    def __init__(self, path: Path):
        from ai_edge_litert.interpreter import Interpreter

        if not path.is_file():
            raise FileNotFoundError(f"no TFLite model at {path}")
        # One thread: the images a reader sends are few, and threads cost more than they save.
        self.interpreter = Interpreter(model_path=str(path), num_threads=1)
        with stderr_held():  # no "INFO: Created TensorFlow Lite XNNPACK delegate" line
            self.interpreter.allocate_tensors()
        self.input, = self.interpreter.get_input_details()
        self.output = self.interpreter.get_output_details()[0]["index"]
        self.shape = None
        self.lock = threading.Lock()  # an interpreter runs one call at a time

    def __call__(self, images: np.ndarray) -> np.ndarray:
        with self.lock:
            if images.shape != self.shape:  # resized when the batch shape changes, not per call
                self.interpreter.resize_tensor_input(self.input["index"], images.shape)
                self.interpreter.allocate_tensors()
                self.shape = images.shape
            self.interpreter.set_tensor(self.input["index"], images)
            self.interpreter.invoke()
            return self.interpreter.get_tensor(self.output).copy()


class LiteModel:
    """`.tflite` classifiers called like a Keras model: a batch of images in, one row of
    probabilities per image out (as a numpy array). Given several files, the mean of their
    probabilities, as `models.average` takes it: an ensemble ships as one file per member."""

    def __init__(self, *paths: str | os.PathLike):
        if not paths:
            raise ValueError("LiteModel needs the path of at least one .tflite file")
        self.paths = [Path(path) for path in paths]
        self._networks = [_Network(path) for path in self.paths]

    def __call__(self, images: np.ndarray) -> np.ndarray:
        images = np.asarray(images, np.float32)
        if len(self._networks) == 1:
            return self._networks[0](images)
        return np.mean([network(images) for network in self._networks], axis=0)

    def __repr__(self) -> str:
        return f"LiteModel({', '.join(repr(str(path)) for path in self.paths)})"
