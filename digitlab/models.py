"""The networks of the course, one builder each. All take 28x28 images scaled to [0, 1] (but
`pair`, 28x56) and end in a softmax (over the ten digits, unless told otherwise), so `model(x)`
gives the class probabilities directly."""

from __future__ import annotations

from digitlab._tf import keras

layers = keras.layers
# The softmax always in float32: under mixed precision (on a GPU) the rest may run in float16,
# but probabilities near 0 and 1, and the loss computed from them, need the full range.
OUTPUT_DTYPE = "float32"


def mlp(hidden: tuple[int, ...] = (512, 256, 128), activation: str = "relu",
        dropout: float = 0.0, name: str = "mlp") -> keras.Model:
    """A multilayer perceptron: flatten the 784 pixels, then dense layers, then softmax."""
    model = keras.Sequential([keras.Input((28, 28)), layers.Flatten()], name=name)
    for width in hidden:
        model.add(layers.Dense(width, activation=activation))
        if dropout:
            model.add(layers.Dropout(dropout))
    model.add(layers.Dense(10, activation="softmax", dtype=OUTPUT_DTYPE))
    return model


def lenet(activation: str = "relu", augment: keras.Layer | None = None,
          name: str = "lenet", classes: int = 10) -> keras.Model:
    """LeNet-style: conv 6@5x5 (same) -> pool -> conv 16@5x5 -> pool -> 120 -> 84 -> `classes`.

    `augment` (e.g. from `augmentation()`) runs first, while training. Keras 3 runs it on a bare
    `model(x)` too, so read with `model(x, training=False)` or `predict.classify`.
    """
    return keras.Sequential([
        keras.Input((28, 28)),
        layers.Reshape((28, 28, 1)),  # one grey channel
        *([augment] if augment is not None else []),
        layers.Conv2D(6, 5, padding="same", activation=activation, name="conv1"),
        layers.MaxPooling2D(2, name="pool1"),
        layers.Conv2D(16, 5, activation=activation, name="conv2"),
        layers.MaxPooling2D(2, name="pool2"),
        layers.Flatten(),
        layers.Dense(120, activation=activation, name="dense1"),
        layers.Dense(84, activation=activation, name="dense2"),
        layers.Dense(classes, activation="softmax", dtype=OUTPUT_DTYPE, name="output"),
    ], name=name)


def _normed_conv(filters: int, kernel: int, name: str | None = None) -> list[keras.Layer]:
    """A convolution ('same' padding), batch-normalised before its ReLU: normalising before the
    non-linearity, and no bias, which is redundant next to BN's own shift."""
    return [layers.Conv2D(filters, kernel, padding="same", use_bias=False, name=name),
            layers.BatchNormalization(), layers.ReLU()]


def deep_cnn(batchnorm: bool = False, dropout: float = 0.4, augment: keras.Layer | None = None,
             name: str = "deep_cnn", dense: int = 1024) -> keras.Model:
    """The 32/64-filter 5x5 network with a `dense`-unit hidden layer, optionally batch-normalised.

    `augment` (e.g. from `augmentation()`) runs first, while training. Keras 3 runs it on a bare
    `model(x)` too, so read with `model(x, training=False)` or `predict.classify`.
    """

    def conv(filters: int, label: str) -> list[keras.Layer]:
        if not batchnorm:
            return [layers.Conv2D(filters, 5, padding="same", activation="relu", name=label)]
        return _normed_conv(filters, 5, label)

    stack = [keras.Input((28, 28)), layers.Reshape((28, 28, 1))]
    stack += [augment] if augment is not None else []
    stack += conv(32, "conv1") + [layers.MaxPooling2D(2)]
    stack += conv(64, "conv2") + [layers.MaxPooling2D(2)]
    stack += [layers.Flatten(), layers.Dense(dense, activation="relu"), layers.Dropout(dropout),
              layers.Dense(10, activation="softmax", dtype=OUTPUT_DTYPE)]
    return keras.Sequential(stack, name=name)


def vgg(augment: keras.Layer | None = None, width: int = 16, dropout: float = 0.3,
        name: str = "vgg") -> keras.Model:
    """VGG-style: pairs of batch-normalised 3x3 convs (`width` filters, then twice as many) each
    before a pool, one of four times `width`, averaged over the 7x7 map -> `dropout` -> softmax.

    Two small kernels see as far as one 5x5 with fewer weights and one more non-linearity; the
    average over the map instead of a dense layer keeps it small (35,994 parameters at width
    16). `augment` runs first, while training, as in `lenet`.
    """
    stack = [keras.Input((28, 28)), layers.Reshape((28, 28, 1))]
    stack += [augment] if augment is not None else []
    for filters in (width, 2 * width):
        stack += _normed_conv(filters, 3) + _normed_conv(filters, 3) + [layers.MaxPooling2D(2)]
    stack += _normed_conv(4 * width, 3) + [
        layers.GlobalAveragePooling2D(), layers.Dropout(dropout),
        layers.Dense(10, activation="softmax", dtype=OUTPUT_DTYPE)]
    return keras.Sequential(stack, name=name)


def pair(name: str = "pair") -> keras.Model:
    """Two digits side by side, read whole: 28x56 in, 101 probabilities out (`10 * left + right`,
    then "not two digits"). Three batch-normalised 3x3 conv blocks (32, 64, 128), each pooled,
    then 128 -> dropout -> softmax."""
    stack = [keras.Input((28, 56)), layers.Reshape((28, 56, 1))]
    for filters in (32, 64, 128):
        stack += _normed_conv(filters, 3) + [layers.MaxPooling2D(2)]
    return keras.Sequential(stack + [
        layers.Flatten(), layers.Dense(128, activation="relu"), layers.Dropout(0.3),
        layers.Dense(101, activation="softmax", dtype=OUTPUT_DTYPE)], name=name)


def average(members: list[keras.Model], name: str = "average") -> keras.Model:
    """An ensemble: one classifier whose ten probabilities are the mean of its members'."""
    inputs = keras.Input(members[0].input_shape[1:])
    # Each member inside a wrapper of its own name: members often share one (two `lenet()`s),
    # which a Keras model refuses. training=False: for inference only, and Keras 3's augmentation
    # layers would otherwise run whenever the ensemble is called plainly (their default is True).
    outputs = [keras.Sequential([m], name=f"member_{i}")(inputs, training=False)
               for i, m in enumerate(members)]
    return keras.Model(inputs, layers.Average(dtype=OUTPUT_DTYPE)(outputs), name=name)


def augmentation(rotation_deg: float = 10, shift_px: float = 2, zoom: float = 0.1,
                 seed: int = 0) -> keras.Sequential:
    """Small random rotations, shifts and zooms, as handwriting varies (training only)."""
    return keras.Sequential([
        layers.RandomRotation(rotation_deg / 360, fill_mode="constant", seed=seed),
        layers.RandomTranslation(shift_px / 28, shift_px / 28, fill_mode="constant", seed=seed),
        layers.RandomZoom(zoom, fill_mode="constant", seed=seed),
    ], name="augment")


def feature_extractor(model: keras.Model, layer_names: list[str]) -> keras.Model:
    """A model returning the outputs of the named layers, to look inside `model`."""
    return keras.Model(model.inputs[0], [model.get_layer(n).output for n in layer_names])
