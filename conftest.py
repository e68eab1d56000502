"""Set for the whole test run, notebooks included (nbval's kernels inherit the environment):
quick mode, so the series runs in minutes, and quiet TensorFlow start-up."""

import os

os.environ.setdefault("DIGITLAB_QUICK", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
