"""Whole numbers of MNIST digits written on pages: what `tools.number_grid` reads (pictured
under `tools.number_conditions`) and `tools.pieces` cuts.

Each number is 2 to 10 MNIST digits written in a row (`write`: spaced, touching, slanted, with
a decimal point or a minus sign, of mixed sizes), on a sheet with margins (`page`), in ink on
paper (`photo`) or drawn again with a 1-pixel pencil (`pencil`).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image

from tools.captures import on_paper

PAPER, PEN = 0.94, 0.12
SCALE = 3  # page pixels per MNIST pixel: digits about 60 pixels tall
HEIGHT = 20 * SCALE  # a digit's height on the page
SIZES = (0.58, 1.73)  # digits of mixed sizes: the largest up to three times the smallest


@dataclass
class Written:
    """A number written on a page: the ink, the text it says, and its box (top, left, bottom,
    right) on the page."""

    ink: np.ndarray
    text: str
    box: tuple[int, int, int, int]


def _columns(digit: np.ndarray) -> np.ndarray:
    """The digit's 28-row field cut to its inked columns, scaled to the page, as ink in [0, 1]."""
    cols = np.flatnonzero((digit > 30).any(axis=0))
    field = digit[:, cols.min():cols.max() + 1]
    image = Image.fromarray(field).resize((field.shape[1] * SCALE, 28 * SCALE),
                                          Image.Resampling.BICUBIC)
    return np.clip(np.asarray(image, np.float32) / 255, 0, 1)


def _touching(left: np.ndarray, right: np.ndarray) -> int:
    """How far right of `left` to put `right` so that their inks just overlap, by two pixels,
    in the row where they come closest."""
    ends = [np.flatnonzero(row > 0.3).max(initial=-10**6) for row in left]
    starts = [np.flatnonzero(row > 0.3).min(initial=10**6) for row in right]
    return int(max(e - s for e, s in zip(ends, starts, strict=True) if e >= 0 and s < 10**6)) - 1


def write(digits: np.ndarray, labels, rng: np.random.Generator, gap: float = 0.25,
          touching: bool = False, slant: float = 0.0, point: int | None = None,
          minus: bool = False, sizes: Sequence[float] | None = None) -> Written:
    """Write `digits` in a row: `gap` digit heights apart (jittered), or pairs `touching`, the
    baseline rising by `slant` degrees, with a decimal point before digit `point` or a leading
    minus sign; each digit `sizes` times its usual size (on one baseline)."""
    glyphs = [_columns(d) for d in digits]
    if sizes is not None:
        glyphs = [_scaled(g, size) for g, size in zip(glyphs, sizes, strict=True)]
    tall = max(g.shape[0] for g in glyphs)
    text = [str(int(label)) for label in labels]
    stroke = 2 * SCALE
    lefts, x = [], 0
    at = -1 if point is None else point
    dot_x = None
    if minus:
        x = int(0.55 * HEIGHT) + int(0.3 * HEIGHT)  # the bar, then a gap
    for i, glyph in enumerate(glyphs):
        if i == at:
            dot_x = x + int(0.05 * HEIGHT)
            x = dot_x + stroke + int(0.12 * HEIGHT)
        lefts.append(x)
        x += glyph.shape[1] + int((gap + rng.uniform(-0.05, 0.05)) * HEIGHT)
        if touching and i % 2 == 0 and i + 1 < len(glyphs):  # the next one moved until the
            x = lefts[-1] + _touching(glyph, glyphs[i + 1])  # two strokes meet
    width, rise = x + glyphs[-1].shape[1], np.tan(np.radians(slant))
    extra = int(abs(rise) * width) + 1
    ink = np.zeros((tall + extra, width), np.float32)
    for left, glyph in zip(lefts, glyphs, strict=True):
        top = tall - glyph.shape[0] + (int(extra - rise * left) if rise > 0 else int(-rise * left))
        region = ink[top:top + glyph.shape[0], left:left + glyph.shape[1]]
        np.maximum(region, glyph[:region.shape[0], :region.shape[1]], out=region)
    yy, xx = np.mgrid[:ink.shape[0], :ink.shape[1]]
    base = tall - 4 * SCALE  # MNIST digits end about row 24 of their 28
    if dot_x is not None:
        cy = base + (extra - rise * dot_x if rise > 0 else -rise * dot_x)
        ink[(yy - cy) ** 2 + (xx - dot_x - stroke / 2) ** 2 <= (0.7 * stroke) ** 2] = 1
        text.insert(at, ".")
    if minus:
        cy = tall - 14 * SCALE + (extra if rise > 0 else 0)
        ink[int(cy - stroke / 2):int(cy + stroke / 2), :int(0.55 * HEIGHT)] = 1
        text.insert(0, "-")
    rows, cols = np.nonzero(ink > 0.2)
    return Written(ink, "".join(text), (rows.min(), cols.min(), rows.max() + 1, cols.max() + 1))


def _scaled(glyph: np.ndarray, size: float) -> np.ndarray:
    """A digit's ink `size` times as large."""
    shape = (max(1, round(glyph.shape[1] * size)), max(1, round(glyph.shape[0] * size)))
    image = Image.fromarray(glyph).resize(shape, Image.Resampling.BICUBIC)
    return np.clip(np.asarray(image, np.float32), 0, 1)


def page(written: Written, rng: np.random.Generator, margin: tuple = (0.5, 1.6)
         ) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """The number's ink on a sheet with margins of `margin` digit heights (random within), as
    ink in [0, 1]; and the number's box on it."""
    top, bottom, left, right = (int(rng.uniform(*margin) * HEIGHT) for _ in range(4))
    sheet = np.pad(written.ink, ((top, bottom), (left, right)))
    t, le, b, r = written.box
    return sheet, (t + top, le + left, b + top, r + left)


# Ink on paper, as grey levels in [0, 1]: the capture conditions' own, with this grid's paper
# and pen.
photo = functools.partial(on_paper, paper=PAPER, pen=PEN)


def pencil(ink: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Ink drawn again as a paint program's 1-pixel pencil draws it, one to three times as
    large: black lines one pixel wide on white (the grid's `thin_pen`)."""
    from skimage.morphology import skeletonize

    factor = rng.uniform(1, 3)
    size = (round(ink.shape[1] * factor), round(ink.shape[0] * factor))
    big = np.asarray(Image.fromarray(ink).resize(size, Image.Resampling.BICUBIC))
    return np.where(skeletonize(big > 0.5), 0, 255).astype(np.uint8)
