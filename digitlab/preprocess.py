"""Turn any picture of one handwritten digit into the 28x28 image an MNIST network expects.

MNIST was made like this: the digit's ink, cropped, scaled (anti-aliased) so its longer side is
20 pixels, placed in a 28x28 field with its centre of mass at the centre. We do the same, after
finding the ink as the number reader does (`page.find_ink`: light or dark, on white, grey, tinted,
lined or squared paper, in a box, in shadow or not; a small digit on a big page looked at again,
closer): one reader for every picture, which here expects one digit. Each step is a small
function; `preprocess` chains them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image
from scipy import ndimage

from digitlab.ink import NoDigitFound, band_width, stroke_peak
from digitlab.page import Found, look
from digitlab.pictures import grey_image, open_picture
from digitlab.row import box, groups, number_row, others

WORK_SIDE = 256  # the working resolution: plenty for a 20-pixel result, and fast
STROKE = 2.2  # MNIST's typical stroke width, in pixels of the 28x28 image
SPECKS = 0.03  # ink under this share of the page's shorter side is no digit: a 6-mm digit on A4
SMALLEST = 8  # pixels across: a digit fits in no less (MNIST's are 20 tall)


@dataclass
class Steps:
    """Every stage of `preprocess`, to show what the network sees (`plots.preprocess_steps`)."""

    grey: np.ndarray  # the picture in grey, at working resolution
    ink: np.ndarray  # how much ink each pixel holds, paper and shadows removed, 0..1
    cleaned: np.ndarray  # the digit's ink: without lines, frames and specks
    cropped: np.ndarray  # cut to the digit
    digit: np.ndarray  # the 28x28 result


def enlarged(grey: np.ndarray, side: int = WORK_SIDE) -> np.ndarray:
    """`grey` enlarged (bilinear) to `side` pixels on its longer side if that is under half of
    `side`: the ink finder smooths away a pixel's noise, which would flatten an MNIST-sized
    digit's strokes. A picture too small to hold a digit is none."""
    if min(grey.shape) < SMALLEST:
        raise NoDigitFound(f"no digit found: a picture {min(grey.shape)} pixels across is too "
                           "small to hold one")
    if max(grey.shape) >= side / 2:
        return grey
    return scaled(grey, side / max(grey.shape))


def the_digit(found: Found) -> np.ndarray:
    """The digit's ink, as amounts 0 to 1: the number's row as the number reader finds it
    (`row.number_row`, with its bars and dots), here expected to be one digit, and every piece
    that weighs a tenth of the row's heaviest and lies within a tenth of its size of it, as it
    grows (a pencil's broken strokes stay, blots beside it go); a pixel around each."""
    row = number_row(found.pieces, found.height)
    least = 0.1 * max(p.mass for p in row)
    kept = [p for g in groups(row, others(found.pieces, row), found.height) for p in g
            if p.mass >= least]
    taken = {p.label for p in kept}
    rest = [p for p in found.pieces if p.mass >= least and p.label not in taken]
    while True:
        left, top, right, bottom = box(kept)
        reach = 0.1 * max(right - left, bottom - top)
        near = {p.label for p in rest if p.left <= right + reach and p.right >= left - reach
                and p.top <= bottom + reach and p.bottom >= top - reach}
        if not near:
            break
        kept += [p for p in rest if p.label in near]
        rest = [p for p in rest if p.label not in near]
    if max(right - left, bottom - top) < SPECKS * min(found.labels.shape):
        raise NoDigitFound("no digit found: only specks, too small to be a digit")
    keep = ndimage.binary_dilation(np.isin(found.labels, [p.label for p in kept]))
    amount = np.where(keep, found.amount, 0)
    return np.clip(amount / max(stroke_peak(amount), 1e-6), 0, 1).astype(np.float32)


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
    # A quarter of the strongest ink, not of black: a 1-pixel pencil line shrunk with its page
    # holds a quarter of black or less, and its strokes were never widened at all. (Its max:
    # the crop is one digit's ink; `stroke_peak` would add a quarter millisecond a call.)
    mask = cropped > 0.25 * cropped.max()
    if not mask.any():  # no ink: nothing to measure
        return cropped
    missing = STROKE / factor - band_width(mask)  # in working pixels
    if missing < 1:
        return cropped
    return ndimage.grey_dilation(cropped, size=(2 * round(missing / 2) + 1,) * 2)


def preprocess(source, return_steps: bool = False) -> np.ndarray | Steps:
    """One digit's picture as an MNIST-style 28x28 float32 image in [0, 1] (ink is 1)."""
    picture = open_picture(source, WORK_SIDE)
    # the number reader's finder: the same ink, lines and frames out, looked at as closely (a
    # picture shrunk to the working size is opened again, larger)
    grey, found = look(enlarged(picture.grey), (lambda side: open_picture(source, side).grey)
                       if picture.scale > 1 else None)
    cleaned = the_digit(found)
    cropped = crop(cleaned)
    digit = to_mnist(cropped)
    return Steps(grey, found.amount, cleaned, cropped, digit) if return_steps else digit


def naive(source) -> np.ndarray:
    """The way many tutorials do it, for comparison: resize to 28x28, invert, scale to [0, 1]."""
    grey = Image.fromarray((grey_image(source, WORK_SIDE) * 255).astype(np.uint8)).resize((28, 28))
    return 1 - np.asarray(grey, np.float32) / 255
