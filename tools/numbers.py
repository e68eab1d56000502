"""`python -m tools.numbers`: whole numbers of MNIST digits, pictured the ways numbers are.

Each number is 2 to 10 MNIST digits written in a row on a page, then pictured under one
condition: a hard shadow across the page, a dark object at an edge, a printed form around it,
lined or squared paper, digits touching in pairs, wide or tight spacing, a slanted baseline, the
photo turned, a decimal point, a minus sign, low light sent as a JPEG, specks nearby, a phone's
EXIF rotation, uneven light, a blur, a small number on a big page, chalk on a board.
`digitlab.numbers.read` reads every picture; per condition the table gives the share of numbers
read exactly, the share of digits read right, the share answered with "?" and the share read
wrong with confidence 90% or more (the worst outcome).

The reader is tuned on numbers made of the 5,000 validation digits (`--split validation`); the
`docs/results.md` reports numbers made of the test digits, which tuning never sees.
"""

from __future__ import annotations

import argparse
import difflib
import functools
import io
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont
from scipy import ndimage

from tools.conditions import on_paper, split_digits

PAPER, PEN = 0.94, 0.12
SCALE = 3  # page pixels per MNIST pixel: digits about 60 pixels tall
HEIGHT = 20 * SCALE  # a digit's height on the page
FLOOR, MEAN_FLOOR, WRONG_CEILING = 0.95, 0.97, 0.005  # every condition, their mean, sure & wrong
CONFIDENT = 0.9


@dataclass
class Written:
    """A number written on a page: the ink, the text it says, and its box (top, left, bottom,
    right) on the page."""

    ink: np.ndarray
    text: str
    box: tuple[int, int, int, int]


def _columns(digit: np.ndarray) -> np.ndarray:
    """The digit's 28-row field cut to its inked columns, scaled to the page, as ink in [0, 1]."""
    cols = np.flatnonzero((digit > 30).any(axis=0))
    field = digit[:, cols.min():cols.max() + 1]
    image = Image.fromarray(field).resize((field.shape[1] * SCALE, 28 * SCALE),
                                          Image.Resampling.BICUBIC)
    return np.clip(np.asarray(image, np.float32) / 255, 0, 1)


def _touching(left: np.ndarray, right: np.ndarray) -> int:
    """How far right of `left` to put `right` so that their inks just overlap, by two pixels,
    in the row where they come closest."""
    ends = [np.flatnonzero(row > 0.3).max(initial=-10**6) for row in left]
    starts = [np.flatnonzero(row > 0.3).min(initial=10**6) for row in right]
    return int(max(e - s for e, s in zip(ends, starts, strict=True) if e >= 0 and s < 10**6)) - 1


def write(digits: np.ndarray, labels, rng: np.random.Generator, gap: float = 0.25,
          touching: bool = False, slant: float = 0.0, point: int | None = None,
          minus: bool = False) -> Written:
    """Write `digits` in a row: `gap` digit heights apart (jittered), or pairs `touching`, the
    baseline rising by `slant` degrees, with a decimal point before digit `point` or a leading
    minus sign."""
    glyphs = [_columns(d) for d in digits]
    text = [str(int(label)) for label in labels]
    stroke = 2 * SCALE
    lefts, x = [], 0
    at = -1 if point is None else point
    dot_x = None
    if minus:
        x = int(0.55 * HEIGHT) + int(0.3 * HEIGHT)  # the bar, then a gap
    for i, glyph in enumerate(glyphs):
        if i == at:
            dot_x = x + int(0.05 * HEIGHT)
            x = dot_x + stroke + int(0.12 * HEIGHT)
        lefts.append(x)
        x += glyph.shape[1] + int((gap + rng.uniform(-0.05, 0.05)) * HEIGHT)
        if touching and i % 2 == 0 and i + 1 < len(glyphs):  # the next one moved until the
            x = lefts[-1] + _touching(glyph, glyphs[i + 1])  # two strokes meet
    width, rise = x + glyphs[-1].shape[1], np.tan(np.radians(slant))
    extra = int(abs(rise) * width) + 1
    ink = np.zeros((28 * SCALE + extra, width), np.float32)
    for left, glyph in zip(lefts, glyphs, strict=True):
        top = int(extra - rise * left) if rise > 0 else int(-rise * left)
        region = ink[top:top + glyph.shape[0], left:left + glyph.shape[1]]
        np.maximum(region, glyph[:region.shape[0], :region.shape[1]], out=region)
    yy, xx = np.mgrid[:ink.shape[0], :ink.shape[1]]
    base = 24 * SCALE  # MNIST digits end about row 24 of their field
    if dot_x is not None:
        cy = base + (extra - rise * dot_x if rise > 0 else -rise * dot_x)
        ink[(yy - cy) ** 2 + (xx - dot_x - stroke / 2) ** 2 <= (0.7 * stroke) ** 2] = 1
        text.insert(at, ".")
    if minus:
        cy = 14 * SCALE + (extra if rise > 0 else 0)
        ink[int(cy - stroke / 2):int(cy + stroke / 2), :int(0.55 * HEIGHT)] = 1
        text.insert(0, "-")
    rows, cols = np.nonzero(ink > 0.2)
    return Written(ink, "".join(text), (rows.min(), cols.min(), rows.max() + 1, cols.max() + 1))


def page(written: Written, rng: np.random.Generator, margin: tuple = (0.5, 1.6)
         ) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """The number's ink on a sheet with margins of `margin` digit heights (random within), as
    ink in [0, 1]; and the number's box on it."""
    top, bottom, left, right = (int(rng.uniform(*margin) * HEIGHT) for _ in range(4))
    sheet = np.pad(written.ink, ((top, bottom), (left, right)))
    t, le, b, r = written.box
    return sheet, (t + top, le + left, b + top, r + left)


# Ink on paper, as grey levels in [0, 1]: the capture conditions' own, with this grid's paper
# and pen.
photo = functools.partial(on_paper, paper=PAPER, pen=PEN)


# -------------------------------------------------------------------------- conditions

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
    "decimal point": lambda d, y, rng: plain(point=int(rng.integers(1, len(d))))(d, y, rng),
    "minus sign": plain(minus=True),
    "low light, JPEG 30": low_light_jpeg,
    "specks nearby": specks,
    "EXIF orientation 6": exif_rotated,
    "uneven light": uneven_light,
    "out of focus": out_of_focus,
    "small on a big page": small_on_page,
    "chalk on a board": chalk,
}


# ------------------------------------------------------------------------------ measuring


def numbers(digits: np.ndarray, labels: np.ndarray, count: int, seed: int = 0):
    """`count` numbers of 2 to 10 digits, drawn without repeating a digit until all are used."""
    rng = np.random.default_rng(seed)
    order, at = rng.permutation(len(digits)), 0
    for _ in range(count):
        n = int(rng.integers(2, 11))
        if at + n > len(order):
            order, at = rng.permutation(len(digits)), 0
        chosen = order[at:at + n]
        at += n
        yield digits[chosen], labels[chosen]


def digit_share(read: str, truth: str) -> float:
    """The share of the true number's characters read right, in order."""
    matcher = difflib.SequenceMatcher(None, read, truth, autojunk=False)
    return sum(block.size for block in matcher.get_matching_blocks()) / len(truth)


def measure(model, digits, labels, count: int, conditions: dict[str, Condition] = CONDITIONS,
            seed: int = 0, min_confidence: float | None = None) -> list[dict]:
    """Per condition: exact numbers, digits right, numbers with a "?", and numbers read wrong
    with confidence of at least 90%."""
    from tqdm.auto import tqdm

    from digitlab import numbers as reader
    from digitlab.preprocess import NoDigitFound

    sure = reader.MIN_CONFIDENCE if min_confidence is None else min_confidence
    rows = []
    for name, render in tqdm(conditions.items(), desc="conditions", unit="condition"):
        rng = np.random.default_rng(seed)
        exact = share = unsure = wrong = 0
        for ds, ys in numbers(digits, labels, count, seed):
            picture, truth = render(ds, ys, rng)
            try:
                got = reader.read(model, picture, min_confidence=sure)
                text, confidence = got.text, got.confidence
            except NoDigitFound:
                text, confidence = "", 0.0
            exact += text == truth
            share += digit_share(text, truth)
            unsure += "?" in text
            wrong += text != truth and "?" not in text and confidence >= CONFIDENT
        rows.append({"condition": name, "numbers": count, "exact": exact / count,
                     "digits": share / count, "unsure": unsure / count,
                     "confidently_wrong": wrong / count})
    return rows


def ceiling(model, digits, labels, count: int, seed: int = 0,
            min_confidence: float | None = None) -> tuple[float, float]:
    """The shares of the grid's numbers whose every digit the model reads right and surely
    enough not to answer "?", and right at all, when it reads each digit alone as MNIST gives it
    (no page, no photo, no cutting, the reader's second look included): a photo and a cut
    seldom make a digit easier to read, so about the most any condition can read exactly, with
    this threshold for "?" and with none."""
    from digitlab import data, predict
    from digitlab import numbers as reader

    sure = reader.MIN_CONFIDENCE if min_confidence is None else min_confidence
    right = surely = 0
    for ds, ys in numbers(digits, labels, count, seed):
        read = reader.second_look(model, [(p, None, 1.0) for p in predict.classify(
            model, data.scale(ds))])
        hits = [int(probs.argmax()) == y for (probs, _, _), y in zip(read, ys, strict=True)]
        right += all(hits)
        surely += all(hits) and min(confidence for _, _, confidence in read) >= sure
    return surely / count, right / count


def examples(model, digits, labels, conditions: dict[str, Condition] = CONDITIONS, seed: int = 0):
    """A figure of one number under every condition, with the boxes the reader found."""
    import matplotlib.pyplot as plt

    from digitlab import numbers as reader
    from digitlab.pictures import grey_image
    from digitlab.plots import boxes
    from digitlab.preprocess import NoDigitFound

    ds, ys = next(numbers(digits, labels, 1, seed))
    columns = 3
    rows = -(-len(conditions) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(5 * columns, 1.9 * rows))
    for ax in axes.ravel():
        ax.axis("off")
    for ax, (name, render) in zip(axes.ravel(), conditions.items(), strict=False):
        picture, truth = render(ds, ys, np.random.default_rng(seed))
        upright = grey_image(picture, side=10_000)  # as the reader sees it, at full size
        try:
            got = reader.read(model, picture)
            said, found, chars = got.text, [g.box for g in got.glyphs], got.text
        except NoDigitFound:
            said, found, chars = "(nothing found)", [], None
        boxes(ax, upright, found, chars, f"{name}: {said}"
              + ("" if said == truth else f" (is {truth})"))
        ax.title.set_fontsize(9)
    fig.suptitle("One number of MNIST digits under every condition, with the boxes "
                 "digitlab.numbers found (orange: answered ?)")
    fig.tight_layout()
    return fig


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m tools.numbers", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--split", choices=["test", "validation"], default="validation",
                   help="numbers of the validation digits (to tune on, the default) or of the "
                        "test digits (to report, once)")
    p.add_argument("--count", type=int, default=200, help="numbers per condition (default 200)")
    p.add_argument("--only", nargs="+", choices=list(CONDITIONS), metavar="CONDITION",
                   help="just these conditions")
    p.add_argument("--min-confidence", type=float, default=None,
                   help="try another threshold for '?' (default: digitlab.numbers')")
    p.add_argument("--json", type=Path, default=None,
                   help="default: bench-results/numbers-SPLIT.json")
    p.add_argument("--figure", type=Path, default=None,
                   help="also save a picture of one number under every condition here")
    args = p.parse_args(argv)
    from digitlab import pretrained

    digits, labels = split_digits(args.split)
    model = pretrained.load()
    chosen = {k: CONDITIONS[k] for k in args.only} if args.only else CONDITIONS
    start = time.perf_counter()
    rows = measure(model, digits, labels, args.count, chosen,
                   min_confidence=args.min_confidence)
    print(f"{args.count} numbers of 2-10 {args.split} digits per condition, "
          f"{time.perf_counter() - start:.0f} s\n")
    print("| condition | exact numbers | digits right | answered ? | wrong, ≥ 90% sure |")
    print("|---|---|---|---|---|")
    for row in rows:
        print(f"| {row['condition']} | {row['exact']:.1%} | {row['digits']:.1%} "
              f"| {row['unsure']:.1%} | {row['confidently_wrong']:.1%} |")
    mean = float(np.mean([row["exact"] for row in rows]))
    print(f"| **mean** | **{mean:.1%}** | | | |")
    best, unasked = ceiling(model, digits, labels, args.count,
                            min_confidence=args.min_confidence)
    print(f"\nthe digit model's ceiling, each digit read alone as MNIST gives it: {best:.1%} of "
          f"these numbers read with every digit right and sure, {unasked:.1%} with every digit "
          "right if no digit were ever answered ?")
    missed = [row["condition"] for row in rows
              if row["exact"] < FLOOR or row["confidently_wrong"] > WRONG_CEILING]
    met = not missed and mean >= MEAN_FLOOR
    print(f"\nfloors ({FLOOR:.0%} exact each, mean {MEAN_FLOOR:.0%}, at most "
          f"{WRONG_CEILING:.1%} confidently wrong): "
          f"{'met' if met else 'missed: ' + ', '.join(missed or ['mean'])}")
    out = args.json or Path(f"bench-results/numbers-{args.split}.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"date": time.strftime("%Y-%m-%d"), "split": args.split,
                               "count": args.count, "rows": rows, "mean": mean,
                               "ceiling": best, "ceiling_without_question_marks": unasked,
                               "floors_met": met}, indent=2))
    if args.figure:
        examples(model, digits, labels, chosen).savefig(args.figure, dpi=70)
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
