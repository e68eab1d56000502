"""The capture conditions: a 28x28 MNIST digit as a picture a student might hand in, each
condition one function of the digit and a random generator (`CONDITIONS`, by name).
`python -m tools.conditions` reads them all.
"""

from __future__ import annotations

import io
from collections.abc import Callable

import numpy as np
from PIL import Image
from scipy import ndimage

Picture = np.ndarray | Image.Image
Render = Callable[[np.ndarray, np.random.Generator], Picture]

PAPER, INK = 0.95, 0.1  # white paper, black ballpoint, as grey levels in [0, 1]


def enlarged(digit: np.ndarray, side: int = 280) -> np.ndarray:
    """The digit's 28x28 field scaled smoothly to side x side, as ink amounts in [0, 1]."""
    image = Image.fromarray(digit).resize((side, side), Image.Resampling.BICUBIC)
    return np.clip(np.asarray(image, np.float32) / 255, 0, 1)


def on_paper(ink: np.ndarray, paper: float | np.ndarray = PAPER, pen: float | np.ndarray = INK
             ) -> np.ndarray:
    """Ink amounts as a picture: paper where there is none, the pen's colour where there is.
    Grey levels or RGB colours (arrays of three) for paper and pen alike."""
    paper, pen = np.asarray(paper, np.float32), np.asarray(pen, np.float32)
    ink = ink[..., None] if paper.ndim or pen.ndim else ink
    return (paper + (pen - paper) * ink).astype(np.float32)


def tight_crop(digit: np.ndarray, rng=None) -> Image.Image:
    """Cut to the box of the ink (pixels over 30), black on white, enlarged 4x, pixelated: a
    crop edge to edge, or a data set whose digits fill their frame."""
    rows, cols = np.nonzero(digit > 30)
    box = 255 - digit[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
    return Image.fromarray(box).resize((box.shape[1] * 4, box.shape[0] * 4),
                                       Image.Resampling.NEAREST)


def thin_pen(width: int, side: int) -> Render:
    """The digit traced with a `width`-pixel pencil on a side x side canvas (a paint program)."""
    def render(digit, rng=None):
        from skimage.morphology import skeletonize

        strokes = skeletonize(enlarged(digit, side) > 0.5)
        if width > 1:
            strokes = ndimage.binary_dilation(strokes, np.ones((width, width)))
        return np.where(strokes, 0, 255).astype(np.uint8)
    return render


def faint(digit: np.ndarray, rng=None) -> np.ndarray:
    """Ink only 24 grey levels darker than white paper, at MNIST's own 28x28."""
    return (255 - np.round(digit / 255 * 24)).astype(np.uint8)


def white_on_black(digit: np.ndarray, rng=None) -> np.ndarray:
    """Chalk on a blackboard, or MNIST's own way round."""
    return on_paper(enlarged(digit), paper=0.05, pen=0.95)


def blue_on_yellow(digit: np.ndarray, rng=None) -> np.ndarray:
    """Blue ballpoint on a yellow sticky note, in colour."""
    return on_paper(enlarged(digit), paper=(0.96, 0.92, 0.62), pen=(0.12, 0.2, 0.65))


def tinted_paper(digit, rng):
    """Pastel paper of a random colour under a dark pen."""
    paper = 0.65 + 0.3 * rng.random(3)
    return on_paper(enlarged(digit), paper=paper, pen=paper * 0.2)


def small_on_page(digit, rng):
    """The digit an eighth of the height of a 900x1200 page, anywhere on it."""
    page = np.full((1200, 900), PAPER, np.float32)
    side = 150
    top, left = rng.integers(50, 1200 - side - 50), rng.integers(50, 900 - side - 50)
    page[top:top + side, left:left + side] = on_paper(enlarged(digit, side))
    return page


def off_centre(digit, rng):
    """A digit a third of the picture's size, in one of its corners."""
    ink = np.zeros((280, 280), np.float32)
    top, left = rng.choice([0, 186], 2)
    ink[top:top + 94, left:left + 94] = enlarged(digit, 94)
    return on_paper(ink)


def rotated(digit, rng):
    """Turned by 15 degrees, one way or the other."""
    ink = ndimage.rotate(enlarged(digit), rng.choice([-15, 15]), reshape=False, order=1)
    return on_paper(np.clip(ink, 0, 1))


def jpeg(digit: np.ndarray, rng=None, quality: int = 30) -> Image.Image:
    """Squeezed hard by JPEG, as a messaging app sends a photo."""
    buffer = io.BytesIO()
    Image.fromarray((on_paper(enlarged(digit)) * 255).astype(np.uint8)).save(
        buffer, "JPEG", quality=quality)
    return Image.open(buffer)


def shaky(digit, rng):
    """The blur of a phone that moved: a 15-pixel streak in a random direction."""
    kernel = np.zeros((15, 15), np.float32)
    kernel[7] = 1 / 15
    kernel = ndimage.rotate(kernel, rng.uniform(0, 180), reshape=False, order=1)
    return ndimage.convolve(on_paper(enlarged(digit)), kernel / kernel.sum(), mode="nearest")


def out_of_focus(digit: np.ndarray, rng=None) -> np.ndarray:
    """A phone that focused on the table: a Gaussian blur of 4 pixels."""
    return ndimage.gaussian_filter(on_paper(enlarged(digit)), 4)


def noisy(digit, rng):
    """A dim photo's sensor noise: Gaussian, its spread an eighth of the ink's contrast."""
    picture = on_paper(enlarged(digit)) + rng.normal(0, 0.1, (280, 280))
    return np.clip(picture, 0, 1).astype(np.float32)


def lined(digit, rng):
    """Ruled paper: blue-grey lines 40 pixels apart, the digit written across them."""
    paper = np.full((280, 280), PAPER, np.float32)
    start = rng.integers(0, 40)
    for y in range(start, 280, 40):
        paper[y:y + 2] = 0.6
    return np.minimum(paper, on_paper(enlarged(digit)))


def squared(digit, rng):
    """Squared paper: a light grid 28 pixels apart (5 mm squares, photographed)."""
    paper = np.full((280, 280), PAPER, np.float32)
    y0, x0 = rng.integers(0, 28, 2)
    paper[y0::28] = paper[:, x0::28] = 0.7
    return np.minimum(paper, on_paper(enlarged(digit)))


def uneven_light(digit, rng=None):
    """Light falling off across the page, and a shadow over one corner."""
    ramp = np.linspace(0.4, 1.0, 280)[None, :] * np.ones((280, 1))
    yy, xx = np.mgrid[:280, :280]
    shadow = 1 - 0.35 * np.exp(-((yy - 280) ** 2 + (xx - 280) ** 2) / (2 * 90 ** 2))
    return on_paper(enlarged(digit)) * ramp * shadow


def marker(digit, rng=None):
    """A thick felt marker: strokes about twice MNIST's width."""
    return on_paper(ndimage.grey_dilation(enlarged(digit), size=(15, 15)))


def pencil(digit, rng):
    """Soft pencil: grey, not black, on paper with a visible grain."""
    grain = ndimage.gaussian_filter(rng.normal(0, 0.04, (280, 280)), 1)
    return np.clip(on_paper(enlarged(digit), pen=0.55) + grain, 0, 1).astype(np.float32)


def perspective(digit, rng):
    """Photographed at an angle: the top of the page further away than the bottom."""
    picture = Image.fromarray((on_paper(enlarged(digit)) * 255).astype(np.uint8))
    squeeze = rng.uniform(0.15, 0.25) * 280
    corners = [(-squeeze, 0), (280 + squeeze, 0), (280, 280), (0, 280)]  # the page's corners
    coeffs = _perspective_coefficients([(0, 0), (280, 0), (280, 280), (0, 280)], corners)
    return picture.transform((280, 280), Image.Transform.PERSPECTIVE, coeffs,
                             Image.Resampling.BILINEAR, fillcolor=int(PAPER * 255))


def _perspective_coefficients(output, source) -> list[float]:
    """PIL's eight coefficients mapping `output` corners to `source` corners."""
    a = []
    for (x, y), (u, v) in zip(output, source, strict=True):
        a.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        a.append([0, 0, 0, x, y, 1, -v * x, -v * y])
    return list(np.linalg.solve(np.array(a, float), np.array(source, float).ravel()))


CONDITIONS: dict[str, Render] = {
    "clean scan": lambda digit, rng=None: on_paper(enlarged(digit)),
    "tight crop, no margin": tight_crop,
    "1-px pencil, 28 px": thin_pen(1, 28),
    "1-px pencil, 64 px": thin_pen(1, 64),
    "1-px pencil, 280 px": thin_pen(1, 280),
    "2-px pencil, 28 px": thin_pen(2, 28),
    "2-px pencil, 64 px": thin_pen(2, 64),
    "2-px pencil, 280 px": thin_pen(2, 280),
    "faint ink (24 grey levels)": faint,
    "white on black": white_on_black,
    "blue ink, yellow paper": blue_on_yellow,
    "tinted paper": tinted_paper,
    "small digit on a large page": small_on_page,
    "off-centre": off_centre,
    "rotated 15°": rotated,
    "JPEG quality 30": jpeg,
    "shaky phone (motion blur)": shaky,
    "out of focus": out_of_focus,
    "sensor noise": noisy,
    "lined paper": lined,
    "squared paper": squared,
    "uneven light, shadow": uneven_light,
    "thick marker": marker,
    "soft pencil on grainy paper": pencil,
    "photographed at an angle": perspective,
}
