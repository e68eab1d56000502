"""Keeping a model: atomic saves that never clobber, clear failures on load, exports."""

import zipfile

import numpy as np
import pytest

from digitlab import keras, models, saving

X = np.random.default_rng(0).random((4, 28, 28), dtype=np.float32)


@pytest.fixture(scope="module")
def model():
    return models.mlp(hidden=(16,))


def test_save_load_gives_identical_predictions(model, tmp_path):
    path = saving.save(model, tmp_path / "m.keras")
    np.testing.assert_array_equal(saving.load(path)(X), model(X))
    assert [p.name for p in tmp_path.iterdir()] == ["m.keras"]  # no temporary files left


def test_save_never_replaces_unless_asked(model, tmp_path):
    path = tmp_path / "m.keras"
    path.write_bytes(b"precious")
    with pytest.raises(FileExistsError, match="overwrite=True"):
        saving.save(model, path)
    assert path.read_bytes() == b"precious"
    saving.save(model, path, overwrite=True)
    assert zipfile.is_zipfile(path)
    with pytest.raises(ValueError, match="must end in .keras"):
        saving.save(model, tmp_path / "m.h5")


def test_failed_save_leaves_nothing(tmp_path):
    class Broken:
        def save(self, path):
            open(path, "wb").write(b"half a mod")
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        saving.save(Broken(), tmp_path / "m.keras")
    assert not list(tmp_path.iterdir())


def test_load_explains_bad_files(model, tmp_path):
    with pytest.raises(FileNotFoundError, match="no model file"):
        saving.load(tmp_path / "missing.keras")
    with pytest.raises(FileNotFoundError, match="folder"):
        saving.load(tmp_path)
    (tmp_path / "text.keras").write_text("not a model")
    with pytest.raises(saving.ModelFileError, match="not a .keras model file"):
        saving.load(tmp_path / "text.keras")
    good = saving.save(model, tmp_path / "good.keras").read_bytes()
    (tmp_path / "cut.keras").write_bytes(good[: len(good) // 2])
    with pytest.raises(saving.ModelFileError):
        saving.load(tmp_path / "cut.keras")


def test_load_refuses_code_in_safe_mode(tmp_path):
    sneaky = keras.Sequential([keras.Input((28, 28)), keras.layers.Lambda(lambda x: x * 2)])
    sneaky.save(tmp_path / "lambda.keras")
    with pytest.raises(saving.ModelFileError, match="safe mode"):
        saving.load(tmp_path / "lambda.keras")


def test_load_explains_unknown_layers(tmp_path):
    @keras.saving.register_keras_serializable(package="elsewhere")
    class Doubler(keras.layers.Layer):
        def call(self, x):
            return 2 * x

    keras.Sequential([keras.Input((3,)), Doubler()]).save(tmp_path / "custom.keras")
    del keras.saving.get_custom_objects()["elsewhere>Doubler"]  # as where that code is absent
    with pytest.raises(saving.ModelFileError, match="custom layers"):
        saving.load(tmp_path / "custom.keras")


def test_exports_give_the_same_answers(model, tmp_path):
    folder = saving.export_saved_model(model, tmp_path / "served")
    served = keras.layers.TFSMLayer(folder, call_endpoint="serve")
    np.testing.assert_allclose(served(X), model(X), atol=1e-6)
    with pytest.raises(FileExistsError):
        saving.export_saved_model(model, folder)
    lite = saving.save_tflite(model, tmp_path / "m.tflite")
    np.testing.assert_allclose(saving.tflite_probabilities(lite, X), model(X), atol=1e-5)
    assert 0 < saving.size_on_disk(lite) < saving.size_on_disk(folder)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
