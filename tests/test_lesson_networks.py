"""The networks the lessons write out are the ones `digitlab` builds for later lessons and tools."""

import ast
import json
from pathlib import Path

import numpy as np
import pytest
from helpers import draw
from PIL import Image
from scipy import ndimage

from digitlab import keras, models, preprocess, raw_mlp, tf, training

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


def lesson_sources(notebook: str) -> list[str]:
    """The code of the notebook's cells tagged `lesson-network`."""
    cells = json.loads((NOTEBOOKS / notebook).read_text())["cells"]
    sources = ["".join(c["source"]) for c in cells
               if "lesson-network" in c["metadata"].get("tags", [])]
    assert sources, f"{notebook} tags the cells that write out its network"
    return sources


def lesson_cell(notebook: str) -> dict:
    """Run the notebook's cells tagged `lesson-network`; return the names they define."""
    sources = lesson_sources(notebook)
    names = {"keras": keras, "training": training, "tf": tf, "np": np,
             "set_seed": training.set_seed}
    for source in sources:
        exec(source.replace(".summary()", ".count_params()"), names)  # noqa: S102 (our lesson)
    return names


def test_notebook_01_writes_out_the_raw_mlp_the_benchmark_times():
    lesson = lesson_cell("01_raw_mlp.ipynb")
    ours, theirs = lesson["init_params"](seed=3), raw_mlp.init_params(seed=3)
    for (w, b), (w2, b2) in zip(ours, theirs, strict=True):  # same seed, same starting weights
        np.testing.assert_array_equal(w.numpy(), w2.numpy())
        np.testing.assert_array_equal(b.numpy(), b2.numpy())
    x = np.random.default_rng(0).random((5, 784), np.float32)
    np.testing.assert_allclose(lesson["fixed_forward"](ours, x), raw_mlp.forward(ours, x),
                               rtol=1e-6)
    np.testing.assert_allclose(lesson["classic_forward"](ours, x),
                               raw_mlp.forward(ours, x, linear=True), rtol=1e-6)


def architecture(model: keras.Model) -> list:
    """Each layer's kind and settings, without the names Keras numbers per session."""
    return [(type(layer).__name__, {k: v for k, v in layer.get_config().items() if k != "name"})
            for layer in model.layers]


def test_notebook_03_writes_out_the_packages_lenet():
    lenet = lesson_cell("03_lenet_cnn.ipynb")["lenet"]
    assert architecture(lenet) == architecture(models.lenet())
    named = {"conv1", "pool1", "conv2", "pool2", "dense1", "dense2", "output"}  # lessons use them
    assert named <= {layer.name for layer in lenet.layers}


@pytest.mark.parametrize("batchnorm", [False, True])
def test_notebook_04_writes_out_the_packages_deep_cnn(batchnorm):
    deep_cnn = lesson_cell("04_going_further.ipynb")["deep_cnn"]
    assert architecture(deep_cnn(batchnorm=batchnorm)) == \
        architecture(models.deep_cnn(batchnorm=batchnorm))


def test_notebook_05_writes_out_the_packages_last_preprocessing_step():
    [source] = lesson_sources("05_your_handwriting.ipynb")
    [function] = [node for node in ast.parse(source).body
                  if isinstance(node, ast.FunctionDef) and node.name == "to_mnist"]
    names = {"np": np, "Image": Image, "ndimage": ndimage}
    exec(ast.get_source_segment(source, function), names)  # noqa: S102 (our lesson)
    for digit in "017":  # strokes as thick as MNIST's: the package widens nothing
        steps = preprocess.preprocess(draw(digit, width=40), return_steps=True)
        np.testing.assert_allclose(names["to_mnist"](steps.cropped), steps.digit, atol=1e-6)


def test_notebook_06_writes_out_the_packages_interval_coverage_curve_and_pca():
    from digitlab import evaluate

    lesson = lesson_cell("06_evaluate.ipynb")
    for correct, total in ((9915, 10_000), (30, 30), (0, 30), (17, 20)):
        np.testing.assert_allclose(lesson["wilson_interval"](correct, total),
                                   evaluate.accuracy_interval(correct, total), atol=1e-4)
    rng = np.random.default_rng(0)
    probs, y = rng.dirichlet(np.ones(10), 500), rng.integers(0, 10, 500)  # no tied confidences
    _, coverage, accuracy = evaluate.coverage_curve(probs, y)
    ours = lesson["coverage_curve"](probs, y)
    np.testing.assert_allclose(ours[0], coverage[::-1])
    np.testing.assert_allclose(ours[1], accuracy[::-1])
    features = rng.normal(size=(50, 4, 4))
    np.testing.assert_allclose(lesson["pca"](features), evaluate.pca(features))
