"""Finding ink. For one digit (`preprocess`) and numbers (`page`) alike: the picture's grain
and its strongest stroke. On a page: how much of the light each pixel's ink swallows, against
the paper around it (so a shadow or an object's hard edge is no ink), which pixels are ink, and
the straight lines that are no digit's (ruled and squared paper, a form's boxes).
"""
from __future__ import annotations

import numpy as np
from PIL import Image
from scipy import ndimage

MIN_CONTRAST = 0.08  # below this, ink and paper differ by less than sensor noise does


class NoDigitFound(ValueError):
    """The picture is blank, or nearly: there is no digit in it to read."""


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
    peak = stroke_peak(amount[::2, ::2])  # every other pixel: strokes are wider
    noise = grain(amount)
    if peak < max(MIN_CONTRAST, 6 * noise):
        raise NoDigitFound("no number found: no ink stands out from the paper")
    labels, n = ndimage.label(amount > max(0.25 * peak, 4 * noise), structure=np.ones((3, 3)))
    strong = np.zeros(n + 1, bool)
    strong[labels[amount > 0.5 * peak]] = True
    strong[0] = False
    return strong[labels]


def grain(flat: np.ndarray) -> float:
    """The picture's noise, as a standard deviation: from differences of neighbouring pixels,
    which are noise alone wherever both are paper or both ink, so however much of the picture
    the ink covers (a robust spread, the MAD, of the differences, over the square root of 2)."""
    step = np.diff(flat, axis=1).ravel()
    if not step.size:  # a picture one pixel wide has no neighbours, so no noise to measure
        return 0.0
    return 1.4826 * float(np.median(np.abs(step - np.median(step)))) / np.sqrt(2)


def stroke_peak(amount: np.ndarray) -> float:
    """The strongest ink that lies on a stroke: the highest level that at least five pixels of
    some 5x5 block reach. A line one pixel wide, straight or curved, crosses the block around any
    of its pixels in five or more; specks of up to four pixels (noise, dust) do not count.
    Found by bisection: 8 box filters, far cheaper than one rank filter. Levels of a quarter of
    the strongest ink or more are tested on the box around that much ink alone, two pixels
    wider (a block's reach): the same answer, at a fraction of the pixels."""
    low, high = 0.0, float(amount.max())
    if high <= 0:
        return 0.0
    top = high
    rows, cols = np.nonzero(amount >= top / 4)
    near = amount[max(rows.min() - 2, 0):rows.max() + 3, max(cols.min() - 2, 0):cols.max() + 3]
    for _ in range(8):  # to within 0.4% of the strongest ink
        level = (low + high) / 2
        seen = near if level >= top / 4 else amount
        if (ndimage.uniform_filter((seen >= level).astype(np.float32), 5) > 4.5 / 25).any():
            low = level
        else:
            high = level
    return low


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
