"""tools.pieces: the pieces of ink the number reader cuts, labelled one whole digit or not, which
the shipped one_digit network learns from; and that network on real digits."""

import json

import numpy as np
import pytest
from helpers import REAL_DATA, needs_real_mnist

from digitlab import number, predict, pretrained
from tools import pieces


def two_squares():
    """Two blocks of ink side by side, the left 36 pixels, the right 48."""
    left, right = np.zeros((10, 20), np.float32), np.zeros((10, 20), np.float32)
    left[2:8, 2:8] = 1
    right[2:8, 10:18] = 1
    return np.maximum(left, right), [left, right]


@pytest.mark.parametrize("right, label", [
    (9, 1),  # all of the left one, none of the right
    (5, 0),  # half of the left one: a fragment
    (12, 0),  # all of the left one and a quarter of the right: two run together
    (11, None),  # all of the left one and an eighth of the right: neither clearly
])
def test_a_piece_is_one_digit_with_nearly_all_of_one_and_hardly_any_other(right, label):
    ink, own = two_squares()
    assert pieces.label(ink[:, :right], (0, 0, right, 10), own) == label


def test_a_piece_at_row_scale_keeps_its_size_against_the_row():
    """A fragment half the row's height stays half a digit tall; a digit as tall as the row
    fills MNIST's 20 pixels, whatever the picture's resolution."""
    for height in (40, 80):
        digit = np.ones((height, height // 2), np.float32)
        seen = number.at_row_scale(digit, height)
        assert seen.shape == (28, 28) and seen.max() == pytest.approx(1)
        assert (seen > 0.5).any(axis=1).sum() == pytest.approx(20, abs=1)
        half = number.at_row_scale(digit[: height // 2], height)
        assert (half > 0.5).any(axis=1).sum() == pytest.approx(10, abs=1)
    wide = number.at_row_scale(np.ones((40, 200), np.float32), 40)  # two digits and more
    assert (wide > 0.5).all(axis=0).any() is np.False_ and (wide[14] > 0.5).all()


@pytest.fixture(scope="module")
def validation_digits():
    from digitlab import data

    (x, y), _ = data.load_mnist(REAL_DATA)
    return data.split(x, y)[1][0][:200]


@needs_real_mnist
def test_numbers_of_real_digits_give_pieces_of_both_kinds(validation_digits):
    images, labels = pieces.make(validation_digits, 6, seed=0)
    assert images.shape[1:] == (28, 28) and images.dtype == np.uint8
    assert set(labels) == {0, 1} and len(images) == len(labels)


def passed(images: np.ndarray) -> np.ndarray:
    """Which pieces (28x28 uint8) the shipped one-digit network says are one whole digit."""
    return np.array([p.probabilities[1] >= 0.5 for p in predict.classify(
        pretrained.one_digit(), images.astype(np.float32) / 255)])


@needs_real_mnist
def test_the_shipped_one_digit_network_tells_digits_from_pieces(validation_digits):
    """On pieces of numbers of validation digits, which it never learned from: most whole
    digits pass and few fragments or pairs do (its card records the full held-out figures)."""
    images, labels = pieces.make(validation_digits, 40, seed=1)
    whole = passed(images)
    assert whole[labels == 1].mean() > 0.9 and whole[labels == 0].mean() < 0.1
    card = json.loads(pretrained.ONE_DIGIT.with_suffix(".json").read_text())
    assert card["held_out"]["wholes_passed"] > 0.9 and card["held_out"]["others_passed"] < 0.1


@needs_real_mnist
def test_the_one_digit_network_knows_a_pencil_digit_whole(validation_digits):
    """Pieces of numbers drawn with a 1-pixel pencil: trained only on MNIST's strokes, it passed
    82% of the whole digits among them and 8.5% of the fragments, and lone pencil digits read
    `?` that plain `predict` read right; it now learns from pencil drawings too."""
    images, labels = pieces.make(validation_digits, 30, seed=2, lengths=(1, 6), thin=True)
    whole = passed(images)
    assert whole[labels == 1].mean() > 0.88 and whole[labels == 0].mean() < 0.06
    card = json.loads(pretrained.ONE_DIGIT.with_suffix(".json").read_text())
    for kind in ("alone", "pencil"):
        assert card["held_out"][kind]["wholes_passed"] > 0.88, kind


@needs_real_mnist
def test_numbers_of_mixed_sizes_stand_on_one_baseline(validation_digits):
    """The one-digit network learns that a small whole digit is whole from numbers whose digits
    differ in size, their feet on one line."""
    rng = np.random.default_rng(0)
    sheets = pieces.written(validation_digits[:5], rng, mixed=True)
    rows = [np.flatnonzero((s > 0.3).any(axis=1)) for s in sheets]
    heights = [r[-1] - r[0] for r in rows]
    assert max(heights) > 1.3 * min(heights)  # sizes differ
    assert np.ptp([r[-1] for r in rows]) <= 0.15 * max(heights)  # feet in line
