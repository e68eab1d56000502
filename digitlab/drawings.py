"""Your own drawings of digits: kept as strokes and as 28x28 images, saved to a file you own.

A set is saved as a small `.npz`: the strokes as drawn (JSON, in pad pixels), the images a network
reads (uint8, MNIST-style), the labels, the pad's size and pen width, and whose drawings they are.
Saving is atomic, and it never replaces another student's file unless told to.
"""

from __future__ import annotations

import getpass
import io
import json
import os
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from digitlab.data import write_atomically
from digitlab.strokes import ONE_HAND, Point, digit_image, jittered

FORMAT = "digitlab drawings 1"
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


def save(drawings: Drawings, path: str | os.PathLike, overwrite: bool = False) -> Path:
    """Write the drawings to `path` (.npz), whole or not at all; never over another student's."""
    path = Path(path)
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
    write_atomically(path, buffer.getvalue())
    return path


def load(path: str | os.PathLike) -> Drawings:
    """Drawings saved by `save` (or by the collecting pad), checked for damage."""
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {key: npz[key] for key in npz.files}
    except FileNotFoundError:
        raise FileNotFoundError(f"no drawings at {path}: collect some with "
                                "`CollectingPad(path=...)` first") from None
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as e:
        raise ValueError(f"{path} is damaged or not an .npz file ({e})") from None
    if str(arrays.get("format")) != FORMAT:
        raise ValueError(f"{path} is not a digitlab drawings file")
    try:
        drawings = Drawings(json.loads(str(arrays["strokes"])), arrays["images"],
                            arrays["labels"], str(arrays["owner"]), int(arrays["pad_size"]),
                            float(arrays["stroke_width"]))
    except (KeyError, json.JSONDecodeError) as e:
        raise ValueError(f"{path} is damaged ({e})") from None
    n = len(drawings.labels)
    if (drawings.images.shape != (n, 28, 28) or drawings.images.dtype != np.uint8
            or len(drawings.strokes) != n or np.any(drawings.labels > 9)):
        raise ValueError(f"{path} is damaged: its images, labels and strokes do not match")
    return drawings


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
