"""The drawing pad, driven through its event handlers as the browser would drive it."""

import numpy as np
import pytest

from digitlab import pad as pads
from digitlab import strokes


class Fixed:
    """A stand-in classifier: always 70% sure of one digit, and counts its calls."""

    def __init__(self, digit=4):
        self.digit, self.calls = digit, 0

    def __call__(self, x, training=False):
        self.calls += 1
        probs = np.full((len(x), 10), 0.3 / 9, np.float32)
        probs[:, self.digit] = 0.7
        return probs


def draw(pad, *strokes):
    """What the browser sends at the end of a stroke: every stroke so far, one more drawing."""
    pad.set_state({"strokes": [*pad.strokes, *strokes], "drawn": pad.drawn + 1})


def test_render_draws_thick_round_strokes_and_dots():
    ink = strokes.render([[(50, 50), (50, 150)], [(200, 200)]], size=280, width=18)
    assert ink.shape == (280, 280) and ink[100, 50] == 1 and ink[100, 70] == 0
    assert ink[200, 200] == 1 and ink[200, 207] == 1 and ink[200, 212] == 0  # a round dot


def test_digit_image_is_mnist_shaped_or_none():
    assert strokes.digit_image([], 280, 18) is None
    image = strokes.digit_image([[(140, 40), (140, 240)]], 280, 18)
    assert image.shape == (28, 28) and image.max() == pytest.approx(1)


def test_drawing_sends_back_a_reading_of_the_latest_drawing():
    model = Fixed(digit=4)
    pad = pads.DrawingPad(model)
    assert pad.reading == {} and pad.prediction is None
    draw(pad, [(140, 40), (140, 140), (140, 240)])
    assert pad.prediction.digit == 4
    reading = pad.reading
    assert reading["drawn"] == 1 and reading["digit"] == 4
    assert reading["confidence"] == pytest.approx(0.7)
    assert reading["probabilities"][4] == pytest.approx(0.7) and len(reading["probabilities"]) == 10
    assert len(reading["image"]) == 784 and max(reading["image"]) == 255  # 28x28, ink 0-255
    assert len(pad.latencies_ms) == 1 and pad.latencies_ms[0] > 0


def test_strokes_alone_are_not_read_until_the_drawing_number_moves():
    """The browser sends both at once; Python reads on the number, so never a half message."""
    model = Fixed()
    pad = pads.DrawingPad(model)
    pad.strokes = [[(10, 10), (60, 10)]]
    assert model.calls == 0
    pad.drawn += 1
    assert model.calls == 1 and pad.reading["drawn"] == 1


def test_undo_and_clear():
    pad = pads.DrawingPad(Fixed())
    draw(pad, [(100, 40), (100, 240)])
    draw(pad, [(60, 60), (200, 60)])
    pad.undo()
    assert len(pad.strokes) == 1 and pad.prediction is not None
    pad.undo()
    assert pad.strokes == [] and pad.prediction is None and "digit" not in pad.reading
    draw(pad, [(100, 40), (100, 240)])
    pad.clear()
    assert pad.strokes == [] and pad.prediction is None
    assert pad.reading == {"drawn": pad.drawn}  # the browser shows "Draw a digit"
    pad.undo()  # nothing left to undo: no harm
    assert pad.strokes == [] and pad.reading == {"drawn": pad.drawn}


def test_a_tap_is_a_dot():
    pad = pads.DrawingPad(Fixed(digit=1))
    draw(pad, [(140, 140)])
    assert pad.prediction is not None


def test_the_browser_side_ships_with_the_package():
    pad = pads.DrawingPad(Fixed())
    assert "export default" in str(pad._esm) and ".digitlab-pad-root" in str(pad._css)


def test_the_shipped_model_reads_a_drawn_one_and_zero():
    from digitlab import pretrained

    pad = pads.DrawingPad(pretrained.load())
    draw(pad, [(150, 40), (145, 140), (140, 240)])
    assert pad.prediction.digit == 1
    pad.clear()
    circle = [(140 + 55 * np.sin(t), 140 - 95 * np.cos(t)) for t in np.linspace(0, 2 * np.pi, 40)]
    draw(pad, circle)
    assert pad.prediction.digit == 0
