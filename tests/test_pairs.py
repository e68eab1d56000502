"""tools.pairs: the pieces of ink the number reader reads whole, labelled with the two digits
they hold or as not two digits, which the shipped pair network learns from; and that network
on real digits."""

import json

import numpy as np
import pytest
from helpers import REAL_DATA, needs_real_mnist

from digitlab import number, pretrained
from tools import pairs


def three_squares():
    """Three blocks of ink side by side, each 36 pixels."""
    own = [np.zeros((10, 30), np.float32) for _ in range(3)]
    for k, o in enumerate(own):
        o[2:8, 10 * k + 2:10 * k + 8] = 1
    return np.max(own, axis=0), own


@pytest.mark.parametrize("left, right, label", [
    (0, 20, 47),  # the first two whole: 4 then 7
    (10, 30, 71),  # the last two
    (0, 10, pairs.NOT_A_PAIR),  # one digit
    (0, 30, pairs.NOT_A_PAIR),  # three
    (0, 5, pairs.NOT_A_PAIR),  # part of one
    (0, 15, None),  # one and half another: neither clearly
])
def test_a_piece_is_a_pair_with_two_neighbours_whole_and_nothing_else(left, right, label):
    ink, own = three_squares()
    assert pairs.label(ink[:, left:right], (left, 0, right, 10), own, [4, 7, 1]) == label


def test_a_pair_is_seen_at_row_scale_in_a_field_twice_as_wide():
    pair = number.at_row_scale(np.ones((40, 70), np.float32), 40, width=56)
    assert pair.shape == (28, 56)
    assert (pair > 0.5).any(axis=0).sum() == pytest.approx(35, abs=1)  # 70 pixels at 20/40


@pytest.fixture(scope="module")
def validation():
    from digitlab import data

    (x, y), _ = data.load_mnist(REAL_DATA)
    (xv, yv) = data.split(x, y)[1]
    return xv[:300], yv[:300]


@needs_real_mnist
def test_the_shipped_pair_network_reads_two_touching_digits(validation):
    """On the pieces of numbers of validation digits, which it never learned from: most pairs
    read right and few single digits or fragments read as two (its card records the full
    held-out figures)."""
    images, labels = pairs.make(*validation, 60, seed=1)
    assert images.shape[1:] == (28, 56) and images.dtype == np.uint8
    two = labels != pairs.NOT_A_PAIR
    assert 20 < two.sum() < len(labels)
    read = np.asarray(pretrained.pair()(images.astype(np.float32) / 255)).argmax(axis=1)
    assert (read[two] == labels[two]).mean() > 0.9
    assert (read[~two] != pairs.NOT_A_PAIR).mean() < 0.05
    card = json.loads(pretrained.PAIR.with_suffix(".json").read_text())
    assert card["held_out"]["pairs_read_right"] > 0.9
    assert card["held_out"]["others_read_as_two"] < 0.05
