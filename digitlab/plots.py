"""Pictures of digits, training and networks. Each function draws one labelled figure and
returns it, so a notebook shows it and a test can inspect it."""

from __future__ import annotations

import math
from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure


def digit_grid(images: np.ndarray, labels: Sequence[int] | None = None,
               predictions: Sequence[int] | None = None, cols: int = 10,
               title: str = "MNIST digits") -> Figure:
    """Images in a grid, each captioned with its label (and prediction, red when wrong)."""
    rows = math.ceil(len(images) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(cols * 1.1, rows * 1.3 + 0.4), squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i >= len(images):
            continue
        ax.imshow(images[i], cmap="gray_r", vmin=0, vmax=np.max(images[i]) or 1)
        caption, colour = "", "black"
        if labels is not None:
            caption = f"label {labels[i]}"
        if predictions is not None:
            caption += f"\nread {predictions[i]}"
            colour = "black" if labels is None or predictions[i] == labels[i] else "red"
        ax.set_title(caption, fontsize=8, color=colour)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def pixel_heatmap(image: np.ndarray, title: str = "One digit, pixel by pixel") -> Figure:
    """A 28x28 image as a heat map with every pixel's value written on it."""
    fig, ax = plt.subplots(figsize=(9, 9))
    shown = ax.imshow(image, cmap="gray_r")
    for (row, col), value in np.ndenumerate(image):
        if value:
            ax.text(col, row, f"{value:.0f}" if image.dtype == np.uint8 else f"{value:.1f}",
                    ha="center", va="center", fontsize=5,
                    color="white" if value > image.max() / 2 else "black")
    ax.set(title=title, xlabel="column (pixel)", ylabel="row (pixel)")
    fig.colorbar(shown, ax=ax, label="ink (0 = paper)", shrink=0.8)
    return fig


def training_curves(history: dict[str, list[float]], title: str = "Training curves") -> Figure:
    """Loss and accuracy per epoch, training against validation."""
    fig, (loss_ax, acc_ax) = plt.subplots(1, 2, figsize=(11, 4))
    epochs = np.arange(1, len(history["loss"]) + 1)
    for ax, metric in ((loss_ax, "loss"), (acc_ax, "accuracy")):
        ax.plot(epochs, history[metric], "o-", label="training")
        if f"val_{metric}" in history:
            ax.plot(epochs, history[f"val_{metric}"], "s--", label="validation")
        ax.set(title=metric.capitalize(), xlabel="epoch", ylabel=metric)
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.legend()
        ax.grid(alpha=0.3)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def filters(kernels: np.ndarray, title: str = "Learned filters") -> Figure:
    """Convolution kernels of shape (height, width, in, out): one small image per output filter,
    averaged over input channels; blue is negative, red positive."""
    maps = kernels.mean(axis=2).transpose(2, 0, 1)
    return _tiles(maps, title, cmap="RdBu_r", symmetric=True, caption="filter")


def feature_maps(activations: np.ndarray, title: str = "Feature maps",
                 names: Sequence[str] | None = None) -> Figure:
    """One image's activations of shape (height, width, channels): one tile per channel."""
    return _tiles(np.moveaxis(activations, -1, 0), title, cmap="viridis", caption="channel",
                  names=names)


def _tiles(maps: np.ndarray, title: str, cmap: str, caption: str, symmetric: bool = False,
           names: Sequence[str] | None = None) -> Figure:
    cols = min(len(maps), 8)
    rows = math.ceil(len(maps) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(cols * 1.3, rows * 1.4 + 0.4), squeeze=False)
    limit = np.abs(maps).max() if symmetric else None
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < len(maps):
            ax.imshow(maps[i], cmap=cmap, vmin=-limit if symmetric else None, vmax=limit)
            ax.set_title(names[i] if names else f"{caption} {i}", fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def probability_bars(probs: np.ndarray, image: np.ndarray | None = None,
                     title: str = "What the network thinks") -> Figure:
    """The ten class probabilities as bars, the winner highlighted, beside the image if given."""
    if image is None:
        fig, bar_ax = plt.subplots(figsize=(6, 3))
    else:
        fig, (img_ax, bar_ax) = plt.subplots(1, 2, figsize=(8, 3),
                                             gridspec_kw={"width_ratios": [1, 2.5]})
        img_ax.imshow(image, cmap="gray_r")
        img_ax.set(title="input", xticks=[], yticks=[])
    colours = ["tab:orange" if i == np.argmax(probs) else "tab:blue" for i in range(10)]
    bar_ax.bar(range(10), probs, color=colours)
    bar_ax.set(title=title, xlabel="digit", ylabel="probability", ylim=(0, 1), xticks=range(10))
    fig.tight_layout()
    return fig


def preprocess_steps(steps, title: str = "From picture to what the network sees") -> Figure:
    """The stages of `preprocess.preprocess(..., return_steps=True)`, side by side."""
    stages = [("picture (grey)", steps.grey, "gray"), ("ink found", steps.ink, "gray_r"),
              ("specks and lines removed", steps.cleaned, "gray_r"),
              ("cropped to the digit", steps.cropped, "gray_r"),
              ("28×28, centred: the input", steps.digit, "gray_r")]
    fig, axes = plt.subplots(1, len(stages), figsize=(3 * len(stages), 3.4))
    for ax, (name, image, cmap) in zip(axes, stages, strict=True):
        ax.imshow(image, cmap=cmap, vmin=0, vmax=1)
        ax.set(title=name, xticks=[], yticks=[])
        ax.set_xlabel(f"{image.shape[1]}×{image.shape[0]} px", fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def boxes(ax, picture: np.ndarray, found: Sequence[tuple[int, int, int, int]],
          chars: str | None = None, title: str = "") -> None:
    """A picture with a box (left, top, right, bottom) round each thing found, and what each was
    read as above it: green, or orange for "?"."""
    ax.imshow(picture, cmap="gray", vmin=0, vmax=1)
    for i, (left, top, right, bottom) in enumerate(found):
        char = chars[i] if chars else None
        color = "tab:orange" if char == "?" else "tab:green"
        ax.add_patch(plt.Rectangle((left, top), right - left, bottom - top, fill=False,
                                   color=color, lw=1.5))
        if char:
            ax.text((left + right) / 2, top - 4, char, color=color, ha="center", va="bottom",
                    fontsize=11, fontweight="bold")
    ax.set(title=title, xticks=[], yticks=[])


def number_steps(reading, title: str = "Finding the number, step by step") -> Figure:
    """The stages of `number.read(..., steps=True)`, one above the other, and the boxes read."""
    shown = reading.steps
    stages = [("the picture (grey)", shown["grey"], "gray"),
              ("ink, against the paper around it", shown["ink"], "gray_r"),
              ("lines, frames and edge tips removed", shown["lines removed"], "gray_r"),
              (f"levelled (turned {shown['tilt']:.0f}°)", shown["levelled"], "gray_r")]
    fig, axes = plt.subplots(len(stages) + 1, 1, figsize=(8, 2.2 * (len(stages) + 1)))
    for ax, (name, image, cmap) in zip(axes, stages, strict=False):
        ax.imshow(image, cmap=cmap, vmin=0, vmax=1)
        ax.set(title=name, xticks=[], yticks=[])
    # the boxes are in the picture's own pixels; the stages at the working size
    boxes(axes[-1], shown["grey"], [tuple(round(v / shown["scale"]) for v in g.box)
                                    for g in reading.glyphs],
          [g.char for g in reading.glyphs], f"read: {reading.text}")
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def confusion_matrix(matrix: np.ndarray, title: str = "Confusion matrix") -> Figure:
    """A row-normalised confusion matrix: row = true digit, column = what the model read."""
    fig, ax = plt.subplots(figsize=(7, 6))
    shown = ax.imshow(matrix, cmap="Blues", vmin=0, vmax=1)
    for (row, col), value in np.ndenumerate(matrix):
        if value >= 0.0005:  # a blank cell reads better than a column of 0.0%; one format
            ax.text(col, row, f"{value:.1%}", ha="center", va="center", fontsize=6.5,
                    color="white" if value > 0.5 else "black")
    classes = range(len(matrix))
    ax.set(title=title, xlabel="predicted digit", ylabel="true digit", xticks=classes,
           yticks=classes)
    fig.colorbar(shown, ax=ax, label="fraction of the true digit's images", shrink=0.8)
    fig.tight_layout()
    return fig


def mistakes(images: np.ndarray, labels: np.ndarray, probs: np.ndarray,
             title: str = "The mistakes it was surest of") -> Figure:
    """Each image above its ten probabilities: true label in green, the model's answer in red."""
    cols = min(len(images), 8)
    rows = math.ceil(len(images) / cols)
    fig, axes = plt.subplots(2 * rows, cols, figsize=(cols * 1.6, rows * 2.9), squeeze=False,
                             gridspec_kw={"height_ratios": [1.6, 1] * rows})
    for ax in axes.flat:
        ax.axis("off")
    for i, (image, label, p) in enumerate(zip(images, labels, probs, strict=True)):
        img_ax, bar_ax = axes[2 * (i // cols), i % cols], axes[2 * (i // cols) + 1, i % cols]
        img_ax.imshow(image, cmap="gray_r")
        img_ax.set_title(f"true {label}, read {p.argmax()}\n({p.max():.1%} sure)", fontsize=8)
        colours = ["tab:green" if d == label else "tab:red" if d == p.argmax() else "0.7"
                   for d in range(10)]
        bar_ax.axis("on")
        bar_ax.bar(range(10), p, color=colours)
        bar_ax.set(ylim=(0, 1), yticks=[0, 1])
        bar_ax.tick_params(labelsize=8)
        bar_ax.set_xticks(range(0, 10, 3))  # 0, 3, 6, 9: room for readable labels
        bar_ax.set_xlabel("digit", fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def coverage(coverage_: np.ndarray, accuracy: np.ndarray, threshold: float | None = None,
             point: tuple[float, float] | None = None,
             title: str = "Answer less, be right more often") -> Figure:
    """Accuracy on the answered digits against the fraction answered, a point for one threshold."""
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot(100 * coverage_, 100 * accuracy, "-", label="every threshold")
    if point is not None:
        ax.plot(100 * point[0], 100 * point[1], "o", color="tab:red", markersize=9,
                label=f"threshold {threshold:.3f}: answers {point[0]:.1%}, "
                      f"right on {point[1]:.2%}")
    ax.set(title=title, xlabel="coverage: digits answered (%)",
           ylabel="accuracy on the answered (%)")
    ax.invert_xaxis()  # from answering everything (left) to abstaining more (right)
    ax.legend(loc="lower right")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def robustness(curves: dict[str, tuple[Sequence[float], dict[str, list[float]]]],
               title: str = "How accuracy falls as the digits are distorted") -> Figure:
    """One panel per distortion: {distortion: (strengths, {model: accuracies})}."""
    cols = min(3, len(curves))  # wider, and a notebook shrinks the labels out of reading
    rows = -(-len(curves) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.6 * cols, 3.4 * rows), squeeze=False)
    for ax in axes.flat[len(curves):]:
        ax.remove()
    for ax, (name, (strengths, accuracies)) in zip(axes.flat, curves.items(), strict=False):
        for model, values in accuracies.items():
            ax.plot(strengths, 100 * np.asarray(values), "o-", label=model)
        ax.set(title=name.split(" (")[0], xlabel=name, ylabel="test accuracy (%)", ylim=(0, 101))
        ax.grid(alpha=0.3)
    axes.flat[0].legend()
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def embeddings(maps: dict[str, np.ndarray], labels: np.ndarray,
               title: str = "The classes pull apart, layer by layer (PCA to 2-D)") -> Figure:
    """One scatter panel per layer: its activations' first two principal components."""
    fig, axes = plt.subplots(1, len(maps), figsize=(3.6 * len(maps), 3.8), squeeze=False,
                             layout="constrained")  # room for the colour bar and the title
    for ax, (name, points) in zip(axes.flat, maps.items(), strict=True):
        shown = ax.scatter(points[:, 0], points[:, 1], c=labels, cmap="tab10", vmin=-0.5,
                           vmax=9.5, s=4, alpha=0.7)
        ax.set(title=name, xlabel="principal component 1", ylabel="principal component 2",
               xticks=[], yticks=[])
    fig.colorbar(shown, ax=list(axes.flat), ticks=range(10), label="true digit")
    fig.suptitle(title)
    return fig


def dense_weights(kernel: np.ndarray, count: int = 32,
                  title: str = "What each hidden unit looks for") -> Figure:
    """The first `count` units of a first Dense layer on 784 pixels, each as a 28x28 image."""
    maps = kernel[:, :count].T.reshape(-1, 28, 28)
    return _tiles(maps, title, cmap="RdBu_r", symmetric=True, caption="unit")


def yours_against_mnist(results: dict[str, dict[str, float]], held_out: int,
                        title: str = "Reading your digits, and still reading everyone's?"
                        ) -> Figure:
    """Two panels of bars, one bar per model ({name: {"yours": accuracy, "MNIST": accuracy}}):
    your held-out drawings, with each bar's 95% interval over `held_out`, and MNIST's test
    set. Bars, not points: models that score alike would hide behind one another."""
    from digitlab.evaluate import accuracy_interval

    names = list(results)
    fig, (yours_ax, mnist_ax) = plt.subplots(1, 2, figsize=(10, 1.2 + 0.55 * len(names)),
                                             sharey=True)
    rows = np.arange(len(names))
    yours = np.array([100 * results[n]["yours"] for n in names])
    low, high = np.array([accuracy_interval(round(results[n]["yours"] * held_out), held_out)
                          for n in names]).T * 100
    yours_ax.barh(rows, yours, xerr=[yours - low, high - yours], capsize=4, color="tab:green")
    mnist_ax.barh(rows, [100 * results[n]["MNIST"] for n in names], color="tab:blue")
    yours_ax.set(yticks=rows, yticklabels=names, xlim=(0, 100),
                 xlabel=f"accuracy on your {held_out} held-out drawings (%)")
    mnist_ax.set(xlim=(0, 100), xlabel="MNIST test accuracy (%): everyone's digits")
    yours_ax.invert_yaxis()  # the first model on top, as listed
    for ax in (yours_ax, mnist_ax):
        ax.grid(axis="x", alpha=0.3)
    fig.suptitle(title)
    fig.tight_layout()
    return fig
