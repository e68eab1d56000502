"""Training helpers on a tiny learnable problem: seeding, timing, quick mode, accuracy."""

import re

import numpy as np
import pytest

from digitlab import models, training


def stripes(n=600, seed=0):
    """Images whose label is the row holding a bright horizontal stripe: easy to learn."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 10, n).astype(np.uint8)
    x = rng.integers(0, 40, (n, 28, 28)).astype(np.uint8)
    x[np.arange(n), y * 2 + 4, :] = 255
    return x, y


def compiled(seed=0):
    training.set_seed(seed)
    model = models.mlp(hidden=(32,))
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def test_fit_learns_and_times_each_epoch(monkeypatch, capsys):
    monkeypatch.setenv("DIGITLAB_QUICK", "0")
    model = compiled()
    result = training.fit(model, stripes(), val=stripes(200, seed=1), epochs=3, batch_size=32)
    out = capsys.readouterr()
    lines = out.out.splitlines()
    assert len(lines) == 3 and lines[0].startswith("epoch  1/3") and " loss " in lines[0]
    assert "epoch 3:" in out.err and "/19 [" in out.err  # a bar of each epoch's 19 steps
    assert re.search(r"val accuracy \d+\.\d\d%", lines[-1])  # accuracies as percentages
    assert len(result.history["loss"]) == 3 and len(result.epoch_seconds) == 3
    assert result.seconds == pytest.approx(sum(result.epoch_seconds))
    assert result.final("val_accuracy") > 0.9
    assert training.accuracy(model, *stripes(200, seed=2)) > 0.9


def test_same_seed_same_numbers(monkeypatch):
    monkeypatch.setenv("DIGITLAB_QUICK", "0")
    runs = [training.fit(compiled(seed=7), stripes(), epochs=2, progress=False,
                         seed=7).history["loss"] for _ in range(2)]
    assert runs[0] == runs[1]


def test_fit_does_what_it_is_told_even_in_quick_mode(monkeypatch):
    """Quick mode is the caller's to choose, where the sizes are set: `quick_subset` keeps the
    first examples; `fit` trains on all it is given, for every epoch it is told."""
    monkeypatch.setenv("DIGITLAB_QUICK", "1")
    x, y = stripes(training.QUICK_EXAMPLES + 100)
    assert len(training.quick_subset(x, y)[0]) == training.QUICK_EXAMPLES
    result = training.fit(compiled(), stripes(64), stripes(300, seed=1), epochs=3,
                          batch_size=32, progress=False)
    assert len(result.history["loss"]) == 3
    monkeypatch.setenv("DIGITLAB_QUICK", "0")
    assert len(training.quick_subset(x, y)[0]) == len(x)


def test_accuracy_counts_argmax_hits():
    class Fixed:  # a "model" that always says 3
        def predict(self, x, batch_size, verbose):
            probs = np.zeros((len(x), 10))
            probs[:, 3] = 1
            return probs

    y = np.array([3, 3, 1, 3], np.uint8)
    assert training.accuracy(Fixed(), np.zeros((4, 28, 28), np.uint8), y) == 0.75


def test_steps_per_epoch_validates_every_n_steps(monkeypatch):
    monkeypatch.setenv("DIGITLAB_QUICK", "0")
    model = compiled()
    result = training.fit(model, stripes(100), val=stripes(50, seed=1), epochs=3, batch_size=32,
                       steps_per_epoch=10, progress=False)  # 30 steps: more than 100 images hold
    assert len(result.history["val_accuracy"]) == 3
    assert int(model.optimizer.iterations) == 30
