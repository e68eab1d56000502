"""The real-handwriting measurement: its sources render, and it runs end to end."""

import json

import numpy as np
from helpers import require

from tools import handwriting as hw


def test_sources_are_dark_ink_on_light_paper_with_labels():
    rng = np.random.default_rng(0)
    for images, labels in [hw.uci_digits(20), hw.stroke_digits(rng, 2),
                           hw.font_digits(rng, 1)[:2]]:
        assert len(images) == len(labels) and set(labels) <= set(range(10))
        for image in images[:10]:
            assert np.median(image) > 0.8 and image.min() < 0.5  # mostly paper, some ink


def test_every_template_digit_is_there():
    images, labels = hw.stroke_digits(np.random.default_rng(1), 1)
    assert sorted(labels) == list(range(10))


def test_quick_run_prints_a_table_and_beats_the_naive_way(tmp_path, capsys):
    out = tmp_path / "hw.json"
    assert hw.main(["--quick", "--json", str(out)]) == 0
    table = capsys.readouterr().out
    assert "| **all** (target 97%) |" in table
    rows = json.loads(out.read_text())["rows"]
    assert {r["source"].split(" (")[0] for r in rows} >= {"UCI digits", "drawn strokes"}
    for row in rows:
        assert row["digitlab"] > row["naive"], row


def test_measured_validation_and_training_fonts_are_disjoint():
    sets = [hw.FONTS, hw.VALIDATION_FONTS, hw.TRAINING_FONTS]
    packages = [set(fonts) for fonts in sets]
    files = [{f for paths in fonts.values() for f in paths} for fonts in sets]
    for i in range(3):
        for j in range(i):
            assert not packages[i] & packages[j] and not files[i] & files[j]


def test_training_font_digits_look_like_mnist():
    x, y, missing = hw.training_font_digits(1)
    require(not missing, f"handwriting fonts missing: apt-get install {' '.join(missing)}")
    installed = sum(len(paths) for package, paths in hw.TRAINING_FONTS.items()
                    if package not in missing)
    assert x.shape == (10 * installed, 28, 28) and x.dtype == np.uint8
    assert list(y[:10]) == list(range(10))
    for image in x:  # light ink on black, centred like MNIST's
        assert image.max() > 200 and np.mean(image > 0) < 0.5
        assert image[4:24, 4:24].sum() > 0.9 * image.sum()


def test_validation_sources_are_like_the_measured_ones_but_disjoint():
    sources, missing = hw.validation_sources(quick=True)
    assert len(sources) == 3
    for images, labels in sources.values():
        assert len(images) == len(labels) and set(labels) <= set(range(10))
        for image in images[:10]:
            assert image.shape[0] == image.shape[1] >= 140
            assert np.median(image) > 0.8 and image.min() < 0.5  # mostly paper, some ink


def test_through_uci_grid_keeps_the_shape_at_8x8():
    bar = np.zeros((1, 28, 28), np.uint8)
    bar[0, 4:24, 12:16] = 255  # an upright 1: tall and narrow, it stays so
    picture = hw.through_uci_grid(bar)[0]
    rows, cols = np.nonzero(picture < 0.5)
    assert picture.shape == (140, 140)
    assert np.ptp(rows) > 2 * np.ptp(cols)


def test_validation_run_reports_its_own_sources(tmp_path, capsys):
    out = tmp_path / "val.json"
    assert hw.main(["--validation", "--quick", "--json", str(out)]) == 0
    assert "held-out MNIST digits through the UCI grid" in capsys.readouterr().out
    rows = json.loads(out.read_text())["rows"]  # the fonts only where installed
    assert {r["source"].split(" (")[0] for r in rows} >= {
        "held-out MNIST digits through the UCI grid", "drawn strokes"}
