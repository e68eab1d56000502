"""Steps 5 and 6 of `number.read`: the levelled row's pieces as candidates for characters
(`candidates`: pieces that share their columns are one, a dot low in the row is ".", a short bar
before it "-", a blob drawn in strokes when looked at closer a digit written small), and the
ways to read a run of digit candidates: each whole, two or three narrow neighbours joined into
one digit (a digit in pieces), or a wide piece cut into 2-4 digits along least-ink seams; each
way with its cost, for `number.best_reading` to score with the networks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from scipy import ndimage

from digitlab.config import READER
from digitlab.page import Found, Piece
from digitlab.row import SMALL, groups, left_out, level, line_of, others, unlevelled

SHORT = 0.7  # a digit shorter than this share of its row's digits' height is short for one
# A dot or a speck at the working size may be a digit written very small (a quarter of its
# neighbours' height is 10 pixels there, a blob): one this share of the digits' height or more,
# this far clear of its neighbours (a stroke broken off a digit lies close), is looked at again
# in the picture as it came, where a digit is drawn in strokes and a dot is as thick as it is
# wide. In the validation numbers, the marks `mark` calls digits written small were 0.15-0.30
# as thick as they are large, dots and specks 0.58 or more.
TINY, CLEAR, THIN = 0.2, 0.08, 0.4


@dataclass
class Candidate:
    """Ink that may be one character: its pieces, its columns in the levelled picture, what
    it looks like ("digit", "." or "-")."""

    members: list[Piece]
    kind: str = "digit"
    small: bool = False  # a digit written small, as it stands (not cut or joined to be one)

    @property
    def left(self) -> int:
        return min(p.left for p in self.members)

    @property
    def right(self) -> int:
        return max(p.right for p in self.members)


def mark(members: list[Piece], row_top: float, row_bottom: float, height: float) -> str:
    """"." for a dot low in the row, "-" for a short bar across its middle, "digit" for what
    may be (part of) a digit, "small" for what may be a digit written small, "" for a speck
    to drop."""
    p = members[0]
    if len(members) > 1 or p.height >= 0.55 * height:  # on a digit, or as tall as one
        return "digit"
    share = ((p.top + p.bottom) / 2 - row_top) / max(row_bottom - row_top, 1)  # 0 top, 1 bottom
    if p.width >= 1.8 * p.height and p.height <= 0.35 * height \
            and 0.25 * height <= p.width <= 1.3 * height and 0.25 <= share <= 0.8:
        return "-"  # a bar, not a flat digit written small
    if max(p.width, p.height) <= 0.35 * height and p.width <= 2.5 * p.height and share >= 0.7:
        return "."
    if max(p.width, p.height) >= 0.4 * height:
        return "small"  # a digit written small, if it stands between digits
    return ""  # a speck, a printed letter, a stray mark


def _keep_marks_in_place(cands: list[Candidate], height: float) -> list[Candidate]:
    """A "." or a small digit only between digits, and a "-" only just before the first digit
    (less than a digit's height before it); elsewhere they are specks or stray marks."""
    digits = [i for i, c in enumerate(cands) if c.kind == "digit"]
    if not digits:
        return []
    first, last = digits[0], digits[-1]
    kept = [c for i, c in enumerate(cands) if c.kind == "digit"
            or (c.kind in (".", "small") and first < i < last)
            or (c.kind == "-" and i == first - 1 and cands[first].left - c.right < height)]
    return [Candidate(c.members, small=True) if c.kind == "small" else c for c in kept]


class Row(NamedTuple):
    """Steps 4 and 5's result: the ink levelled, its pieces' labels, the digits' height, the
    angle turned, the row's candidates for characters, left to right, and the pieces on its
    line that may be digits (or a minus sign) but were left out."""

    levelled: np.ndarray
    labels: np.ndarray
    height: float
    tilt: float
    cands: list[Candidate]
    left_out: list[Piece]


def candidates(page: Found, turn: bool = True, closer: np.ndarray | None = None) -> Row:
    """Steps 4 and 5: the row levelled (if `turn`) and cut into candidates for characters; a
    small mark looked at again in `closer`, the picture as it came (None: `page` is it)."""
    levelled, labels, found, height, row, tilt = level(np.where(page.clean, page.amount, 0),
                                                       page.labels, page.pieces, page.height,
                                                       turn)
    row_top, row_bottom = line_of(row, height)
    in_row = {p.label for p in row}  # digits, a small one at an end too
    cands = [Candidate(members, "digit" if any(p.label in in_row for p in members)
                       else mark(members, row_top, row_bottom, height))
             for members in groups(row, others(found, row), height)]
    last = max(p.right for p in row)

    def in_strokes(p: Piece) -> bool:
        """Whether a piece, looked at again in `closer`, is drawn in strokes."""
        box = unlevelled((p.left, p.top, p.right, p.bottom), page.amount.shape, levelled.shape,
                         tilt, max(closer.shape) / max(page.amount.shape))
        return drawn_in_strokes(closer, box)

    def after_small(p: Piece) -> bool:
        """Whether a piece after the row is a digit written very small. (Before the row, one
        within a digit's height is a candidate; further, a printed label's letters and a
        minus sign are drawn in strokes too.)"""
        return p.left >= last and _apart(p, last, None, height) and in_strokes(p)

    if closer is not None:  # a dot or a speck there may be a digit written very small
        for i, c in enumerate(cands):
            beside = (cands[i - 1].right if i else None,
                      cands[i + 1].left if i + 1 < len(cands) else None)
            if c.kind in (".", "") and len(c.members) == 1 \
                    and _apart(c.members[0], *beside, height) and in_strokes(c.members[0]):
                cands[i] = Candidate(c.members, "small")
    kept = _keep_marks_in_place([c for c in cands if c.kind], height)
    # A digit written small, or a bar, beside the row where neither belongs is not read, but
    # said: it may be a digit, or a minus sign that a stray mark kept from its place.
    read = {p.label for c in kept for p in c.members}
    beyond = left_out(found, row, height, after_small if closer is not None else None)
    said = {p.label for p in beyond}
    unread = [p for c in cands if c.kind in ("small", "-") for p in c.members
              if p.label not in read and p.label not in said]
    return Row(levelled, labels, height, tilt, kept, beyond + unread)


def _apart(p: Piece, left: int | None, right: int | None, height: float) -> bool:
    """Whether a piece is `TINY` of a digit's height or more, and `CLEAR` of the ink that ends
    at `left` and begins at `right` beside it (None: none)."""
    return (max(p.width, p.height) >= TINY * height
            and (left is None or p.left - left >= CLEAR * height)
            and (right is None or right - p.right >= CLEAR * height))


def drawn_in_strokes(grey: np.ndarray, box: tuple[int, ...]) -> bool:
    """Whether the mark in `box` (left, top, right, bottom) of `grey` is drawn in strokes: its
    ink (what differs from the paper around it by half the most), in every piece that reaches
    into the box, at its thickest under `THIN` of its size."""
    margin = max(2, max(box[2] - box[0], box[3] - box[1]) // 3)
    # turned back from a levelled row, a box at the picture's edge may reach a pixel past it
    left, top = max(0, box[0]), max(0, box[1])
    right, bottom = min(grey.shape[1], box[2]), min(grey.shape[0], box[3])
    t0, l0 = max(0, top - margin), max(0, left - margin)
    crop = grey[t0:bottom + margin, l0:right + margin]
    away = np.abs(crop - np.median(crop))  # chalk on a board too
    labels, _ = ndimage.label(away > away.max() / 2)
    inside = np.unique(labels[top - t0:bottom - t0, left - l0:right - l0])
    ink = np.isin(labels, inside[inside > 0])
    if not ink.any():
        return False
    rows, cols = np.nonzero(ink)
    size = max(np.ptp(rows), np.ptp(cols)) + 1
    thickest = 2 * ndimage.distance_transform_edt(np.pad(ink, 1)).max()
    return thickest < THIN * size


class Part(NamedTuple):
    """A digit's ink, cropped from the levelled row, and its box there (left, top, right,
    bottom)."""

    ink: np.ndarray
    box: tuple[int, int, int, int]


class Way(NamedTuple):
    """One way to read the candidates `first` to `end - 1`: its digits' parts, left to right,
    and what it costs (unlikely widths, cuts through strokes)."""

    first: int
    end: int
    cost: float
    parts: list[Part]
    small: bool = False  # one candidate read whole, a digit written small (`written_small`)


def _ink(amount: np.ndarray, labels: np.ndarray, members: list[Piece], left: int, right: int
         ) -> Part | None:
    """The ink of `members` between columns `left` and `right`, cropped; and its box (left, top,
    right, bottom) in the levelled picture. None if hardly any ink is there."""
    top, bottom = min(p.top for p in members), max(p.bottom for p in members)
    window = (slice(top, bottom), slice(left, right))
    return _trim(np.where(np.isin(labels[window], [p.label for p in members]), amount[window],
                          0), left, top)


def _trim(ink: np.ndarray, left: int, top: int) -> Part | None:
    """Ink whose top-left corner is at (left, top), cut to its box. None if hardly any ink is
    there."""
    rows, cols = np.nonzero(ink > 0.05)
    if rows.size < 8:
        return None
    box = (left + cols.min(), top + rows.min(), left + cols.max() + 1, top + rows.max() + 1)
    return Part(ink[rows.min():rows.max() + 1, cols.min():cols.max() + 1], box)


def seam(solid: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """The path from top to bottom, between columns `lo` and `hi`, through the least ink (one
    column a row at most to either side): where touching digits meet, or between two that
    only overlap, it threads the gap or crosses the thinnest join. Its column in each row."""
    cost = solid[:, lo:hi].astype(np.float32) + 0.01  # a little for length: straight if free
    total = cost[0].copy()
    came = np.zeros(cost.shape, np.int64)
    left, right = np.full_like(total, np.inf), np.full_like(total, np.inf)
    for y in range(1, len(cost)):
        left[1:], right[:-1] = total[:-1], total[1:]  # the paths from up-left and up-right
        least = np.minimum(np.minimum(left, total), right)
        # the first of (left, straight, right) that is least, as argmin would choose
        came[y] = np.where(left == least, -1, np.where(total == least, 0, 1))
        total = cost[y] + least
    path = np.empty(len(cost), np.int64)
    path[-1] = int(np.argmin(total))
    for y in range(len(cost) - 1, 0, -1):
        path[y - 1] = path[y] + came[y, path[y]]
    return path + lo


def _cuts(solid: np.ndarray, parts: int) -> list[list[np.ndarray]]:
    """Ways to cut ink into `parts` side by side: for each cut, the seam through the least ink
    in each slice of the span around its even division (a 1 beside an 8 meets it far from
    the middle), and across the middle."""
    width = solid.shape[1]
    step = width / parts
    options = []
    for k in range(1, parts):
        centre = k * step
        slices = READER.slices if parts == 2 else READER.slices_more
        edges = centre + np.linspace(-READER.reach, READER.reach, slices + 1) * step
        windows = [*zip(edges[:-1], edges[1:], strict=True),
                   (centre - 0.3 * step, centre + 0.3 * step)]
        seams = [seam(solid, max(1, int(lo)), min(width - 1, int(hi)))
                 for lo, hi in windows if int(hi) - int(lo) >= 2]
        unique = {tuple(path): path for path in seams}  # the same seam, found twice, once
        options.append(list(unique.values()))
    cuts = [[]]
    for seams in options:
        cuts = [c + [path] for c in cuts for path in seams
                if not c or np.all(path > c[-1] + 2)]
    return cuts


def _crossed(solid: np.ndarray, seam: np.ndarray, stroke: float) -> float:
    """How many strokes a seam cuts through: the ink on it, in stroke widths."""
    return float(solid[np.arange(len(seam)), seam].sum()) / stroke


def _between(part: Part, left: np.ndarray | None, right: np.ndarray | None) -> Part | None:
    """The part's ink between two seams (or an edge)."""
    ink, box = part
    cols = np.arange(ink.shape[1])[None, :]
    keep = np.ones(ink.shape, bool)
    if left is not None:
        keep &= cols >= left[:, None]
    if right is not None:
        keep &= cols < right[:, None]
    return _trim(np.where(keep, ink, 0), box[0], box[1])


def _shape_cost(box: tuple[int, int, int, int], height: float, small: bool = False) -> float:
    """Digits are seldom wider than they are tall, nor much shorter than their neighbours: a
    reading that needs such a digit pays for it, unless it is ink written small as it stands
    (`small`), not a part a cut or a join made."""
    left, top, right, bottom = box
    return (READER.wide_cost * max(0.0, (right - left) / height - 1.0)
            + (not small) * READER.short_cost * max(0.0, SHORT - (bottom - top) / height))


def written_small(way: Way, cand: Candidate, height: float) -> bool:
    """Whether a way reads one candidate, `cand`, whole, and it is short for a digit of the
    row's (`SMALL` to `SHORT` of their height, or less where the closer look found a digit
    written small): a digit written small, which the one-digit network judges at its own size
    (at the row's, it looks like a fragment) and no cost makes short."""
    return len(way.parts) == 1 and way.end == way.first + 1 \
        and (0 if cand.small else SMALL) * height <= way.parts[0].ink.shape[0] < SHORT * height


def joins(cands: list[Candidate], amount: np.ndarray, labels: np.ndarray, height: float
          ) -> list[Way]:
    """Each digit candidate read whole, and 2-3 narrow neighbours joined into one digit (a
    digit in pieces)."""
    ways = []
    for i in range(len(cands)):
        for j in range(i + 1, min(i + 4, len(cands) + 1)):
            left, right = cands[i].left, max(c.right for c in cands[i:j])
            if j > i + 1 and (right - left > 1.1 * height
                              or cands[j - 1].left - cands[j - 2].right > 0.15 * height):
                break
            whole = _ink(amount, labels, [p for c in cands[i:j] for p in c.members], left, right)
            if whole is not None:
                way = Way(i, j, 0.0, [whole])
                small = written_small(way, cands[i], height)
                ways.append(way._replace(cost=_shape_cost(whole.box, height, small)
                                         + READER.join_cost * (j - i - 1), small=small))
    return ways


def splits(i: int, whole: Part, height: float) -> list[Way]:
    """Candidate `i`, read whole as `whole`, cut into 2-4 digits each way it might be."""
    left, _, right, _ = whole.box
    solid = whole.ink > 0.05
    stroke = max(1.0, 4 * float(ndimage.distance_transform_edt(solid)[solid].mean()) - 2)
    ways = []
    for count in range(2, min(4, int((right - left) / (0.3 * height))) + 1):
        for cut in _cuts(solid, count):
            edges = [None, *cut, None]
            parts = [_between(whole, a, b) for a, b in zip(edges, edges[1:], strict=False)]
            if any(part is None for part in parts):
                continue
            cost = READER.cut_cost * sum(max(0.0, _crossed(solid, c, stroke) - 1) for c in cut)
            # too narrow to hold that many digits side by side
            cost += READER.split_cost * max(0.0, READER.pair_width * count / 2 * height
                                            - (right - left)) / (0.25 * height)
            cost += sum(_shape_cost(part.box, height) for part in parts)
            ways.append(Way(i, i + 1, cost, parts))
    return ways
