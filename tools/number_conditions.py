"""The conditions numbers are pictured under, for `tools.number_grid` (numbers of MNIST digits
written on pages by `tools.number_pages`): a hard shadow across the page, a dark object at an
edge, a printed form around it, lined or squared paper, digits touching in pairs, wide or tight
spacing, a slanted baseline, the photo turned, a decimal point, a minus sign, low light sent as
a JPEG, specks nearby, a phone's EXIF rotation, uneven light, a blur, a small number on a big
page, chalk on a board, wide gaps, mixed sizes, a small number in shadow, a 12 MP photo, a
1-pixel pencil in a paint program, and the same digits set in handwriting fonts
(`CONDITIONS`); and the numbers the grid reads.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import numpy as np
from PIL import Image, ImageDraw, ImageFont
from scipy import ndimage

from tools.handwriting import FONTS, VALIDATION_FONTS, font_digits
from tools.number_pages import HEIGHT, PAPER, SCALE, SIZES, page, pencil, photo, write

Picture = np.ndarray | Image.Image | bytes
Condition = Callable[[np.ndarray, np.ndarray, np.random.Generator], tuple[Picture, str]]


def plain(**style) -> Condition:
    """Written with `style` (see `write`), photographed evenly lit."""
    def render(digits, labels, rng):
        written = write(digits, labels, rng, **style)
        sheet, _ = page(written, rng)
        return photo(sheet), written.text
    return render


def shadow(digits, labels, rng):
    """A hard shadow (a hand, a phone held above) across the page and through the number."""
    written = write(digits, labels, rng)
    sheet, (t, le, b, r) = page(written, rng)
    yy, xx = np.mgrid[:sheet.shape[0], :sheet.shape[1]]
    cx, cy = rng.uniform(le, r), rng.uniform(t, b)
    theta = rng.uniform(0, np.pi)
    dark = (xx - cx) * np.cos(theta) + (yy - cy) * np.sin(theta) > 0
    return photo(sheet) * np.where(dark, rng.uniform(0.35, 0.55), 1.0), written.text


def dark_object(digits, labels, rng):
    """A dark object (a phone, a sleeve) reaching in from one edge, clear of the number."""
    written = write(digits, labels, rng)
    sheet, (t, le, b, r) = page(written, rng, margin=(1.2, 2.0))
    picture = photo(sheet)
    side = rng.integers(4)
    yy, xx = np.mgrid[:sheet.shape[0], :sheet.shape[1]]
    reach = rng.uniform(0.3, 0.8)
    inside = [xx < reach * le, xx > r + (1 - reach) * (sheet.shape[1] - r),
              yy < reach * t, yy > b + (1 - reach) * (sheet.shape[0] - b)][side]
    along = [yy, yy, xx, xx][side]
    span = sheet.shape[0] if side < 2 else sheet.shape[1]
    a, z = sorted(rng.uniform(0, span, 2))
    inside &= (along > a - 0.3 * span) & (along < z + 0.3 * span)
    inside = ndimage.gaussian_filter(inside.astype(np.float32), 2)  # a rounded, soft edge
    return picture * (1 - inside) + rng.uniform(0.05, 0.2) * inside, written.text


def _font(size: int):
    for name in ("DejaVuSans.ttf", "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"):
        try:
            return ImageFont.truetype(name, size)
        except OSError:
            continue
    return ImageFont.load_default(size)


LABELS = ["Amount:", "Tel.", "Date", "Total", "No."]


def printed_form(digits, labels, rng):
    """A printed form: a label beside the number, a box around it, a line of small print
    under it."""
    written = write(digits, labels, rng)
    sheet, (t, le, b, r) = page(written, rng, margin=(1.0, 1.6))
    label_width = int(2.2 * HEIGHT)
    picture = Image.fromarray((photo(np.pad(sheet, ((0, 0), (label_width, 0)))) * 255)
                              .astype(np.uint8))
    le, r = le + label_width, r + label_width
    pen = ImageDraw.Draw(picture)
    pad = int(0.3 * HEIGHT)
    pen.rectangle([le - pad, t - pad, r + pad, b + pad], outline=40, width=2)
    font = _font(int(0.4 * HEIGHT))
    pen.text((int(0.2 * HEIGHT), (t + b) // 2), str(rng.choice(LABELS)), fill=20, font=font,
             anchor="lm")
    pen.text((le - pad, b + pad + int(0.25 * HEIGHT)), "Please write clearly, one digit each.",
             fill=30, font=_font(int(0.28 * HEIGHT)), anchor="lt")
    return picture, written.text


def lined(digits, labels, rng):
    """Ruled paper: grey lines across the page, 0.8 digit heights apart, through the digits."""
    written = write(digits, labels, rng)
    sheet, _ = page(written, rng)
    picture = photo(sheet)
    lines = np.ones_like(picture)
    lines[int(rng.integers(0, int(0.8 * HEIGHT)))::int(0.8 * HEIGHT)] = 0.6
    lines = np.minimum(lines, np.roll(lines, 1, axis=0))  # two pixels thick
    return np.minimum(picture, lines * PAPER + (1 - PAPER) * 0), written.text


def squared(digits, labels, rng):
    """Squared paper: a light grid of 5 mm squares, about half a digit's height."""
    written = write(digits, labels, rng)
    sheet, _ = page(written, rng)
    picture = photo(sheet)
    step = int(0.45 * HEIGHT)
    y0, x0 = rng.integers(0, step, 2)
    grid = np.full_like(picture, PAPER)
    grid[y0::step] = grid[:, x0::step] = 0.7
    return np.minimum(picture, grid), written.text


def rotated(digits, labels, rng):
    """The whole photo turned by up to 30 degrees either way."""
    written = write(digits, labels, rng)
    sheet, _ = page(written, rng, margin=(1.0, 1.6))
    ink = ndimage.rotate(sheet, rng.uniform(-30, 30), reshape=True, order=1)
    return photo(np.clip(ink, 0, 1)), written.text


def low_light_jpeg(digits, labels, rng):
    """A dim room (paper at a third of its light, sensor noise) sent as a JPEG at quality 30."""
    written = write(digits, labels, rng)
    sheet, _ = page(written, rng)
    picture = photo(sheet, paper=0.33, pen=0.08) + rng.normal(0, 0.025, sheet.shape)
    buffer = io.BytesIO()
    Image.fromarray((np.clip(picture, 0, 1) * 255).astype(np.uint8)).save(buffer, "JPEG",
                                                                          quality=30)
    return Image.open(buffer), written.text


def specks(digits, labels, rng):
    """One or two specks (crumbs, a pen's blot) near the number, outside its box."""
    written = write(digits, labels, rng)
    sheet, (t, le, b, r) = page(written, rng, margin=(1.0, 1.6))
    yy, xx = np.mgrid[:sheet.shape[0], :sheet.shape[1]]
    for _ in range(rng.integers(1, 3)):
        side = rng.integers(4)
        away = rng.uniform(0.25, 0.8) * HEIGHT
        cy = [rng.uniform(t, b), rng.uniform(t, b), t - away, b + away][side]
        cx = [le - away, r + away, rng.uniform(le, r), rng.uniform(le, r)][side]
        sheet[(yy - cy) ** 2 + (xx - cx) ** 2 <= rng.uniform(3, 7) ** 2] = 1
    return photo(sheet), written.text


def exif_rotated(digits, labels, rng):
    """A phone photo held sideways: pixels stored turned, EXIF orientation 6 says "turn me"."""
    written = write(digits, labels, rng)
    sheet, _ = page(written, rng)
    stored = Image.fromarray((photo(sheet) * 255).astype(np.uint8)).transpose(
        Image.Transpose.ROTATE_90)
    exif = Image.Exif()
    exif[0x0112] = 6
    buffer = io.BytesIO()
    stored.save(buffer, "JPEG", quality=90, exif=exif)
    return buffer.getvalue(), written.text


def uneven_light(digits, labels, rng):
    """Light falling off across the page to less than half."""
    written = write(digits, labels, rng)
    sheet, _ = page(written, rng)
    ramp = np.linspace(1, rng.uniform(0.35, 0.5), sheet.shape[1])[None, :]
    return photo(sheet) * (ramp if rng.random() < 0.5 else ramp[:, ::-1]), written.text


def small_on_page(digits, labels, rng):
    """A small number on a big page: margins of 3 to 8 digit heights all round."""
    written = write(digits, labels, rng)
    sheet, _ = page(written, rng, margin=(3.0, 8.0))
    return photo(sheet), written.text


def chalk(digits, labels, rng):
    """Chalk on a blackboard: light strokes on dark green-grey."""
    written = write(digits, labels, rng)
    sheet, _ = page(written, rng)
    return photo(sheet, paper=0.22, pen=0.85), written.text


def out_of_focus(digits, labels, rng):
    """Focused on the table, not the page: a Gaussian blur of 2.5 pixels."""
    written = write(digits, labels, rng)
    sheet, _ = page(written, rng)
    return ndimage.gaussian_filter(photo(sheet), 2.5), written.text


def mixed_sizes(digits, labels, rng):
    """Digits of mixed sizes, the largest up to three times the smallest, on one baseline."""
    return plain(sizes=np.exp(rng.uniform(*np.log(SIZES), len(digits))))(
        digits, labels, rng)


def wide_gaps(digits, labels, rng):
    """Digits 2 to 5 digit heights apart (the same gap along the number)."""
    return plain(gap=rng.uniform(2, 5))(digits, labels, rng)


def small_in_shadow(digits, labels, rng):
    """A small number on a big page, a hard shadow across it."""
    written = write(digits, labels, rng)
    sheet, (t, le, b, r) = page(written, rng, margin=(3.0, 8.0))
    yy, xx = np.mgrid[:sheet.shape[0], :sheet.shape[1]]
    cx, cy, theta = rng.uniform(le, r), rng.uniform(t, b), rng.uniform(0, np.pi)
    dark = (xx - cx) * np.cos(theta) + (yy - cy) * np.sin(theta) > 0
    return photo(sheet) * np.where(dark, rng.uniform(0.35, 0.55), 1.0), written.text


def phone_photo(digits, labels, rng):
    """A 12 MP phone photo (4,000 x 3,000, JPEG at quality 90) of a page with the number on it."""
    written = write(digits, labels, rng)
    sheet, _ = page(written, rng, margin=(1.0, 3.0))
    scale = min(4000 / sheet.shape[1], 3000 / sheet.shape[0])
    big = Image.fromarray((photo(sheet) * 255).astype(np.uint8)).resize(
        (round(sheet.shape[1] * scale), round(sheet.shape[0] * scale)), Image.Resampling.BICUBIC)
    canvas = Image.new("L", (4000, 3000), round(PAPER * 255))
    canvas.paste(big, ((4000 - big.width) // 2, (3000 - big.height) // 2))
    buffer = io.BytesIO()
    canvas.save(buffer, "JPEG", quality=90)
    return buffer.getvalue(), written.text


def thin_pen(digits, labels, rng):
    """Drawn in a paint program with a 1-pixel pencil, digits one to three times the usual
    height: black lines one pixel wide on white, saved as it is (no photo)."""
    written = write(digits, labels, rng)
    sheet, _ = page(written, rng)
    return pencil(sheet, rng), written.text


class Drawn(NamedTuple):
    """A condition that pictures MNIST's digits in a way that changes them (`page`), with
    `alone`: each digit so drawn on its own (digits, rng -> MNIST-like fields). What the digit
    model can read of its numbers is what it reads of those, not of MNIST's."""

    page: Condition
    alone: Callable[[np.ndarray, np.random.Generator], np.ndarray]

    def __call__(self, digits, labels, rng):
        return self.page(digits, labels, rng)


def pencil_alone(digits, rng):
    """Each digit as a 1-pixel pencil draws it (`pencil`: its middle line, one to three times
    the page's size), alone, through plain `predict`'s preprocessing. A pencil line keeps no
    filled loop: a fat 8's upper loop, drawn as one stroke, is a 6's."""
    from digitlab import preprocess

    fields = []
    for digit in digits:
        ink = np.asarray(Image.fromarray(np.pad(digit, 4)).resize(
            (36 * SCALE, 36 * SCALE), Image.Resampling.BICUBIC), np.float32) / 255
        fields.append(np.round(preprocess.preprocess(pencil(ink, rng)) * 255).astype(np.uint8))
    return np.stack(fields)


class Redrawn(NamedTuple):
    """A condition that writes the digits anew in another hand (`hand`: digits, labels, rng ->
    MNIST-like fields) before `page` pictures them: what the digit model can read of its
    numbers is what it reads of the new digits, not of MNIST's."""

    hand: Callable[[np.ndarray, np.ndarray, np.random.Generator], np.ndarray]
    page: Condition

    def __call__(self, digits, labels, rng):
        return self.page(self.hand(digits, labels, rng), labels, rng)


def in_fonts(fonts: dict[str, list[str]]) -> Redrawn:
    """A second hand: the same digits set in one of `fonts` (handwriting fonts), each digit
    drawn anew in size, position, slant and stroke width, as MNIST-like fields."""
    from digitlab import preprocess

    def hand(digits, labels, rng):
        paths = [p for ps in fonts.values() for p in ps if Path(p).is_file()]
        if not paths:
            raise FileNotFoundError(f"no handwriting font installed: apt-get install "
                                    f"{' '.join(fonts)}")
        one = {"font": [str(rng.choice(paths))]}
        drawn = [font_digits(rng, 1, one, [int(y)])[0][0] for y in labels]
        return np.stack([np.round(preprocess.preprocess(d) * 255).astype(np.uint8)
                         for d in drawn])
    return Redrawn(hand, plain())


CONDITIONS: dict[str, Condition] = {
    "clean page": plain(),
    "hard shadow across": shadow,
    "dark object at an edge": dark_object,
    "printed form and box": printed_form,
    "lined paper": lined,
    "squared paper": squared,
    "digits touching in pairs": plain(touching=True),
    "wide spacing": plain(gap=0.9),
    "tight spacing": plain(gap=0.06),
    "slanted baseline ±10°": lambda d, y, rng: plain(slant=rng.uniform(-10, 10))(d, y, rng),
    "photo turned ±30°": rotated,
    "decimal point": lambda d, y, rng: plain(  # between two digits, where there are two
        point=int(rng.integers(1, len(d))) if len(d) > 1 else None)(d, y, rng),
    "minus sign": plain(minus=True),
    "low light, JPEG 30": low_light_jpeg,
    "specks nearby": specks,
    "EXIF orientation 6": exif_rotated,
    "uneven light": uneven_light,
    "out of focus": out_of_focus,
    "small on a big page": small_on_page,
    "chalk on a board": chalk,
    "gaps of 2-5 digit heights": wide_gaps,
    "mixed sizes, up to 3 times": mixed_sizes,
    "small, shadowed, on a big page": small_in_shadow,
    "12 MP phone photo": phone_photo,
    "1-px pencil, paint program": Drawn(thin_pen, pencil_alone),
    "handwriting fonts": in_fonts(FONTS),
}


def conditions(split: str) -> dict[str, Condition]:
    """The grid for `split`: numbers of validation digits are set in the validation fonts,
    never in the fonts the report measures."""
    return CONDITIONS | ({"handwriting fonts": in_fonts(VALIDATION_FONTS)}
                         if split == "validation" else {})


def numbers(digits: np.ndarray, labels: np.ndarray, count: int, seed: int = 0,
            lengths: tuple[int, int] = (2, 10)):
    """`count` numbers of `lengths` (fewest, most) digits, drawn without repeating a digit
    until all are used."""
    rng = np.random.default_rng(seed)
    order, at = rng.permutation(len(digits)), 0
    for _ in range(count):
        n = int(rng.integers(lengths[0], lengths[1] + 1))
        if at + n > len(order):
            order, at = rng.permutation(len(digits)), 0
        chosen = order[at:at + n]
        at += n
        yield digits[chosen], labels[chosen]
