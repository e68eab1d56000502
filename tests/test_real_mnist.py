"""The real MNIST, from $DIGITLAB_DATA: shapes, label counts, checksums, the classic split."""

import numpy as np
import pytest
from helpers import REAL_DATA, needs_real_mnist

from digitlab import data

pytestmark = needs_real_mnist

# Published per-class counts of the canonical MNIST files.
TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


@pytest.fixture(scope="module")
def mnist():
    return data.load_mnist(REAL_DATA)


def test_shapes_and_types(mnist):
    (x_train, y_train), (x_test, y_test) = mnist
    assert x_train.shape == (60000, 28, 28) and y_train.shape == (60000,)
    assert x_test.shape == (10000, 28, 28) and y_test.shape == (10000,)
    assert {a.dtype for a in (x_train, y_train, x_test, y_test)} == {np.dtype(np.uint8)}
    assert x_train.max() == 255 and x_train.min() == 0


def test_label_counts(mnist):
    (_, y_train), (_, y_test) = mnist
    assert np.bincount(y_train).tolist() == TRAIN_COUNTS
    assert np.bincount(y_test).tolist() == TEST_COUNTS


def test_checksums_match_the_shared_sums():
    """Our built-in sums are the ones published beside the shared files."""
    sums_file = data.find_mnist(REAL_DATA) / "SHA256SUMS"
    if not sums_file.is_file():
        pytest.skip(f"no SHA256SUMS beside the data in {REAL_DATA}")
    published = dict(reversed(line.split()) for line in sums_file.read_text().splitlines() if line)
    assert published == {name: checksum for name, (checksum, _) in data.FILES.items()}


def test_classic_split(mnist):
    (x, y), _ = mnist
    (x_train, y_train), (x_val, y_val) = data.split(x, y, val_size=5000, seed=0)
    assert len(x_train) == 55000 and len(x_val) == 5000
    assert np.bincount(y_val, minlength=10).min() > 400  # every digit is in the validation set


def test_same_seed_same_accuracy_to_the_fourth_decimal(mnist):
    """What an instructor promises a class: rerun with the same seed, get the same number."""
    from digitlab import keras, models, training

    (x_train, y_train), (x_test, y_test) = mnist

    def small_run(seed):
        training.set_seed(seed)
        model = models.lenet()
        model.compile(keras.optimizers.Adam(2e-3), "sparse_categorical_crossentropy")
        training.fit(model, (x_train[:3000], y_train[:3000]), epochs=1, batch_size=64, seed=seed,
                  progress=False)
        return (training.accuracy(model, x_test[:2000], y_test[:2000]),
                model.get_layer("conv1").get_weights()[0])

    (first, weights), (again, same_weights), (_, other_weights) = map(small_run, (0, 0, 1))
    assert 0.5 < first < 1 and round(first, 4) == round(again, 4)
    assert np.array_equal(weights, same_weights)
    assert not np.allclose(weights, other_weights)  # the seed matters: it really is in control
