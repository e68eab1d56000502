"""A student's own drawings: kept, saved whole or not at all, loaded back, held out fairly."""

import numpy as np
import pytest

from digitlab import drawings, strokes


@pytest.fixture
def ada(monkeypatch):
    monkeypatch.setenv("JUPYTERHUB_USER", "ada")


def some(n_per_digit=2) -> drawings.Drawings:
    mine = drawings.Drawings()
    rng = np.random.default_rng(0)
    for _ in range(n_per_digit):
        for digit in range(10):
            assert mine.add(strokes.jittered(strokes.TEMPLATES[digit], rng)[0], digit)
    return mine


def test_a_drawing_is_kept_as_strokes_image_and_label(ada):
    mine = drawings.Drawings()
    assert mine.owner == "ada" and len(mine) == 0 and mine.counts().tolist() == [0] * 10
    assert not mine.add([], 3)  # no ink: nothing kept
    assert mine.add([[(150, 40), (145, 140), (140, 240)]], 1)
    assert len(mine) == 1 and mine.images.dtype == np.uint8 and mine.images.shape == (1, 28, 28)
    assert mine.images.max() == 255 and mine.counts()[1] == 1
    assert mine.drop_last() == 1 and len(mine) == 0 and mine.drop_last() is None


def test_saved_drawings_load_back_the_same(ada, tmp_path):
    mine = some()
    path = drawings.save(mine, tmp_path / "mine.npz")
    back = drawings.load(path)
    np.testing.assert_array_equal(back.images, mine.images)
    np.testing.assert_array_equal(back.labels, mine.labels)
    assert back.owner == "ada" and back.pad_size == 280 and back.stroke_width == 18
    # the strokes redraw the same images: they are the record, the images a convenience
    redrawn = drawings.Drawings()
    for s, label in zip(back.strokes, back.labels, strict=True):
        redrawn.add(s, label)
    np.testing.assert_array_equal(redrawn.images, mine.images)


def test_saving_never_replaces_another_students_file_unless_told(ada, tmp_path, monkeypatch):
    path = drawings.save(some(1), tmp_path / "mine.npz")
    drawings.save(some(2), path)  # ada's own file: saving again updates it
    assert len(drawings.load(path)) == 20
    monkeypatch.setenv("JUPYTERHUB_USER", "ben")
    with pytest.raises(FileExistsError, match="by ada, not by ben"):
        drawings.save(some(1), path)
    assert drawings.load(path).owner == "ada"
    drawings.save(some(1), path, overwrite=True)
    assert drawings.load(path).owner == "ben"


def test_saving_never_replaces_a_file_that_is_not_drawings(ada, tmp_path):
    path = tmp_path / "notes.npz"
    path.write_text("my notes")
    with pytest.raises(FileExistsError, match="not a drawings file"):
        drawings.save(some(1), path)
    assert path.read_text() == "my notes"


def test_a_save_that_fails_half_way_leaves_the_old_file_whole(ada, tmp_path, monkeypatch):
    path = drawings.save(some(1), tmp_path / "mine.npz")

    def broken(*args, **kwargs):
        raise KeyboardInterrupt  # Ctrl-C while writing

    monkeypatch.setattr(drawings.np, "savez_compressed", broken)
    with pytest.raises(KeyboardInterrupt):
        drawings.save(some(2), path)
    assert len(drawings.load(path)) == 10 and list(tmp_path.iterdir()) == [path]


@pytest.mark.parametrize("content, message", [
    (None, "no drawings at"),
    (b"not a zip", "damaged"),
    ("other", "not a digitlab drawings file"),
])
def test_loading_bad_files_says_what_is_wrong(tmp_path, content, message):
    path = tmp_path / "x.npz"
    if content == "other":
        np.savez(path, a=np.zeros(3))
    elif content is not None:
        path.write_bytes(content)
    with pytest.raises((ValueError, FileNotFoundError), match=message):
        drawings.load(path)


def test_loading_mismatched_arrays_is_an_error(ada, tmp_path):
    mine = some(1)
    mine.labels = mine.labels[:5]
    with pytest.raises(ValueError, match="do not match"):
        drawings.load(drawings.save(mine, tmp_path / "mine.npz"))


def test_hold_out_sets_aside_the_same_number_of_each_digit():
    labels = np.repeat(np.arange(10), 5)
    train, held = drawings.hold_out(labels, per_digit=2, seed=1)
    assert np.bincount(labels[held]).tolist() == [2] * 10
    assert np.bincount(labels[train]).tolist() == [3] * 10
    assert not set(train) & set(held) and len(train) + len(held) == 50
    assert np.array_equal(drawings.hold_out(labels, 2, seed=1)[1], held)  # seeded
    with pytest.raises(ValueError, match=r"at least 5 of each; too few of: \[3\]"):
        drawings.hold_out(np.delete(labels, np.flatnonzero(labels == 3)[:1]), per_digit=4)


def test_the_stand_in_set_is_a_complete_seeded_set_in_one_hand():
    a, b = drawings.stand_in(per_digit=2, seed=0), drawings.stand_in(per_digit=2, seed=0)
    assert a.owner == drawings.STAND_IN and a.counts().tolist() == [2] * 10
    assert a.labels[:10].tolist() == list(range(10))  # in the order a pad asks
    np.testing.assert_array_equal(a.images, b.images)
    assert not np.array_equal(a.images, drawings.stand_in(per_digit=2, seed=1).images)
