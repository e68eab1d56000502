"""What the README says about GPUs holds: digitlab's models and `training.fit` work under mixed
precision and under `tf.distribute.MirroredStrategy` (here with two logical CPU devices, as no
GPU can be assumed; the code path is the same with several GPUs)."""

import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow

SCRIPT = r"""
from digitlab import tf, keras
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
import numpy as np
from digitlab import models, recipes, training

rng = np.random.default_rng(0)
x, y = rng.integers(0, 256, (256, 28, 28), dtype=np.uint8), rng.integers(0, 10, 256, dtype=np.uint8)
recipe = recipes.RECIPES["lenet"]

strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
with strategy.scope():  # the one way a recipe is trained, on two replicas
    result = recipes.fit(recipe, recipe.build(), (x, y), epochs=1, progress=False)
assert strategy.num_replicas_in_sync == 2 and np.isfinite(result.final("loss"))

keras.mixed_precision.set_global_policy("mixed_float16")
for build in (models.mlp, models.lenet, models.deep_cnn):
    net = build()
    assert net.layers[1].compute_dtype == "float16", net.layers[1].compute_dtype
    net.compile(keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy")
    loss = training.fit(net, (x, y), epochs=1, batch_size=64, progress=False).final("loss")
    probs = net(x[:4].astype("float32") / 255)
    assert probs.dtype == "float32" and np.isfinite(loss), (build.__name__, probs.dtype, loss)
print("ok")
"""


def test_mirrored_strategy_and_mixed_precision():
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                          env={**os.environ, "DIGITLAB_QUICK": ""})
    assert done.returncode == 0 and done.stdout.strip().endswith("ok"), done.stderr[-3000:]
