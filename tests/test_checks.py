"""The exercise checks: a right answer gets a ✓, each wrong one a hint, and nothing raises."""

import numpy as np
import pytest

from digitlab import checks

Y = np.array([1, 7, 2, 7, 0])
DIGITS = np.arange(10)
INK = np.stack([np.full((2, 2), ink) for ink in (90, 5, 40, 50, 45, 60, 70, 30, 80, 65)])
PROBS = np.array([[0.99, 0.01], [0.9, 0.1], [0.3, 0.7], [0.6, 0.4]])
PROBS_Y = np.array([0, 1, 1, 0])


class Run:
    """A stand-in for training.Result: a validation accuracy per validation point."""

    def __init__(self, *val_accuracy):
        self.history = {"val_accuracy": list(val_accuracy)}

    def final(self, metric):
        return self.history[metric][-1]


# Exercise 05.3's numbers, as (picture, truth), read by a stand-in for `number.read` (below):
# a "picture" is the text it reads at 0.5; at 0.95 its 1s become ?.
TOUCHING = [("12", "12"), ("71", "11"), ("33", "33")]


@pytest.fixture(autouse=True)
def stand_in_reader(monkeypatch):
    from types import SimpleNamespace

    from digitlab import number

    def read(model, picture, min_confidence):
        return SimpleNamespace(text=picture if min_confidence < 0.9 else picture.replace("1", "?"))

    monkeypatch.setattr(number, "read", read)


def good_invert(images, strength):
    x = images.astype(np.float32)
    return np.rint((1 - strength) * x + strength * (255 - x)).astype(np.uint8)


RIGHT = [
    (checks.nb00_ex1, (1, Y)),
    (checks.nb00_ex2, (0, 1, INK, DIGITS)),
    (checks.nb00_ex3, (0.8,)),
    (checks.nb01_ex1, (0.9, 0.95)),
    (checks.nb01_ex2, (0.99, 0.98)),
    (checks.nb01_ex3, ([0, 2], np.array([1, 0, 0]), np.array([0, 0, 1]))),
    (checks.nb02_ex1, (0.951, 0.953)),
    (checks.nb02_ex2, ({32: 9.0, 128: 3.0, 512: 1.5},)),
    (checks.nb02_ex3, ({"loss": [1, 0.5, 0.4, 0.45, 0.5]},)),
    (checks.nb03_ex1, (0.9, 0.98)),
    (checks.nb03_ex2, (2416,)),
    (checks.nb03_ex3, ([0], np.array([1, 1]), np.array([0, 1]), 0.5)),
    (checks.nb04_ex1, (Run(0.4, 0.9), Run(0.1, 0.5, 0.8), 1)),
    (checks.nb04_ex2, ({"conv1": 832, "dense": 3_212_288}, "dense")),
    (checks.nb04_ex3, ([0], np.array([1, 1]), np.array([0, 1]), 0.5)),
    (checks.nb05_ex1, (0.9, 0.1)),
    (checks.nb05_ex2, (0.6, 0.99)),
    (checks.nb05_ex3, ((2 / 3, 0.0), (1 / 3, 2 / 3), TOUCHING, None)),
    (checks.nb06_ex1, (0.95, PROBS, PROBS_Y)),
    (checks.nb06_ex2, ((1, 0), [[0.9, 0.1], [0.3, 0.7]])),
    (checks.nb06_ex3, (good_invert,)),
    (checks.nb07_ex1, (0.9, 0.985, {"everything": {"MNIST": 0.97}})),
    (checks.nb07_ex2, ({1: 0.8, 3: 0.9, 7: 0.9},)),
]

WRONG = [  # (check, arguments, words the hint must contain)
    (checks.nb00_ex1, (3, Y), "not the first"),
    (checks.nb00_ex1, (0, Y), "not a 7"),
    (checks.nb00_ex2, (1, 0, INK, DIGITS), "wrong way round"),
    (checks.nb00_ex2, (8, 1, INK, DIGITS), "largest"),
    (checks.nb00_ex3, (0.05,), "nearest"),
    (checks.nb00_ex3, (0.97,), "training images"),
    (checks.nb00_ex3, (80,), "between 0 and 1"),
    (checks.nb01_ex1, (0.97, 0.95), "hidden"),
    (checks.nb01_ex2, (0.9, 0.98), "x_train"),
    (checks.nb01_ex3, ([1], np.array([1, 0, 0]), np.array([0, 0, 1])), "correctly"),
    (checks.nb01_ex3, ([], np.array([1]), np.array([0])), "empty"),
    (checks.nb02_ex1, (0.95, 0.90), "seed"),
    (checks.nb02_ex2, ([9.0, 1.5],), "dict"),
    (checks.nb02_ex2, ({32: 1.0, 512: 2.0},), "after the first"),
    (checks.nb02_ex3, ({"loss": [1] * 30},), "EarlyStopping"),
    (checks.nb02_ex3, (None,), "fit returned"),
    (checks.nb03_ex2, (2400,), "bias"),
    (checks.nb03_ex2, (416,), "6 input channels"),
    (checks.nb03_ex2, (7,), "16 kernels"),
    (checks.nb03_ex3, ([0], np.array([1, 0, 0]), np.array([0, 1, 2]), 0.0), "take them all"),
    (checks.nb04_ex1, (Run(0.2, 0.4), Run(0.1, 0.5, 0.8), 1), "same"),
    (checks.nb04_ex1, (0.9, Run(0.1, 0.5), 1), "the training Result"),
    (checks.nb04_ex2, ({"conv1": 832, "dense": 3_212_288}, "conv1"), "max("),
    (checks.nb04_ex2, ({"a": 1}, "b"), "layer name"),
    (checks.nb05_ex1, (0.1, 0.9), "1 - photo"),
    (checks.nb05_ex2, (0.99, 0.6), "data.shift"),
    (checks.nb05_ex3, ((1 / 3, 2 / 3), (2 / 3, 0.0), TOUCHING, None), "min_confidence=0.5"),
    (checks.nb05_ex3, ((0, 0), (0, 0), TOUCHING, None), "not the shares the reader gives"),
    (checks.nb05_ex3, (0.4, (0.1, 0.8), TOUCHING, None), "pair of shares"),
    (checks.nb06_ex1, (0.5, PROBS, PROBS_Y), "first threshold"),
    (checks.nb06_ex1, (None, PROBS, PROBS_Y), "look again"),
    (checks.nb06_ex2, ((0, 1), [[0.9, 0.1], [0.3, 0.7]]), "swapped"),
    (checks.nb06_ex2, ((0, 0), [[0.9, 0.1], [0.3, 0.7]]), "diagonal"),
    (checks.nb06_ex3, (lambda images, s: images,), "255 - images"),
    (checks.nb06_ex3, (lambda images, s: images / 2,), "uint8"),
    (checks.nb06_ex3, (lambda images: images,), "raised TypeError"),
    (checks.nb07_ex1, (0.9, 0.95, {"everything": {"MNIST": 0.97}}), "fresh copy"),
    (checks.nb07_ex1, (90, 0.95, {"everything": {"MNIST": 0.97}}), "between 0 and 1"),
    (checks.nb07_ex2, ({1: 0.8, 7: 0.9},), "at least three"),
    (checks.nb07_ex2, ({"one": 0.8, "three": 0.9, "all": 1.0},), "whole numbers"),
    (checks.nb07_ex2, ({1: 0.9, 3: 0.8, 7: 0.7},), "same held-out"),
]


def test_every_exercise_has_a_check():
    """Every exercise's check is tried on a right answer (one that exercises share, once)."""
    public = [getattr(checks, n) for n in dir(checks) if n.startswith("nb")]
    tried = [f for f, _ in RIGHT]
    assert all(any(f is t for t in tried) for f in public)
    assert all(any(t is f for f in public) for t in tried)


@pytest.mark.parametrize("check,args", RIGHT, ids=lambda v: getattr(v, "__name__", ""))
def test_right_answers_get_a_tick(check, args, capsys):
    assert check(*args) is True
    assert capsys.readouterr().out.startswith("✓ ")


@pytest.mark.parametrize("check,args,hint", WRONG, ids=lambda v: getattr(v, "__name__", ""))
def test_wrong_answers_get_a_hint_not_an_error(check, args, hint, capsys):
    assert check(*args) is False
    out = capsys.readouterr().out
    assert out.startswith("✗ Not yet: ") and hint in out


@pytest.mark.parametrize("check,args", RIGHT, ids=lambda v: getattr(v, "__name__", ""))
def test_a_placeholder_left_in_place_gets_told_what_to_define(check, args, capsys):
    """An untouched exercise holds `name = ...`: its check names what to define, no error."""
    import inspect

    first = next(iter(inspect.signature(check).parameters))
    assert check(..., *args[1:]) is False
    assert capsys.readouterr().out == f"✗ Not yet: define `{first}` above, in place of `...`\n"
    if len(args) > 1:
        assert check(*[...] * len(args)) is False
        assert " and `" in capsys.readouterr().out
