"""Strokes drawn on a pad, as the 28x28 image a network sees: no widgets, so scripts can use it.

Also digits drawn by no one: template strokes with every point, the slant, tilt, size and pen
jittered, as a stand-in for a student's drawings where no browser is at hand.
"""

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


# Each digit as pen strokes in a unit box (x right, y down), as a child might be taught to write.
_t = np.linspace(0, 2 * np.pi, 40)
TEMPLATES = {
    0: [list(zip(0.5 + 0.28 * np.sin(_t), 0.5 - 0.42 * np.cos(_t), strict=True))],
    1: [[(0.4, 0.25), (0.56, 0.08), (0.52, 0.92)]],
    2: [[(0.25, 0.3), (0.35, 0.12), (0.55, 0.08), (0.72, 0.2), (0.7, 0.38), (0.25, 0.88),
         (0.78, 0.88)]],
    3: [[(0.25, 0.15), (0.5, 0.08), (0.72, 0.2), (0.65, 0.4), (0.45, 0.48), (0.72, 0.6),
         (0.72, 0.8), (0.5, 0.92), (0.25, 0.85)]],
    4: [[(0.6, 0.1), (0.2, 0.65), (0.8, 0.65)], [(0.62, 0.35), (0.62, 0.92)]],
    5: [[(0.72, 0.1), (0.32, 0.1), (0.28, 0.45), (0.55, 0.42), (0.72, 0.58), (0.7, 0.8),
         (0.5, 0.92), (0.25, 0.85)]],
    6: [[(0.65, 0.08), (0.4, 0.3), (0.28, 0.6), (0.35, 0.85), (0.55, 0.92), (0.7, 0.78),
         (0.65, 0.58), (0.45, 0.52), (0.3, 0.62)]],
    7: [[(0.22, 0.12), (0.78, 0.12), (0.42, 0.92)]],
    8: [list(zip(0.5 + 0.2 * np.sin(2 * _t), 0.5 - 0.42 * np.cos(_t), strict=True))],
    9: [[(0.7, 0.3), (0.55, 0.12), (0.35, 0.15), (0.3, 0.32), (0.45, 0.45), (0.68, 0.38),
         (0.7, 0.3), (0.65, 0.92)]],
}
# One made-up student's hand, where it differs: a 0 slashed corner to corner, a 1 with a long
# flag, a 2 like a Z with a bar, a 4 open at the top, a 5 whose bar floats, a crossed 7, an 8 of
# two rings. The shipped model misreads some of these (a slashed 0 as an 8), as it may yours.
ONE_HAND = {
    **TEMPLATES,
    0: [TEMPLATES[0][0], [(0.85, 0.0), (0.15, 1.0)]],
    1: [[(0.15, 0.45), (0.6, 0.05), (0.55, 0.95)]],
    2: [[(0.25, 0.12), (0.75, 0.12), (0.25, 0.88), (0.78, 0.88)], [(0.35, 0.5), (0.65, 0.5)]],
    4: [[(0.25, 0.1), (0.25, 0.45), (0.45, 0.55), (0.75, 0.5)], [(0.75, 0.1), (0.75, 0.92)]],
    5: [[(0.32, 0.15), (0.28, 0.45), (0.55, 0.42), (0.72, 0.58), (0.7, 0.8), (0.5, 0.92),
         (0.25, 0.85)], [(0.45, 0.08), (0.8, 0.05)]],
    7: [*TEMPLATES[7], [(0.35, 0.52), (0.72, 0.5)]],
    8: [list(zip(0.5 + 0.17 * np.sin(_t), 0.3 - 0.2 * np.cos(_t), strict=True)),
        list(zip(0.5 + 0.22 * np.sin(_t), 0.72 - 0.22 * np.cos(_t), strict=True))],
}


def random_slant(rng: np.random.Generator) -> np.ndarray:
    """A random slant, tilt and scale, as a 2x2 matrix."""
    slant, tilt, scale = rng.uniform(-0.25, 0.25), np.radians(rng.uniform(-10, 10)), rng.uniform(
        0.8, 1.1)
    rotate = np.array([[np.cos(tilt), -np.sin(tilt)], [np.sin(tilt), np.cos(tilt)]])
    return scale * rotate @ np.array([[1, -slant], [0, 1]])


def jittered(template: list[list[Point]], rng: np.random.Generator, size: int = 280
             ) -> tuple[list[list[Point]], float]:
    """A template (unit box) drawn on a size x size pad by an unsteady hand: strokes, pen width."""
    matrix, scale = random_slant(rng), rng.uniform(130, 200) * size / 280  # sizes for a 280 px pad
    centre = np.array([size, size]) / 2 + rng.uniform(-30, 30, 2) * size / 280
    drawn = [[tuple(float(v) for v in centre + scale * matrix @ (np.array(p) - 0.5
                                                                  + rng.normal(0, 0.015, 2)))
              for p in stroke] for stroke in template]
    return drawn, float(rng.uniform(10, 26) * size / 280)
