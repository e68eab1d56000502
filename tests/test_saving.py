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


def _with_config(model, tmp_path, config: bytes, name: str):
    """A copy of `model`'s .keras file whose config.json is `config`."""
    good = saving.save(model, tmp_path / "good.keras", overwrite=True)
    path = tmp_path / name
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, config if info.filename == "config.json"
                         else src.read(info))
    return path


def test_a_model_whose_config_unpacks_huge_is_refused_before_it_is_read(model, tmp_path):
    """1.5 GB of whitespace packs into 1.5 MB: Keras would read it all into memory (3.8 GB)."""
    path = _with_config(model, tmp_path, b" " * (100 << 20), "padded.keras")
    assert path.stat().st_size < 1 << 20
    with pytest.raises(saving.ModelFileError, match="config.json would unpack to 104,857,600"):
        saving.load(path)


def test_a_model_whose_config_nests_too_deep_is_refused(model, tmp_path):
    path = _with_config(model, tmp_path, b"[" * 100_000 + b"]" * 100_000, "deep.keras")
    with pytest.raises(saving.ModelFileError, match="nests 100,000 deep"):
        saving.load(path)


def test_load_names_a_tfsmlayer_for_what_it_is(model, tmp_path):
    folder = saving.export_saved_model(model, tmp_path / "served")
    outside = keras.Sequential([keras.Input((28, 28)),
                                keras.layers.TFSMLayer(str(folder), call_endpoint="serve")])
    outside.save(tmp_path / "outside.keras")
    with pytest.raises(saving.ModelFileError, match="holds a TFSMLayer, which loads and runs a "
                                                    "SavedModel from outside the file") as e:
        saving.load(tmp_path / "outside.keras")
    assert "Lambda" not in str(e.value)
