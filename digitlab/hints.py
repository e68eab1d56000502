"""How a friendly check answers: a tick with a word on why, or a hint, never an exception;
a placeholder left in an exercise (`name = ...`) named; accuracies and mistakes judged the
same way in every lesson. `checks` is built from these.
"""

from __future__ import annotations

import functools
import inspect

import numpy as np


def verdict(ok: bool, right: str, hint: str) -> bool:
    """Print the tick and `right`, or the hint; return `ok`."""
    print(f"✓ {right}" if ok else f"✗ Not yet: {hint}")
    return bool(ok)


def exercise(check):
    """A check that answers a placeholder left in the exercise (`name = ...`) with a hint."""
    names = list(inspect.signature(check).parameters)

    @functools.wraps(check)
    def friendly(*args, **kwargs):
        given = dict(zip(names, args, strict=False)) | kwargs
        todo = [f"`{name}`" for name, value in given.items() if value is ...]
        if todo:
            return verdict(False, "", f"define {' and '.join(todo)} above, in place of `...`")
        return check(*args, **kwargs)

    return friendly


def is_fraction(*values) -> bool:
    """Whether every value is a number between 0 and 1."""
    return all(isinstance(v, (int, float, np.number)) and 0 <= v <= 1 for v in values)


def fractions_hint(*values) -> str:
    """The hint for values that are no accuracies."""
    return (f"expected accuracies between 0 and 1, got {', '.join(repr(v) for v in values)}; "
            "an accuracy is the fraction of digits read correctly, e.g. np.mean(pred == y)")


def better(high, low, right: str, hint: str) -> bool:
    """Two accuracies; right when `high` really is the higher."""
    if not is_fraction(high, low):
        return verdict(False, "", fractions_hint(high, low))
    return verdict(high > low, right, hint)


def all_wrong(wrong, predictions, y, accuracy: float | None = None) -> bool:
    """Whether `wrong` indexes every mistake, and only mistakes."""
    wrong, predictions, y = (np.asarray(a) for a in (wrong, predictions, y))
    if wrong.size == 0:
        return verdict(False, "", "`wrong` is empty; np.flatnonzero(predictions != y) gives "
                                   "the indices of the mistakes")
    if np.any(predictions[wrong] == y[wrong]):
        right = int(np.sum(predictions[wrong] == y[wrong]))
        return verdict(False, "", f"{right} of your indices are digits read *correctly*; "
                                   "compare the predictions with the labels, y_test")
    if accuracy is not None and len(wrong) != round((1 - accuracy) * len(y)):
        return verdict(False, "", f"you found {len(wrong)} mistakes, but an accuracy of "
                                   f"{accuracy:.2%} on {len(y):,} digits means "
                                   f"{round((1 - accuracy) * len(y))}: did you take them all?")
    return verdict(True, f"{len(wrong)} mistakes, every one a misreading. Many are digits a "
                          "person would hesitate over too.", "")
