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


def compare_curves(histories: dict[str, dict[str, list[float]]], metric: str = "val_accuracy",
                   title: str = "Which recipe learns best?", xlabel: str = "epoch") -> Figure:
    """One metric for several runs on the same axes."""
    fig, ax = plt.subplots(figsize=(7, 4))
    for name, history in histories.items():
        ax.plot(np.arange(1, len(history[metric]) + 1), history[metric], "o-", label=name)
    ax.set(title=title, xlabel=xlabel, ylabel=metric.replace("_", " "))
    ax.legend()
    ax.grid(alpha=0.3)
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
