"""Opening pictures: any size a phone makes, shrunk in its own format, within memory."""

import numpy as np
import pytest
from PIL import Image, ImageDraw

from digitlab import pictures, preprocess


def page(width: int, height: int) -> Image.Image:
    """A grey page with a stroke down its middle."""
    image = Image.new("L", (width, height), 235)
    stroke = height // 4
    ImageDraw.Draw(image).line([(width // 2, height // 2 - stroke),
                                (width // 2, height // 2 + stroke)], fill=20, width=stroke // 8)
    return image


def test_a_50_megapixel_phone_photo_is_read_at_working_size(tmp_path):
    page(8660, 5770).save(tmp_path / "phone.jpg", quality=80)  # a 50 MP phone's JPEG
    picture = pictures.open_picture(tmp_path / "phone.jpg", 2048)
    assert max(picture.grey.shape) == 2048 and picture.grey.dtype == np.float32
    assert picture.scale == pytest.approx(8660 / 2048)
    assert picture.grey.min() < 0.2 and picture.grey.max() > 0.85  # the stroke and the paper


def test_a_bmp_too_big_to_open_is_refused_from_its_header(tmp_path, monkeypatch):
    page(400, 300).convert("RGB").save(tmp_path / "big.bmp")
    monkeypatch.setattr(pictures, "MAX_DECODED", 400 * 300 * 3)  # RGB takes 4 bytes a pixel
    with pytest.raises(pictures.ImageError, match=r"big.bmp: 400x300 BMP pixels would take "
                       r"\d+ MB to open, .* save it as JPEG, or smaller"):
        pictures.open_picture(tmp_path / "big.bmp", 256)


def clear(image: Image.Image) -> Image.Image:
    """`image` with its paper transparent and its ink opaque."""
    rgba = image.convert("RGBA")
    rgba.putalpha(Image.eval(image, lambda v: 255 - v))
    return rgba


@pytest.mark.parametrize("name, make", [
    ("rgb.png", lambda im: im.convert("RGB")), ("clear.png", clear),
    ("wide.png", lambda im: Image.fromarray(np.asarray(im, np.uint16) * 257)),
    ("narrow16.png", lambda im: Image.fromarray(np.asarray(im, np.uint16))),
    ("photo.webp", lambda im: im.convert("RGB")), ("scan.tiff", lambda im: im),
    ("clear.tiff", clear)])
def test_a_png_webp_or_tiff_too_big_for_pillow_is_shrunk_as_it_decodes(
        tmp_path, monkeypatch, name, make):
    """Over the memory line, libvips shrinks it a strip at a time: the same grey as Pillow's
    box average below the line (the boxes here are whole: 800x600 to 200x150), from a file or
    its bytes."""
    make(page(800, 600)).save(tmp_path / name, **({"lossless": True} if "webp" in name else {}))
    whole = pictures.open_picture(tmp_path / name, 200)
    monkeypatch.setattr(pictures, "MAX_DECODED", 1000)
    for source in (tmp_path / name, (tmp_path / name).read_bytes()):
        streamed = pictures.open_picture(source, 200)
        assert streamed.scale == whole.scale == 4
        np.testing.assert_allclose(streamed.grey, whole.grey, atol=1.5 / 255)


def test_a_big_png_without_libvips_is_refused_with_the_fix(tmp_path, monkeypatch):
    """pyvips installed without its library (as a conda environment can leave it): one line
    naming the file and the fix, not 'damaged'."""
    import sys

    page(800, 600).save(tmp_path / "big.png")
    monkeypatch.setattr(pictures, "MAX_DECODED", 1000)
    monkeypatch.setitem(sys.modules, "pyvips", None)  # `import pyvips` raises ImportError
    with pytest.raises(pictures.ImageError, match=r"big.png: too big for digitlab to open "
                       r"without libvips, .*`pip install pyvips-binary`, or save the picture"):
        pictures.grey_image(tmp_path / "big.png", 200)


def test_a_palette_picture_reads_like_its_grey_copy(tmp_path):
    """A GIF's or a palette PNG's colours are looked up in grey (one byte a pixel, where RGBA
    took four: a 100 MP GIF fits a student's memory)."""
    grey = page(400, 300)
    grey.convert("P").save(tmp_path / "palette.gif")
    grey.save(tmp_path / "grey.png")
    np.testing.assert_allclose(pictures.grey_image(tmp_path / "palette.gif", 256),
                               pictures.grey_image(tmp_path / "grey.png", 256), atol=1 / 255)


def test_a_streamed_picture_keeps_its_exif_orientation_and_its_damage_is_said(
        tmp_path, monkeypatch):
    exif = Image.Exif()
    exif[0x0112] = 6  # 'turn me 90 degrees clockwise'
    page(800, 600).save(tmp_path / "turned.png", exif=exif)
    monkeypatch.setattr(pictures, "MAX_DECODED", 1000)
    assert pictures.grey_image(tmp_path / "turned.png", 200).shape == (200, 150)
    data = (tmp_path / "turned.png").read_bytes()
    (tmp_path / "cut.png").write_bytes(data[:len(data) // 2])
    with pytest.raises(pictures.ImageError, match=r"cut.png: damaged or cut short"):
        pictures.grey_image(tmp_path / "cut.png", 200)


def test_a_16_bit_picture_that_uses_only_0_to_255_reads_like_its_8_bit_copy(tmp_path):
    eight = page(400, 300)
    Image.fromarray(np.asarray(eight, np.uint16)).save(tmp_path / "wide.png")
    eight.save(tmp_path / "narrow.png")
    np.testing.assert_allclose(pictures.grey_image(tmp_path / "wide.png", 256),
                               pictures.grey_image(tmp_path / "narrow.png", 256), atol=1 / 255)
    assert preprocess.preprocess(tmp_path / "wide.png").max() > 0.5  # a digit, not blank


def test_a_damaged_exif_block_reads_as_upright_without_a_warning(tmp_path, recwarn):
    page(400, 300).save(tmp_path / "odd.jpg",
                        exif=b"Exif\x00\x00MM\x00\x2a\x00\x00\x00\x08\x00\x05\x01\x12")
    grey = pictures.grey_image(tmp_path / "odd.jpg", 256)
    assert grey.shape == (192, 256)
    assert not [w for w in recwarn if "EXIF" in str(w.message)]


def test_an_animation_whose_first_frame_is_blank_says_so(tmp_path):
    blank, digit = Image.new("L", (400, 300), 235), page(400, 300)
    blank.save(tmp_path / "moving.gif", save_all=True, append_images=[digit])
    with pytest.raises(pictures.ImageError, match=r"moving.gif: the first of its 2 frames is "
                       r"blank, .* save the frame with the digit as a PNG"):
        preprocess.preprocess(tmp_path / "moving.gif")


@pytest.mark.slow
def test_a_40_megapixel_png_and_a_12_megapixel_jpeg_fit_a_students_memory(tmp_path):
    """A fresh `digitlab predict` on each (the PNGs with and without transparency, and a 100 MP
    PNG, WebP and GIF) needs at most
    300 MB more at its peak than on a small picture (a student's server has 3 GB);
    `tools.bench_reader` shows the same with times."""
    import sys

    from tools import bench_reader

    if not sys.platform.startswith("linux"):
        pytest.skip("the peak is read from /proc")
    page(200, 200).save(tmp_path / "small.png")
    page(7300, 5480).convert("RGB").save(tmp_path / "big.png", compress_level=1)
    clear(page(7300, 5480)).save(tmp_path / "clear.png", compress_level=1)  # once +1.5 GB
    huge = page(11500, 8660)  # 100 MP, the most the reader takes: shrunk as it decodes
    clear(huge).save(tmp_path / "huge.png", compress_level=1)
    huge.convert("RGB").save(tmp_path / "huge.webp", quality=80)  # refused once
    huge.convert("P").save(tmp_path / "huge.gif")  # Pillow's, its palette looked up in grey
    del huge
    page(4000, 3000).convert("RGB").save(tmp_path / "phone.jpg", quality=90)
    _, small = bench_reader.run_fresh([str(tmp_path / "small.png")])
    for name in ("big.png", "clear.png", "huge.png", "huge.webp", "huge.gif", "phone.jpg"):
        _, peak = bench_reader.run_fresh([str(tmp_path / name)])
        assert peak - small <= 300, (name, peak, small)
