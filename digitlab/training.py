"""Seeded, timed training that honours quick mode: the one `fit` every notebook uses."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from digitlab._tf import keras
from digitlab.config import is_quick
from digitlab.data import make_dataset, scale

QUICK_EXAMPLES = 4000  # training examples kept in quick mode: enough to learn well above chance


def set_seed(seed: int = 0) -> None:
    """Seed Python, NumPy and TensorFlow so a rerun gives the same numbers on the same machine."""
    keras.utils.set_random_seed(seed)


@dataclass
class Result:
    """What a training run gives back: the Keras history and how long each epoch took."""

    history: dict[str, list[float]]
    epoch_seconds: list[float] = field(default_factory=list)

    @property
    def seconds(self) -> float:
        return float(sum(self.epoch_seconds))

    def final(self, metric: str) -> float:
        """The last value of a metric, e.g. `final('val_accuracy')`."""
        return self.history[metric][-1]


class _EpochLog(keras.callbacks.Callback):
    """Times each epoch and, if asked, shows a bar of its steps while it runs (a deep CNN's epoch
    takes a minute on a laptop) and prints a line for it (fine in notebooks and terminals)."""

    # Keras calls a batch hook in a worker thread only if the callback says it may; otherwise
    # it waits for every step's results, which slows training. Counting steps is thread-safe.
    async_safe = True

    def __init__(self, epochs: int, show: bool):
        super().__init__()
        self.epochs, self.show, self.seconds, self.bar = epochs, show, [], None

    def on_epoch_begin(self, epoch, logs=None):
        if self.show:
            from tqdm.auto import tqdm

            self.bar = tqdm(total=self.params.get("steps"), desc=f"epoch {epoch + 1}",
                            unit="step", leave=False)
        self.start = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        if self.bar is not None:  # `batch`: the last step of Keras' call, which may run
            done = batch + 1  # several, the last call of an epoch fewer than it counts
            self.bar.update((done if self.bar.total is None else min(done, self.bar.total))
                            - self.bar.n)

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self.start)
        if self.bar is not None:
            self.bar.close()
        if self.show:
            metrics = "   ".join(f"{k.replace('_', ' ')} {_show(k, v)}" for k, v in logs.items()
                                 if k != "learning_rate")
            print(f"epoch {epoch + 1:2d}/{self.epochs}   {self.seconds[-1]:5.1f} s   {metrics}",
                  flush=True)


def _show(name: str, value: float) -> str:
    return f"{value:.2%}" if "accuracy" in name else f"{value:.4f}"


def quick_subset(x: np.ndarray, y: np.ndarray, n: int = QUICK_EXAMPLES):
    """The first `n` examples in quick mode, all of them otherwise."""
    return (x[:n], y[:n]) if is_quick() else (x, y)


def fit(model: keras.Model, train: tuple, val: tuple | None = None, epochs: int = 5,
        batch_size: int = 128, seed: int = 0, progress: bool = True,
        steps_per_epoch: int | None = None, callbacks: list | None = None) -> Result:
    """Train a compiled model on (x, y) uint8 images, printing a line per epoch with its time.

    With `steps_per_epoch`, an "epoch" is that many batches from an endless shuffled stream:
    a way to validate every N steps. It trains on what it is given for as long as it is told:
    quick mode is the caller's to choose (`quick_subset`, `pick`), where the sizes are set.
    """
    train_ds = make_dataset(*train, batch_size, shuffle=True, seed=seed)
    if steps_per_epoch:
        train_ds = train_ds.repeat()
    val_ds = None if val is None else make_dataset(*val, batch_size=1024)
    log = _EpochLog(epochs, progress)
    # shuffle=False: the dataset shuffles itself, seeded, every epoch
    history = model.fit(train_ds, validation_data=val_ds, epochs=epochs, verbose=0,
                        shuffle=False, steps_per_epoch=steps_per_epoch,
                        callbacks=[log, *(callbacks or [])])
    return Result(history.history, log.seconds)


def accuracy(model: keras.Model, x: np.ndarray, y: np.ndarray, batch_size: int = 1024) -> float:
    """The fraction of uint8 images whose most probable class is their label."""
    probs = model.predict(scale(x), batch_size=batch_size, verbose=0)
    return float(np.mean(probs.argmax(axis=1) == y))
