"""A quiet TensorFlow start, asked for by the notebooks and the `digitlab` command.

Importing digitlab changes nothing in the process: TensorFlow, when a module needs it, loads as
it is, log lines and all. `start_tensorflow()` is what a lesson or the command calls first: since
TF 2.19 the lines about oneDNN, CUDA and CPU features are written by C++ straight to file
descriptor 2, before any logging is set up, so they are held in a file while TensorFlow loads,
and shown only if loading fails. Loading takes seconds, so in a notebook it says so.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def stderr_held() -> Iterator[None]:
    """Hold what is written to file descriptor 2 (C++ writes there directly) while the block
    runs; drop it if the block succeeds, show it if the block fails."""
    saved, held = os.dup(2), tempfile.TemporaryFile()
    try:
        os.dup2(held.fileno(), 2)
        yield
    except BaseException:
        os.dup2(saved, 2)
        held.seek(0)
        os.write(2, held.read())  # the reason a library gave, before the traceback
        raise
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        held.close()


def start_tensorflow(quiet: bool = True, onednn: bool = True) -> None:
    """Load TensorFlow now: `quiet` holds back its C++ start-up lines (they are shown if it
    fails to load); `onednn` turns on its oneDNN kernels, which TensorFlow leaves off on CPUs
    without AVX-512 VNNI or AMX (most laptops): a LeNet epoch on a 2-core AVX2 machine takes
    9-12 s instead of 21 s (docs/lab-notes.md). Call it before anything imports TensorFlow."""
    if "tensorflow" in sys.modules:
        return
    if onednn:
        os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")
    if quiet:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    shell = sys.modules.get("IPython") and sys.modules["IPython"].get_ipython()
    chatty = type(shell).__name__ == "ZMQInteractiveShell"  # a Jupyter kernel, not a terminal
    start = time.perf_counter()
    if chatty:
        print("Loading TensorFlow …", end=" ", flush=True)
    with stderr_held() if quiet else _nothing():
        import tensorflow

        tensorflow.config.list_physical_devices()  # CUDA probing logs here, on first use
    if chatty:
        print(f"{time.perf_counter() - start:.0f} s")


@contextmanager
def _nothing() -> Iterator[None]:
    yield
