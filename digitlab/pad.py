"""A drawing pad for Jupyter: draw a digit, watch a network read it as you draw.

    from digitlab.pad import DrawingPad
    DrawingPad(model)            # any Keras classifier of 28x28 images in [0, 1]

The ink is drawn by the browser itself (`pad.js`), under the pen, whatever Python is doing; the
strokes then go to Python, which renders them into a 28x28 MNIST-style image, calls the model's
forward pass traced once into a graph (`predict.classify`, a millisecond or two) and sends the
reading back. It is an anywidget, so it runs in JupyterLab, Notebook 7, VS Code and Colab.
"""

from __future__ import annotations

import time
from pathlib import Path

import anywidget
import numpy as np
import traitlets

from digitlab import predict
from digitlab.strokes import digit_image

HERE = Path(__file__).parent


class DrawingPad(anywidget.AnyWidget):
    """Draw with mouse, pen or finger; Clear and Undo; live probabilities, answer and input."""

    _esm = HERE / "pad.js"
    _css = HERE / "pad.css"
    size = traitlets.Int(280).tag(sync=True)
    stroke_width = traitlets.Float(18).tag(sync=True)
    every_ms = traitlets.Float(80).tag(sync=True)  # while drawing, send strokes this often
    # From the browser: the strokes in pad pixels, and a number that grows with every change.
    strokes = traitlets.List().tag(sync=True, echo_update=False)  # no echo: it came from there
    drawn = traitlets.Int(0).tag(sync=True, echo_update=False)
    # To the browser: the reading of drawing number `drawn` (empty: nothing drawn).
    reading = traitlets.Dict().tag(sync=True)
    # From the browser: its own timings in ms, pen down -> ink and pen up -> bars shown.
    browser_ms = traitlets.Dict().tag(sync=True, echo_update=False)

    def __init__(self, model, size: int = 280, stroke_width: float = 18, every_ms: float = 80):
        self.model = model
        self.prediction: predict.Prediction | None = None
        self.latencies_ms: list[float] = []  # strokes in -> reading out, in the kernel
        super().__init__(size=size, stroke_width=stroke_width, every_ms=every_ms)

    @traitlets.observe("drawn")  # set after `strokes`, and in the same message from the browser
    def _read(self, change) -> None:
        start = time.perf_counter()
        self.update()
        self.latencies_ms.append((time.perf_counter() - start) * 1000)

    def update(self) -> None:
        """Read the drawing as it is now and send the result to the browser."""
        image = digit_image(self.strokes, self.size, self.stroke_width)
        self.prediction = None if image is None else predict.classify(self.model, image[None])[0]
        guess = self.prediction
        self.reading = {"drawn": self.drawn} if guess is None else {
            "drawn": self.drawn, "digit": guess.digit, "confidence": guess.confidence,
            "probabilities": [float(p) for p in guess.probabilities],
            "image": np.round(guess.image * 255).astype(int).ravel().tolist()}

    def clear(self) -> None:
        """Wipe the pad."""
        self.strokes = []
        self.drawn += 1

    def undo(self) -> None:
        """Take back the last stroke."""
        self.strokes = self.strokes[:-1]
        self.drawn += 1
