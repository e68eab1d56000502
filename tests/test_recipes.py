"""The training recipes: the schedule's shape, step counts, and a recipe for every network."""

import dataclasses

import numpy as np
import pytest

from digitlab import recipes
from digitlab._tf import keras


def test_warmup_cosine_shape():
    schedule = recipes.warmup_cosine(0.01, total_steps=100, warmup=0.2)
    lr = np.array([float(schedule(step)) for step in range(101)])
    assert lr[0] == 0 and lr[20] == pytest.approx(0.01)  # warm-up ends at the peak
    assert np.all(np.diff(lr[:21]) > 0) and np.all(np.diff(lr[20:]) <= 1e-12)  # up, then down
    assert lr[60] == pytest.approx(0.005, rel=1e-3)  # half way down the cosine: half the peak
    assert lr[100] == pytest.approx(0, abs=1e-9)


def test_warmup_cosine_without_warmup_starts_at_the_peak():
    schedule = recipes.warmup_cosine(0.01, total_steps=10, warmup=0)
    assert float(schedule(0)) == pytest.approx(0.01) and float(schedule(10)) == pytest.approx(0)


@pytest.mark.parametrize("bad", [dict(total_steps=0), dict(total_steps=10, warmup=1.0)])
def test_warmup_cosine_rejects_nonsense(bad):
    with pytest.raises(ValueError):
        recipes.warmup_cosine(0.01, **bad)


def test_every_network_has_a_classic_and_a_digitlab_recipe():
    networks = {r.network for r in recipes.RECIPES}
    assert networks == {"raw MLP", "Keras MLP", "LeNet", "deep CNN"}
    for network in networks:
        assert recipes.get(network, "classic").network == network
        assert recipes.get(network).name == "digitlab"
    with pytest.raises(KeyError, match="networks"):
        recipes.get("ResNet")


def test_step_counts_and_optimisers():
    classic, fast = recipes.get("deep CNN", "classic"), recipes.get("LeNet")
    assert classic.total_steps() == 10_000  # counted in steps, whatever the data
    assert fast.total_steps(1000) == 6 * 8 and fast.total_steps(1000, epochs=2) == 2 * 8
    assert isinstance(classic.optimizer(), keras.optimizers.SGD)
    optimizer = fast.optimizer(1000, epochs=2)
    assert isinstance(optimizer, keras.optimizers.Adam)
    assert float(optimizer.learning_rate) == 0  # the warm-up starts from zero


def test_classic_recipes_are_the_tutorials():
    lenet = recipes.get("LeNet", "classic")
    assert (lenet.batch_size, lenet.epochs, lenet.peak_lr, lenet.schedule) == (16, 5, 1e-3, False)
    raw = recipes.get("raw MLP", "classic")
    assert raw.linear and (raw.batch_size, raw.steps, raw.peak_lr) == (128, 1000, 1e-4)
    mlp = recipes.get("Keras MLP", "classic")
    assert [layer.units for layer in mlp.build().layers[1:]] == [256, 128, 64, 10]


def test_fit_follows_the_recipe_for_the_epochs_it_is_given():
    from digitlab import models

    rng = np.random.default_rng(0)
    x, y = rng.integers(0, 256, (300, 28, 28), dtype=np.uint8), rng.integers(0, 10, 300)
    recipe = recipes.get("Keras MLP")
    model = models.mlp((16,))
    result = recipes.fit(recipe, model, (x, y), (x[:50], y[:50]), epochs=2, progress=False)
    assert len(result.history["loss"]) == 2  # as told, not the recipe's five
    # the schedule spans exactly the run: ceil(300 / 512) = 1 step per epoch, back to zero
    assert float(model.optimizer.learning_rate) == pytest.approx(0, abs=1e-9)
    assert "val_accuracy" in result.history
    # a recipe that counts steps: its steps, in rounds of `every` (the classic deep CNN's way)
    counted = dataclasses.replace(recipes.get("deep CNN", "classic"), steps=6)
    rounds = recipes.fit(counted, models.mlp((16,)), (x, y), every=2, progress=False)
    assert len(rounds.history["loss"]) == 3
