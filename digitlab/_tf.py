"""TensorFlow and Keras, imported in one place, as they are. For a quiet start (no C++ log
lines, oneDNN's kernels on), call `digitlab.start_tensorflow()` first, as the notebooks do."""

import keras
import tensorflow as tf

__all__ = ["keras", "tf"]
