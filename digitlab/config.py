"""The course's settings: quick mode, one switch that shrinks every lesson to a smoke test,
and the reader's settings (`READER`), each tuned on validation digits.

Set DIGITLAB_QUICK=1 (the test suite does) and every training helper and notebook uses small
subsets and few steps, so the whole series runs in minutes. Unset, you get the full lesson.
"""

import os
from dataclasses import dataclass

QUICK_ENV = "DIGITLAB_QUICK"


@dataclass(frozen=True)
class Reader:
    """How digitlab reads a picture (`predict`, `number.read`): each setting was chosen on
    validation digits and numbers (`tools.conditions`, `tools.number_grid`, docs/lab-notes.md).
    Widths and gaps are in digit heights."""

    min_confidence: float = 0.7  # a digit read less surely reads "?", alone or in a number
    side: int = 384  # a number's working size: ten digits across a photo keep 30+ pixels
    min_height: int = 32  # digits shorter than this at that size are looked at again, closer,
    max_side: int = 2048  # up to this size
    row_short: int = 48  # a long thin picture (a row cropped tight) keeps this many pixels across
    second_look: float = 0.99  # digits read less surely are read again, moved a pixel each way
    split_width: float = 0.8  # pieces wider than this may hold two or more digits
    narrow: float = 0.5  # pieces wider than this that look like no one whole digit are cut
    max_split: int = 12  # pieces of a row tried cut, the most doubtful first: busy pages stay quick
    whole_power: float = 0.08  # a contested cut's digit is no surer than this power of its being
    # one whole digit (one the one-digit network gives less than 1% reads "?")
    # A reading's cost per digit height a digit is wider than it is tall: MNIST's training digits
    # grow rarer by about 6 nats per height of width beyond their height (10.6% are wider than
    # tall, 0.5% 1.5 times); at 20, wide lone digits were cut in two (a 2 read `21`).
    wide_cost: float = 6.0
    short_cost: float = 10.0  # and per digit height it is shorter than 0.7 of the row's digits
    # What joining a candidate to its neighbour as one digit costs: a digit seldom lies in pieces
    # side by side, and at no cost a 1 written small just before an 8 was joined to it, read `8`
    join_cost: float = 1.0
    cut_cost: float = 1.0  # a split's cost per stroke beyond the first that its cut goes through
    split_cost: float = 1.0  # and per quarter height the piece is narrower than its digits' width
    pair_width: float = 1.2  # two digits side by side are this wide
    pair_cost: float = 1.5  # what reading a piece whole as two digits (`pretrained.pair`) costs:
    # less, and letters (`abc`) or a lone wide 2 read as two digits, surely enough to stand
    reach: float = 0.7  # a cut is looked for this share of a digit's width either side of even,
    slices: int = 6  # in this many slices of that span, each with its own least-ink seam
    slices_more: int = 2  # as many for a piece cut in three or four; and a seam across the middle


READER = Reader()


def is_quick() -> bool:
    """Whether quick mode is on (DIGITLAB_QUICK set to anything but '', '0', 'false' or 'no')."""
    return os.environ.get(QUICK_ENV, "").strip().lower() not in ("", "0", "false", "no")


def pick(full, quick):
    """`full` in the full lesson, `quick` in quick mode: `epochs = pick(full=10, quick=1)`."""
    return quick if is_quick() else full
