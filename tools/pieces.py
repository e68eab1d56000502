"""The pieces of ink that `digitlab.number` cuts a number into, labelled: one whole digit, or
not (a fragment of one, or parts of two run together).

The number reader cuts ink wider than a digit along least-ink seams and reads every way of
cutting it. The digit network reads a fragment as surely as a whole digit (a 9 without the left
of its loop is a sure 7), so a second network learns to tell the two apart. Its examples are made
here the way the reader makes them: numbers of MNIST training digits written with gaps that vary
from wide to touching, photographed, found by the reader's own first steps and cut by its own
`joins` and `splits`. A piece holding at least `WHOLE` of one digit's ink and at most `STRAY` of
another's is one digit; one with less than `PART` of any digit, or more than `BOTH` of each of
two, is not; the rest are ambiguous and left out.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PIL import Image

from digitlab.config import READER
from tools.number_pages import HEIGHT, SIZES, _columns, _scaled, _touching, pencil, photo

WHOLE, STRAY = 0.9, 0.08  # one digit: nearly all of it, hardly any of its neighbour
PART, BOTH = 0.7, 0.2  # not one digit: a fragment, or a good share of two
WAYS = 4  # ways of cutting each candidate that are kept (at random), so no candidate dominates


def written(digits: np.ndarray, rng: np.random.Generator, mixed: bool = False
            ) -> list[np.ndarray]:
    """`digits` written in a row on a page, each gap wide, tight, touching or overlapping (or,
    `mixed`, in digits of mixed sizes on one baseline, the largest up to three times the
    smallest, apart): each digit's ink on the page, as its own sheet."""
    glyphs = [_columns(d) for d in digits]
    if mixed:  # a small whole digit, seen at the row's scale, is still one whole digit
        glyphs = [_scaled(g, np.exp(rng.uniform(*np.log(SIZES)))) for g in glyphs]
        tall = max(g.shape[0] for g in glyphs)
        glyphs = [np.pad(g, ((tall - g.shape[0], 0), (0, 0))) for g in glyphs]  # feet in line
    lefts, x = [], 0
    for i, glyph in enumerate(glyphs):
        lefts.append(x)
        if i + 1 == len(glyphs):
            break
        # wide, tight, touching, overlapping
        kind = rng.choice(2) if mixed else rng.choice(4, p=[0.3, 0.25, 0.35, 0.1])
        if kind < 2:
            x += glyph.shape[1] + int(rng.uniform(*[(0.15, 0.5), (0.0, 0.1)][kind]) * HEIGHT)
        else:
            x += max(1, _touching(glyph, glyphs[i + 1]) - (kind == 3) * int(
                rng.uniform(0, 0.12) * HEIGHT))
    margins = [int(rng.uniform(0.5, 1.6) * HEIGHT) for _ in range(4)]
    width = max(left + glyph.shape[1] for left, glyph in zip(lefts, glyphs, strict=True))
    sheets = []
    for left, glyph in zip(lefts, glyphs, strict=True):
        ink = np.zeros((glyph.shape[0], width), np.float32)
        ink[:, left:left + glyph.shape[1]] = glyph
        sheets.append(np.pad(ink, ((margins[0], margins[1]), (margins[2], margins[3]))))
    return sheets


def shares(part: np.ndarray, box: tuple, own: list[np.ndarray]) -> list[float]:
    """The share of each digit's ink (`own`: each digit's ink where the piece was found) that
    the piece (cropped ink at `box`) holds."""
    left, top, right, bottom = box
    kept = part > 0.05
    return [float(o[top:bottom, left:right][kept].sum()) / max(float(o.sum()), 1e-6)
            for o in own]


def label(part: np.ndarray, box: tuple, own: list[np.ndarray]) -> int | None:
    """1 if the piece (cropped ink at `box`) is one whole digit, 0 if it is not, None if it is
    neither clearly; `own` is each digit's ink where the piece was found."""
    held = sorted(shares(part, box, own))
    if held[-1] >= WHOLE and (len(held) == 1 or held[-2] <= STRAY):
        return 1
    if held[-1] < PART or (len(held) > 1 and held[-2] > BOTH):
        return 0
    return None


def photographed(sheets: list[np.ndarray], rng: np.random.Generator, thin: bool = False):
    """Digits' sheets (`written`'s) photographed (`thin`: drawn with a 1-pixel pencil, no photo)
    and found by the reader's own steps: the levelled ink, its pieces' labels, the digits'
    height, the row's candidates, and each digit's ink where the reader found ink. None where
    the reader found no row, or turned it (the sheets would no longer line up)."""
    from digitlab import cutting, pictures
    from digitlab.ink import NoDigitFound
    from digitlab.page import find_ink

    ink = np.max(sheets, axis=0)
    grey = pictures.grey_image(pencil(ink, rng) if thin else photo(ink), side=READER.side)
    try:
        levelled, labels, height, tilt, cands, _ = cutting.candidates(find_ink(grey))
    except NoDigitFound:  # a pencil's strokes broken into bits, none of a digit's size
        return None
    if tilt or not cands:
        return None
    # Each digit's ink where the reader found ink: its faint rim, which the reader leaves out,
    # would otherwise count as a part of the digit that every piece misses.
    own = [np.where(levelled > 0.05, np.asarray(Image.fromarray(s).resize(
        grey.shape[::-1], Image.Resampling.BOX)), 0) for s in sheets]
    return levelled, labels, height, cands, own


def from_number(digits: np.ndarray, rng: np.random.Generator, mixed: bool = False,
                thin: bool = False):
    """The pieces the reader would read in a photo of `digits` written in a row (`mixed`: in
    digits of mixed sizes; `thin`: drawn with a 1-pixel pencil, no photo), as 28x28 images,
    with their labels (1: one whole digit)."""
    from digitlab import cutting, number

    found = photographed(written(digits, rng, mixed), rng, thin)
    if found is None:
        return [], []
    levelled, labels, height, cands, own = found
    ways = cutting.joins(cands, levelled, labels, height)
    cut = []
    for way in ways:
        if way.end == way.first + 1:
            split = cutting.splits(way.first, way.parts[0], height)
            cut += [split[k] for k in rng.permutation(len(split))[:WAYS]]
    images, ys, seen = [], [], set()
    for way in ways + cut:
        for ink, box in way.parts:
            if box in seen:  # the same piece, cut out by another way too
                continue
            seen.add(box)
            y = label(ink, box, own)
            if y is not None:
                images.append(number.at_row_scale(ink, height))
                ys.append(y)
    return images, ys


def make(digits: np.ndarray, count: int, seed: int = 0, mixed: bool = False,
         lengths: tuple[int, int] = (2, 6), thin: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """The pieces of `count` numbers of `lengths` (fewest, most) of `digits` (MNIST's uint8
    28x28; `mixed`: in digits of mixed sizes; `thin`: drawn with a 1-pixel pencil), as the
    reader reads them (28x28 uint8), and their labels (1: one whole digit)."""
    return numbers_of(len(digits), count, seed, lengths, 28, lambda chosen, rng: from_number(
        digits[chosen], rng, mixed, thin))


def numbers_of(total: int, count: int, seed: int, lengths: tuple[int, int], width: int,
               pieces_of: Callable) -> tuple[np.ndarray, np.ndarray]:
    """`pieces_of(chosen, rng)` for `count` numbers, each of `lengths` (fewest, most) digits
    chosen from `total`, stacked: 28 x `width` uint8 images and their labels."""
    rng = np.random.default_rng(seed)
    images, labels = [], []
    for _ in range(count):
        got, ys = pieces_of(rng.choice(total, int(rng.integers(lengths[0], lengths[1] + 1)),
                                       replace=False), rng)
        images += got
        labels += ys
    images = np.stack(images) if images else np.zeros((0, 28, width), np.float32)
    return (images * 255).round().astype(np.uint8), np.array(labels, np.int64)
