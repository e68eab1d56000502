"""digitlab: the helpers behind the handwritten-digit course (data, models, training, plots).

Importing digitlab is cheap; the modules that need TensorFlow load it on first import.
"""

from digitlab.config import is_quick, pick

__version__ = "0.1.0"
__all__ = ["is_quick", "pick", "__version__"]
