"""The real-handwriting measurement: its sources render, and it runs end to end."""

import json

import numpy as np

from digitlab import handwriting as hw


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
    assert "| **all** |" in table
    rows = json.loads(out.read_text())["rows"]
    assert {r["source"].split(" (")[0] for r in rows} >= {"UCI digits", "drawn strokes"}
    for row in rows:
        assert row["digitlab"] > row["naive"], row
