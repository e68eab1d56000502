"""A drawing pad for JupyterLab: draw a digit, watch a network read it as you draw.

    from digitlab.pad import DrawingPad
    DrawingPad(model)            # any Keras classifier of 28x28 images in [0, 1]

The pad keeps the strokes itself (it never waits for the browser's pixels), renders them into a
28x28 MNIST-style image, and calls the model's forward pass traced once into a graph
(`predict.classify`), which takes a millisecond or two where `model.predict` takes tens.
"""

from __future__ import annotations

import time

import ipywidgets as widgets
import numpy as np
from ipycanvas import Canvas, hold_canvas

from digitlab import predict
from digitlab.strokes import Point, digit_image


class DrawingPad(widgets.HBox):
    """Draw with mouse, pen or finger; Clear and Undo; live probabilities, answer and input."""

    def __init__(self, model, size: int = 280, stroke_width: float = 18, every_ms: float = 80):
        self.model, self.size, self.stroke_width = model, size, stroke_width
        self.every = every_ms / 1000  # while drawing, predict at most this often: stays smooth
        self.strokes: list[list[Point]] = []
        self.prediction: predict.Prediction | None = None
        self.latencies_ms: list[float] = []  # end of a stroke -> probabilities shown
        self._drawing, self._last = False, 0.0

        self.canvas = Canvas(width=size, height=size,
                             layout=widgets.Layout(width=f"{size}px", height=f"{size}px",
                                                   border="1px solid #999"))
        self.canvas.add_class("digitlab-pad")
        self.canvas.line_width, self.canvas.line_cap, self.canvas.line_join = \
            stroke_width, "round", "round"
        self._blank_canvas()
        for event, handler in [("mouse_down", self._down), ("mouse_move", self._move),
                               ("mouse_up", self._up), ("mouse_out", self._up)]:
            getattr(self.canvas, f"on_{event}")(handler)
        self.canvas.on_touch_start(lambda touches: self._down(*touches[0]))
        self.canvas.on_touch_move(lambda touches: self._move(*touches[0]))
        self.canvas.on_touch_end(lambda touches: self._up())
        self.canvas.on_touch_cancel(lambda touches: self._up())

        clear = widgets.Button(description="Clear", icon="eraser")
        undo = widgets.Button(description="Undo", icon="undo")
        clear.on_click(lambda _: self.clear())
        undo.on_click(lambda _: self.undo())
        clear.add_class("digitlab-clear")
        undo.add_class("digitlab-undo")

        self.answer = widgets.HTML()
        self.answer.add_class("digitlab-answer")
        self.seen = Canvas(width=112, height=112,
                           layout=widgets.Layout(width="112px", height="112px"))
        self.seen.add_class("digitlab-seen")
        self.bars = [widgets.FloatProgress(min=0, max=1, description=f"{d}",
                                           layout=widgets.Layout(width="260px"))
                     for d in range(10)]
        self.numbers = [widgets.Label("") for _ in range(10)]
        chart = widgets.VBox([widgets.HBox([b, n]) for b, n in zip(self.bars, self.numbers,
                                                                    strict=True)])
        seen_box = widgets.VBox([widgets.Label("what the network sees (28×28)"), self.seen],
                                layout=widgets.Layout(margin="0 0 0 24px"))
        super().__init__([widgets.VBox([self.canvas, widgets.HBox([clear, undo])]),
                          widgets.VBox([self.answer, widgets.HBox([chart, seen_box])])])
        self._show(None)

    # ------------------------------------------------------------------ drawing
    def _down(self, x: float, y: float) -> None:
        self._drawing = True
        self.strokes.append([(x, y)])

    def _move(self, x: float, y: float) -> None:
        if not self._drawing:
            return
        stroke = self.strokes[-1]
        self.canvas.stroke_line(*stroke[-1], x, y)
        stroke.append((x, y))
        if time.perf_counter() - self._last > self.every:
            self.update()

    def _up(self, x: float | None = None, y: float | None = None) -> None:
        if not self._drawing:
            return
        self._drawing = False
        if len(self.strokes[-1]) == 1:  # a tap: draw the dot
            self.canvas.fill_circle(*self.strokes[-1][0], self.stroke_width / 2)
        start = time.perf_counter()
        self.update()
        self.latencies_ms.append((time.perf_counter() - start) * 1000)

    def clear(self) -> None:
        """Wipe the pad."""
        self.strokes.clear()
        self._blank_canvas()
        self.update()

    def undo(self) -> None:
        """Take back the last stroke."""
        if self.strokes:
            self.strokes.pop()
        with hold_canvas():
            self._blank_canvas()
            for stroke in self.strokes:
                if len(stroke) > 1:
                    self.canvas.stroke_lines(stroke)
                self.canvas.fill_circle(*stroke[0], self.stroke_width / 2)
        self.update()

    def _blank_canvas(self) -> None:
        self.canvas.fill_style = "white"
        self.canvas.fill_rect(0, 0, self.size, self.size)
        self.canvas.fill_style = self.canvas.stroke_style = "black"

    # ------------------------------------------------------------------ reading
    def update(self) -> None:
        """Read the drawing as it is now and show the result."""
        self._last = time.perf_counter()
        image = digit_image(self.strokes, self.size, self.stroke_width)
        self.prediction = None if image is None else predict.classify(self.model, image[None])[0]
        self._show(self.prediction)

    def _show(self, guess: predict.Prediction | None) -> None:
        probs = np.zeros(10) if guess is None else guess.probabilities
        for digit, (bar, number) in enumerate(zip(self.bars, self.numbers, strict=True)):
            bar.value = float(probs[digit])
            bar.bar_style = "success" if guess is not None and digit == guess.digit else ""
            number.value = f"{probs[digit]:.0%}" if guess is not None else ""
        if guess is None:
            self.answer.value = "<h3>Draw a digit on the pad</h3>"
            self.seen.clear()
            return
        self.answer.value = (f"<h3>It reads: <span class='digitlab-digit'>{guess.digit}</span> "
                             f"({guess.confidence:.0%} sure)</h3>")
        pixels = (255 - guess.image * 255).astype(np.uint8).repeat(4, 0).repeat(4, 1)
        self.seen.put_image_data(np.stack([pixels] * 3, axis=-1), 0, 0)
