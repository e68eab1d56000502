"""digitlab.preprocess on synthetic pictures: every kind of input, every nuisance, every failure."""

import warnings

import numpy as np
import pytest
from helpers import REAL_DATA, SIZE, draw, needs_real_mnist
from PIL import Image, ImageDraw
from scipy import ndimage

from digitlab import pictures
from digitlab import preprocess as pp
from digitlab.pictures import ImageError
from digitlab.preprocess import NoDigitFound


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.corrcoef(a.ravel(), b.ravel())[0, 1])


@pytest.fixture(scope="module")
def reference():
    return {d: pp.preprocess(draw(d)) for d in "017"}


@pytest.mark.parametrize("digit", list("017"))
def test_result_is_shaped_like_mnist(reference, digit):
    out = reference[digit]
    assert out.shape == (28, 28) and out.dtype == np.float32
    assert out.min() >= 0 and out.max() == pytest.approx(1)
    rows, cols = np.nonzero(out > 0.1)
    assert max(np.ptp(rows), np.ptp(cols)) + 1 in (20, 21, 22)  # 20 px, plus anti-aliased edges
    cy, cx = ndimage.center_of_mass(out)
    assert abs(cy - 14) < 0.6 and abs(cx - 14) < 0.6


def close_to(reference, digit, picture, floor=0.9):
    got = pp.preprocess(picture)
    assert similarity(got, reference[digit]) > floor, similarity(got, reference[digit])


@pytest.mark.parametrize("digit", list("017"))
def test_light_ink_on_dark_paper(reference, digit):
    close_to(reference, digit, draw(digit, ink=250, paper=20))


def test_blue_ink_on_tinted_paper(reference):
    close_to(reference, "7", draw("7", ink=(30, 50, 160), paper=(240, 225, 180), mode="RGB"))


@pytest.mark.parametrize("ink", [(0, 0, 0, 255), (255, 255, 255, 255)])
def test_transparent_background_is_composited_not_dropped(reference, ink):
    close_to(reference, "0", draw("0", ink=ink, paper=(0, 0, 0, 0), mode="RGBA"))


def test_palette_image(reference):
    close_to(reference, "1", draw("1").convert("P"))


def test_sixteen_bit_image_and_array(reference):
    sixteen = (np.asarray(draw("7"), np.uint16) * 257)
    close_to(reference, "7", sixteen)
    image = Image.fromarray(sixteen)
    assert image.mode.startswith("I;16")
    close_to(reference, "7", image)


def test_float_and_bool_arrays(reference):
    close_to(reference, "0", np.asarray(draw("0"), np.float32) / 255)
    close_to(reference, "0", np.asarray(draw("0")) < 128)


def test_arrays_of_any_number_type_follow_the_files_rule(reference):
    """Integers that fit 0-255 are 8-bit whatever their type (`np.array` of Python ints is
    int64), floats beyond 0-1 are scaled by their largest: all read as the uint8 picture."""
    eight = np.asarray(draw("0"))
    for a in (eight.astype(np.int64), eight.astype(np.uint16), eight.astype(np.float64)):
        close_to(reference, "0", a)


def test_exif_rotated_photo(reference, tmp_path):
    stored = draw("7").rotate(90, expand=True)  # how the sensor stored it...
    exif = Image.Exif()
    exif[0x0112] = 6  # ...and the tag that says "turn me 90 degrees clockwise to view"
    path = tmp_path / "phone.jpg"
    stored.save(path, exif=exif, quality=95)
    close_to(reference, "7", path)


def gradient(size=SIZE, low=0.35):
    """Light falling off across the page, with a soft shadow in one corner."""
    ramp = np.linspace(low, 1.0, size)[None, :] * np.ones((size, 1))
    yy, xx = np.mgrid[:size, :size]
    shadow = 1 - 0.3 * np.exp(-((yy - size) ** 2 + (xx - size) ** 2) / (2 * (size / 3) ** 2))
    return ramp * shadow


def test_uneven_lighting_and_shadow(reference):
    photo = np.asarray(draw("0"), np.float32) / 255 * gradient()
    close_to(reference, "0", photo)


def test_faint_pencil(reference):
    close_to(reference, "1", draw("1", ink=205, paper=235))


def test_faint_thin_strokes_are_widened_as_dark_ones_are():
    """A 1-pixel pencil line on a big page, shrunk to the number reader's working size, holds a
    quarter of black or less: strokes were widened only where ink passed a quarter of black, so
    the one-digit network saw a lone 0 in hair-thin strokes, called it no whole digit, and the
    reader cut it in two (`1?`)."""
    ring = np.zeros((60, 60), np.float32)
    yy, xx = np.mgrid[:60, :60]
    ring[np.abs(np.hypot(yy - 30, xx - 30) - 25) < 0.6] = 1  # a circle one pixel wide
    dark = pp.thicken(ring, 20 / 60)
    assert (dark > 0).sum() > 2 * (ring > 0).sum()  # widened
    for faint in (0.2, 0.1):
        assert np.array_equal(pp.thicken(faint * ring, 20 / 60) > 0, dark > 0), faint


def test_specks_are_ignored(reference):
    image = np.asarray(draw("7"), np.float32) / 255
    rng = np.random.default_rng(0)
    for y, x in rng.integers(5, SIZE - 5, (25, 2)):
        image[y:y + 3, x:x + 3] = 0.2
    close_to(reference, "7", image)


def test_ruled_lines_are_removed(reference):
    image = np.asarray(draw("0"), np.float32) / 255
    image[20::45, :] = 0.55
    image[21::45, :] = 0.55
    close_to(reference, "0", image, floor=0.85)


def test_a_ruled_line_along_a_stroke_is_removed(reference):
    image = np.asarray(draw("7"), np.float32) / 255  # the 7's bar fills rows 41 to 59
    image[38:41, :] = np.minimum(image[38:41, :], 0.55)  # a line resting on top of the bar
    close_to(reference, "7", image)


def test_a_digit_in_broken_strokes_keeps_every_piece(reference):
    """A pencil that skips leaves a digit in pieces; the digit is all of them, not its largest
    piece, which alone is another digit (taking it alone, a skipping pencil's 5 read `2`)."""
    broken = np.asarray(draw("7"), np.float32) / 255
    broken[:, 120:124] = broken[150:154, :] = broken[:, 170:173] = 1  # three gaps of paper
    close_to(reference, "7", broken)


def test_a_frame_around_the_digit_is_removed(reference):
    framed = draw("0")
    ImageDraw.Draw(framed).rectangle([8, 8, SIZE - 9, SIZE - 9], outline=0, width=3)
    close_to(reference, "0", framed)


def test_a_tight_crop_keeps_the_top_bar_of_a_seven(reference):
    tight = draw("7").crop((65, 38, 215, 252))  # the bar nearly touches both sides
    out = pp.preprocess(tight)
    rows = np.flatnonzero(out.max(axis=1) > 0.5)
    assert out[rows[0]:rows[0] + 3].sum() > 15  # a whole bar's worth of ink at the top
    assert similarity(out, reference["7"]) > 0.85


@pytest.mark.parametrize("picture", [
    np.full((200, 200), 0.9, np.float32),
    np.clip(0.9 + np.random.default_rng(1).normal(0, 0.02, (200, 200)), 0, 1),
    "only specks",
])
def test_blank_means_no_digit_found(picture):
    if isinstance(picture, str):
        picture = np.ones((200, 200), np.float32)
        picture[50:52, 60:62] = picture[140:142, 30:32] = 0
    with pytest.raises(NoDigitFound, match="no digit found"):
        pp.preprocess(picture)


def test_unreadable_inputs_give_clear_errors(tmp_path, monkeypatch):
    text = tmp_path / "notes.png"
    text.write_text("not a picture")
    with pytest.raises(ImageError, match="notes.png: not an image"):
        pp.preprocess(text)
    with pytest.raises(ImageError, match="no such file"):
        pp.preprocess(tmp_path / "missing.png")
    with pytest.raises(ImageError, match=r"shape \(3, 4, 5\) is not an image"):
        pp.preprocess(np.zeros((3, 4, 5)))
    monkeypatch.setattr(pictures, "MAX_PIXELS", 10_000)
    draw("1").save(tmp_path / "big.png")
    with pytest.raises(ImageError, match="280x280 pixels, more than 10,000"):
        pp.preprocess(tmp_path / "big.png")


def test_an_uploads_bytes_read_like_its_file(tmp_path):
    """Notebook 05's upload hands over the file's contents: the same reading, the same errors."""
    draw("7").save(tmp_path / "seven.png")
    contents = (tmp_path / "seven.png").read_bytes()
    np.testing.assert_array_equal(pp.preprocess(memoryview(contents)),
                                  pp.preprocess(tmp_path / "seven.png"))
    with pytest.raises(ImageError, match="the file: not an image this program can read"):
        pp.preprocess(b"GIF89a but not really")
    with pytest.raises(ImageError, match="damaged or cut short"):
        pp.preprocess(contents[:len(contents) // 2])


def test_postscript_never_reaches_an_interpreter(tmp_path, monkeypatch):
    """Pillow hands EPS to Ghostscript whatever the name: only raster formats may be opened."""
    from PIL import EpsImagePlugin

    def ghostscript(*args, **kwargs):
        raise AssertionError("Ghostscript was asked to run an untrusted file")

    monkeypatch.setattr(EpsImagePlugin, "Ghostscript", ghostscript)
    eps = tmp_path / "seven.png"
    eps.write_text("%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 28 28\nshowpage\n")
    with pytest.raises(ImageError, match="seven.png: not an image this program can read"):
        pp.preprocess(eps)


def test_steps_show_each_stage():
    steps = pp.preprocess(draw("0", size=600), return_steps=True)
    assert steps.grey.shape == (pp.WORK_SIDE, pp.WORK_SIDE)  # large pictures are scaled down
    assert steps.ink.shape == steps.cleaned.shape == steps.grey.shape
    assert steps.cropped.shape[0] < pp.WORK_SIDE and steps.digit.shape == (28, 28)


def test_naive_way_resizes_and_inverts():
    out = pp.naive(draw("1"))
    assert out.shape == (28, 28) and out.max() <= 1 and out[0, 0] == 0


@needs_real_mnist
def test_mnist_digits_photographed_come_back_as_mnist():
    """Real digits, enlarged and printed dark on unevenly lit paper, come back close to the
    originals; the naive way does not."""
    from digitlab import data

    _, (x_test, _) = data.load_mnist(REAL_DATA)
    ours, theirs = [], []
    for original in x_test[:40]:
        big = np.asarray(Image.fromarray(original).resize((280, 280), Image.Resampling.BILINEAR))
        photo = (1 - big / 255 * 0.8) * gradient()  # dark ink, light falling off
        target = original / 255
        ours.append(similarity(pp.preprocess(photo), target))
        theirs.append(similarity(pp.naive(photo), target))
    assert np.mean(ours) > 0.8 and np.mean(ours) > np.mean(theirs) + 0.2


def test_a_one_pixel_picture_is_blank_and_warns_of_nothing():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "Mean of empty slice" was printed here
        for size in ((1, 1), (1, 40), (40, 1)):
            with pytest.raises(NoDigitFound):
                pp.preprocess(Image.new("L", size, 0))


def test_a_one_pixel_wide_picture_with_a_darker_middle_is_blank_not_a_crash():
    column = np.full((3, 1), 255, np.uint8)
    column[1, 0] = 100  # gave ZeroDivisionError: the paper's shading took the whole contrast
    with pytest.raises(NoDigitFound):
        pp.preprocess(column)


def test_ink_from_edge_to_edge_everywhere_is_no_crash():
    """A 2933x41 band all ink (a user's noisy strip) crashed `predict` with a zero-size array:
    its only 'line' lost every column to the strokes above and below it. Now it is a digit or
    no digit, said plainly."""
    rng = np.random.default_rng(0)
    for shape in ((41, 2933), (2933, 41)):
        strip = np.clip(0.1 + rng.normal(0, 0.05, shape), 0, 1)
        strip[:, :3] = strip[:3] = 0.9  # a little paper along two edges
        try:
            assert pp.preprocess(strip).shape == (28, 28)
        except NoDigitFound:
            pass
