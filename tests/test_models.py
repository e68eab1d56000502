"""The network builders: shapes, parameter counts and the switches each lesson turns."""

import numpy as np
import pytest

from digitlab import models

X = np.random.default_rng(0).random((3, 28, 28), dtype=np.float32)


def layer_types(model):
    return [type(layer).__name__ for layer in model.layers]


@pytest.mark.parametrize("build", [models.mlp, models.lenet, models.deep_cnn, models.vgg])
def test_outputs_are_probabilities(build):
    probs = np.asarray(build()(X))
    assert probs.shape == (3, 10)
    np.testing.assert_allclose(probs.sum(axis=1), 1, rtol=1e-5)


def test_lenet_has_exactly_61706_parameters():
    assert models.lenet().count_params() == 61_706
    augmented = models.lenet(augment=models.augmentation())
    assert augmented.count_params() == 61_706  # augmentation has nothing to learn
    np.testing.assert_allclose(np.asarray(augmented(X)).sum(axis=1), 1, rtol=1e-5)


def test_mlp_sizes_and_dropout():
    model = models.mlp(hidden=(16, 8), dropout=0.5)
    assert [layer.units for layer in model.layers if hasattr(layer, "units")] == [16, 8, 10]
    assert layer_types(model).count("Dropout") == 2
    assert models.mlp().count_params() == 784 * 512 + 512 + 512 * 256 + 256 + 256 * 128 + 128 \
        + 128 * 10 + 10
    assert "Dropout" not in layer_types(models.mlp(dropout=0.0))


def test_deep_cnn_variants():
    plain = models.deep_cnn()
    assert plain.get_layer("conv1").filters == 32 and plain.get_layer("conv2").filters == 64
    assert any(getattr(layer, "units", 0) == 1024 for layer in plain.layers)
    normed = models.deep_cnn(batchnorm=True)
    assert layer_types(normed).count("BatchNormalization") == 2
    assert not normed.get_layer("conv1").use_bias


def test_vgg_pairs_small_convs_and_averages_the_map():
    model = models.vgg()
    convs = [layer for layer in model.layers if type(layer).__name__ == "Conv2D"]
    assert [c.filters for c in convs] == [16, 16, 32, 32, 64]
    assert {c.kernel_size for c in convs} == {(3, 3)} and not any(c.use_bias for c in convs)
    assert layer_types(model).count("BatchNormalization") == 5
    assert "GlobalAveragePooling2D" in layer_types(model) and "Flatten" not in layer_types(model)
    assert model.count_params() == 35_994
    wide = models.vgg(width=32)
    assert [layer.filters for layer in wide.layers if hasattr(layer, "filters")][-1] == 128


def test_the_pair_network_reads_a_field_twice_as_wide_into_a_hundred_pairs_and_none():
    model = models.pair()
    probs = np.asarray(model(np.random.default_rng(0).random((2, 28, 56), dtype=np.float32)))
    assert probs.shape == (2, 101)
    np.testing.assert_allclose(probs.sum(axis=1), 1, rtol=1e-5)
    assert [c.filters for c in model.layers if hasattr(c, "filters")] == [32, 64, 128]


def test_augmentation_only_while_training():
    augment = models.augmentation(seed=1)
    images = X[..., None]
    np.testing.assert_array_equal(augment(images, training=False), images)
    assert not np.allclose(augment(images, training=True), images)
    # The trap the docstrings warn of: a bare call counts as training for Keras 3's augmentation.
    net = models.lenet(augment=augment)
    np.testing.assert_array_equal(net(X, training=False), net(X, training=False))
    assert not np.allclose(net(X), net(X))


def test_average_is_the_mean_of_its_members_without_augmenting():
    plain, bent = models.mlp(name="plain"), models.lenet(augment=models.augmentation(), name="bent")
    both = models.average([plain, bent])
    expected = (np.asarray(plain(X)) + np.asarray(bent(X, training=False))) / 2
    np.testing.assert_allclose(both(X), expected, atol=1e-6)  # called plainly: no augmentation
    assert both.count_params() == plain.count_params() + bent.count_params()
    twins = [models.lenet(), models.lenet()]  # members may share a name
    np.testing.assert_allclose(models.average(twins)(X), np.mean([t(X) for t in twins], axis=0),
                               atol=1e-6)
    assert [t.name for t in twins] == ["lenet", "lenet"]  # and keep it


def test_feature_extractor_returns_each_layer():
    net = models.lenet()
    conv1, conv2 = models.feature_extractor(net, ["conv1", "conv2"])(X)
    assert conv1.shape == (3, 28, 28, 6) and conv2.shape == (3, 10, 10, 16)
