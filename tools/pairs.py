"""Two touching digits as the number reader sees them, labelled with what they say.

Where two digits touch, the reader's least-ink seams often cut a stroke off one and give it to
the other, and each half reads unsure. A third network reads such a piece whole, as two digits:
its examples are made here as `tools.pieces` makes the one-digit network's, from numbers of
MNIST training digits written with gaps from wide to overlapping, photographed and found by the
reader's own steps; each piece it would read whole is labelled `10 * left + right` where it
holds two neighbouring digits (each nearly whole, nothing else), or `NOT_A_PAIR` where it holds
one digit, three, or parts.
"""

from __future__ import annotations

import numpy as np

from tools import pieces
from tools.pieces import BOTH, PART, STRAY, WHOLE, photographed, written

NOT_A_PAIR = 100  # the label of a piece that is not two whole digits side by side


def label(part: np.ndarray, box: tuple, own: list[np.ndarray], digits: list[int]) -> int | None:
    """`10 * left + right` if the piece (cropped ink at `box`) is two neighbouring whole digits,
    `NOT_A_PAIR` if it is clearly not, None if neither clearly; `own` is each digit's ink where
    the piece was found, left to right, and `digits` what each is."""
    shares = pieces.shares(part, box, own)
    held = [i for i, s in enumerate(shares) if s >= WHOLE]
    stray = [s for i, s in enumerate(shares) if i not in held]
    if len(held) == 2 and held[1] == held[0] + 1 and max(stray, default=0) <= STRAY:
        return 10 * digits[held[0]] + digits[held[1]]
    if len(held) == 1 and max(stray, default=0) <= STRAY:
        return NOT_A_PAIR  # one digit
    if len(held) >= 3 or (len(held) < 2 and sorted(shares)[-1] < PART) or (
            len(held) == 2 and max(stray) > BOTH):
        return NOT_A_PAIR  # three, a fragment, or two and a good part of a third
    return None


def from_number(digits: np.ndarray, labels: np.ndarray, rng: np.random.Generator,
                mixed: bool = False, thin: bool = False) -> tuple[list[np.ndarray], list[int]]:
    """The pieces the reader would read whole in a photo of `digits` (whose labels are `labels`)
    written in a row (`mixed`: in digits of mixed sizes; `thin`: drawn with a 1-pixel pencil),
    as 28x56 images, with their labels."""
    from digitlab import cutting, number

    found = photographed(written(digits, rng, mixed), rng, thin)
    if found is None:
        return [], []
    levelled, marks, height, cands, own = found
    images, ys = [], []
    for way in cutting.joins(cands, levelled, marks, height):
        ink, box = way.parts[0]
        y = label(ink, box, own, [int(d) for d in labels])
        if y is not None:
            images.append(number.at_row_scale(ink, height, width=56))
            ys.append(y)
    return images, ys


def make(digits: np.ndarray, labels: np.ndarray, count: int, seed: int = 0, mixed: bool = False,
         lengths: tuple[int, int] = (2, 6), thin: bool = False
         ) -> tuple[np.ndarray, np.ndarray]:
    """The pieces of `count` numbers of `lengths` (fewest, most) of `digits` (MNIST's uint8
    28x28, labelled `labels`; `mixed`: in digits of mixed sizes; `thin`: drawn with a 1-pixel
    pencil) that the reader reads whole (28x56 uint8), and their labels (`10 * left + right`, or
    `NOT_A_PAIR`)."""
    return pieces.numbers_of(len(digits), count, seed, lengths, 56, lambda chosen, rng: (
        from_number(digits[chosen], labels[chosen], rng, mixed, thin)))
