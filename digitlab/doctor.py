"""`digitlab doctor`: is this machine ready for the course? One line per check, with the fix."""

from __future__ import annotations

import importlib.metadata
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np

INSTALL_FIX = "run `make lab` in the course folder, or `pip install -e .` in your environment"
PACKAGES = [  # (distribution, shown as, oldest version the course supports)
    ("tensorflow", "TensorFlow", (2, 16)),
    ("keras", "Keras", (3, 0)),
    ("numpy", "NumPy", (1, 26)),
    ("jupyterlab", "JupyterLab", (4, 0)),
    ("ipywidgets", "ipywidgets", (8, 0)),
    ("anywidget", "anywidget", (0, 9)),
]
FRONT_ENDS = ["@jupyter-widgets/jupyterlab-manager", "anywidget"]  # JupyterLab extensions

Check = tuple[bool, str]  # (passed, the line to show, with the fix when it failed)


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", text)[:2])


def check_python() -> Check:
    v = sys.version_info
    ok = (3, 10) <= v[:2] <= (3, 12)
    line = f"Python {v.major}.{v.minor}.{v.micro}"
    return ok, line if ok else f"{line}: the course needs Python 3.10 to 3.12 (TensorFlow's range)"


def check_package(dist: str, shown: str, oldest: tuple[int, int]) -> Check:
    try:
        version = importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return False, f"{shown} is not installed: {INSTALL_FIX}"
    if _version(version) < oldest:
        need = ".".join(map(str, oldest))
        return False, f"{shown} {version} is too old (need {need} or newer): {INSTALL_FIX}"
    return True, f"{shown} {version}"


def check_mode() -> Check:
    from digitlab.config import QUICK_ENV, is_quick

    if is_quick():  # not a fault, but a student must know: the figures are not the lesson's
        return True, (f"quick mode is ON ({QUICK_ENV} is set): lessons train for seconds and "
                      f"their figures are a smoke test; unset {QUICK_ENV} for the full lessons")
    return True, "quick mode is off: the full lessons"


def check_devices() -> Check:
    try:
        from digitlab._tf import tf
    except ImportError as e:
        return False, f"TensorFlow cannot be imported ({e}): {INSTALL_FIX}"
    kinds = [d.device_type for d in tf.config.list_physical_devices()]
    gpus = kinds.count("GPU")
    note = f"{gpus} GPU" if gpus else "no GPU (fine: every lesson is sized for a CPU)"
    return True, f"TensorFlow sees {kinds.count('CPU')} CPU, {note}"


def check_reader() -> Check:
    """Which runtime `digitlab predict` reads with, tried on one blank image."""
    from digitlab import pretrained
    from digitlab.lite import runtime

    try:
        pretrained.reader()(np.zeros((1, 28, 28), np.float32))
    except (ImportError, OSError, ValueError, RuntimeError) as e:
        return False, f"the reader cannot run the shipped model ({e}): {INSTALL_FIX}"
    return True, (f"`digitlab predict` reads with {runtime()} (the {len(pretrained.MEMBERS)} "
                  "shipped networks' .tflite files), without TensorFlow")


def check_big_pictures() -> Check:
    """Whether libvips loads: it opens PNG, WebP and TIFF pictures too big for Pillow."""
    try:
        import pyvips
    except (ImportError, OSError) as e:
        return False, (f"libvips cannot be loaded ({e}): PNG, WebP and TIFF pictures over about "
                       f"60 MP cannot be read; {INSTALL_FIX}")
    version = ".".join(str(pyvips.version(i)) for i in range(3))
    return True, f"libvips {version} opens PNG, WebP and TIFF pictures of up to 100 MP"


def check_data() -> Check:
    from digitlab.data import DataError, find_mnist, load_mnist

    try:
        source = find_mnist(download=False)
        load_mnist(source)
    except DataError as e:
        return False, (f"MNIST: {e.args[0]} Fix: run `digitlab data` to download it, or set "
                       "DIGITLAB_DATA to a folder holding the four files")
    return True, f"MNIST found and verified (SHA-256) in {source}"


def check_front_ends() -> Check:
    try:
        from jupyter_core.paths import jupyter_path
    except ImportError:
        return False, f"Jupyter is not installed: {INSTALL_FIX}"
    roots = [Path(p) for p in jupyter_path("labextensions")]
    missing = [ext for ext in FRONT_ENDS
               if not any((root / ext / "package.json").is_file() for root in roots)]
    if missing:
        return False, (f"widget front-end missing in JupyterLab ({', '.join(missing)}): widgets "
                       f"would show 'Error displaying widget'; {INSTALL_FIX}, then restart "
                       "JupyterLab")
    return True, f"widget front-ends installed ({', '.join(FRONT_ENDS)})"


def checks() -> Iterator[Check]:
    """Run every check in turn."""
    yield check_python()
    for dist, shown, oldest in PACKAGES:
        yield check_package(dist, shown, oldest)
    yield check_mode()
    yield check_devices()
    yield check_reader()
    yield check_big_pictures()
    yield check_data()
    yield check_front_ends()


def report() -> int:
    """Print every check as a ✓ or ✗ line; return how many failed."""
    failed = 0
    for ok, line in checks():
        print(f"{'✓' if ok else '✗'} {line}", flush=True)
        failed += not ok
    print(f"\n{'All set.' if not failed else f'{failed} problem(s) to fix, see ✗ above.'}")
    return failed
