"""Notebook 01's network in low-level TensorFlow: weights as variables, a forward pass of matmuls.

The lesson writes these lines out; the benchmark times the same network (a test checks that the
lesson's and these agree).
"""

from __future__ import annotations

from digitlab import training
from digitlab._tf import tf

SIZES = [784, 512, 256, 128, 10]


def init_params(seed: int = 0, sizes: list[int] = SIZES) -> list[tuple[tf.Variable, tf.Variable]]:
    """One (W, b) pair of tf.Variables per layer: W truncated normal (std 0.1), b all 0.1."""
    training.set_seed(seed)
    return [(tf.Variable(tf.random.truncated_normal((n_in, n_out), stddev=0.1)),
             tf.Variable(tf.constant(0.1, shape=(n_out,))))
            for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True)]


def forward(params, x, training: bool = False, dropout: float = 0.0, linear: bool = False):
    """The logits: ReLU after every hidden layer (none if `linear`, the classic tutorial's bug),
    dropout on the last hidden layer while training."""
    *hidden, (w_out, b_out) = params
    for w, b in hidden:
        x = tf.matmul(x, w) + b
        x = x if linear else tf.nn.relu(x)
    if training and dropout:
        x = tf.nn.dropout(x, rate=dropout)
    return tf.matmul(x, w_out) + b_out
