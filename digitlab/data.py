"""MNIST: find it, download it, verify it, load it, split it and feed it to TensorFlow.

Where the data comes from, first match wins:
  1. the `path` argument of `load_mnist` / `find_mnist`;
  2. the DIGITLAB_DATA environment variable;
  3. the per-user cache ($XDG_CACHE_HOME or ~/.cache, then digitlab/mnist);
  4. a download into that cache from a public mirror (or DIGITLAB_MIRROR).

A folder holds the four IDX files, gzipped or not, or keras' `mnist.npz`. Whatever the container,
the decoded contents are checked against the SHA-256 of the canonical uncompressed IDX files.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import struct
import zipfile
import zlib
from pathlib import Path

import numpy as np

from digitlab.files import TooLarge, check_zip, regular_file, write_files

DATA_ENV = "DIGITLAB_DATA"
# name -> (SHA-256 of the uncompressed IDX file, array shape). Hashing the uncompressed contents
# means a re-compressed, unpacked or npz copy verifies just as well as the original archive.
FILES = {
    "train-images-idx3-ubyte": (
        "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db", (60000, 28, 28)),
    "train-labels-idx1-ubyte": (
        "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5", (60000,)),
    "t10k-images-idx3-ubyte": (
        "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7", (10000, 28, 28)),
    "t10k-labels-idx1-ubyte": (
        "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2", (10000,)),
}
NPZ_KEYS = {  # keras' mnist.npz names for the same arrays
    "train-images-idx3-ubyte": "x_train",
    "train-labels-idx1-ubyte": "y_train",
    "t10k-images-idx3-ubyte": "x_test",
    "t10k-labels-idx1-ubyte": "y_test",
}
NPZ_NAME = "mnist.npz"

Arrays = tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


class DataError(Exception):
    """MNIST could not be found, downloaded or verified; the message says how to fix it."""

    def __str__(self) -> str:
        return f"{self.args[0]}\n{_fix_hint()}"


def cache_dir() -> Path:
    """The per-user folder that downloads go to."""
    root = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(root) / "digitlab" / "mnist"


def _fix_hint() -> str:
    files = f"the four MNIST files ({', '.join(f + '.gz' for f in FILES)}; gzipped or not)"
    if os.environ.get(DATA_ENV):  # a download would not be looked at: say where to fix it
        return (f"To fix it, put {files} or keras' {NPZ_NAME} in {os.environ[DATA_ENV]} "
                f"({DATA_ENV} points there), or unset {DATA_ENV} and run `digitlab data` once "
                "with internet access.")
    return (
        f"To fix it, put {files} or keras' {NPZ_NAME} in a folder and set "
        f"{DATA_ENV}=/that/folder, or copy them into {cache_dir()}, or run `digitlab data` "
        "once with internet access."
    )


# ---------------------------------------------------------------------------- IDX format


def idx_header(shape: tuple[int, ...]) -> bytes:
    """The IDX header of an unsigned-byte array of this shape (magic number, then each size)."""
    return bytes([0, 0, 0x08, len(shape)]) + struct.pack(f">{len(shape)}I", *shape)


def decode(name: str, raw: bytes, source: str) -> np.ndarray:
    """Check IDX bytes against the known MNIST file `name` and return them as a uint8 array."""
    checksum, shape = FILES[name]
    header = idx_header(shape)
    size = len(header) + int(np.prod(shape))
    kind = "images" if len(shape) == 3 else "labels"
    if len(raw) < 4 or raw[:4] != header[:4]:
        raise DataError(
            f"{source} is not an MNIST {kind} file: its first bytes are "
            f"{raw[:4].hex() or 'empty'}, an IDX {kind} file starts with {header[:4].hex()}.")
    if raw[4:len(header)] != header[4:]:
        found = struct.unpack(f">{len(shape)}I", raw[4:len(header)].ljust(len(header) - 4, b"\0"))
        raise DataError(
            f"{source} holds {kind} of shape {found}, expected {shape}: is it another file "
            f"(training and test swapped?) rather than {name}?")
    if len(raw) != size:
        what = "truncated" if len(raw) < size else "too long"
        raise DataError(
            f"{source} is {what}: {len(raw):,} bytes, expected {size:,}. "
            "Delete it and fetch it again.")
    digest = hashlib.sha256(raw).hexdigest()
    if digest != checksum:
        raise DataError(
            f"{source} is corrupted or not the real MNIST: its SHA-256 is {digest}, expected "
            f"{checksum}. Delete it and fetch it again.")
    return np.frombuffer(raw, np.uint8, offset=len(header)).reshape(shape)


MAX_IDX = 60000 * 28 * 28 + 16  # MNIST's largest file: a larger one, unpacked, is not MNIST


def read_file(path: Path) -> bytes:
    """The uncompressed bytes of an IDX file, gzipped or not; never more than MNIST's largest
    file (and one byte, so that a longer file is found too long), whatever a gzip unpacks to."""
    try:
        if path.suffix != ".gz":
            with open(regular_file(path), "rb") as f:
                return f.read(MAX_IDX + 1)
        with gzip.open(regular_file(path)) as f:
            return f.read(MAX_IDX + 1)
    except EOFError:
        raise DataError(f"{path} is truncated: its gzip stream ends early. "
                        "Delete it and fetch it again.") from None
    except (gzip.BadGzipFile, zlib.error) as e:
        raise DataError(f"{path} is corrupted: not a valid gzip file ({e}). "
                        "Delete it and fetch it again.") from None
    except OSError as e:
        raise DataError(f"{path} cannot be read: {e.strerror or e}.") from None


# ---------------------------------------------------------------------------- finding


def _idx_files(folder: Path) -> dict[str, Path]:
    """The MNIST IDX files present in a folder, gzipped or not, by name."""
    found = {}
    try:
        for name in FILES:
            for candidate in (folder / name, folder / f"{name}.gz"):
                if candidate.is_dir():
                    raise DataError(f"{candidate} is a folder where MNIST's {name} should be.")
                if candidate.is_file():
                    found[name] = candidate
                    break
    except PermissionError:
        raise DataError(f"{folder} cannot be read: permission denied.") from None
    return found


def _source_in(path: Path, told_by: str) -> Path:
    """The npz file or IDX folder at `path`, or a DataError naming what is missing."""
    if path.is_file() and path.suffix == ".npz":
        return path
    if not path.exists():
        raise DataError(f"{told_by} points to {path}, which does not exist.")
    if not path.is_dir():
        raise DataError(f"{told_by} points to {path}, which is neither a folder nor an .npz file.")
    found = _idx_files(path)
    if len(found) == len(FILES):
        return path
    if not found and (path / NPZ_NAME).is_file():
        return path / NPZ_NAME
    missing = ", ".join(f"{name}[.gz]" for name in FILES if name not in found)
    raise DataError(f"{told_by} points to {path}, but it lacks {missing}.")


def find_mnist(path: str | os.PathLike | None = None, download: bool = True) -> Path:
    """Where MNIST is: an IDX folder or an npz file, downloading into the cache if needed."""
    if path is not None:
        return _source_in(Path(path).expanduser(), "the path you gave")
    if os.environ.get(DATA_ENV):
        return _source_in(Path(os.environ[DATA_ENV]).expanduser(), f"${DATA_ENV}")
    cache = cache_dir()
    if len(_idx_files(cache)) == len(FILES):
        return cache
    if (cache / NPZ_NAME).is_file():
        return cache / NPZ_NAME
    if not download:
        raise DataError(f"MNIST is not on this machine (nothing in {cache}).")
    from digitlab.download import download_mnist

    return download_mnist(cache)


# ---------------------------------------------------------------------------- loading


def _load_npz(path: Path) -> dict[str, np.ndarray]:
    """The four arrays of keras' mnist.npz, each verified as if it were the IDX file."""
    try:
        check_zip(path, max_unpacked=2 * MAX_IDX)  # all four arrays are less than that
        with np.load(path, allow_pickle=False) as npz:
            missing = [key for key in NPZ_KEYS.values() if key not in npz.files]
            if missing:
                raise DataError(f"{path} is not keras' mnist.npz: it has no array "
                                f"{', '.join(missing)} (it has {', '.join(npz.files)}).")
            arrays = {name: npz[key] for name, key in NPZ_KEYS.items()}
    except TooLarge as e:
        raise DataError(f"{e}.") from None
    except (OSError, ValueError, EOFError, zlib.error, zipfile.BadZipFile) as e:
        raise DataError(f"{path} is damaged or not an npz file ({e or type(e).__name__}). "
                        "Delete it and fetch it again.") from None
    decoded = {}
    for name, a in arrays.items():
        source = f"{path}[{NPZ_KEYS[name]}]"
        if a.dtype != np.uint8:
            raise DataError(f"{source} holds {a.dtype} values; MNIST is uint8.")
        decoded[name] = decode(name, idx_header(a.shape) + a.tobytes(), source)
    return decoded


def load_mnist(path: str | os.PathLike | None = None, download: bool = True) -> Arrays:
    """MNIST as `(x_train, y_train), (x_test, y_test)`: uint8 images 28x28 and uint8 labels."""
    source = find_mnist(path, download)
    if source.suffix == ".npz":
        arrays = _load_npz(source)
    else:
        arrays = {name: decode(name, read_file(file), str(file))
                  for name, file in _idx_files(source).items()}
    return ((arrays["train-images-idx3-ubyte"], arrays["train-labels-idx1-ubyte"]),
            (arrays["t10k-images-idx3-ubyte"], arrays["t10k-labels-idx1-ubyte"]))


def export_mnist(folder: str | os.PathLike, source: str | os.PathLike | None = None) -> Path:
    """Copy verified MNIST into `folder` for a classroom, all four files or none: the gzipped
    IDX files and SHA256SUMS of them (`sha256sum -c SHA256SUMS` checks a copy). Point
    `DIGITLAB_DATA` at it, or copy it into each student's cache."""
    folder = Path(folder).expanduser()
    (x_train, y_train), (x_test, y_test) = load_mnist(source)
    arrays = dict(zip(FILES, (x_train, y_train, x_test, y_test), strict=True))
    # mtime=0: the same data always gives the same file, so copies can be compared
    files = {f"{name}.gz": gzip.compress(idx_header(a.shape) + a.tobytes(), mtime=0)
             for name, a in arrays.items()}
    files["SHA256SUMS"] = "".join(f"{hashlib.sha256(data).hexdigest()}  {name}\n"
                                  for name, data in files.items()).encode()
    write_files(folder, files)
    load_mnist(folder)  # read back and verified, or DataError
    return folder


# ---------------------------------------------------------------------------- preparing


def split(x: np.ndarray, y: np.ndarray, val_size: int = 5000, seed: int = 0):
    """Hold out `val_size` random examples: `(x_train, y_train), (x_val, y_val)`, seeded."""
    if not 0 < val_size < len(x):
        raise ValueError(f"val_size must be between 1 and {len(x) - 1}, got {val_size}")
    order = np.random.default_rng(seed).permutation(len(x))
    train, val = order[val_size:], order[:val_size]
    return (x[train], y[train]), (x[val], y[val])


def scale(x: np.ndarray) -> np.ndarray:
    """uint8 pixels 0..255 as float32 in [0, 1]."""
    return np.asarray(x, np.float32) / 255.0


def _span(offset: int, size: int) -> tuple[slice, slice]:
    """Where pixels land, and where they come from, when moved by `offset` along one axis."""
    return (slice(max(offset, 0), size + min(offset, 0)),
            slice(max(-offset, 0), size - max(offset, 0)))


def shift(images: np.ndarray, dx: int = 0, dy: int = 0) -> np.ndarray:
    """Images moved `dx` pixels right and `dy` down (negative: left, up); blank paper fills in."""
    (rows_to, rows_from), (cols_to, cols_from) = _span(dy, images.shape[-2]), _span(
        dx, images.shape[-1])
    out = np.zeros_like(images)
    out[..., rows_to, cols_to] = images[..., rows_from, cols_from]
    return out


def make_dataset(x: np.ndarray, y: np.ndarray, batch_size: int = 128, shuffle: bool = False,
                 seed: int = 0):
    """A batched, prefetched `tf.data.Dataset` of (images scaled to [0, 1], labels)."""
    from digitlab._tf import tf

    ds = tf.data.Dataset.from_tensor_slices((x, y))
    if shuffle:
        ds = ds.shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
    # Scale whole batches after batching: one vectorised op per batch rather than per image.
    ds = ds.batch(batch_size).map(lambda xb, yb: (tf.cast(xb, tf.float32) / 255.0, yb),
                                  num_parallel_calls=tf.data.AUTOTUNE)
    return ds.prefetch(tf.data.AUTOTUNE)
