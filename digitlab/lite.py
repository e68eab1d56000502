"""Run a network exported to TensorFlow Lite with LiteRT (`ai-edge-litert`), Google's runtime
for `.tflite` files: no TensorFlow import, so a fresh `digitlab predict` answers in a fraction
of a second (TensorFlow alone takes seconds and hundreds of MB to start).

`saving.save_tflite` writes such a file; `pretrained.reader()` is the shipped digit model as one.
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


class LiteModel:
    """A `.tflite` classifier called like a Keras model: a batch of images in, one row of
    probabilities per image out (as a numpy array)."""

    def __init__(self, path: str | os.PathLike):
        from ai_edge_litert.interpreter import Interpreter

        self.path = Path(path)
        if not self.path.is_file():
            raise FileNotFoundError(f"no TFLite model at {self.path}")
        # One thread: the images a reader sends are few, and threads cost more than they save.
        self._interpreter = Interpreter(model_path=str(self.path), num_threads=1)
        with stderr_held():  # no "INFO: Created TensorFlow Lite XNNPACK delegate" line
            self._interpreter.allocate_tensors()
        self._input, = self._interpreter.get_input_details()
        self._output = self._interpreter.get_output_details()[0]["index"]
        self._shape = None
        self._lock = threading.Lock()  # an interpreter runs one call at a time

    def __call__(self, images: np.ndarray) -> np.ndarray:
        images = np.asarray(images, np.float32)
        with self._lock:
            if images.shape != self._shape:  # sized once per batch shape, not per call
                self._interpreter.resize_tensor_input(self._input["index"], images.shape)
                self._interpreter.allocate_tensors()
                self._shape = images.shape
            self._interpreter.set_tensor(self._input["index"], images)
            self._interpreter.invoke()
            return self._interpreter.get_tensor(self._output).copy()

    def __repr__(self) -> str:
        return f"LiteModel({str(self.path)!r})"
