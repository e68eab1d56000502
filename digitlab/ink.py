"""Finding ink, for one digit (`preprocess`) and numbers (`page`) alike: how much of the light
each pixel's ink swallows, against the paper around it (so a shadow or an object's hard edge is
no ink), light ink or dark, which pixels are ink, the picture's grain and its strongest stroke,
and the straight lines that are no digit's (ruled and squared paper, a form's boxes).
"""
from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from PIL import Image
from scipy import ndimage

MIN_CONTRAST = 0.08  # below this, ink and paper differ by less than sensor noise does


class NoDigitFound(ValueError):
    """The picture is blank, or nearly: there is no digit in it to read."""


def ink_map(grey: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """How much light each pixel's ink swallows, 0 (paper) to 1, against the paper around it
    (for light ink on a dark board, mirrored), which pixels are ink, and the faint ink apart
    from it (`ink_mask`)."""
    if light_ink(grey):  # chalk on a board: mirror it
        grey = 1 - grey
    grey = ndimage.gaussian_filter(grey, 1)  # sensor noise and JPEG's blocks, smoothed away
    # The paper is a closing wider than any stroke, narrower than a shadow or an object: their
    # edges are steps, which a closing keeps. A fifth of the shorter side is wide for a number's
    # strokes; a digit cropped tight, or drawn with a thick marker, can have wider ones (the
    # closing mirrors the picture at its edge, so a bar along it counts twice as thick). Only
    # a clearly wider need is worth a second closing: a thin row's strokes come close.
    window = max(3, round(min(grey.shape) / 5))
    amount = _against(grey, window)
    mask, faint = ink_mask(amount)
    wider = round(3 * stroke_width(mask))
    if wider > 1.25 * window:
        amount = _against(grey, wider)
        mask, faint = ink_mask(amount)
    return amount, mask, faint


def _against(grey: np.ndarray, window: int) -> np.ndarray:
    """What `grey` lacks of the paper, a closing `window` pixels wide, as a share of it."""
    paper = ndimage.grey_closing(grey, size=(window, window))
    return np.clip((paper - grey) / np.maximum(paper, 0.03), 0, 1).astype(np.float32)


def stroke_width(mask: np.ndarray) -> float:
    """How wide the strokes of the ink `mask` are, in pixels, on average. Leaving out the solid
    wedges a shadow or an object leaves where it meets the picture's edge: pieces there whose
    thickest point is over 0.4 of their height (a digit's stroke, cut by the edge of a tight
    crop, is thinner for its height)."""
    if mask[0].any() or mask[-1].any() or mask[:, 0].any() or mask[:, -1].any():
        labels, _ = ndimage.label(mask, structure=np.ones((3, 3)))
        edge = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
        boxes = ndimage.find_objects(labels)
        wedges = [i for i in edge[edge > 0] if _solid(labels[boxes[i - 1]] == i)]
        strokes = mask & ~np.isin(labels, wedges) if wedges else mask
        mask = strokes if strokes.any() else mask
    return band_width(mask)


def band_width(mask: np.ndarray) -> float:
    """How wide the bands of ink in `mask` (not empty) are, in pixels, on average."""
    # Across a band w pixels wide the distances to its edge run 1, 2, ..., 2, 1: mean (w + 2) / 4.
    return 4 * float(ndimage.distance_transform_edt(mask)[mask].mean()) - 2


def _solid(piece: np.ndarray) -> bool:
    """Whether a piece (its mask, cut to its box) is thicker at its thickest than 0.4 of its
    height."""
    return float(ndimage.distance_transform_edt(piece).max()) > 0.4 * piece.shape[0]


def light_ink(grey: np.ndarray) -> bool:
    """Whether the ink is lighter than its paper (chalk on a board): only where what differs
    from the paper is brighter more than it is darker both against the paper near each part
    (a median over a thumbnail) and against the picture's paper as a whole (`rough_paper`). A
    shadow fools the first, bold strokes filling a tight crop the second; dark ink is the rule."""
    thumb = _resize(grey, (24, 24), Image.Resampling.BOX)
    return _brighter(thumb - ndimage.median_filter(thumb, 7, mode="nearest")) \
        and _brighter(grey - rough_paper(grey))


def _brighter(flat: np.ndarray) -> bool:
    """Whether `flat` (a picture less its paper) rises above zero more than it falls below."""
    return bool(np.square(np.clip(flat, 0, None)).sum() > np.square(np.clip(-flat, 0, None)).sum())


def rough_paper(grey: np.ndarray) -> np.ndarray:
    """The paper, roughly: a median over half the picture, framed first by a margin of the paper
    along its edges, so that ink stays a minority even where bold strokes fill the picture edge
    to edge (a tight crop). On a thumbnail, so cheap."""
    small = _resize(grey, (32, 32), Image.Resampling.BOX).copy()  # a median is slow
    # The paper along each edge (a median along it drops the strokes that cross it), spread
    # outwards as the frame.
    for rim in (small[0], small[-1], small[:, 0], small[:, -1]):
        rim[:] = ndimage.median_filter(rim, 17, mode="nearest")
    framed = np.pad(small, 16, mode="edge")
    # Each pixel's 16x16 median (scipy's median_filter(size=16), exactly), by a partial sort of
    # the windows: ten times faster than the filter on a thumbnail this size.
    windows = sliding_window_view(framed, (16, 16))[8:40, 8:40].reshape(32, 32, 256)
    smooth = np.partition(windows, 128, axis=-1)[..., 128]
    return _resize(smooth, grey.shape, Image.Resampling.BILINEAR)


def _resize(a: np.ndarray, shape: tuple[int, int], method) -> np.ndarray:
    return np.asarray(Image.fromarray(a.astype(np.float32)).resize(shape[::-1], method))


def ink_mask(amount: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """Which pixels are ink: strong ink, and the fainter ink joined to it (hysteresis), above
    the picture's own noise; and the faint ink joined to none (a speck, or a thin stroke that
    faded as the picture shrank), labelled in connected pieces (0: none; None where there is
    none)."""
    peak = stroke_peak(amount[::2, ::2])  # every other pixel: strokes are wider
    noise = grain(amount)
    if peak < max(MIN_CONTRAST, 6 * noise):
        raise NoDigitFound("no digit found: no ink stands out from the paper")
    labels, n = ndimage.label(amount > max(0.25 * peak, 4 * noise), structure=np.ones((3, 3)))
    strong = np.zeros(n + 1, bool)
    strong[labels[amount > 0.5 * peak]] = True
    strong[0] = False
    seeded = strong[labels]
    return seeded, np.where(seeded, 0, labels) if strong.sum() < n else None


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
