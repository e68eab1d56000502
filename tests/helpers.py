"""Helpers the tests share: IDX files made by hand, real-MNIST marks, strict skips, digits."""

import gzip
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from digitlab import data

TINY_SHAPES = {
    "train-images-idx3-ubyte": (6, 28, 28),
    "train-labels-idx1-ubyte": (6,),
    "t10k-images-idx3-ubyte": (4, 28, 28),
    "t10k-labels-idx1-ubyte": (4,),
}


def idx_bytes(array: np.ndarray) -> bytes:
    return data.idx_header(array.shape) + array.tobytes()


def write_idx(folder: Path, arrays: dict, gz: bool = True) -> Path:
    """Write arrays as IDX files (gzipped or not) into folder, as MNIST ships them."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, array in arrays.items():
        raw = idx_bytes(array)
        if gz:
            (folder / f"{name}.gz").write_bytes(gzip.compress(raw))
        else:
            (folder / name).write_bytes(raw)
    return folder


REAL_DATA = os.environ.get(data.DATA_ENV)
needs_real_mnist = pytest.mark.skipif(
    not REAL_DATA, reason=f"set {data.DATA_ENV} to a folder with the real MNIST files")


# .ci/run sets this: it installs every Debian package the tests need, so there a missing one is
# a failure, not a skip, and CI runs every test.
STRICT = os.environ.get("DIGITLAB_STRICT") == "1"


def require(present: bool, what_to_install: str) -> None:
    """Skip the test, saying what to install, unless `present` (fail instead under STRICT)."""
    if not present:
        (pytest.fail if STRICT else pytest.skip)(what_to_install)


SIZE = 280


def draw(digit: str, ink=0, paper=255, width=18, size=SIZE, mode="L") -> Image.Image:
    """A hand-drawn-looking 0, 1 or 7 as thick strokes."""
    image = Image.new(mode, (size, size), paper)
    pen = ImageDraw.Draw(image)
    s = size / SIZE
    if digit == "0":
        pen.ellipse([90 * s, 50 * s, 190 * s, 230 * s], outline=ink, width=round(width * s))
    elif digit == "1":
        pen.line([(150 * s, 40 * s), (140 * s, 240 * s)], fill=ink, width=round(width * s))
        pen.line([(150 * s, 40 * s), (115 * s, 75 * s)], fill=ink, width=round(width * s))
    elif digit == "7":
        pen.line([(80 * s, 50 * s), (200 * s, 50 * s), (120 * s, 240 * s)], fill=ink,
                 width=round(width * s), joint="curve")
    return image
