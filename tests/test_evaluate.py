"""The measurements of notebook 06, each checked on small cases worked out by hand."""

import numpy as np
import pytest

from digitlab import evaluate, models

# Three examples, three classes: probabilities written so every answer is known in advance.
PROBS = np.array([[0.9, 0.05, 0.05],   # class 0, read 0, sure
                  [0.6, 0.3, 0.1],     # class 1, read 0, fairly sure: a confident mistake
                  [0.2, 0.35, 0.45]])  # class 1, read 2, unsure: a hesitant mistake
Y = np.array([0, 1, 1])


def test_wilson_interval_matches_the_formula():
    # 90 of 100 at 95%: centre (0.9 + 1.96^2/200) / (1 + 1.96^2/100) = 0.8852, half-width 0.0596
    low, high = evaluate.accuracy_interval(90, 100)
    assert low == pytest.approx(0.8256, abs=1e-4) and high == pytest.approx(0.9448, abs=1e-4)
    assert evaluate.accuracy_interval(100, 100)[1] == 1.0  # never past 100%
    low99, high99 = evaluate.accuracy_interval(90, 100, confidence=0.99)
    assert low99 < low and high99 > high
    with pytest.raises(ValueError):
        evaluate.accuracy_interval(0, 0)


def test_confusion_matrix_and_per_class_accuracy():
    y, read = np.array([0, 0, 1, 1, 1, 2]), np.array([0, 1, 1, 1, 2, 2])
    counts = evaluate.confusion_matrix(y, read, classes=3)
    np.testing.assert_array_equal(counts, [[1, 1, 0], [0, 2, 1], [0, 0, 1]])
    rates = evaluate.confusion_matrix(y, read, normalize=True, classes=4)
    np.testing.assert_allclose(rates[:3, :3], [[.5, .5, 0], [0, 2 / 3, 1 / 3], [0, 0, 1]])
    assert not rates[3].any()  # a class with no examples: a row of zeros, not NaN
    acc = evaluate.per_class_accuracy(y, read, classes=4)
    np.testing.assert_allclose(acc[:3], [0.5, 2 / 3, 1.0])
    assert np.isnan(acc[3])


def test_confident_mistakes_surest_first():
    np.testing.assert_array_equal(evaluate.confident_mistakes(PROBS, Y), [1, 2])
    np.testing.assert_array_equal(evaluate.confident_mistakes(PROBS, Y, k=1), [1])
    assert len(evaluate.confident_mistakes(PROBS, PROBS.argmax(1))) == 0


def test_coverage_when_abstaining():
    assert evaluate.coverage_at(PROBS, Y, 0.0) == (1.0, pytest.approx(1 / 3))
    assert evaluate.coverage_at(PROBS, Y, 0.5) == (pytest.approx(2 / 3), 0.5)
    assert evaluate.coverage_at(PROBS, Y, 0.7) == (pytest.approx(1 / 3), 1.0)
    coverage, accuracy = evaluate.coverage_at(PROBS, Y, 0.95)
    assert coverage == 0 and np.isnan(accuracy)
    t, cov, acc = evaluate.coverage_curve(PROBS, Y)
    np.testing.assert_allclose(t, [0.45, 0.6, 0.9])  # each digit's confidence is a step
    np.testing.assert_allclose(cov, [1, 2 / 3, 1 / 3])
    np.testing.assert_allclose(acc, [1 / 3, 0.5, 1.0])
    for threshold, c, a in zip(t, cov, acc, strict=True):  # the same as one at a time
        assert evaluate.coverage_at(PROBS, Y, threshold) == (pytest.approx(c), pytest.approx(a))


def test_coverage_curve_with_ties():
    probs = np.array([[0.8, 0.2], [0.8, 0.2], [0.6, 0.4]])
    t, cov, acc = evaluate.coverage_curve(probs, np.array([0, 1, 0]))
    np.testing.assert_allclose(t, [0.6, 0.8])  # tied confidences make one step
    np.testing.assert_allclose(cov, [1, 2 / 3])
    np.testing.assert_allclose(acc, [2 / 3, 0.5])


def bar() -> np.ndarray:
    """One 9x9 image holding a vertical bar, 1 pixel wide, 5 tall, in the middle."""
    image = np.zeros((1, 9, 9), np.uint8)
    image[0, 2:7, 4] = 200
    return image


def test_distortions_by_hand():
    image = bar()
    for distort, _ in evaluate.DISTORTIONS.values():
        np.testing.assert_array_equal(distort(image, 0), image)  # strength 0: untouched
        assert distort(image, 1).dtype == np.uint8
    turned = evaluate.rotate(image, 90)  # the vertical bar lies down
    assert turned[0, 4, 2:7].min() == 200 and turned[0, :, 4].sum() == 200
    np.testing.assert_array_equal(evaluate.move(image, 2)[0, 2:7, 6], 200)
    assert (evaluate.thickness(image, 2) > 0).sum() == 7 * 3  # 3 px wide, one more at each end
    assert (evaluate.thickness(image, -1) > 0).sum() == 0  # a 1-pixel line is eroded away
    blurred = evaluate.blur(image, 1)
    assert blurred[0, 4, 4] < 200 and blurred[0, 4, 3] > 0  # ink spreads to the neighbours
    noisy = evaluate.noise(image, 50)
    assert noisy.std() > image.std() and np.array_equal(noisy, evaluate.noise(image, 50))


class Fixed:
    """A stand-in model that reads every image as the class of its brightest column's third."""

    def predict(self, x, batch_size=None, verbose=0):
        column = x.sum(axis=1).argmax(axis=1) * 3 // x.shape[2]
        return np.eye(10)[column]


def test_robustness_curves_per_model():
    x, y = np.repeat(bar(), 4, axis=0), np.full(4, 1)  # the bar is in the middle third
    curves = evaluate.robustness({"a": Fixed(), "b": Fixed()}, x, y, evaluate.move, [0, 1, 3])
    assert curves == {"a": [1.0, 1.0, 0.0], "b": [1.0, 1.0, 0.0]}  # 3 px: the right third


def test_pca_and_separation():
    rng = np.random.default_rng(0)
    # Two classes far apart along one direction, noise in 5 others
    y = np.repeat([0, 1], 50)
    points = rng.normal(0, 0.1, (100, 6))
    points[:, 2] += 10 * y
    flat = evaluate.pca(points, dims=2)
    assert flat.shape == (100, 2)
    assert abs(np.corrcoef(flat[:, 0], y)[0, 1]) > 0.99  # the first axis finds the split
    assert evaluate.separation(flat, y) == 1.0
    assert evaluate.separation(rng.normal(size=(100, 2)), y) < 0.8  # mixed classes


def test_layer_embeddings_per_layer():
    model = models.mlp(hidden=(8, 4))
    names = [layer.name for layer in model.layers if layer.name.startswith("dense")][:2]
    x = np.random.default_rng(0).integers(0, 256, (20, 28, 28), dtype=np.uint8)
    maps = evaluate.layer_embeddings(model, x, names)
    assert list(maps) == ["pixels", *names]
    assert all(m.shape == (20, 2) for m in maps.values())
