"""Every figure draws, is titled and has labelled axes."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from digitlab import legibility, plots  # noqa: E402

RNG = np.random.default_rng(0)
IMAGES = RNG.integers(0, 256, (12, 28, 28)).astype(np.uint8)


@pytest.fixture(autouse=True)
def close_figures():
    """Every figure a test draws must also read well (legibility.glitches), then it is closed."""
    yield
    try:
        for number in plt.get_fignums():
            found = legibility.glitches(plt.figure(number))
            assert not found, found
    finally:
        plt.close("all")


def test_digit_grid_marks_mistakes_in_red():
    fig = plots.digit_grid(IMAGES, labels=list(range(12)), predictions=[0] * 12, cols=5)
    titles = [ax.title for ax in fig.axes if ax.get_title()]
    assert len(titles) == 12
    assert titles[0].get_color() == "black" and titles[1].get_color() == "red"
    assert titles[1].get_text() == "label 1\nread 0"
    assert fig._suptitle.get_text() == "MNIST digits"


def test_pixel_heatmap_writes_the_values():
    image = np.zeros((28, 28), np.uint8)
    image[10, 12] = 200
    fig = plots.pixel_heatmap(image)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.texts] == ["200"]
    assert ax.get_xlabel() and ax.get_ylabel() and ax.get_title()


def test_training_curves_show_training_and_validation():
    history = {"loss": [1, 0.5], "val_loss": [1.1, 0.7], "accuracy": [0.6, 0.8],
               "val_accuracy": [0.55, 0.75]}
    fig = plots.training_curves(history)
    for ax in fig.axes:
        assert [t.get_text() for t in ax.get_legend().get_texts()] == ["training", "validation"]
        assert ax.get_xlabel() == "epoch" and ax.get_ylabel()


def test_filters_and_feature_maps_one_tile_each():
    fig = plots.filters(RNG.normal(size=(5, 5, 1, 6)))
    assert sum(bool(ax.images) for ax in fig.axes) == 6
    fig = plots.feature_maps(RNG.random((10, 10, 16)))
    assert sum(bool(ax.images) for ax in fig.axes) == 16
    fig = plots.feature_maps(RNG.random((10, 10, 2)), names=["edges", "blur"])
    assert [ax.get_title() for ax in fig.axes if ax.images] == ["edges", "blur"]


def test_probability_bars_highlight_the_winner():
    probs = np.full(10, 0.02)
    probs[7] = 0.82
    fig = plots.probability_bars(probs, image=IMAGES[0])
    bars = fig.axes[1].patches
    assert len(bars) == 10 and bars[7].get_facecolor() != bars[0].get_facecolor()
    assert fig.axes[1].get_xlabel() == "digit"


def test_preprocess_steps_one_panel_per_stage():
    from digitlab import preprocess

    picture = np.full((120, 100), 0.9, np.float32)
    picture[20:100, 45:55] = 0.1  # a plain "1"
    fig = plots.preprocess_steps(preprocess.preprocess(picture, return_steps=True))
    assert [ax.get_title() for ax in fig.axes][-1] == "28×28, centred: the input"
    assert len(fig.axes) == 5 and fig.axes[-1].get_xlabel() == "28×28 px"


def test_confusion_matrix_labels_rows_and_columns():
    matrix = np.eye(10) * 0.9 + 0.01
    fig = plots.confusion_matrix(matrix)
    ax = fig.axes[0]
    assert ax.get_xlabel() == "predicted digit" and ax.get_ylabel() == "true digit"
    written = [t.get_text() for t in ax.texts]
    assert "91.0%" in written and "1.0%" in written  # one format, on and off the diagonal


def test_mistakes_show_image_and_probabilities():
    probs = np.full((3, 10), 0.02)
    probs[:, 7] = 0.82
    fig = plots.mistakes(IMAGES[:3], np.array([1, 2, 3]), probs)
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert titles[0] == "true 1, read 7\n(82.0% sure)" and len(titles) == 3
    bars = [ax for ax in fig.axes if ax.patches]
    assert len(bars) == 3 and all(len(ax.patches) == 10 for ax in bars)


def test_coverage_marks_the_chosen_threshold():
    fig = plots.coverage(np.array([1, 0.9, 0.5]), np.array([0.98, 0.99, 1.0]), 0.9, (0.9, 0.99))
    ax = fig.axes[0]
    assert len(ax.lines) == 2 and "threshold 0.900" in ax.get_legend().texts[1].get_text()
    assert ax.xaxis_inverted()


def test_robustness_one_panel_per_distortion_one_line_per_model():
    curves = {"shift (pixels)": ([0, 1, 2], {"MLP": [1, .8, .5], "LeNet": [1, .9, .8]}),
              "blur (sigma)": ([0, 1], {"MLP": [1, .9], "LeNet": [1, .95]})}
    fig = plots.robustness(curves)
    assert len(fig.axes) == 2 and all(len(ax.lines) == 2 for ax in fig.axes)
    assert fig.axes[0].get_xlabel() == "shift (pixels)"


def test_embeddings_and_dense_weights():
    maps = {"pixels": RNG.normal(size=(20, 2)), "dense": RNG.normal(size=(20, 2))}
    fig = plots.embeddings(maps, np.arange(20) % 10)
    assert [ax.get_title() for ax in fig.axes[:2]] == ["pixels", "dense"]
    fig = plots.dense_weights(RNG.normal(size=(784, 64)), count=16)
    assert sum(bool(ax.images) for ax in fig.axes) == 16


def test_yours_against_mnist_one_bar_per_model_with_its_interval():
    results = {"as shipped": {"yours": 0.8, "MNIST": 0.99}, "from scratch": {"yours": 1.0,
                                                                            "MNIST": 0.55},
               "last layers": {"yours": 1.0, "MNIST": 0.99}}  # alike: neither may hide
    fig = plots.yours_against_mnist(results, held_out=30)
    yours, mnist = fig.axes
    assert [t.get_text() for t in yours.get_yticklabels()] == list(results)
    assert "30 held-out" in yours.get_xlabel() and "MNIST" in mnist.get_xlabel()
    assert [round(p.get_width()) for p in mnist.patches] == [99, 55, 99]
    intervals = next(c for c in yours.containers if hasattr(c, "has_xerr"))
    bar = intervals.lines[2][0].get_segments()[1]  # from scratch: 30 of 30, yet unsure
    assert bar[0][0] < 90 and bar[1][0] == pytest.approx(100)

def test_glitches_names_each_thing_that_makes_a_figure_hard_to_read():
    fig, ax = plt.subplots()
    ax.bar(range(5), [1, 1, 1, 1, 1], label="shares")
    ax.legend(loc="center")
    assert legibility.glitches(fig) == ["a panel: the legend covers data"]
    fig, ax = plt.subplots()
    ax.plot([1, 2], [0.5, 0.6], "o-")
    ax.set(title="race", xlabel="training steps")
    assert legibility.glitches(fig) == ["race: fractional ticks on 'training steps'"]
    ax.xaxis.get_major_locator().set_params(integer=True)
    assert legibility.glitches(fig) == []
    fig, ax = plt.subplots()
    for name in ("a", "b"):
        ax.errorbar(99, 98, yerr=1, fmt="o", label=name)
    assert legibility.glitches(fig) == ["a panel: points of different series on one spot"]
    fig, ax = plt.subplots()
    ax.text(0, 0, "66.7%")
    ax.text(1, 1, "33.33%")
    ax.tick_params(labelsize=6)
    assert legibility.glitches(fig) == ["a panel: tick labels of 6.0 points",
                                   "a panel: tick labels of 6.0 points",
                                   "a panel: percentages written to [1, 2] decimals"]
    plt.close("all")
