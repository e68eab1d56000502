"""Turn any picture of one handwritten digit into the 28x28 image an MNIST network expects.

MNIST was made like this: the digit's ink, cropped, scaled (anti-aliased) so its longer side is
20 pixels, placed in a 28x28 field with its centre of mass at the centre. We do the same, after
working out from the picture itself which pixels are ink: light or dark, on white, grey or tinted
paper, in shadow or not. Each step is a small function; `preprocess` chains them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from PIL import Image
from scipy import ndimage

from digitlab.ink import MIN_CONTRAST, NoDigitFound, grain, stroke_peak
from digitlab.pictures import grey_image

WORK_SIDE = 256  # the working resolution: plenty for a 20-pixel result, and fast
STROKE = 2.2  # MNIST's typical stroke width, in pixels of the 28x28 image


@dataclass
class Steps:
    """Every stage of `preprocess`, to show what the network sees (`plots.preprocess_steps`)."""

    grey: np.ndarray  # the picture in grey, at working resolution
    ink: np.ndarray  # how much ink each pixel holds, paper and shadows removed, 0..1
    cleaned: np.ndarray  # ink without specks and ruled lines
    cropped: np.ndarray  # cut to the digit
    digit: np.ndarray  # the 28x28 result


def _resize(a: np.ndarray, shape: tuple[int, int], method) -> np.ndarray:
    return np.asarray(Image.fromarray(a.astype(np.float32)).resize(shape[::-1], method))


def background(grey: np.ndarray, paper: np.ndarray | None = None) -> np.ndarray:
    """The paper alone: lighting, tint and shadows, without the ink.

    Without a `paper` mask: a median over half the picture, framed first by a margin of the
    paper along its edges, so that ink stays a minority even where bold strokes fill the
    picture edge to edge (a tight crop). With one: a smooth average of the pixels known to be
    paper, which bold strokes cannot pull down. Both work on thumbnails, so are cheap.
    """
    if paper is None:
        small = _resize(grey, (32, 32), Image.Resampling.BOX).copy()  # a median is slow
        # The paper along each edge (a median along it drops the strokes that cross it), spread
        # outwards as the frame.
        for rim in (small[0], small[-1], small[:, 0], small[:, -1]):
            rim[:] = ndimage.median_filter(rim, 17, mode="nearest")
        framed = np.pad(small, 16, mode="edge")
        # Each pixel's 16x16 median (scipy's median_filter(size=16), exactly), by a partial
        # sort of the windows: ten times faster than the filter on a thumbnail this size.
        windows = sliding_window_view(framed, (16, 16))[8:40, 8:40].reshape(32, 32, 256)
        smooth = np.partition(windows, 128, axis=-1)[..., 128]
    else:
        small = _resize(grey, (64, 64), Image.Resampling.BOX)
        weight = _resize(paper, (64, 64), Image.Resampling.BOX)  # share of paper in each box
        total = _resize(grey * paper, (64, 64), Image.Resampling.BOX)
        smooth = (ndimage.gaussian_filter(total, 4, mode="nearest")
                  / np.maximum(ndimage.gaussian_filter(weight, 4, mode="nearest"), 1e-3))
    return _resize(smooth, grey.shape, Image.Resampling.BILINEAR)


BLANK = "no digit found: the picture is blank (no ink stands out from the paper)"


def ink(grey: np.ndarray) -> np.ndarray:
    """How much ink each pixel holds, 0 (paper) to 1, for dark-on-light or light-on-dark.

    Ink is what differs from the paper, in the direction that differs most: that decides the
    polarity, from the picture itself. A first guess at the ink tells which pixels are paper;
    the paper's shading is then measured on those alone. A picture whose strongest ink barely
    rises above the paper's own grain is blank.
    """
    flat = grey - background(grey)
    darker = np.square(np.clip(-flat, 0, None)).sum() >= np.square(np.clip(flat, 0, None)).sum()
    first = np.clip(-flat if darker else flat, 0, None)
    noise = grain(flat)
    if stroke_peak(first) < max(MIN_CONTRAST, 6 * noise):
        raise NoDigitFound(BLANK)
    likely_ink = ndimage.binary_dilation(first > 0.1 * first.max(), iterations=2)
    paper = background(grey, paper=~likely_ink)
    # Light falls on paper and ink alike, so dark ink is measured as the share of the light it
    # swallows: a stroke in shadow counts as much as one in the sun. Light ink, mirrored.
    amount = np.clip((paper - grey) / np.maximum(paper, 0.05) if darker else
                     (grey - paper) / np.maximum(1 - paper, 0.05), 0, None)
    contrast = stroke_peak(amount)
    if contrast < MIN_CONTRAST:  # the first guess was the paper's own shading (one pixel wide)
        raise NoDigitFound(BLANK)
    # Below the floor it is paper: texture, grain or JPEG noise. The grainier the picture, the
    # higher the floor; on clean paper even faint pencil stays.
    floor = min(0.3, max(0.05, 4 * noise / contrast))
    return np.clip((amount / contrast - floor) / (1 - floor), 0, 1).astype(np.float32)


def _lines_across(mask: np.ndarray) -> list[np.ndarray]:
    """Each thin horizontal line that runs (nearly) edge to edge: a ruled line, a frame's side,
    or a thin bar of a digit in a tight crop; as a mask of its pixels widened by a pixel."""
    width = mask.shape[1]
    tolerant = ndimage.binary_dilation(mask, np.ones((3, 1)))  # a line may wander by a pixel
    length = max(2, width // 4)
    runs = ndimage.minimum_filter1d(tolerant.astype(np.uint8), length, axis=1)  # 1-D opening,
    runs = ndimage.maximum_filter1d(runs, length, axis=1).astype(bool)  # fast for any length
    edge, thin = max(1, width // 20), 2 + max(3, width // 25)  # 2: the rows `tolerant` adds
    lines = []
    for rows in _thin_bands(runs, thin):
        covered = runs[rows].any(axis=0)  # a line may be broken where it crosses the digit
        if covered.mean() > 0.6 and covered[:edge].any() and covered[-edge:].any():
            line = np.zeros_like(mask)
            line[rows] = runs[rows]
            line = ndimage.binary_dilation(line, np.ones((3, 1))) & mask
            # Where a stroke crosses the line, ink lies just above and just below it: keep those
            # columns, or the line would cut the digit in two.
            above, below = max(rows.start - 2, 0), min(rows.stop + 1, mask.shape[0] - 1)
            line[:, mask[above] & mask[below]] = False
            if line.any():  # ink above and below all along: a stroke's body, not a line
                lines.append(line)
    return lines


def _thin_bands(runs: np.ndarray, thin: int) -> list[slice]:
    """Runs of consecutive rows that hold long runs and are at most `thin` rows thick. Where a
    ruled line touches a stroke along it, their band is thick: the line is then the rows within
    it that are mostly run, apart from the stroke's rows, which are not."""
    bands = []
    for (rows,) in ndimage.find_objects(ndimage.label(runs.any(axis=1))[0]):
        if rows.stop - rows.start > thin:  # a stroke's worth thick: look for a line inside
            inner, _ = ndimage.label(runs[rows].mean(axis=1) > 0.6)
            bands += [slice(rows.start + part.start, rows.start + part.stop)
                      for (part,) in ndimage.find_objects(inner) if part.stop - part.start <= thin]
        else:
            bands.append(rows)
    return bands


def _runs_past(line: np.ndarray, rest: np.ndarray, margin: float) -> bool:
    """Whether a line, its pixels at positions `line` along it, runs past both ends of the other
    ink, at positions `rest`, by more than `margin`: a ruled line or a frame does, a digit's own
    bar stops where the digit does."""
    if rest.size == 0:  # nothing else: the line is the digit (a 1)
        return False
    low, high = np.percentile(rest, [0.5, 99.5])  # a speck further out changes nothing
    return bool(line.min() < low - margin and line.max() > high + margin)


def _ruled_lines(mask: np.ndarray) -> np.ndarray:
    """Pixels of ruled lines, squared paper and frames: thin straight lines edge to edge that run
    past the rest of the ink on both sides. Where a tight crop cuts the picture at the digit,
    its own bars run edge to edge too, but end with it: they stay."""
    across = _lines_across(mask)
    down = [line.T for line in _lines_across(mask.T)]
    if not across and not down:
        return np.zeros_like(mask)
    rows, cols = np.nonzero(mask & ~np.any(across + down, axis=0))
    margin = max(mask.shape) / 20
    ruled = ([line for line in across if _runs_past(np.nonzero(line)[1], cols, margin)]
             + [line for line in down if _runs_past(np.nonzero(line)[0], rows, margin)])
    return np.any(ruled, axis=0) if ruled else np.zeros_like(mask)


def clean(amount: np.ndarray) -> np.ndarray:
    """Remove ruled lines, margin lines and specks; keep every sizeable part of the digit."""
    amount = amount.copy()
    amount[_ruled_lines(amount > 0.1)] = 0  # printed lines are often fainter than the pen
    labels, n = ndimage.label(amount > 0.1, structure=np.ones((3, 3)))  # faint joins count
    if n == 0:
        raise NoDigitFound("no digit found: only lines across the whole picture")
    masses = ndimage.sum_labels(amount, labels, index=np.arange(1, n + 1))
    keep = np.flatnonzero(masses >= 0.1 * masses.max()) + 1  # specks weigh far less than strokes
    amount[~np.isin(labels, keep)] = 0
    rows, cols = np.nonzero(amount)
    if max(np.ptp(rows), np.ptp(cols)) + 1 < 0.05 * min(amount.shape):
        raise NoDigitFound("no digit found: only specks, too small to be a digit")
    return amount


def crop(amount: np.ndarray) -> np.ndarray:
    """Cut the picture to the bounding box of its ink."""
    rows, cols = np.nonzero(amount)
    return amount[rows.min():rows.max() + 1, cols.min():cols.max() + 1]


def to_mnist(cropped: np.ndarray) -> np.ndarray:
    """Scale the longer side to 20 pixels (anti-aliased) with MNIST-like strokes, then place the
    digit in 28x28 with its centre of mass at the centre."""
    factor = 20 / max(cropped.shape)
    small = scaled(thicken(cropped, factor), factor)
    field = np.zeros((28, 28), np.float32)
    top, left = (28 - small.shape[0]) // 2, (28 - small.shape[1]) // 2
    field[top:top + small.shape[0], left:left + small.shape[1]] = small
    cy, cx = ndimage.center_of_mass(field)
    field = ndimage.shift(field, (14 - cy, 14 - cx), order=1, mode="constant")
    return np.clip(field / max(field.max(), 1e-6), 0, 1).astype(np.float32)


def scaled(ink: np.ndarray, factor: float) -> np.ndarray:
    """`ink` scaled by `factor`, a pixel each way at least: averaged over boxes when shrinking
    (so that no thin stroke falls between samples), bilinear when growing."""
    size = (max(1, round(ink.shape[1] * factor)), max(1, round(ink.shape[0] * factor)))
    return np.asarray(Image.fromarray(ink.astype(np.float32)).resize(
        size, Image.Resampling.BOX if factor < 1 else Image.Resampling.BILINEAR))


def thicken(cropped: np.ndarray, factor: float) -> np.ndarray:
    """Widen thin strokes (a fine pen in a big photo) to what MNIST's would be after scaling."""
    mask = cropped > 0.25
    if not mask.any():  # only faint ink: nothing to measure
        return cropped
    # Across a band w pixels wide the distances to its edge run 1, 2, ..., 2, 1: mean (w + 2) / 4.
    width = 4 * float(ndimage.distance_transform_edt(mask)[mask].mean()) - 2
    missing = STROKE / factor - width  # in working pixels
    if missing < 1:
        return cropped
    return ndimage.grey_dilation(cropped, size=(2 * round(missing / 2) + 1,) * 2)


def preprocess(source, return_steps: bool = False) -> np.ndarray | Steps:
    """One digit's picture as an MNIST-style 28x28 float32 image in [0, 1] (ink is 1)."""
    grey = grey_image(source, WORK_SIDE)
    amount = ink(grey)
    cleaned = clean(amount)
    cropped = crop(cleaned)
    digit = to_mnist(cropped)
    return Steps(grey, amount, cleaned, cropped, digit) if return_steps else digit


def naive(source) -> np.ndarray:
    """The way many tutorials do it, for comparison: resize to 28x28, invert, scale to [0, 1]."""
    grey = Image.fromarray((grey_image(source, WORK_SIDE) * 255).astype(np.uint8)).resize((28, 28))
    return 1 - np.asarray(grey, np.float32) / 255
