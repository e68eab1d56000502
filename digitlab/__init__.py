"""digitlab: the helpers behind the handwritten-digit course (data, models, training, plots).

Importing digitlab is cheap and changes nothing in the process. `from digitlab import tf,
keras` loads TensorFlow on first use, as the modules that need it do; `start_tensorflow()`,
called first, makes that start quiet (the `digitlab` command calls it, and every lesson
through `lessons.start_lesson()`).
"""

from digitlab.config import is_quick, pick
from digitlab.quiet import start_tensorflow

__version__ = "0.1.0"
__all__ = ["__version__", "is_quick", "keras", "pick", "start_tensorflow", "tf"]


def __getattr__(name: str):
    if name in ("tf", "keras"):
        from digitlab import _tf

        return getattr(_tf, name)
    raise AttributeError(f"module 'digitlab' has no attribute {name!r}")
