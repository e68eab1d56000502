"""The training recipes: the schedule's shape, step counts, and a recipe for every network."""

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


def test_the_lessons_and_shipped_recipes_are_keyed_by_their_network():
    assert list(recipes.RECIPES) == ["raw_mlp", "mlp", "lenet", "deep_cnn"]
    assert recipes.RECIPES["raw_mlp"].build is None  # notebook 01 writes its own network
    assert recipes.RECIPES["lenet"].build().name == "lenet"
    for key, recipe in recipes.SHIPPED.items():
        assert key in ("lenet", "deep_cnn_128", "vgg") and recipe.build().name == "digitlab_digits"


def test_step_counts_and_optimisers():
    counted = recipes.Recipe("plain SGD", batch_size=100, steps=10_000, sgd=True)
    fast = recipes.RECIPES["lenet"]
    assert counted.total_steps() == 10_000  # counted in steps, whatever the data
    assert fast.total_steps(1000) == 4 * 8 and fast.total_steps(1000, epochs=2) == 2 * 8
    assert isinstance(counted.optimizer(), keras.optimizers.SGD)
    optimizer = fast.optimizer(1000, epochs=2)
    assert isinstance(optimizer, keras.optimizers.Adam)
    assert float(optimizer.learning_rate) == 0  # the warm-up starts from zero


def test_fit_follows_the_recipe_for_the_epochs_it_is_given():
    from digitlab import models

    rng = np.random.default_rng(0)
    x, y = rng.integers(0, 256, (300, 28, 28), dtype=np.uint8), rng.integers(0, 10, 300)
    recipe = recipes.RECIPES["mlp"]
    model = models.mlp((16,))
    result = recipes.fit(recipe, model, (x, y), (x[:50], y[:50]), epochs=2, progress=False)
    assert len(result.history["loss"]) == 2  # as told, not the recipe's five
    # the schedule spans exactly the run: ceil(300 / 512) = 1 step per epoch, back to zero
    assert float(model.optimizer.learning_rate) == pytest.approx(0, abs=1e-9)
    assert "val_accuracy" in result.history
    # a recipe that counts steps: its steps, in rounds of `every` (the classic deep CNN's way)
    counted = recipes.Recipe("plain SGD, 6 steps", batch_size=100, steps=6, sgd=True)
    rounds = recipes.fit(counted, models.mlp((16,)), (x, y), every=2, progress=False)
    assert len(rounds.history["loss"]) == 3


def test_several_batches_a_call_train_on_every_batch():
    """Keras runs `steps_per_execution` batches a call, the last call of an epoch fewer: every
    batch is a step, as with one a call."""
    from digitlab import models

    rng = np.random.default_rng(0)
    x, y = rng.integers(0, 256, (300, 28, 28), dtype=np.uint8), rng.integers(0, 10, 300)
    recipe = recipes.Recipe("batch 32, 4 a call", batch_size=32, epochs=2, steps_per_execution=4)
    model = models.mlp((16,))
    recipes.fit(recipe, model, (x, y), progress=False)
    assert int(model.optimizer.iterations) == 2 * 10  # ceil(300 / 32) = 10 a pass
