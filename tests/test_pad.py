"""The drawing pad, driven through its event handlers as the browser would drive it."""

import json
import subprocess
import sys

import numpy as np
import pytest

from digitlab import drawings, strokes
from digitlab import pad as pads


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


# The collecting pad, driven as its buttons drive it: a message from the browser per press.

ONE = [[(150, 40), (145, 140), (140, 240)]]


def press(pad, button):
    pad._on_button(pad, {"button": button}, [])


def test_collecting_asks_for_each_digit_in_turn_and_counts(tmp_path):
    pad = pads.CollectingPad(tmp_path / "mine.npz", per_digit=2)
    assert pad.task | {"note": ""} == {"digit": 0, "done": 0, "of": 2, "kept": 0, "total": 20,
                                      "note": ""}
    press(pad, "keep")  # nothing drawn: nothing kept, and the pad says so
    assert pad.task["kept"] == 0 and "Nothing drawn" in pad.task["note"]
    for digit in range(10):
        assert pad.task["digit"] == digit
        draw(pad, *ONE)
        press(pad, "keep")
        assert pad.strokes == []  # the pad is wiped for the next digit
    assert pad.task | {"note": ""} == {"digit": 0, "done": 1, "of": 2, "kept": 10, "total": 20,
                                      "note": ""}
    assert "Saved 10 drawings" in pad.task["note"]
    assert list(pad.drawings.labels) == list(range(10))


def test_take_back_removes_the_last_drawing_and_asks_for_it_again(tmp_path):
    pad = pads.CollectingPad(tmp_path / "mine.npz", per_digit=1)
    for _ in range(3):
        draw(pad, *ONE)
        press(pad, "keep")
    press(pad, "take_back")
    assert pad.task["digit"] == 2 and pad.task["kept"] == 2 and "Took back the last 2" in (
        pad.task["note"])
    assert len(drawings.load(tmp_path / "mine.npz")) == 2  # saved at once, as it stands
    press(pad, "take_back"), press(pad, "take_back"), press(pad, "take_back")
    assert pad.task["kept"] == 0 and pad.task["note"] == "Nothing kept yet."


def test_a_complete_set_says_so_and_keeps_no_more(tmp_path):
    pad = pads.CollectingPad(per_digit=1)
    for _ in range(10):
        draw(pad, *ONE)
        press(pad, "keep")
    assert pad.task["digit"] is None and pad.task["kept"] == 10
    assert "no path given" in pad.task["note"]  # nothing saved, and the pad says how to
    with pytest.raises(ValueError, match="where to"):
        pad.save()
    assert len(drawings.load(pad.save(tmp_path / "later.npz"))) == 10
    draw(pad, *ONE)
    press(pad, "keep")
    assert len(pad.drawings) == 10 and "complete" in pad.task["note"]


def test_a_new_pad_carries_on_from_the_saved_drawings(tmp_path):
    path = tmp_path / "mine.npz"
    first = pads.CollectingPad(path, per_digit=2)
    for _ in range(3):
        draw(first, *ONE)
        press(first, "keep")
    again = pads.CollectingPad(path, per_digit=2)  # after a kernel restart
    assert again.task["digit"] == 3 and again.task["kept"] == 3
    assert "Carrying on from 3 drawings" in again.task["note"]
    np.testing.assert_array_equal(again.drawings.images, first.drawings.images)


def test_a_pad_will_not_carry_on_from_another_students_drawings(tmp_path, monkeypatch):
    path = tmp_path / "theirs.npz"
    monkeypatch.setenv("JUPYTERHUB_USER", "ada")
    drawings.save(drawings.stand_in(per_digit=1), path)  # by the stand-in, not by ada
    with pytest.raises(FileExistsError, match="not by ada"):
        pads.CollectingPad(path)


def test_a_failed_save_loses_no_drawing(tmp_path):
    folder = tmp_path / "gone"
    folder.write_text("a file where the folder should be")
    pad = pads.CollectingPad(folder / "mine.npz", per_digit=1)
    draw(pad, *ONE)
    press(pad, "keep")  # no folder to save in: the save fails, the drawing stays
    assert "Could not save" in pad.task["note"] and len(pad.drawings) == 1
    folder.unlink()
    folder.mkdir()
    draw(pad, *ONE)
    press(pad, "keep")
    assert len(drawings.load(folder / "mine.npz")) == 2


# Another kernel (another tab's notebook): a pad on the same file that keeps two drawings.
OTHER_KERNEL = """
import json, sys
from digitlab import pad as pads
pad = pads.CollectingPad(sys.argv[1], per_digit=5)
for _ in range(2):
    pad.set_state({"strokes": [[(140, 40), (140, 240)]], "drawn": 1})
    pad.keep()
print(json.dumps({"note": pad.task["note"], "kept": len(pad.drawings)}))
"""


def other_kernel(path):
    done = subprocess.run([sys.executable, "-c", OTHER_KERNEL, str(path)], capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


def test_two_notebooks_on_one_file_lose_no_drawing(tmp_path):
    """The first pad holds the file while it collects; a pad in another kernel says the file
    is in use and keeps its drawings in memory, instead of writing over the first's."""
    path = tmp_path / "my_digits.npz"
    first = pads.CollectingPad(path, per_digit=5)
    for _ in range(3):
        draw(first, *ONE)
        press(first, "keep")
    second = other_kernel(path)
    assert "in use by another notebook" in second["note"] and second["kept"] == 2
    assert len(drawings.load(path)) == 3  # the first's, untouched
    draw(first, *ONE)
    press(first, "keep")
    assert len(drawings.load(path)) == 4
    first.close()  # the first notebook is done: the file is free again
    third = other_kernel(path)
    assert "Saved 6 drawings" in third["note"] and len(drawings.load(path)) == 6


def test_a_pad_made_again_in_the_same_notebook_takes_over_the_file(tmp_path):
    path = tmp_path / "my_digits.npz"
    old = pads.CollectingPad(path, per_digit=5)
    new = pads.CollectingPad(path, per_digit=5)  # the cell run again
    draw(new, *ONE)
    press(new, "keep")
    draw(old, *ONE)
    press(old, "keep")
    assert "a newer pad in this notebook" in old.task["note"] and len(old.drawings) == 1
    assert len(drawings.load(path)) == 1  # the new pad's, not written over


def test_a_pad_saves_from_the_thread_the_kernel_calls_it_on(tmp_path):
    """A kernel may run the widget's button callback on another thread than the cell that made
    the pad: the file is still the pad's own, and the save goes through."""
    import threading

    pad = pads.CollectingPad(tmp_path / "my_digits.npz", per_digit=1)
    draw(pad, *ONE)
    keeper = threading.Thread(target=press, args=(pad, "keep"))
    keeper.start()
    keeper.join()
    assert pad.task["note"] == "Saved 1 drawing to my_digits.npz."
