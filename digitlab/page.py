"""Find a handwritten number's ink on a page, or one digit's: the ink, less the lines and
frames that are not the number, in connected pieces, and how tall its digits are. The first
steps of `number.read` and of `preprocess` alike (`row` then finds the number's row among the
pieces):

1. `ink.ink_map`: ink is what is darker (or, chalk, lighter) than the paper *around it*. The
   paper is found by a closing (a maximum, then a minimum filter) wider than any stroke, so a
   shadow or an object, wider still, is paper in its own light, and its hard edge is no stroke;
2. `ink.remove_lines`: straight lines far longer than a digit is tall (ruled and squared paper,
   a form's boxes), the short sides of a box, which join two such lines; then hollow `frames`,
   and what reaches in `at_the_edge`; what is left, in `pieces`, and the `digit_height`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from scipy import ndimage

from digitlab.config import READER
from digitlab.ink import NoDigitFound, ink_map, remove_lines


class Found(NamedTuple):
    """What `find_ink` finds on a page."""

    amount: np.ndarray  # how much light each pixel's ink swallows, 0 to 1 (`ink.ink_map`)
    mask: np.ndarray  # which pixels are ink
    clean: np.ndarray  # those without lines, frames and the tips that reach in at the edges
    labels: np.ndarray  # each pixel of `clean`, its piece's label (0: no ink)
    pieces: list[Piece]  # the connected pieces of `clean`
    height: float  # how tall the number's digits are


def find_ink(grey: np.ndarray) -> Found:
    """Steps 1 and 2: the ink's amounts, which pixels are ink, which of those are left once
    lines, frames and the tips of what reaches in at the edges are gone (with their pieces),
    and the height of the number's digits."""
    amount, mask, faint = ink_map(grey)
    # Lines across most of the picture first (no digit is that long), so that squared paper
    # does not pass for one piece the size of the page; then lines long for a digit.
    across, down = 0.5 * grey.shape[1], 0.8 * grey.shape[0]
    thin = max(2, round(min(grey.shape) / 60))
    clean = remove_lines(mask, across, down, thin)
    labels, found = pieces(clean)
    # A thin stroke that faded as the picture shrank seeds no ink of its own (a small 1 among
    # big digits reached 0.47 of the strongest ink): faint ink as tall as 0.4 of a digit is ink,
    # or that digit would be dropped in silence. Specks are shorter (a stray smudge beside a
    # digit, taken in by a lower seed, read as a decimal point). Before frames are looked for:
    # a form's box printed light is one.
    dim_boxes = [] if faint is None else [
        (i, box) for i, box in enumerate(ndimage.find_objects(faint), 1) if box]
    least = 0.4 * digit_height(found) if dim_boxes else 0
    tall = [i for i, (rows, _) in dim_boxes if rows.stop - rows.start >= least]
    if tall:  # less their lines across the page, as above (what is left, as tall)
        dim_labels, dim = pieces(remove_lines(np.isin(faint, tall), across, down, thin))
        strokes = np.isin(dim_labels, [p.label for p in dim if p.height >= least])
        mask, clean = mask | strokes, clean | strokes
        labels, found = pieces(clean)
    boxes = frames(found, labels)  # first, or a box around one digit passes for its height
    if boxes:
        clean = clean & ~np.isin(labels, [p.label for p in boxes])
        labels, found = pieces(clean)
    height = digit_height(found)
    cleaner = remove_lines(clean, 2.5 * height, 1.6 * height, max(2, round(height / 8)))
    if (cleaner != clean).any():
        clean = cleaner
        labels, found = pieces(clean)
    strays = frames(found, labels) + at_the_edge(found, labels, height)
    if strays:
        clean = clean & ~np.isin(labels, [p.label for p in strays])
        labels, found = pieces(clean)
    return Found(amount, mask, clean, labels, found, digit_height(found))


def look(grey: np.ndarray, closer_at: Callable[[int], np.ndarray] | None
         ) -> tuple[np.ndarray, Found]:
    """A picture's ink (`find_ink`) in `grey`, looked at again closer where the digits are
    shorter than `READER.min_height`, or where no ink stood out: a stroke a pixel wide fades as
    a big picture shrinks (a paint program's pencil on a 1,000-pixel canvas stood out nowhere
    at 384). `closer_at` gives the picture at a longer side (at most its own, and at most
    `READER.max_side`); None where `grey` is the picture at its own size. The grey looked at,
    and its ink."""
    try:
        found, faded = find_ink(grey), None
    except NoDigitFound as error:
        found, faded = None, error
    if closer_at is not None and (faded or found.height < READER.min_height):
        tall = READER.max_side if faded else round(
            max(grey.shape) * READER.min_height / found.height)
        grey = closer_at(min(READER.max_side, tall))
        return grey, find_ink(grey)
    if faded:
        raise faded
    return grey, found


@dataclass
class Piece:
    """A connected piece of ink: its box (top, left, bottom, right) and its mass in pixels."""

    top: int
    left: int
    bottom: int
    right: int
    mass: int
    label: int

    @property
    def height(self) -> int:
        return self.bottom - self.top

    @property
    def width(self) -> int:
        return self.right - self.left

    @property
    def centre(self) -> tuple[float, float]:
        return (self.top + self.bottom) / 2, (self.left + self.right) / 2


def pieces(mask: np.ndarray) -> tuple[np.ndarray, list[Piece]]:
    """The connected pieces of ink (eight neighbours), with their label image."""
    labels, n = ndimage.label(mask, structure=np.ones((3, 3)))
    masses = ndimage.sum_labels(mask, labels, np.arange(1, n + 1))
    return labels, [Piece(r.start, c.start, r.stop, c.stop, int(m), i) for i, ((r, c), m)
                    in enumerate(zip(ndimage.find_objects(labels), masses, strict=True), 1)]


def frames(found: list[Piece], labels: np.ndarray) -> list[Piece]:
    """Hollow pieces with another piece inside: a box drawn or printed around the number or
    around one digit (none of its own ink in the middle half of its box, however thick its
    line)."""
    def hollow(f: Piece) -> bool:
        dy, dx = f.height // 4, f.width // 4
        return not (labels[f.top + dy:f.bottom - dy, f.left + dx:f.right - dx] == f.label).any()

    return [f for f in found if hollow(f) and any(
        p is not f and p.top > f.top and p.bottom < f.bottom and p.left > f.left
        and p.right < f.right and p.height > 0.3 * f.height for p in found)]


def at_the_edge(found: list[Piece], labels: np.ndarray, height: float) -> list[Piece]:
    """Pieces cut by the picture's edge that are no digit: small ones (the tip of a shadow or
    an object reaching in, too small to be a digit, too far out to be a point or a sign), ones
    that run along the edge for half a digit's height or more (the side of a phone or a
    sleeve: a digit cut by the edge meets it in a stroke's width or two), and solid ones (where
    the border cuts a shadow's edge, its tip is a filled wedge, thicker for its height than a
    stroke: on validation pages the wedges' thickest point was 0.18-0.25 of their height, the
    digits' 0.08-0.17). None, though, where that is all the ink: a digit cropped tight meets
    the edges all round."""
    edges = [labels[0], labels[-1], labels[:, 0], labels[:, -1]]
    along = np.max([np.bincount(edge, minlength=len(found) + 1) for edge in edges], axis=0)
    cut = [p for p in found if along[p.label] and (
        p.height < 0.55 * height or along[p.label] >= 0.5 * height
        or _inmost(p, labels) > 0.175 * p.height)]
    return cut if len(cut) < len(found) else []


def _inmost(piece: Piece, labels: np.ndarray) -> float:
    """How far the piece's inmost pixel lies from the paper (twice that: its thickest width),
    the picture's edge not counting as paper."""
    rows = slice(max(piece.top - 1, 0), piece.bottom + 1)
    cols = slice(max(piece.left - 1, 0), piece.right + 1)
    return float(ndimage.distance_transform_edt(labels[rows, cols] == piece.label).max())


def digit_height(found: list[Piece]) -> float:
    """How tall the number's digits are: the height that holds the most ink, counting taller
    pieces more (a median weighted by mass times height), so that a long line of small print
    does not outvote two digits; only solid pieces count, not lines and frames, unless they
    hold under a quarter of the ink (a number drawn with a 1-pixel pencil, beside a speck, or a
    pencil 9 beside its broken-off stem, the only piece that fills its box: its lines and
    frames are gone by now)."""
    tall = [p for p in found if p.height >= 4]
    solid = [p for p in tall if p.mass > 0.15 * p.height * p.width]
    if sum(p.mass for p in solid) < 0.25 * sum(p.mass for p in tall):
        solid = tall
    if not solid:
        raise NoDigitFound("no digit found: only lines and specks")
    heights = np.array([p.height for p in solid], float)
    weights = np.array([p.mass for p in solid], float) * heights
    order = np.argsort(heights)
    cumulative = np.cumsum(weights[order])
    return float(heights[order][np.searchsorted(cumulative, cumulative[-1] / 2)])


def digit_sized(piece: Piece, height: float) -> bool:
    """Whether a piece is the size of the number's digits: 0.55 to 2.5 times their height, and
    no wider than twelve of them."""
    return 0.55 * height <= piece.height <= 2.5 * height and piece.width <= 12 * height
