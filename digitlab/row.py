"""The number's row among the pieces of ink `page` found: the pieces about as tall as its
digits, close together (smaller print, specks and stray marks drop out; digits written small on
its baseline stay), what lies on its line but was left out, and the row turned level however
the photo or the baseline was tilted (`level`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np
from scipy import ndimage

from digitlab.ink import NoDigitFound
from digitlab.page import Piece, digit_height, digit_sized, pieces

SMALL = 0.3  # a digit written small is this share of the digits' height or more


class Levelled(NamedTuple):
    """The ink turned by `level` so that the number's row runs level."""

    ink: np.ndarray
    labels: np.ndarray
    pieces: list[Piece]
    height: float
    row: list[Piece]  # the number's digit-sized pieces, left to right
    tilt: float  # degrees turned (0: left as it was)


def level(ink: np.ndarray, labels: np.ndarray, found: list[Piece], height: float,
          turn: bool = True) -> Levelled:
    """Step 4: the ink turned so that the number's row runs level (when it tilts by more than
    2 degrees, and `turn`); with its pieces, the digits' height, the row and the angle turned."""
    row = number_row(found, height)
    if not turn:
        return Levelled(ink, labels, found, height, row, 0.0)
    # One character at most 1.5 times as wide as it is tall, beside nothing taller than a speck
    # or a sign, is a digit alone, whose slant is no row's tilt: turned by it, an 8 was read
    # `?2`, a 4 `???`; levelled through a speck beside it, a 4 was turned 25 degrees.
    parts = groups(row, others(found, row), height)
    digits = [box(g) for g in _digits(parts, height)]
    alone = len(digits) == 1 and digits[0][2] - digits[0][0] <= 1.5 * (digits[0][3] - digits[0][1])
    tilt = 0.0 if alone else angle(parts, labels, height)
    if abs(tilt) <= 2:
        return Levelled(ink, labels, found, height, row, 0.0)
    # Its pieces found again where the turned ink, or the turned mask of it, is ink: a faint
    # 1-pixel pencil stroke, turned, falls below any threshold of amount in places, and a 3
    # and a 0 broken so into bits were dropped from the row in silence.
    turned = ndimage.rotate((ink > 0).astype(np.float32), tilt, reshape=True, order=1)
    ink = ndimage.rotate(ink, tilt, reshape=True, order=1)
    labels, found = pieces((ink > 0.1) | (turned > 0.5))
    height = digit_height(found)
    return Levelled(ink, labels, found, height, number_row(found, height), tilt)


def number_row(found: list[Piece], height: float) -> list[Piece]:
    """The digit-sized pieces, and of those the run without a gap wider than it bridges (1.5
    digit heights, or 1.5 times the usual gap if that is wider) that holds the most ink:
    smaller print, specks and marks far from the number drop out."""
    tall = [p for p in found if digit_sized(p, height)]
    if not tall:
        raise NoDigitFound("no digit found: no piece of ink is the size of a digit")
    # Smaller pieces bridge a gap without joining the row: a faint digit in bits between two
    # runs of whole ones keeps them one number.
    bits = [p for p in found if 0.25 * height <= p.height < 0.55 * height]
    # Digits written far apart are far apart all along: the gap bridged grows with the usual one.
    edges = sorted((p.left, p.right) for p in tall)
    gaps = [b[0] - a[1] for a, b in zip(edges, edges[1:], strict=False) if b[0] > a[1]]
    bridged = max(1.5 * height, 1.5 * float(np.median(gaps))) if gaps else 1.5 * height
    runs, right = [[]], None
    for p in sorted(tall + bits, key=lambda p: p.left):
        whole = p.height >= 0.55 * height  # a digit, not a bit
        if right is not None and p.left - right > bridged \
                or whole and runs[-1] and not in_line(runs[-1][-1], p, height):
            runs.append([])
        if whole:
            runs[-1].append(p)
        right = p.right if right is None else max(right, p.right)
    row = max(runs, key=lambda run: sum(p.mass for p in run))
    # Digits written small on the row's baseline are the row's too, between its digits and
    # at either end (one leading to the next): without them, 974 written small-big-small read
    # as a sure 7.
    baseline = line_of(row, height)[1]  # every piece of the run is of full size
    small = sorted((p for p in found if p not in row and small_digit(p, baseline, height)),
                   key=lambda p: p.left)
    first, last = min(p.left for p in row), max(p.right for p in row)
    row = sorted(row + [p for p in small if p.left >= first and p.right <= last],
                 key=lambda p: p.left)
    for p in reversed([p for p in small if p.right <= first]):
        if first - p.right > bridged:
            break
        row, first = [p, *row], p.left
    for p in (p for p in small if p.left >= last):
        if p.left - last > bridged:
            break
        row, last = [*row, p], p.right
    return row


def in_line(a: Piece, b: Piece, height: float) -> bool:
    """Whether two digit-sized pieces may be neighbours in a row, however it is turned (up to
    35 degrees), or parts of one digit, one above the other (a 6's stem over its loop): the tip
    of a shadow's edge at the page's border, beside a number but far below it, is neither
    (turned by it, the row was read `????`)."""
    if a.left < b.right and b.left < a.right \
            and max(a.top, b.top) - min(a.bottom, b.bottom) <= 0.5 * height:  # one digit's parts
        return True
    (ay, ax), (by, bx) = a.centre, b.centre
    return abs(ay - by) <= np.tan(np.radians(35)) * abs(ax - bx) + 0.5 * height


def line_of(row: list[Piece], height: float) -> tuple[float, float]:
    """The row's top and bottom: the medians of its digits of full size (a small digit's top
    is far lower)."""
    full = [p for p in row if p.height >= 0.55 * height] or row
    return float(np.median([p.top for p in full])), float(np.median([p.bottom for p in full]))


def small_digit(piece: Piece, baseline: float, height: float) -> bool:
    """Whether a piece may be a digit written small: 0.3 of the digits' height or more, solid
    (no line or frame), its foot on the row's baseline (a printed label beside the number is
    not)."""
    return (SMALL * height <= piece.height <= 2.5 * height
            and _on_baseline(piece, baseline, height)
            and piece.mass > 0.15 * piece.height * piece.width)


def _on_baseline(piece: Piece, baseline: float, height: float) -> bool:
    """Whether a piece's foot stands on the row's baseline, within a quarter of a digit."""
    return abs(piece.bottom - baseline) <= 0.25 * height


def left_out(found: list[Piece], row: list[Piece], height: float,
             written_small: Callable[[Piece], bool] | None = None) -> list[Piece]:
    """The pieces on the row's line, beyond its ends, that may be digits `number_row` left out:
    digit-sized ones beyond a gap wider than it bridges (digits written far apart, a second
    number beside the first), and a digit written small (0.3 of the digits' height or more, or
    less where `written_small` says it is one) on the row's baseline, within two digit heights
    of an end. Said, never dropped in silence."""
    in_row = {p.label for p in row}
    top, baseline = line_of(row, height)  # the full-size digits' top and feet
    top, bottom = top - 0.5 * height, baseline + 0.5 * height
    first, last = min(q.left for q in row), max(q.right for q in row)

    def near(p: Piece) -> bool:
        return first - p.right <= 2 * height if p.right <= first else p.left - last <= 2 * height

    def small(p: Piece) -> bool:
        return small_digit(p, baseline, height) or (
            written_small is not None and _on_baseline(p, baseline, height) and written_small(p))

    return [p for p in found if p.label not in in_row and top <= (p.top + p.bottom) / 2 <= bottom
            and (p.right <= first or p.left >= last)
            and (digit_sized(p, height) or near(p) and small(p))]


def groups(row: list[Piece], others: list[Piece], height: float) -> list[list[Piece]]:
    """The row's pieces joined where they share most of their width (the bar and body of a 5,
    a digit cut in two by a ruled line), or where a flat stroke lies clear above another piece
    and shares some of its width (a 5's bar floating over its body), with the small pieces in
    the row's band."""
    top, bottom = line_of(row, height)
    band_top, band_bottom = top - 0.3 * height, bottom + 0.3 * height
    left, right = min(p.left for p in row) - height, max(p.right for p in row)
    near = [p for p in others if p.top >= band_top and p.bottom <= band_bottom
            and p.right >= left and p.left <= right]
    found: list[list] = []
    for p in sorted(row + near, key=lambda p: p.left):
        if found:
            left, right, members = found[-1]
            overlap = min(p.right, right) - max(p.left, left)
            # a bar may begin just past its body's last column (an MNIST test 5 so written had
            # its bar said to be ink left out)
            if overlap > 0.5 * min(p.width, right - left) or overlap > -0.1 * height and (
                    _bar_over(p, members, height)
                    or (len(members) == 1 and _bar_over(members[0], [p], height))):
                found[-1] = [min(p.left, left), max(p.right, right), members + [p]]
                continue
        found.append([p.left, p.right, [p]])
    return [members for _, _, members in found]


def box(group: list[Piece]) -> tuple[int, int, int, int]:
    """The box (left, top, right, bottom) around a group of pieces."""
    return (min(p.left for p in group), min(p.top for p in group),
            max(p.right for p in group), max(p.bottom for p in group))


def _spanned(group: list[Piece]) -> int:
    """The rows a group's pieces cover together: specks one above another (a pen's dots
    beside a 6) span few, however tall their box."""
    total, reach = 0, -1
    for top, bottom in sorted((p.top, p.bottom) for p in group):
        total += max(0, bottom - max(top, reach))
        reach = max(reach, bottom)
    return total


def _digits(parts: list[list[Piece]], height: float) -> list[list[Piece]]:
    """The groups tall enough to be digits (a digit written small, `SMALL`, or taller), not
    specks or signs."""
    return [g for g in parts if _spanned(g) >= SMALL * height]


def _fill(group: list[Piece]) -> float:
    """The share of its pieces' boxes that a group's ink fills."""
    return sum(p.mass for p in group) / sum(p.height * p.width for p in group)


def _bar_over(bar: Piece, below: list[Piece], height: float) -> bool:
    """Whether `bar` is a flat stroke (twice as wide as tall, a third of the digits' height at
    most: no speck) above the pieces `below`, its middle no lower than their top: a 5's bar
    that floats over its body, read `??` as two, or meets the top of its stem (said to be
    ink left out)."""
    return (bar.height <= 0.35 * height and bar.width >= 2 * bar.height
            and (bar.top + bar.bottom) / 2 <= min(q.top for q in below) + 0.1 * height)


def others(found: list[Piece], row: list[Piece]) -> list[Piece]:
    """The pieces not in the row, less single pixels."""
    in_row = {p.label for p in row}
    return [p for p in found if p.label not in in_row and p.mass >= 3]


def angle(parts: list[list[Piece]], labels: np.ndarray, height: float) -> float:
    """The row's tilt in degrees: the line the digits' boxes keep to (each digit its pieces
    together: a 5's bar lifts its middle as it should), or the ink's own long axis when the
    row is one piece."""
    if len(parts) >= 2:
        digits = _digits(parts, height)
        tall = [box(g)[3] - box(g)[1] for g in digits]
        # Two digits of mixed sizes: any line fits two points, and through their middles it
        # turned `29` written small-big by 24 degrees, the 2 falling off the row. (A blot
        # beside one digit is no smaller digit: it fills over 60% of its box, strokes less.)
        two_sizes = len(digits) == 2 and 1.8 * min(tall) < max(tall) \
            and _fill(digits[int(np.argmin(tall))]) <= 0.6
        chosen = digits if len(digits) >= 3 or two_sizes else parts
        boxes = np.array([box(g) for g in chosen])
        weights = np.sqrt([sum(p.mass for p in g) for g in chosen])
        x = (boxes[:, 0] + boxes[:, 2]) / 2
        # Digits of one size line up along their middles (turned, their boxes' feet do not),
        # digits of mixed sizes along their feet: of three or more digits (no sign, whose foot
        # is on no baseline), the line they keep to more closely; of two sizes, their feet.
        middles, feet = (boxes[:, 1] + boxes[:, 3]) / 2, boxes[:, 3]
        lines = [feet] if two_sizes else [middles, feet] if chosen is digits else [middles]
        fits = [np.polyfit(x, y, 1, w=weights, full=True) for y in lines]
        slope = min(fits, key=lambda fit: fit[1][0] if len(fit[1]) else 0.0)[0][0]
        return float(np.degrees(np.arctan(slope)))
    ys, xs = np.nonzero(np.isin(labels, [p.label for p in parts[0]]))
    values, vectors = np.linalg.eigh(np.cov(np.stack([xs, ys])))
    if values[1] < 2 * values[0]:  # not elongated: no direction to level
        return 0.0
    vx, vy = vectors[:, 1]
    tilt = float(np.degrees(np.arctan(vy / vx))) if vx else 90.0
    # Longer across than up: a row of touching digits, levelled. Longer up: one upright digit
    # (a 1, a 7), which is no row and stays as it was written.
    return tilt if abs(tilt) <= 45 else 0.0


def unlevelled(box, grey_shape, levelled_shape, tilt: float, scale: float) -> tuple[int, ...]:
    """A box (left, top, right, bottom) in the levelled picture as a box in the picture it was
    levelled from (of `grey_shape`), `scale` times as large: its corners turned back, scaled."""
    left, top, right, bottom = box
    corners = np.array([[top, left], [top, right], [bottom, left], [bottom, right]], float)
    if tilt:
        c, s = np.cos(np.radians(tilt)), np.sin(np.radians(tilt))
        turned = (corners - (np.array(levelled_shape) - 1) / 2) @ np.array([[c, -s], [s, c]])
        corners = turned + (np.array(grey_shape) - 1) / 2
    corners *= scale
    (t, le), (b, r) = corners.min(axis=0), corners.max(axis=0)
    return int(le), int(t), int(np.ceil(r)), int(np.ceil(b))
