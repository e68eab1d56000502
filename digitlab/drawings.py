"""Your own drawings of digits: kept as strokes and as 28x28 images, saved to a file you own.

A set is saved as a small `.npz`: the strokes as drawn (JSON, in pad pixels), the images a network
reads (uint8, MNIST-style), the labels, the pad's size and pen width, and whose drawings they are.
Saving is atomic, one writer at a time (two notebooks on one file: the second waits, then is
told the file is in use), and it never replaces another student's file unless told to. Loading
checks every field, and the file's unpacked size, before it trusts any.
"""

from __future__ import annotations

import errno
import getpass
import io
import json
import os
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from digitlab import files
from digitlab.strokes import ONE_HAND, Point, digit_image, jittered

FORMAT = "digitlab drawings 1"
MAX_UNPACKED = 256 << 20  # 256 MB: a thousand drawings take about 3 MB
STAND_IN = "stand-in (drawn from stroke templates)"


def owner() -> str:
    """Who is drawing: the JupyterHub user on a class server, else the login name."""
    return os.environ.get("JUPYTERHUB_USER") or getpass.getuser()


@dataclass
class Drawings:
    """Drawings of digits: the strokes of each, the images a network reads, their labels."""

    strokes: list[list[list[Point]]] = field(default_factory=list)  # per drawing, in pad pixels
    images: np.ndarray = field(default_factory=lambda: np.zeros((0, 28, 28), np.uint8))
    labels: np.ndarray = field(default_factory=lambda: np.zeros(0, np.uint8))
    owner: str = field(default_factory=owner)
    pad_size: int = 280
    stroke_width: float = 18

    def __len__(self) -> int:
        return len(self.labels)

    def counts(self) -> np.ndarray:
        """How many drawings of each digit, 0 to 9."""
        return np.bincount(self.labels, minlength=10)[:10]

    def add(self, strokes: list[list[Point]], label: int) -> bool:
        """Keep a drawing of `label`; False (and nothing kept) if the strokes hold no ink."""
        image = digit_image(strokes, self.pad_size, self.stroke_width)
        if image is None:
            return False
        self.strokes.append(strokes)
        self.images = np.concatenate([self.images, np.round(image * 255).astype(np.uint8)[None]])
        self.labels = np.append(self.labels, np.uint8(label))
        return True

    def drop_last(self) -> int | None:
        """Take back the last drawing; its label, or None if there was none."""
        if not len(self):
            return None
        label = int(self.labels[-1])
        self.strokes.pop()
        self.images, self.labels = self.images[:-1], self.labels[:-1]
        return label


class InUse(OSError):
    """The drawings file is being written by another process (another notebook's pad)."""


def lock(path: Path):
    """The lock of the drawings file `path` (a hidden `.NAME.lock` beside it): one per file
    in a process, whatever the thread (a kernel runs widget callbacks on a thread of its own),
    so a pad and its saves share it; another process waits for it."""
    from filelock import FileLock

    return FileLock(path.with_name(f".{path.name}.lock"), is_singleton=True, thread_local=False)


def save(drawings: Drawings, path: str | os.PathLike, overwrite: bool = False) -> Path:
    """Write the drawings to `path` (.npz), whole or not at all, one writer at a time; never
    over another student's."""
    from filelock import Timeout

    path = Path(path)
    try:
        held = lock(path).acquire(timeout=5)
    except Timeout:
        raise InUse(f"{path} is in use by another notebook (its pad is collecting into it): "
                    "nothing was written") from None
    except OSError as e:
        raise _unlockable(path, e) from None
    with held:
        return _save(drawings, path, overwrite)


def _unlockable(path: Path, error: OSError) -> OSError:
    """Why the drawings file `path` could not be locked, in words naming it and the fix."""
    lock_file = Path(lock(path).lock_file)
    if error.errno == errno.ELOOP:
        why = f"its lock file {lock_file} is a link, which is never followed: remove it"
    elif error.errno == errno.EROFS:
        why = (f"{path.parent} is on a read-only disk: save into a folder of your own (your "
               "home, or the course folder)")
    elif error.errno in (errno.ENOSPC, errno.EDQUOT):
        return files.DiskFull(path, 0)
    elif error.errno in (errno.EACCES, errno.EPERM) and lock_file.exists():
        owner = files.user_name(lock_file.stat().st_uid)
        why = (f"its lock file {lock_file} belongs to {owner}, and this account may not use "
               f"it: save under another name, or ask {owner} (or the instructor) to remove it")
    elif error.errno in (errno.EACCES, errno.EPERM):
        why = f"this account may not write in {path.parent}: save into a folder of your own"
    else:
        return error
    return OSError(error.errno, f"{path} cannot be saved: {why}; nothing was written")


def _save(drawings: Drawings, path: Path, overwrite: bool) -> Path:
    if path.exists() and not overwrite:
        try:
            theirs = load(path).owner
        except (ValueError, OSError) as e:
            raise FileExistsError(f"{path} exists and is not a drawings file ({e}): choose "
                                  "another name, or pass overwrite=True to replace it") from None
        if theirs != drawings.owner:
            raise FileExistsError(f"{path} holds drawings by {theirs}, not by {drawings.owner}: "
                                  "choose another name, or pass overwrite=True to replace them")
    buffer = io.BytesIO()
    np.savez_compressed(buffer, format=FORMAT, owner=drawings.owner, images=drawings.images,
                        labels=drawings.labels, strokes=json.dumps(drawings.strokes),
                        pad_size=drawings.pad_size, stroke_width=drawings.stroke_width)
    files.write_atomically(path, buffer.getvalue())
    return path


def load(path: str | os.PathLike) -> Drawings:
    """Drawings saved by `save` (or by the collecting pad), every field checked."""
    path = Path(path)
    try:
        files.zip_archive(path, "drawings file", MAX_UNPACKED)
    except FileNotFoundError:
        raise FileNotFoundError(f"no drawings at {path}: collect some with "
                                "`CollectingPad(path=...)` first") from None
    except OSError as e:  # a folder, a pipe, a device
        raise ValueError(f"{path}: {e.strerror}") from None
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {key: npz[key] for key in npz.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as e:
        raise ValueError(f"{path} is damaged or not an .npz file ({e})") from None
    if _text(arrays, "format") != FORMAT:
        raise ValueError(f"{path} is not a digitlab drawings file")
    try:
        return _checked(arrays, path)
    except (KeyError, TypeError) as e:
        raise ValueError(f"{path} is damaged: {e.args[0]}") from None
    except json.JSONDecodeError as e:
        raise ValueError(f"{path} is damaged: its strokes are not JSON ({e})") from None


def _text(arrays: dict, key: str) -> str | None:
    a = arrays.get(key)
    return str(a) if a is not None and a.ndim == 0 and a.dtype.kind == "U" else None


def _number(arrays: dict, key: str, kind: str) -> float:
    """A positive number stored as a 0-d array of `kind` ("i": integer, "if": any)."""
    a = arrays[key]
    if a.ndim != 0 or a.dtype.kind not in kind or not a > 0:
        raise TypeError(f"its {key} is {a!r}, not a positive number")
    return a.item()


def _checked(arrays: dict, path: Path) -> Drawings:
    """The drawings in `arrays`, each field checked: a KeyError or TypeError names the first
    that is missing or wrong."""
    images, labels, owner = arrays["images"], arrays["labels"], _text(arrays, "owner")
    strokes_text = _text(arrays, "strokes")
    if owner is None or strokes_text is None:
        raise TypeError("its owner and strokes must be text")
    if labels.ndim != 1 or labels.dtype.kind not in "iu" or np.any((labels < 0) | (labels > 9)):
        raise TypeError("its labels must be digits 0 to 9")
    n = len(labels)
    if images.shape != (n, 28, 28) or images.dtype != np.uint8:
        raise TypeError(f"its images ({images.shape}, {images.dtype}) do not match its {n} "
                        "labels (28x28 uint8 each)")
    strokes = files.load_json(strokes_text, f"{path}'s strokes", max_depth=4)
    if not (isinstance(strokes, list) and len(strokes) == n and all(
            isinstance(s, list) and all(_is_stroke(line) for line in s) for s in strokes)):
        raise TypeError(f"its strokes do not match its {n} labels (lists of [x, y] points)")
    return Drawings(strokes, images, labels.astype(np.uint8), owner,
                    int(_number(arrays, "pad_size", "iu")),
                    float(_number(arrays, "stroke_width", "iuf")))


def _is_stroke(line) -> bool:
    return isinstance(line, list) and all(
        isinstance(p, list) and len(p) == 2 and all(isinstance(v, int | float) for v in p)
        for p in line)


def hold_out(labels: np.ndarray, per_digit: int = 3, seed: int = 0
             ) -> tuple[np.ndarray, np.ndarray]:
    """Indices (to train on, held out): `per_digit` drawings of each digit set aside at random."""
    labels = np.asarray(labels)
    short = [d for d in range(10) if np.sum(labels == d) <= per_digit]
    if short:
        raise ValueError(f"to hold out {per_digit} of each digit and still train on some, draw at "
                         f"least {per_digit + 1} of each; too few of: {short}")
    rng = np.random.default_rng(seed)
    held = np.concatenate([rng.choice(np.flatnonzero(labels == d), per_digit, replace=False)
                           for d in range(10)])
    return np.setdiff1d(np.arange(len(labels)), held), np.sort(held)


def stand_in(per_digit: int = 10, seed: int = 0) -> Drawings:
    """Drawings no one drew: `strokes.ONE_HAND`'s templates, jittered, in the order a pad asks."""
    rng, drawings = np.random.default_rng(seed), Drawings(owner=STAND_IN)
    for _ in range(per_digit):
        for digit in range(10):
            strokes, _ = jittered(ONE_HAND[digit], rng)  # the pad's pen, as a student's would be
            drawings.add(strokes, digit)
    return drawings
