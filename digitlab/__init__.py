"""digitlab: the helpers behind the handwritten-digit course (data, models, training, plots).

Importing digitlab is cheap. `from digitlab import tf, keras` loads TensorFlow on first use,
without its C++ start-up log lines; the modules that need it do the same.
"""

from digitlab.config import is_quick, pick, show_mode

__version__ = "0.1.0"
__all__ = ["__version__", "is_quick", "keras", "pick", "show_mode", "tf"]


def __getattr__(name: str):
    if name in ("tf", "keras"):
        from digitlab import _tf

        return getattr(_tf, name)
    raise AttributeError(f"module 'digitlab' has no attribute {name!r}")
