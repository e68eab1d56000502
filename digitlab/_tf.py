"""TensorFlow and Keras, imported once, without the C++ start-up chatter.

Since TF 2.19 the lines about oneDNN, CUDA and CPU features are written by C++ straight to file
descriptor 2 before logging is set up, so TF_CPP_MIN_LOG_LEVEL no longer hides them. We point
that descriptor at /dev/null while TensorFlow loads and looks for devices, then restore it.
Errors still surface: a failed import raises as usual once stderr is back.
"""

import os
from collections.abc import Iterator
from contextlib import contextmanager

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


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


def _import_quietly():
    with stderr_muted():
        import tensorflow

        tensorflow.config.list_physical_devices()  # CUDA probing logs here, on first use
        return tensorflow


tf = _import_quietly()
import keras  # noqa: E402  (TensorFlow must be loaded quietly first)

__all__ = ["keras", "stderr_muted", "tf"]
