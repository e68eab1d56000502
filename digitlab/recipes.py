"""How each network is trained: the lessons' fast recipes, the shipped model's and the one-digit
network's.

The fast recipes change how, not what, the classic tutorials trained (`python -m tools.bench`
times them side by side): the same networks and data, bigger batches (fewer, cheaper steps on a
CPU) with a learning rate that warms up and then follows a cosine down to zero, so the large early
steps do not diverge and the last ones settle. Recipes are keyed by the network they train, named
as in `models` (and `raw_mlp`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from digitlab import models, training
from digitlab._tf import keras, tf

TRAIN_EXAMPLES = 55_000  # MNIST's 60,000 less the 5,000 held out for validation


def warmup_cosine(peak: float, total_steps: int, warmup: float = 0.15):
    """A learning rate rising linearly from 0 to `peak` over the first `warmup` share of the
    steps, then falling along a cosine to 0 at `total_steps` (a "one-cycle" shape)."""
    if total_steps < 1 or not 0 <= warmup < 1:
        raise ValueError(f"need total_steps >= 1 and 0 <= warmup < 1, got {total_steps}, {warmup}")
    warmup_steps = int(warmup * total_steps)
    return keras.optimizers.schedules.CosineDecay(
        0.0 if warmup_steps else peak, decay_steps=total_steps - warmup_steps,
        warmup_target=peak if warmup_steps else None, warmup_steps=warmup_steps)


@dataclass(frozen=True)
class Recipe:
    """How to train a network: in what batches, for how long, with which optimiser."""

    description: str
    batch_size: int
    epochs: int = 0  # passes over the training set, or
    steps: int = 0  # a fixed number of batches (the classic tutorials count iterations)
    peak_lr: float = 1e-3
    schedule: bool = False  # warm-up + cosine to `peak_lr`, else a constant `peak_lr`
    warmup: float = 0.15  # the share of the steps the schedule warms up for
    sgd: bool = False  # plain SGD instead of Adam
    # Batches Keras runs in one call into TensorFlow (Keras' default, 1, unless told): each call
    # costs Python time that a small network's step on a CPU does not cover. The same steps and
    # result; callbacks see the last batch of each call.
    steps_per_execution: int = 1
    build: Callable[[], keras.Model] | None = None  # the network it was made for, if a Keras one

    def total_steps(self, examples: int = TRAIN_EXAMPLES, epochs: int | None = None) -> int:
        """Batches in the whole run: `steps`, or `epochs` (default: the recipe's) passes."""
        return self.steps or (epochs or self.epochs) * -(-examples // self.batch_size)

    def optimizer(self, examples: int = TRAIN_EXAMPLES,
                  epochs: int | None = None) -> keras.optimizers.Optimizer:
        """A fresh optimiser for a run over `examples` training images (the schedule spans the
        run, so pass `epochs` when training for fewer, as in quick mode)."""
        total = self.total_steps(examples, epochs)
        lr = warmup_cosine(self.peak_lr, total, self.warmup) if self.schedule else self.peak_lr
        return keras.optimizers.SGD(lr) if self.sgd else keras.optimizers.Adam(lr)


# digitlab's recipes run this many batches a call: a LeNet epoch of 430 steps took about two
# thirds of the time it took with one (docs/lab-notes.md, 2026-12-06).
CALLS = 16

# The lessons' recipes, the fastest to their targets the benchmark found on a 2-core CPU.
RECIPES = {
    "raw_mlp": Recipe("ReLU 784-512-256-128-10, batch 512, warm-up + cosine 3e-3, 8 epochs",
                      batch_size=512, epochs=8, peak_lr=3e-3, schedule=True),
    "mlp": Recipe("512-256-128, batch 512, warm-up + cosine 3e-3, 5 epochs", batch_size=512,
                  epochs=5, peak_lr=3e-3, schedule=True, steps_per_execution=CALLS,
                  build=lambda: models.mlp((512, 256, 128))),
    "lenet": Recipe("batch 128, warm-up + cosine 6e-3, 4 epochs", batch_size=128, epochs=4,
                    peak_lr=6e-3, schedule=True, steps_per_execution=CALLS, build=models.lenet),
    "deep_cnn": Recipe("32/64/1024 + batch norm, batch 128, warm-up + cosine 4e-3, 5 epochs",
                       batch_size=128, epochs=5, peak_lr=4e-3, schedule=True,
                       steps_per_execution=CALLS, build=lambda: models.deep_cnn(batchnorm=True)),
}


def _shipped(description: str, build: Callable[..., keras.Model], batch_size: int = 64,
             epochs: int = 15, peak_lr: float = 2e-3, warmup: float = 0) -> Recipe:
    """A shipped network's recipe: random rotation, shift and zoom while training, and a cosine
    from `peak_lr` (after a warm-up over the `warmup` share of the steps, if any)."""
    lr = f"{peak_lr:.0e}".replace("e-0", "e-")  # 2e-3, as the literature writes it
    start = f"warm-up + cosine {lr}" if warmup else f"cosine from {lr}"
    return Recipe(f"{description}, rotation/shift/zoom augmentation, batch {batch_size}, {start}, "
                  f"{epochs} epochs", batch_size=batch_size, epochs=epochs, peak_lr=peak_lr,
                  schedule=True, warmup=warmup, steps_per_execution=CALLS,
                  build=lambda: build(augment=models.augmentation(seed=0), name="digitlab_digits"))


# The shipped model averages the networks trained this way (`python -m tools.train_shipped`), on
# MNIST less the validation digits and on digits drawn in handwriting fonts. Unlike the fast
# recipes, time is no object here: smaller batches and more passes, and augmentation so that the
# networks tolerate real handwriting. The VGG-style network, batch-normalised throughout, takes
# bigger batches and a warm-up.
SHIPPED = {
    "lenet": _shipped("LeNet", models.lenet),
    "deep_cnn_128": _shipped("the deep CNN with batch norm and a 128-unit dense layer",
                             lambda **kw: models.deep_cnn(batchnorm=True, dense=128, **kw)),
    "vgg": _shipped("the VGG-style network, width 16", models.vgg, batch_size=128, epochs=14,
                    peak_lr=3e-3, warmup=0.1),
}


# The network `numbers` asks whether a piece of ink it cut is one whole digit (a second opinion
# the digit networks cannot give: they read a fragment as surely as a digit), trained on the
# pieces `tools.pieces` cuts from numbers of training digits (`python -m tools.train_shipped`).
ONE_DIGIT = Recipe("LeNet with two outputs (not one digit, one whole digit), batch 256, "
                   "warm-up + cosine 3e-3, 5 epochs", batch_size=256, epochs=5, peak_lr=3e-3,
                   schedule=True, steps_per_execution=CALLS,
                   build=lambda: models.lenet(classes=2, name="one_digit"))

# The network `numbers` asks what a piece of ink says if it is two touching digits (the seams
# that cut them often give one a stroke of the other), trained on the pieces `tools.pairs` makes.
PAIR = Recipe("three batch-normalised conv blocks (32/64/128) -> 128 -> 101 (two digits, or "
              "not two), batch 128, warm-up + cosine 3e-3, 6 epochs", batch_size=128, epochs=6,
              peak_lr=3e-3, schedule=True, steps_per_execution=CALLS, build=models.pair)


def fit(recipe: Recipe, model: keras.Model, train: tuple, val: tuple | None = None,
        epochs: int | None = None, every: int | None = None, seed: int = 0,
        progress: bool = True, callbacks: list | None = None) -> training.Result:
    """Compile `model` with the recipe's loss and optimiser and train it by the recipe on
    `train`: for `epochs` passes (the recipe's own if None), or, for a recipe that counts steps,
    its steps in rounds of `every` batches (validating, and calling `callbacks`' epoch end,
    after each; one round if None). The schedule spans exactly the run. The one way a recipe
    is trained: by the lessons, the benchmark, the shipped model's training and the GPU check."""
    if recipe.steps:
        every = every or recipe.steps
        rounds, epochs = recipe.steps // every, None
    else:
        epochs = epochs or recipe.epochs
    # Keras cannot run several batches a call under a distribution strategy (keras#19246)
    per_call = 1 if tf.distribute.has_strategy() else recipe.steps_per_execution
    model.compile(recipe.optimizer(len(train[0]), epochs), "sparse_categorical_crossentropy",
                  metrics=["accuracy"], steps_per_execution=per_call)
    return training.fit(model, train, val, epochs=rounds if recipe.steps else epochs,
                        batch_size=recipe.batch_size, seed=seed, progress=progress,
                        steps_per_epoch=every if recipe.steps else None, callbacks=callbacks)
