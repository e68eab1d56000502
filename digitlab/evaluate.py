"""How good is a trained model, and where does it fail? The measurements behind notebook 06.

Everything takes uint8 MNIST-style images (or the model's probabilities for them), so the
distortions for the robustness curves can be chained with the rest of the course's data.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from scipy import ndimage, stats

from digitlab.data import scale, shift


def probabilities(model, x: np.ndarray, batch_size: int = 1024) -> np.ndarray:
    """The model's ten class probabilities for each uint8 image, shape (n, 10)."""
    return model.predict(scale(x), batch_size=batch_size, verbose=0)


def accuracy_interval(correct: int, total: int, confidence: float = 0.95) -> tuple[float, float]:
    """A confidence interval for an accuracy of `correct` out of `total` (Wilson's score)."""
    if total <= 0:
        raise ValueError("an accuracy needs at least one example")
    ci = stats.binomtest(int(correct), int(total)).proportion_ci(confidence, method="wilson")
    return float(ci.low), float(ci.high)


def confusion_matrix(y: np.ndarray, predicted: np.ndarray, normalize: bool = False,
                     classes: int = 10) -> np.ndarray:
    """Counts of (true class row, predicted class column); with `normalize`, rows sum to 1."""
    from digitlab._tf import tf

    counts = tf.math.confusion_matrix(y, predicted, num_classes=classes).numpy()
    if not normalize:
        return counts
    totals = counts.sum(axis=1, keepdims=True)
    return np.divide(counts, totals, out=np.zeros(counts.shape), where=totals > 0)


def per_class_accuracy(y: np.ndarray, predicted: np.ndarray, classes: int = 10) -> np.ndarray:
    """For each class, the fraction of its examples read correctly (NaN for an absent class)."""
    counts = confusion_matrix(y, predicted, classes=classes)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.diag(counts) / counts.sum(axis=1)


def confident_mistakes(probs: np.ndarray, y: np.ndarray, k: int = 16) -> np.ndarray:
    """Indices of the `k` wrong answers the model was surest of, surest first."""
    wrong = np.flatnonzero(probs.argmax(axis=1) != y)
    return wrong[np.argsort(-probs[wrong].max(axis=1), kind="stable")][:k]


def coverage_at(probs: np.ndarray, y: np.ndarray, threshold: float) -> tuple[float, float]:
    """(coverage, accuracy) when the model answers only where its top probability >= threshold.

    Coverage is the fraction it answers; accuracy is measured on those only (NaN if none).
    """
    answered = probs.max(axis=1) >= threshold
    if not answered.any():
        return 0.0, float("nan")
    return float(answered.mean()), float(np.mean(probs[answered].argmax(axis=1) == y[answered]))


def coverage_curve(probs: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, ...]:
    """(thresholds, coverage, accuracy) at every distinct confidence, thresholds ascending."""
    confidence, right = probs.max(axis=1), probs.argmax(axis=1) == y
    order = np.argsort(-confidence, kind="stable")  # the surest answers first
    confidence, right = confidence[order], right[order]
    answered = np.arange(1, len(y) + 1)  # a threshold at the k-th confidence answers k digits
    last_of_ties = np.append(confidence[1:] != confidence[:-1], True)
    thresholds = confidence[last_of_ties]
    coverage = (answered / len(y))[last_of_ties]
    accuracy = (np.cumsum(right) / answered)[last_of_ties]
    return thresholds[::-1], coverage[::-1], accuracy[::-1]


# Distortions for the robustness curves: each maps a batch of uint8 images and a strength to
# a batch of uint8 images; strength 0 leaves them unchanged.

def _to_uint8(images: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(images), 0, 255).astype(np.uint8)


def rotate(images: np.ndarray, degrees: float) -> np.ndarray:
    """Turn each image by `degrees` about its centre (positive: anticlockwise)."""
    turned = ndimage.rotate(images.astype(np.float32), degrees, axes=(2, 1), reshape=False,
                            order=1)
    return _to_uint8(turned)


def move(images: np.ndarray, pixels: float) -> np.ndarray:
    """Shift each image right by a whole number of pixels."""
    return shift(images, dx=int(round(pixels)))


def noise(images: np.ndarray, sigma: float, seed: int = 0) -> np.ndarray:
    """Add Gaussian noise of standard deviation `sigma` (in grey levels, 0-255)."""
    rng = np.random.default_rng(seed)
    return _to_uint8(images + rng.normal(0, sigma, images.shape))


def thickness(images: np.ndarray, pixels: int) -> np.ndarray:
    """Thicker strokes (pixels > 0, grey dilation) or thinner ones (pixels < 0, erosion)."""
    if pixels == 0:
        return images.copy()
    size = (1, abs(pixels) + 1, abs(pixels) + 1)  # each pixel of growth widens the pen by one
    grow = ndimage.grey_dilation if pixels > 0 else ndimage.grey_erosion
    return grow(images, size=size)


def blur(images: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian blur of standard deviation `sigma` pixels."""
    if sigma == 0:
        return images.copy()
    return _to_uint8(ndimage.gaussian_filter(images.astype(np.float32), sigma=(0, sigma, sigma)))


DISTORTIONS: dict[str, tuple[Callable[[np.ndarray, float], np.ndarray], list[float]]] = {
    "rotation (degrees)": (rotate, [-45, -30, -20, -10, 0, 10, 20, 30, 45]),
    "shift (pixels)": (move, [0, 1, 2, 3, 4, 5, 6]),
    "Gaussian noise (grey levels)": (noise, [0, 25, 50, 75, 100, 150]),
    "stroke thickness (pixels)": (thickness, [-2, -1, 0, 1, 2, 3]),
    "blur (sigma, pixels)": (blur, [0, 0.5, 1, 1.5, 2, 3]),
}


def robustness(models: dict, x: np.ndarray, y: np.ndarray,
               distort: Callable[[np.ndarray, float], np.ndarray],
               strengths: Sequence[float]) -> dict[str, list[float]]:
    """Each model's accuracy on (x, y) distorted at each strength: {name: [accuracy, ...]}."""
    curves: dict[str, list[float]] = {name: [] for name in models}
    for strength in strengths:
        distorted = distort(x, strength)
        for name, model in models.items():
            curves[name].append(float(np.mean(probabilities(model, distorted).argmax(1) == y)))
    return curves


def pca(features: np.ndarray, dims: int = 2) -> np.ndarray:
    """Project rows of `features` onto their `dims` directions of greatest variance."""
    flat = features.reshape(len(features), -1).astype(np.float64)
    centred = flat - flat.mean(axis=0)
    _, _, directions = np.linalg.svd(centred, full_matrices=False)
    return centred @ directions[:dims].T


def separation(points: np.ndarray, y: np.ndarray) -> float:
    """How far apart the classes lie: the fraction of points nearest their own class's centre."""
    classes = np.unique(y)
    centres = np.stack([points[y == c].mean(axis=0) for c in classes])
    nearest = np.linalg.norm(points[:, None] - centres[None], axis=2).argmin(axis=1)
    return float(np.mean(classes[nearest] == y))


def layer_embeddings(model, x: np.ndarray, layer_names: Sequence[str]) -> dict[str, np.ndarray]:
    """The 2-D PCA map of the pixels and of each named layer's activations for images `x`."""
    from digitlab.models import feature_extractor

    outputs = feature_extractor(model, list(layer_names)).predict(scale(x), verbose=0)
    outputs = outputs if isinstance(outputs, list) else [outputs]
    return {"pixels": pca(x), **{name: pca(out) for name, out in
                                 zip(layer_names, outputs, strict=True)}}
