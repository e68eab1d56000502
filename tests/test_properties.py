"""Property tests (Hypothesis): whatever bytes, arrays or strokes come in, the only outcomes are
a valid answer or one of digitlab's own errors, with a message, and no file is left behind.

Derandomised, so CI tries the same examples every run; what a search once found stays as an
`@example`."""

import gzip
import hashlib
import io
import tempfile
from pathlib import Path
from unittest import mock

import hypothesis.extra.numpy as hnp
import numpy as np
from helpers import draw, idx_bytes
from hypothesis import example, given, settings
from hypothesis import strategies as st

from digitlab import data, pictures
from digitlab import preprocess as pp
from digitlab import strokes as pad_strokes

bounded = settings(max_examples=60, deadline=None, derandomize=True)


def read_or_refuse(source) -> None:
    """A valid 28x28 answer, or ImageError / NoDigitFound with a message: nothing else."""
    try:
        out = pp.preprocess(source)
    except (pictures.ImageError, pp.NoDigitFound) as e:
        assert str(e)
        return
    assert out.shape == (28, 28) and out.dtype == np.float32
    assert np.isfinite(out).all() and out.min() >= 0 and out.max() <= 1


def in_a_fresh_folder(name: str, content: bytes, check) -> None:
    """Write `content` as `name` in an empty folder, run `check` on it, and insist that the
    folder holds exactly that file afterwards: nothing written beside it, nothing left behind."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(content)
        check(path)
        assert [p.name for p in Path(folder).iterdir()] == [name]


@bounded
@given(st.binary(max_size=4096), st.sampled_from(["x.png", "x.jpg", "x.gif", "x.tif", "x"]))
@example(b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 9 9\n", "x.png")
def test_any_bytes_as_an_image_file(blob, name):
    in_a_fresh_folder(name, blob, read_or_refuse)


def encoded(fmt: str) -> bytes:
    buffer = io.BytesIO()
    draw("7", size=96).save(buffer, fmt)
    return buffer.getvalue()


ENCODED = {fmt: encoded(fmt) for fmt in ("PNG", "JPEG", "GIF", "BMP", "TIFF", "WEBP", "PPM")}


@bounded
@given(st.sampled_from(sorted(ENCODED)), st.floats(0, 1), st.integers(0, 255),
       st.integers(0, 10**6))
@example("PPM", 1.0, 0, 3)  # a damaged header: Pillow raised ValueError
def test_real_files_cut_short_or_with_a_byte_changed(fmt, keep, value, at):
    whole = bytearray(ENCODED[fmt])
    whole[at % len(whole)] = value
    in_a_fresh_folder("x", bytes(whole[:max(1, int(len(whole) * keep))]), read_or_refuse)


@bounded
@given(hnp.arrays(dtype=st.one_of(hnp.scalar_dtypes(), st.just(np.dtype(object))),
                  shape=hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=40)))
@example(np.array([[None]], dtype=object))  # found: non-numbers reached Pillow
@example(np.array([["NaT"]], dtype="timedelta64[Y]"))
def test_any_array_as_a_picture(array):
    read_or_refuse(array)


coordinate = st.floats(allow_nan=True, allow_infinity=True, width=32)


@bounded
@given(st.lists(st.lists(st.tuples(coordinate, coordinate), max_size=6), max_size=4),
       st.floats(0.5, 40))
@example([[]], 1.0)  # found: an empty stroke was an IndexError
def test_any_strokes_on_the_pad(strokes, width):
    image = pad_strokes.digit_image(strokes, 280, width)
    assert image is None or (image.shape == (28, 28) and np.isfinite(image).all()
                             and image.min() >= 0 and image.max() <= 1)


TINY = {"train-images-idx3-ubyte": np.arange(6 * 28 * 28, dtype=np.uint8).reshape(6, 28, 28),
        "train-labels-idx1-ubyte": np.arange(6, dtype=np.uint8),
        "t10k-images-idx3-ubyte": np.arange(4 * 28 * 28, dtype=np.uint8).reshape(4, 28, 28)[::-1],
        "t10k-labels-idx1-ubyte": np.arange(4, dtype=np.uint8)}
TINY_FILES = {name: (hashlib.sha256(idx_bytes(a)).hexdigest(), a.shape)
              for name, a in TINY.items()}


def loads_or_refuses(source: Path) -> None:
    """The tiny data set, exactly, or a DataError with a message: nothing else."""
    try:
        (x_train, y_train), (x_test, y_test) = data.load_mnist(source, download=False)
    except data.DataError as e:
        assert str(e)
        return
    assert (x_train == TINY["train-images-idx3-ubyte"]).all() and (y_test == TINY[
        "t10k-labels-idx1-ubyte"]).all()


def corrupt(raw: bytes, cut: float, flips: list[tuple[int, int]]) -> bytes:
    raw = bytearray(raw[:int(len(raw) * cut)] if cut < 1 else raw)
    for at, value in flips:
        if raw:
            raw[at % len(raw)] = value
    return bytes(raw)


damage = (st.sampled_from(sorted(TINY)), st.floats(0, 1), st.booleans(),
          st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), max_size=3))


@bounded
@given(*damage)
def test_damaged_idx_files(name, cut, gz, flips):
    with mock.patch.dict(data.FILES, TINY_FILES, clear=True), \
            tempfile.TemporaryDirectory() as folder:
        for other, array in TINY.items():
            raw = idx_bytes(array)
            if other == name:
                raw = corrupt(gzip.compress(raw) if gz else raw, cut, flips)
            elif gz:
                raw = gzip.compress(raw)
            (Path(folder) / (other + ".gz" * gz)).write_bytes(raw)
        loads_or_refuses(Path(folder))


@bounded
@given(st.floats(0, 1), st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)),
                                 max_size=3))
def test_damaged_npz_files(cut, flips):
    buffer = io.BytesIO()
    np.savez(buffer, **{data.NPZ_KEYS[name]: a for name, a in TINY.items()})
    with mock.patch.dict(data.FILES, TINY_FILES, clear=True):
        in_a_fresh_folder(data.NPZ_NAME, corrupt(buffer.getvalue(), cut, flips),
                          loads_or_refuses)


def test_the_tiny_set_itself_loads(tmp_path):
    """The properties above would pass vacuously if the undamaged files never loaded."""
    with mock.patch.dict(data.FILES, TINY_FILES, clear=True):
        for name, array in TINY.items():
            (tmp_path / name).write_bytes(idx_bytes(array))
        (x_train, _), _ = data.load_mnist(tmp_path, download=False)
    assert (x_train == TINY["train-images-idx3-ubyte"]).all()
