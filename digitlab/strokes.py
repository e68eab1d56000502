"""Strokes drawn on a pad, as the 28x28 image a network sees: no widgets, so scripts can use it."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from digitlab import preprocess

Point = tuple[float, float]


def render(strokes: list[list[Point]], size: int, width: float) -> np.ndarray:
    """Strokes as an ink image (1 = ink) of size x size, drawn with round ends and joints."""
    image = Image.new("L", (size, size), 0)
    pen = ImageDraw.Draw(image)
    r = width / 2
    far = (-10 * size, 11 * size)
    for stroke in strokes:
        # Points a browser may send that no pen made: not-a-number, or absurdly far off the pad.
        stroke = [(float(np.clip(x, *far)), float(np.clip(y, *far)))
                  for x, y in stroke if np.isfinite(x) and np.isfinite(y)]
        if not stroke:
            continue
        if len(stroke) > 1:
            pen.line(stroke, fill=255, width=round(width), joint="curve")
        for x, y in (stroke[0], stroke[-1]):  # round caps, and a dot for a single tap
            pen.ellipse([x - r, y - r, x + r, y + r], fill=255)
    return np.asarray(image, np.float32) / 255


def digit_image(strokes: list[list[Point]], size: int, width: float) -> np.ndarray | None:
    """The 28x28 image a network should see for these strokes, or None if nothing is drawn.

    A drawing needs no shading or speck removal: only cropping, scaling and centring.
    """
    ink = render(strokes, size, width)
    return preprocess.to_mnist(preprocess.crop(ink)) if ink.any() else None
