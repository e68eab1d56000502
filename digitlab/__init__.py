"""digitlab: the helpers behind the handwritten-digit course (data, models, training, plots).

Importing digitlab is cheap and changes nothing in the process. `from digitlab import tf,
keras` loads TensorFlow on first use, as the modules that need it do; `start_tensorflow()`,
called first, makes that start quiet (the notebooks and the `digitlab` command call it).
"""

from digitlab.config import is_quick, pick, show_mode
from digitlab.quiet import start_tensorflow

__version__ = "0.1.0"
__all__ = ["__version__", "is_quick", "keras", "pick", "show_mode", "start_tensorflow", "tf"]


def __getattr__(name: str):
    if name in ("tf", "keras"):
        from digitlab import _tf

        return getattr(_tf, name)
    raise AttributeError(f"module 'digitlab' has no attribute {name!r}")
