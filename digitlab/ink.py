"""Ink on a page: how much of the light each pixel's ink swallows, against the paper around it
(so a shadow or an object's hard edge is no ink), which pixels are ink, and the straight lines
that are no digit's (ruled and squared paper, a form's boxes). Steps 1 and 2 of `number.read`.
"""

from __future__ import annotations

import numpy as np
from PIL import Image
from scipy import ndimage

from digitlab import preprocess
from digitlab.preprocess import NoDigitFound


def ink_map(grey: np.ndarray) -> np.ndarray:
    """How much light each pixel's ink swallows, 0 (paper) to 1, against the paper around it
    (for light ink on a dark board, mirrored)."""
    if _light_ink(grey):  # chalk on a board: mirror it
        grey = 1 - grey
    grey = ndimage.gaussian_filter(grey, 1)  # sensor noise and JPEG's blocks, smoothed away
    # Wider than any stroke of a number that fits the picture (a fifth of its shorter side),
    # narrower than a shadow or an object: their edges are steps, which a closing keeps.
    paper = ndimage.grey_closing(grey, size=(max(3, round(min(grey.shape) / 5)),) * 2)
    ink = np.clip((paper - grey) / np.maximum(paper, 0.03), 0, 1)
    return ink.astype(np.float32)


def _light_ink(grey: np.ndarray) -> bool:
    """Whether the ink is lighter than its paper: what differs from the paper around it (a
    median over a thumbnail, so shadows stay paper) is brighter more than it is darker."""
    thumb = np.asarray(Image.fromarray(grey).resize((24, 24), Image.Resampling.BOX))
    paper = ndimage.median_filter(thumb, 7, mode="nearest")
    flat = thumb - paper
    return bool(np.square(np.clip(flat, 0, None)).sum() > np.square(np.clip(-flat, 0, None)).sum())


def ink_mask(amount: np.ndarray) -> np.ndarray:
    """Which pixels are ink: strong ink, and the fainter ink joined to it (hysteresis), above
    the picture's own noise."""
    peak = preprocess.stroke_peak(amount[::2, ::2])  # every other pixel: strokes are wider
    noise = preprocess.grain(amount)
    if peak < max(preprocess.MIN_CONTRAST, 6 * noise):
        raise NoDigitFound("no number found: no ink stands out from the paper")
    labels, n = ndimage.label(amount > max(0.25 * peak, 4 * noise), structure=np.ones((3, 3)))
    strong = np.zeros(n + 1, bool)
    strong[labels[amount > 0.5 * peak]] = True
    strong[0] = False
    return strong[labels]


def _runs(mask: np.ndarray, length: int) -> np.ndarray:
    """Pixels on horizontal runs of ink at least `length` long, allowing a line to wander by a
    pixel (a photographed line is seldom exactly level)."""
    tolerant = ndimage.maximum_filter1d(mask.astype(np.uint8), 3, axis=0)
    runs = ndimage.minimum_filter1d(tolerant, length, axis=1)
    return ndimage.maximum_filter1d(runs, length, axis=1).astype(bool) & tolerant.astype(bool)


def _lines(mask: np.ndarray, length: int, thick: int) -> np.ndarray:
    """Thin horizontal lines at least `length` long, but not where a stroke crosses or runs
    along one: there the ink, measured straight down, is thicker than the line."""
    if mask.sum(axis=1).max(initial=0) < length:  # no row holds that much ink: no such line
        return np.zeros_like(mask)
    labels, _ = ndimage.label(_runs(mask, length) & mask)
    runs, _ = ndimage.label(mask, structure=[[0, 1, 0]] * 3)  # each column's runs of ink
    depth = np.bincount(runs.ravel())
    depth[0] = 0
    depth = depth[runs]  # how far each pixel's ink runs straight down
    lines = np.zeros_like(mask)
    for i, (rows, cols) in enumerate(ndimage.find_objects(labels), 1):
        mine = labels[rows, cols] == i
        own = float(np.median(mine.sum(axis=0)[mine.any(axis=0)]))  # the line's thickness
        if own <= thick:  # a line, not a block of ink
            lines[rows, cols] |= mine & (depth[rows, cols] <= own + 1)
    return lines


def remove_lines(mask: np.ndarray, across: float, down: float, thick: int) -> np.ndarray:
    """The mask without thin straight lines at least `across` long across or `down` long down
    (ruled and squared paper, a form's boxes), nor the short sides of a box: thin upright
    pieces whose top and bottom both touched a line across."""
    lines = _lines(mask, max(8, round(across)), thick)
    kept = mask & ~lines & ~_lines(mask.T, max(8, round(down)), thick).T
    if not lines.any():
        return kept
    grown = ndimage.maximum_filter(lines, size=(2 * thick + 1, 3))
    labels, _ = ndimage.label(kept, structure=np.ones((3, 3)))
    for i, (rows, cols) in enumerate(ndimage.find_objects(labels), 1):
        if cols.stop - cols.start <= 2 * thick and rows.stop - rows.start > 4 * thick \
                and grown[rows.start, cols].any() and grown[rows.stop - 1, cols].any():
            kept[rows, cols] &= labels[rows, cols] != i
    return kept
