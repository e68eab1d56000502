"""Open any picture, once, as a small grey image: the first step of every reader.

A phone photo is 12-100 million pixels; the readers work on a few hundred thousand. So the
picture is shrunk while it is still in its own format (JPEG decodes at 1/2, 1/4 or 1/8 size,
the others are averaged in boxes by Pillow) and only then turned into floats. A PNG, WebP or
TIFF too big for Pillow, which decodes a picture whole, to open within a student's memory is
shrunk by libvips as it decodes, a strip at a time; any other is refused from its header.
"""

from __future__ import annotations

import io
import math
import os
import warnings
from dataclasses import dataclass

import numpy as np
from PIL import ExifTags, Image, ImageChops, ImageOps, UnidentifiedImageError

from digitlab.files import regular_file

MAX_PIXELS = 100_000_000  # larger than any phone photo; bigger is a mistake or a bomb
MAX_DECODED = 250_000_000  # bytes a picture may take decoded (a student's server has 3 GB)
# Raster formats only: Pillow would hand PostScript or EPS, whatever the file's name, to
# Ghostscript, an interpreter that an untrusted "image" must never reach.
FORMATS = ("PNG", "JPEG", "GIF", "BMP", "TIFF", "WEBP", "PPM")  # JPEG: phones' MPO too
STREAMED = ("PNG", "WEBP", "TIFF")  # what libvips shrinks as it decodes, when Pillow cannot
# Bytes a pixel takes in Pillow's memory (RGB is stored in four), and the modes Pillow cannot
# average, with the one each becomes first.
PIXEL_BYTES = {"1": 1, "L": 1, "P": 1, "LA": 2, "PA": 2, "La": 2, "I;16": 2, "I;16B": 2,
               "I;16L": 2}
REDUCIBLE = {"1": "L", "P": "L", "PA": "LA", "I;16": "I", "I;16B": "I", "I;16L": "I"}


class ImageError(ValueError):
    """The file is not a readable image, or is absurdly large."""


@dataclass(frozen=True)
class Picture:
    """A picture in grey, float32 in [0, 1], upright, at working size."""

    grey: np.ndarray
    scale: float  # the picture's own pixels per working pixel (1 for a small picture)
    frames: int = 1  # an animation's frames; the first is read


def open_picture(source: str | os.PathLike | bytes | Image.Image | np.ndarray,
                 side: int, short: int = 0) -> Picture:
    """Any image (path, file contents such as an upload's, PIL image or array) in grey, upright
    as its EXIF says, at most `side` pixels on its longer side (or, for a long thin picture,
    as many as keep `short` on its shorter side), decoded once."""
    with warnings.catch_warnings():  # a damaged EXIF block reads as upright, said nowhere
        warnings.filterwarnings("ignore", "(Possibly )?[Cc]orrupt EXIF", UserWarning)
        return _open_picture(source, side, short)


def longer_side(size: tuple[int, int], side: int, short: int = 0) -> int:
    """The longer side to shrink a picture of `size` to: `side`, or more where that keeps its
    shorter side at `short` (a row of digits cropped tight), never more than it has."""
    return min(max(size), max(side, round(short * max(size) / max(min(size), 1))))


def _open_picture(source, side: int, short: int) -> Picture:
    name = source if isinstance(source, str | os.PathLike) else "the image"
    if isinstance(source, np.ndarray):
        image = _from_array(source)
    elif isinstance(source, Image.Image):
        image = source
    elif isinstance(source, bytes | bytearray | memoryview):
        image = _open(io.BytesIO(source), "the file")
    else:
        image = _open(source, source)
    width, height = image.size
    side = longer_side(image.size, side, short)
    if width * height > MAX_PIXELS:
        raise ImageError(f"{name}: {width:,}x{height:,} pixels, more than {MAX_PIXELS:,}: too "
                         "large to be a photo of a digit")
    try:  # the pixels are decoded here: a file cut short or damaged fails only now
        frames = getattr(image, "n_frames", 1)  # TIFF and GIF read each frame's header
        if image is not source:  # opened here, so ours to change: JPEGs decode at reduced size
            image.draft("L", within(image.size, side))
        need = _decoded_bytes(image)
        if need > MAX_DECODED and image.format in STREAMED \
                and not isinstance(source, Image.Image | np.ndarray):
            image.close()
            image, turn = _shrink_on_load(source, image.format, side, name)
        else:
            _check_memory(image, need, name)
            turn = _orientation(image)  # a PNG's is read after its pixels, decoded here
        if "transparency" in image.info and image.mode not in ("RGBA", "LA", "PA"):
            image = image.convert("RGBA")  # a key colour: it becomes an alpha channel
        elif image.mode in REDUCIBLE:
            image = image.convert(REDUCIBLE[image.mode])
        if max(image.size) > side:  # block averages, before anything is a float
            image = _shrink(image, within(image.size, side), own=image is not source)
        if turn != 1:  # phones store 'rotate me' in EXIF, which shrinking left behind
            image = image.copy() if image is source else image
            image.getexif()[ExifTags.Base.Orientation] = turn
            image = ImageOps.exif_transpose(image)
        grey = _grey(image)
    except ImageError:
        raise
    except (OSError, SyntaxError, EOFError, ValueError, TypeError) as e:  # Pillow's, on damage
        raise ImageError(f"{name}: damaged or cut short, its pixels cannot be read ({e})") \
            from None
    if frames > 1 and grey.min() == grey.max():
        raise ImageError(f"{name}: the first of its {frames} frames is blank, and digitlab reads "
                         "only the first: save the frame with the digit as a PNG")
    return Picture(grey, max(width, height) / max(grey.shape), frames)


def within(size: tuple[int, int], side: int) -> tuple[int, int]:
    """`size` scaled so that its longer side is `side` (at least a pixel each way)."""
    long = max(size)
    return tuple(max(1, round(n * side / long)) for n in size)


def grey_image(source, side: int) -> np.ndarray:
    """`open_picture(source, side).grey`: the picture in grey at working size."""
    return open_picture(source, side).grey


def _open(file: str | os.PathLike | io.BytesIO, name) -> Image.Image:
    try:
        if not isinstance(file, io.BytesIO):
            regular_file(file)  # a FIFO would hang Image.open, a device never end
        with warnings.catch_warnings():  # MAX_PIXELS is ours; Pillow's lower warning is not
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            return Image.open(file, formats=FORMATS)  # the header only: a bomb costs nothing
    except FileNotFoundError:
        raise ImageError(f"{name}: no such file") from None
    except UnidentifiedImageError:
        raise ImageError(f"{name}: not an image this program can read (it reads "
                         f"{', '.join(FORMATS)})") from None
    except (Image.DecompressionBombError, ValueError, SyntaxError,
            EOFError) as e:  # the last three: Pillow on a damaged header
        raise ImageError(f"{name}: not an image this program can read ({e})") from None
    except OSError as e:
        raise ImageError(f"{name}: cannot be read ({e.strerror or e})") from None


def _orientation(image: Image.Image) -> int:
    """The EXIF orientation (1: upright); a damaged EXIF block counts as upright."""
    try:
        return int(image.getexif().get(ExifTags.Base.Orientation, 1))
    except (SyntaxError, ValueError, TypeError, OSError):
        return 1


def _shrink(image: Image.Image, size: tuple[int, int], own: bool) -> Image.Image:
    """`image` box-averaged to `size`. With alpha, through its grey and alpha channels alone,
    the grey weighted by the alpha as Pillow's own resize does, but without its premultiplied
    copy of all four channels (twice the memory of a 40 MP picture); `own`: ours to close."""
    if image.mode not in ("RGBA", "LA"):
        return image.resize(size, Image.Resampling.BOX)
    alpha, grey = image.getchannel("A"), image.convert("L")
    if own:
        image.close()  # its four channels go before the weighted grey is made
    weighted = ImageChops.multiply(grey, alpha)  # grey x alpha / 255
    del grey
    small_alpha = np.asarray(alpha.resize(size, Image.Resampling.BOX), np.float32)
    small = np.asarray(weighted.resize(size, Image.Resampling.BOX), np.float32)
    unweighted = np.where(small_alpha > 0, small * 255 / np.maximum(small_alpha, 1), 0)
    return Image.merge("LA", [Image.fromarray(np.clip(unweighted, 0, 255).round().astype(
        np.uint8)), Image.fromarray(small_alpha.astype(np.uint8))])


def _shrink_on_load(source: str | os.PathLike | bytes, kind: str, side: int,
                    name) -> tuple[Image.Image, int]:
    """A PNG, WebP or TIFF box-averaged by libvips as it decodes (WebP decoding at reduced
    size), to at most `side` pixels a side, a strip in memory at a time; and its orientation."""
    try:
        import pyvips  # only for pictures this big: it starts a library of its own
    except (ImportError, OSError) as e:  # pyvips without its library, as conda can leave it
        raise ImageError(f"{name}: too big for digitlab to open without libvips, which cannot "
                         f"be loaded ({e}): `pip install pyvips-binary`, or save the picture "
                         "as JPEG") from None

    pyvips.block_untrusted_set(True)  # its loaders meant for trusted files stay off

    def load(**options) -> pyvips.Image:  # the format Pillow saw; top to bottom, once
        options.update(access="sequential", fail_on="truncated")
        if isinstance(source, str | os.PathLike):
            return getattr(pyvips.Image, f"{kind.lower()}load")(os.fspath(source), **options)
        return getattr(pyvips.Image, f"{kind.lower()}load_buffer")(bytes(source), **options)

    try:
        image = load()
        turn = image.get("orientation") if image.get_typeof("orientation") else 1
        shrink = math.ceil(max(image.width, image.height) / side)  # whole pixels per box
        if kind == "WEBP":  # libwebp itself decodes at 1/shrink
            image, shrink = load(scale=1 / shrink), 1
        alpha, band_format = image.hasalpha(), image.format
        if alpha:  # averaged as Pillow averages: the colour weighted by its alpha
            image = image.premultiply()
        if shrink > 1:
            image = image.shrink(shrink, shrink)
        if alpha:
            image = image.unpremultiply().cast(band_format)
        a = image.numpy()  # the pixels are decoded here
    except pyvips.Error as e:  # damaged: said as Pillow's damage is
        raise ValueError((e.detail.strip() or e.message).splitlines()[0]) from None
    return Image.fromarray(_eight_bits(a)), int(turn)  # 1, 2, 3 or 4 bands: L, LA, RGB or RGBA


def _decoded_bytes(image: Image.Image) -> int:
    """Bytes the opening of `image` by Pillow would take at its peak, read from its header."""
    pixels = image.width * image.height
    need = pixels * PIXEL_BYTES.get(image.mode, 4)
    if image.mode in REDUCIBLE:
        need += pixels * PIXEL_BYTES.get(REDUCIBLE[image.mode], 4)
    if "A" in image.mode or "transparency" in image.info:
        need += pixels * 2  # shrunk through its grey and alpha channels (`_shrink`)
    if image.format == "WEBP":
        need *= 2  # libwebp decodes into a buffer of its own first
    return need


def _check_memory(image: Image.Image, need: int, name) -> None:
    """Refuse, from the header, a picture whose decoding would take `need` bytes, over
    MAX_DECODED."""
    if need > MAX_DECODED:
        raise ImageError(
            f"{name}: {image.width:,}x{image.height:,} {image.format or ''} pixels would take "
            f"{need / 1e6:,.0f} MB to open, more than the {MAX_DECODED / 1e6:,.0f} MB digitlab "
            "takes (a student's server has 3 GB): save it as JPEG, or smaller")


def _from_array(a: np.ndarray) -> Image.Image:
    a = np.asarray(a)
    if a.ndim not in (2, 3) or (a.ndim == 3 and a.shape[2] not in (1, 3, 4)) or a.size == 0:
        raise ImageError(f"an array of shape {a.shape} is not an image: expected (height, width) "
                         "or (height, width, 1, 3 or 4 channels)")
    if a.dtype.kind not in "biuf":  # bool, signed, unsigned, float (timedelta counts as int)
        raise ImageError(f"an array of {a.dtype} values is not an image: expected numbers "
                         "(bool, integers or floats)")
    if a.ndim == 3 and a.shape[2] == 1:
        a = a[..., 0]
    return Image.fromarray(a.astype(np.uint8) * 255 if a.dtype == np.bool_ else _eight_bits(a))


def _eight_bits(a: np.ndarray) -> np.ndarray:
    """Pixels of any number type as 8 bits, by one rule for files and arrays alike: integers
    are 8-bit if they fit 0-255 (a 16-bit file that uses only those is an 8-bit one saved
    wide), else 16-bit; floats are in [0, 1], or scaled by their largest if they go beyond."""
    if a.dtype == np.uint8:
        return a
    floats = a.dtype.kind == "f"
    a = np.nan_to_num(a.astype(np.float64))
    top = a.max(initial=0)
    top = max(top, 1) if floats else 255 if top <= 255 else 65535
    return np.clip(a * 255 / top, 0, 255).round().astype(np.uint8)  # below 0: black


def _grey(image: Image.Image) -> np.ndarray:
    """A small picture as grey floats: transparency flattened, 16 and 32 bits scaled."""
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        return _flatten_transparency(image)
    if image.mode in ("I", "F"):  # 16-bit or 32-bit files
        return _eight_bits(np.asarray(image)).astype(np.float32) / 255
    return np.asarray(image.convert("L"), dtype=np.float32) / 255


def _flatten_transparency(image: Image.Image) -> np.ndarray:
    """Composite on a backdrop that contrasts with the visible strokes, so none are lost."""
    rgba = np.asarray(image.convert("RGBA"), dtype=np.float32) / 255
    grey = rgba[..., :3] @ np.array([0.299, 0.587, 0.114], np.float32)
    alpha = rgba[..., 3]
    if alpha.min() > 0.99:  # an alpha channel, but nothing transparent
        return grey
    visible = alpha > 0.5
    ink_is_light = visible.any() and float(np.average(grey, weights=alpha)) > 0.5
    backdrop = 0.0 if ink_is_light else 1.0
    return (grey * alpha + backdrop * (1 - alpha)).astype(np.float32)
