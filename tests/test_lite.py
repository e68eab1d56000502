"""The reader's LiteRT copies of the shipped networks: the same answers as Keras, no TensorFlow."""

import subprocess
import sys

import numpy as np
import pytest
from helpers import draw, needs_real_mnist

from digitlab import data, preprocess, pretrained, saving
from digitlab.lite import LiteModel

pytestmark = pytest.mark.slow  # the agreement tests read every MNIST test digit twice


def _agree(keras_model, lite_model, images: np.ndarray) -> None:
    """Same digit for every image, and every probability within 1e-4."""
    images = np.asarray(images, np.float32)
    want = np.concatenate([keras_model(images[i:i + 1000], training=False).numpy()
                           for i in range(0, len(images), 1000)])
    got = np.concatenate([lite_model(images[i:i + 1000]) for i in range(0, len(images), 1000)])
    assert (got.argmax(1) == want.argmax(1)).all(), np.flatnonzero(got.argmax(1) != want.argmax(1))
    np.testing.assert_allclose(got, want, atol=1e-4, rtol=0)


@needs_real_mnist
def test_litert_reads_every_mnist_test_digit_as_keras_does():
    _, (x_test, _) = data.load_mnist()
    _agree(pretrained.load(), pretrained.reader(), data.scale(x_test))


def test_litert_reads_the_real_handwriting_tables_as_keras_does():
    from tools import handwriting

    sources, _ = handwriting.sources_measured()
    images = [preprocess.preprocess(image) for pictures, _ in sources.values()
              for image in pictures]
    assert len(images) > 2000  # UCI's 1,797 and the drawn strokes at least
    _agree(pretrained.load(), pretrained.reader(), np.stack(images))


@needs_real_mnist
def test_the_one_digit_network_judges_pieces_as_keras_does():
    from tools import pieces

    _, (x_test, _) = data.load_mnist()
    cut, _ = pieces.make(x_test[:2000], 200, seed=0)
    _agree(saving.load(pretrained.ONE_DIGIT), pretrained.one_digit(), data.scale(cut))


@needs_real_mnist
def test_the_pair_network_reads_pieces_as_keras_does():
    from tools import pairs

    _, (x_test, y_test) = data.load_mnist()
    cut, _ = pairs.make(x_test[:2000], y_test[:2000], 200, seed=0)
    _agree(saving.load(pretrained.PAIR), pretrained.pair(), data.scale(cut))


def test_a_fresh_predict_never_imports_tensorflow(tmp_path):
    draw("7").save(tmp_path / "7.png")
    code = ("import sys; from digitlab import cli; "
            f"assert cli.main(['predict', {str(tmp_path / '7.png')!r}]) == 0; "
            f"cli.main(['predict', '--number', {str(tmp_path / '7.png')!r}]); "
            "print(sorted({'tensorflow', 'keras'} & set(sys.modules)))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120, check=False)
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    assert result.stdout.splitlines()[0].split("\t")[1] == "7"
    assert result.stdout.splitlines()[-1] == "[]"  # neither was imported


def test_a_lite_model_is_called_like_a_keras_one(tmp_path):
    lite = LiteModel(pretrained.LITE["lenet"])
    one, batch = np.zeros((1, 28, 28)), np.random.default_rng(0).random((5, 28, 28))
    assert lite(one).shape == (1, 10) and lite(batch).shape == (5, 10)
    np.testing.assert_allclose(lite(batch[:1]), lite(batch)[:1], atol=1e-6)  # resized each way
    np.testing.assert_allclose(lite(batch).sum(axis=1), 1, atol=1e-5)
    with pytest.raises(FileNotFoundError, match="no TFLite model at"):
        LiteModel(tmp_path / "none.tflite")
    for file in pretrained.LITE.values():  # an ensemble ships a file per network, none large
        assert file.stat().st_size < 2_000_000, file
