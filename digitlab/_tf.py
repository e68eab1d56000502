"""TensorFlow and Keras, imported once, without the C++ start-up chatter.

Since TF 2.19 the lines about oneDNN, CUDA and CPU features are written by C++ straight to file
descriptor 2 before logging is set up, so TF_CPP_MIN_LOG_LEVEL no longer hides them. We point
that descriptor at /dev/null while TensorFlow loads and looks for devices, then restore it.
Errors still surface: a failed import raises as usual once stderr is back.

Loading takes several seconds, so in a notebook it says so: a silent first cell looks stuck.
"""

import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# TensorFlow turns its oneDNN kernels on by itself only on CPUs with AVX-512 VNNI or AMX; most
# laptops have AVX2 alone and get the slower default kernels. With oneDNN on, a LeNet epoch on a
# 2-core AVX2 machine takes 9-12 s instead of 21 s (docs/measurements.md). Set
# TF_ENABLE_ONEDNN_OPTS=0 to compare or to get TensorFlow's own choice back.
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")


@contextmanager
def stderr_muted() -> Iterator[None]:
    """Point file descriptor 2 at /dev/null for a while: C++ libraries write there directly."""
    saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def _in_notebook() -> bool:
    shell = sys.modules.get("IPython") and sys.modules["IPython"].get_ipython()
    return type(shell).__name__ == "ZMQInteractiveShell"  # a Jupyter kernel, not a terminal


def _import_quietly():
    start, chatty = time.perf_counter(), _in_notebook()
    if chatty:
        print("Loading TensorFlow …", end=" ", flush=True)
    with stderr_muted():
        import tensorflow

        tensorflow.config.list_physical_devices()  # CUDA probing logs here, on first use
    if chatty:
        print(f"{time.perf_counter() - start:.0f} s")
    return tensorflow


tf = _import_quietly()
import keras  # noqa: E402  (TensorFlow must be loaded quietly first)

__all__ = ["keras", "stderr_muted", "tf"]
