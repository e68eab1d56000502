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


def stroke(pad, points):
    pad._down(*points[0])
    for p in points[1:]:
        pad._move(*p)
    pad._up(*points[-1])


def test_render_draws_thick_round_strokes_and_dots():
    ink = strokes.render([[(50, 50), (50, 150)], [(200, 200)]], size=280, width=18)
    assert ink.shape == (280, 280) and ink[100, 50] == 1 and ink[100, 70] == 0
    assert ink[200, 200] == 1 and ink[200, 207] == 1 and ink[200, 212] == 0  # a round dot


def test_digit_image_is_mnist_shaped_or_none():
    assert strokes.digit_image([], 280, 18) is None
    image = strokes.digit_image([[(140, 40), (140, 240)]], 280, 18)
    assert image.shape == (28, 28) and image.max() == pytest.approx(1)


def test_drawing_updates_bars_answer_and_input():
    model = Fixed(digit=4)
    pad = pads.DrawingPad(model)
    assert "Draw a digit" in pad.answer.value
    stroke(pad, [(140, 40), (140, 140), (140, 240)])
    assert pad.prediction.digit == 4
    assert "It reads: <span class='digitlab-digit'>4</span> (70% sure)" in pad.answer.value
    assert [b.value for b in pad.bars][4] == pytest.approx(0.7)
    assert pad.bars[4].bar_style == "success" and pad.numbers[4].value == "70%"
    assert len(pad.latencies_ms) == 1 and pad.latencies_ms[0] > 0


def test_updates_are_throttled_while_drawing():
    model = Fixed()
    pad = pads.DrawingPad(model, every_ms=10_000)
    pad._down(10, 10)
    for x in range(11, 60):
        pad._move(x, 10)
    assert model.calls == 1  # the first move; the rest come too soon after it
    pad._up()
    assert model.calls == 2  # the end of a stroke always updates


def test_undo_and_clear():
    pad = pads.DrawingPad(Fixed())
    stroke(pad, [(100, 40), (100, 240)])
    stroke(pad, [(60, 60), (200, 60)])
    pad.undo()
    assert len(pad.strokes) == 1 and pad.prediction is not None
    pad.undo()
    assert pad.strokes == [] and pad.prediction is None and "Draw a digit" in pad.answer.value
    stroke(pad, [(100, 40), (100, 240)])
    pad.clear()
    assert pad.strokes == [] and pad.prediction is None
    assert all(b.value == 0 for b in pad.bars)


def test_moves_without_a_pressed_button_draw_nothing():
    pad = pads.DrawingPad(Fixed())
    pad._move(10, 10)
    pad._up(10, 10)
    assert pad.strokes == [] and pad.prediction is None


def test_touch_draws_like_a_mouse():
    pad = pads.DrawingPad(Fixed(digit=1))
    pad.canvas._touch_start_callbacks([(140, 40)])
    pad.canvas._touch_move_callbacks([(140, 240)])
    pad.canvas._touch_end_callbacks([])
    assert len(pad.strokes) == 1 and pad.prediction.digit == 1


def test_the_shipped_model_reads_a_drawn_one_and_zero():
    from digitlab import pretrained

    pad = pads.DrawingPad(pretrained.load())
    stroke(pad, [(150, 40), (145, 140), (140, 240)])
    assert pad.prediction.digit == 1
    pad.clear()
    circle = [(140 + 55 * np.sin(t), 140 - 95 * np.cos(t)) for t in np.linspace(0, 2 * np.pi, 40)]
    stroke(pad, circle)
    assert pad.prediction.digit == 0
