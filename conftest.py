"""Set for the whole test run, notebooks included (nbval's kernels inherit the environment):
quick mode, so the series runs in minutes, and quiet TensorFlow start-up. The lessons run under
nbval through the plugin in tools/nbval_lessons.py."""

import os

os.environ.setdefault("DIGITLAB_QUICK", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

pytest_plugins = ["tools.nbval_lessons"]  # after the environment above is set
