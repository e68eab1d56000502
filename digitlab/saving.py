"""Keep a trained model: save and load `.keras` files safely, export it for serving and TFLite.

Saving never leaves half a file behind and never replaces a model you already have unless you
say `overwrite=True`. Loading uses Keras' safe mode (a `.keras` file cannot run code hidden in
a lambda layer) and turns every way a file can be wrong into one clear message.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import warnings
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from digitlab import files


class ModelFileError(ValueError):
    """A model file that cannot be loaded: corrupt, truncated, or made for other software."""


def _refuse_to_replace(path: Path, overwrite: bool) -> None:
    if path.exists() and not overwrite:
        raise FileExistsError(f"{path} already exists; pass overwrite=True to replace it, "
                              "or choose another name")
    path.parent.mkdir(parents=True, exist_ok=True)


def save(model, path: str | os.PathLike, overwrite: bool = False) -> Path:
    """Save `model` to a `.keras` file, atomically; an existing file only with `overwrite`."""
    path = Path(path)
    if path.suffix != ".keras":
        raise ValueError(f"{path}: a Keras model file must end in .keras")
    _refuse_to_replace(path, overwrite)
    with files.atomic_path(path, suffix=".keras") as tmp:  # Keras insists on the .keras suffix
        model.save(tmp)
    return path


def load(path: str | os.PathLike, compile: bool = False):
    """Load a `.keras` model in safe mode, with a clear message for a file that will not do."""
    from digitlab._tf import keras

    path = _model_file(Path(path))
    try:
        return keras.saving.load_model(path, compile=compile, safe_mode=True)
    except ValueError as e:
        if "safe_mode" not in str(e):
            raise _unloadable(path, e, keras.__version__) from e
        what = ("a TFSMLayer, which loads and runs a SavedModel from outside the file"
                if "TFSMLayer" in str(e) else "code (a Lambda layer)")
        raise ModelFileError(f"{path} holds {what}, which safe mode does not run; load it with "
                             "keras.saving.load_model(..., safe_mode=False) only if you trust "
                             "its author") from None
    except (KeyError, OSError, TypeError, RecursionError, zipfile.BadZipFile) as e:
        raise _unloadable(path, e, keras.__version__) from e


def _model_file(path: Path) -> Path:
    """`path`, checked before Keras reads it: a regular file, a zip archive that unpacks to
    less than a student's server holds, with a config of sane size and depth."""
    try:
        files.zip_archive(path, ".keras model file")
    except FileNotFoundError:
        raise FileNotFoundError(f"no model file at {path}") from None
    except IsADirectoryError:
        raise FileNotFoundError(f"no model file at {path}: that is a folder (an exported "
                                "SavedModel?); pass a .keras file") from None
    except OSError as e:  # a pipe, a device
        raise ModelFileError(f"{path}: {e.strerror}") from None
    except ValueError as e:  # not a zip archive, or one that unpacks too large
        raise ModelFileError(str(e)) from None
    try:
        with zipfile.ZipFile(path) as archive:
            config = archive.getinfo("config.json")
            if config.file_size > files.MAX_JSON:  # known before a byte of it is read
                raise files.TooLarge(f"{path}'s config.json would unpack to "
                                     f"{config.file_size:,} bytes, more than digitlab reads")
            files.load_json(archive.read(config), f"{path}'s config.json")
    except files.TooLarge as e:
        raise ModelFileError(str(e)) from None
    except (KeyError, ValueError, zipfile.BadZipFile) as e:
        raise ModelFileError(f"{path} is not a .keras model file ({e})") from None
    return path


def _unloadable(path: Path, error: Exception, version: str) -> ModelFileError:
    first_line = (str(error).strip().splitlines() or [type(error).__name__])[0]
    return ModelFileError(f"{path} could not be loaded ({first_line}). The file may be damaged, "
                          f"or saved by another Keras version (this is {version}) or with "
                          "custom layers this program does not have.")


def export_saved_model(model, path: str | os.PathLike, overwrite: bool = False) -> Path:
    """Export the inference function as a TensorFlow SavedModel folder, for TF Serving."""
    path = Path(path)
    _refuse_to_replace(path, overwrite)
    files.remove_leftovers(path.parent, ".part")
    tmp = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part"))
    old = tmp.with_name(tmp.name.replace(".part", ".old.part"))
    try:
        with _quiet_tf_logs():
            model.export(tmp, format="tf_saved_model", verbose=False)
        if path.exists():
            path.rename(old)  # the old export stays whole until the new one is in place
        tmp.rename(path)
    except Exception as e:  # TensorFlow's own error types for a full disk, among others
        if "No space left on device" in str(e):
            raise files.DiskFull(path, size_on_disk(tmp)) from None
        raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)
    return path


@contextmanager
def _quiet_tf_logs() -> Iterator[None]:
    """Hide TensorFlow's INFO lines ("Assets written to ...") while exporting."""
    logger = logging.getLogger("tensorflow")
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)


def to_tflite(model) -> bytes:
    """The model's inference pass converted to a TensorFlow Lite flat buffer (for phones and
    small devices)."""
    from digitlab._tf import keras, tf

    # training=False: Keras 3's augmentation layers would otherwise be traced in, and TFLite
    # has none of their ops.
    inputs = keras.Input(model.input_shape[1:])
    inference = keras.Model(inputs, model(inputs, training=False), name=model.name)
    # From a quietly exported SavedModel: `from_keras_model` prints the whole signature.
    with _quiet_tf_logs(), tempfile.TemporaryDirectory() as folder:
        inference.export(folder, format="tf_saved_model", verbose=False)
        return tf.lite.TFLiteConverter.from_saved_model(folder).convert()


def save_tflite(model, path: str | os.PathLike, overwrite: bool = False) -> Path:
    """Convert `model` to TFLite and write it to `path`, atomically."""
    path = Path(path)
    _refuse_to_replace(path, overwrite)
    files.write_atomically(path, to_tflite(model))
    return path


def tflite_probabilities(model_file: str | os.PathLike, images: np.ndarray) -> np.ndarray:
    """Run a `.tflite` model on float images in [0, 1], shape (n, 28, 28); (n, 10) back."""
    from digitlab._tf import tf
    from digitlab.quiet import stderr_held

    with warnings.catch_warnings(), stderr_held():  # and no "Created XNNPACK delegate" line
        # tf.lite.Interpreter warns that it is moving to the ai-edge-litert package, which has
        # no wheels for Windows; on TF 2.21 it still works everywhere TensorFlow does.
        warnings.simplefilter("ignore", UserWarning)
        interpreter = tf.lite.Interpreter(model_path=str(model_file))
        first, = interpreter.get_input_details()
        interpreter.resize_tensor_input(first["index"], images.shape)
        interpreter.allocate_tensors()
        interpreter.set_tensor(first["index"], images.astype(np.float32))
        interpreter.invoke()
    return interpreter.get_tensor(interpreter.get_output_details()[0]["index"])


def size_on_disk(path: str | os.PathLike) -> int:
    """Bytes used by a file, or by all files in a folder."""
    path = Path(path)
    if path.is_file():
        return path.stat().st_size
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
