"""A drawing pad for Jupyter: draw a digit, watch a network read it as you draw; or collect
drawings of your own, digit by digit, to teach a network your handwriting.

    from digitlab.pad import CollectingPad, DrawingPad
    DrawingPad(model)                       # any Keras classifier of 28x28 images in [0, 1]
    CollectingPad("my_digits.npz")          # asks for 0, 1, ... 9, 0, ...; saves as you go

The ink is drawn by the browser itself (`pad.js`), under the pen, whatever Python is doing; the
strokes then go to Python, which renders them into a 28x28 MNIST-style image, calls the model's
forward pass traced once into a graph (`predict.classify`, a millisecond or two) and sends the
reading back. The collecting pad keeps each drawing the student accepts, with its label, and
saves the set after every change (`digitlab.drawings`). Both are anywidgets, so they run in
JupyterLab, Notebook 7, VS Code and Colab.
"""

from __future__ import annotations

import time
import weakref
from pathlib import Path

import anywidget
import numpy as np
import traitlets

from digitlab import drawings, predict
from digitlab.strokes import digit_image

HERE = Path(__file__).parent
# The pad that collects into each file in this kernel: a pad made again on the same file (a
# cell run twice) takes over from the last, which then saves no more.
_COLLECTING: dict[Path, weakref.ref] = {}


class _Pad(anywidget.AnyWidget):
    """The pad itself: ink drawn by the browser, strokes sent to Python; Clear and Undo."""

    _esm = HERE / "pad.js"
    _css = HERE / "pad.css"
    mode = traitlets.Unicode("read").tag(sync=True)  # what the browser shows beside the pad
    size = traitlets.Int(280).tag(sync=True)
    stroke_width = traitlets.Float(18).tag(sync=True)
    every_ms = traitlets.Float(80).tag(sync=True)  # while drawing, send strokes this often
    # From the browser: the strokes in pad pixels, and a number that grows with every change.
    strokes = traitlets.List().tag(sync=True, echo_update=False)  # no echo: it came from there
    drawn = traitlets.Int(0).tag(sync=True, echo_update=False)
    # From the browser: its own timings in ms, pen down -> ink and pen up -> bars shown.
    browser_ms = traitlets.Dict().tag(sync=True, echo_update=False)

    def clear(self) -> None:
        """Wipe the pad."""
        self.strokes = []
        self.drawn += 1

    def undo(self) -> None:
        """Take back the last stroke."""
        self.strokes = self.strokes[:-1]
        self.drawn += 1


class DrawingPad(_Pad):
    """Draw with mouse, pen or finger; Clear and Undo; live probabilities, answer and input."""

    # To the browser: the reading of drawing number `drawn` (empty: nothing drawn).
    reading = traitlets.Dict().tag(sync=True)

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


class CollectingPad(_Pad):
    """Asks for each digit in turn, `per_digit` of each; Keep takes the drawing, Take back takes
    the last one back. With a `path`, it carries on from the drawings saved there, and saves
    after every change, so a kernel restart loses nothing."""

    # To the browser: what to draw next and how far the set has come (see `_ask`).
    task = traitlets.Dict().tag(sync=True)

    def __init__(self, path: str | Path | None = None, per_digit: int = 10, size: int = 280,
                 stroke_width: float = 18):
        if per_digit < 1:
            raise ValueError(f"per_digit must be at least 1, not {per_digit}")
        self.path, self.per_digit = (None if path is None else Path(path)), per_digit
        self.drawings = drawings.Drawings(pad_size=size, stroke_width=stroke_width)
        self.in_use = self.path is not None and not self._take(self.path)
        if self.path is not None and not self.in_use and self.path.exists():
            saved = drawings.load(self.path)
            if saved.owner != self.drawings.owner:
                raise FileExistsError(f"{self.path} holds drawings by {saved.owner}, not by "
                                      f"{self.drawings.owner}: give the pad another path")
            self.drawings = saved
        super().__init__(mode="collect", size=self.drawings.pad_size,
                         stroke_width=self.drawings.stroke_width)
        self.on_msg(self._on_button)
        self._ask(self._in_use_note() if self.in_use else
                  f"Carrying on from {_drawings(len(self.drawings))} in {self.path}."
                  if len(self.drawings) else "")

    def _take(self, path: Path) -> bool:
        """Take the file for this pad: False if another kernel's pad holds it."""
        from filelock import Timeout

        last = _COLLECTING.get(path.resolve(), lambda: None)()
        if last is not None:  # made again in this notebook: take the file over from the last
            self._lock = last._lock
        else:
            try:  # held until the pad closes or Python ends (a lock let go of is released)
                self._lock = drawings.lock(path)
                self._lock.acquire(timeout=0)
            except Timeout:
                return False
            except OSError:  # not even a lock file can be made there: saving will say why
                return True
        _COLLECTING[path.resolve()] = weakref.ref(self)
        return True

    def _in_use_note(self) -> str:
        return (f"{self.path.name} is in use by another notebook: your drawings stay in this "
                "pad, and pad.save('my_digits_2.npz') keeps them in a file of their own.")

    def close(self) -> None:
        """Let the file go (another notebook may collect into it), and close the pad."""
        if self.path is not None and _COLLECTING.get(self.path.resolve(), lambda: None)() is self:
            del _COLLECTING[self.path.resolve()]
            self._lock.release()
        super().close()

    @property
    def digit(self) -> int | None:
        """The digit to draw next: the one with fewest drawings (so 0 to 9, then again), or
        None when there are `per_digit` of each."""
        counts = self.drawings.counts()
        return None if counts.min() >= self.per_digit else int(counts.argmin())

    def keep(self) -> None:
        """Keep the drawing on the pad as the digit asked for, save, and ask for the next."""
        digit = self.digit
        if digit is None:
            return self._ask("The set is complete: nothing more to keep.")
        if not self.drawings.add(self.strokes, digit):
            return self._ask(f"Nothing drawn yet: draw a {digit}, then press Keep.")
        self.clear()
        self._ask(self._save())

    def take_back(self) -> None:
        """Take back the last drawing kept: its digit is asked for again."""
        label = self.drawings.drop_last()
        if label is None:
            return self._ask("Nothing kept yet.")
        self.clear()
        self._ask(f"Took back the last {label}. " + self._save())

    def save(self, path: str | Path | None = None, overwrite: bool = False) -> Path:
        """Save the drawings (atomically; never over another student's file unless told to)."""
        if path is None and self.path is None:
            raise ValueError("where to? pad.save('my_digits.npz')")
        return drawings.save(self.drawings, path or self.path, overwrite=overwrite)

    def _save(self) -> str:
        if self.path is None:
            return "Not saved: no path given (pad.save('my_digits.npz') saves them)."
        if self.in_use:
            return self._in_use_note()
        if _COLLECTING.get(self.path.resolve(), lambda: self)() is not self:
            return (f"Not saved: a newer pad in this notebook collects into {self.path.name}; "
                    "these drawings stay here (pad.save('my_digits_2.npz') keeps them).")
        try:
            self.save()
        except OSError as e:  # the drawings stay here; only the file is behind
            return f"Could not save to {self.path} ({e}); your drawings are still here."
        return f"Saved {_drawings(len(self.drawings))} to {self.path.name}."

    def _ask(self, note: str) -> None:
        digit, counts = self.digit, self.drawings.counts()
        self.task = {"digit": digit, "done": None if digit is None else int(counts[digit]),
                     "of": self.per_digit, "kept": len(self.drawings),
                     "total": 10 * self.per_digit, "note": note}

    def _on_button(self, widget, content: dict, buffers) -> None:
        {"keep": self.keep, "take_back": self.take_back}.get(content.get("button"), lambda: None)()


def _drawings(n: int) -> str:
    return f"{n} drawing" if n == 1 else f"{n} drawings"
