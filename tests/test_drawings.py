"""A student's own drawings: kept, saved whole or not at all, loaded back, held out fairly."""

import errno
import json
import re
import zipfile

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
    assert len(drawings.load(path)) == 10
    assert [p for p in tmp_path.iterdir() if p.suffix != ".lock"] == [path]  # the lock stays


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


def _fields(**changed):
    """The fields of a good drawings file (two drawings), with some `changed`."""
    two = drawings.stand_in(per_digit=1)
    fields = dict(format=drawings.FORMAT, owner="ada", images=two.images[:2],
                  labels=two.labels[:2], strokes=json.dumps(two.strokes[:2]), pad_size=280,
                  stroke_width=18.0)
    return {**fields, **changed}


@pytest.mark.parametrize("changed, message", [
    ({"pad_size": np.array([280, 280])}, "its pad_size is array"),
    ({"pad_size": 0}, "its pad_size is array(0), not a positive number"),
    ({"stroke_width": np.nan}, "its stroke_width is"),
    ({"labels": np.array(["0", "1"])}, "its labels must be digits 0 to 9"),
    ({"labels": np.array([-1, 1])}, "its labels must be digits 0 to 9"),
    ({"labels": np.array([3, 12])}, "its labels must be digits 0 to 9"),
    ({"strokes": 7}, "its owner and strokes must be text"),
    ({"strokes": "[[[[1, 2]]]]"}, "its strokes do not match its 2 labels"),
    ({"strokes": "[[[[1, 2]]], [[[1, 2, 3]]]]"}, "its strokes do not match"),
    ({"strokes": "[[[[1, 2]]], "}, "its strokes are not JSON"),
    ({"owner": np.array(["ada", "ben"])}, "its owner and strokes must be text"),
    ({"images": np.zeros((2, 28, 28), np.float32)}, "its images"),
])
def test_every_field_of_a_drawings_file_is_checked(tmp_path, changed, message):
    path = tmp_path / "odd.npz"
    np.savez(path, **_fields(**changed))
    with pytest.raises(ValueError, match=re.escape(f"{path} is damaged: {message}")):
        drawings.load(path)


def test_a_drawings_file_that_would_unpack_to_gigabytes_is_refused(tmp_path):
    """A member whose array header claims 6 GB: numpy would set that much aside first."""
    path = tmp_path / "bomb.npz"
    np.savez(path, **_fields())
    header = np.lib.format.header_data_from_array_1_0(np.zeros(1, np.uint8))
    header["shape"] = (6_000_000_000,)
    with zipfile.ZipFile(path, "a") as archive, archive.open("extra.npy", "w") as member:
        np.lib.format.write_array_header_1_0(member, header)
    with pytest.raises(ValueError, match="would unpack to 6,000.0 MB, more than the 268.4 MB"):
        drawings.load(path)


def test_a_text_file_in_the_way_is_called_what_it_is(ada, tmp_path):
    path = tmp_path / "my_digits.npz"
    path.write_text("my notes")
    with pytest.raises(FileExistsError) as refused:
        drawings.save(some(1), path)
    assert "some other kind of file" in str(refused.value) and "pickle" not in str(refused.value)


def test_a_lock_file_that_is_a_link_is_refused_and_its_target_kept(ada, tmp_path):
    """filelock before 3.20.1 truncated a symlinked lock's target (the bound in pyproject)."""
    (tmp_path / "notes.txt").write_text("precious")
    (tmp_path / ".mine.npz.lock").symlink_to(tmp_path / "notes.txt")
    with pytest.raises(OSError, match=r"mine.npz cannot be saved: its lock file .*\.mine\.npz"
                       r"\.lock is a link, which is never followed: remove it; nothing was"):
        drawings.save(ada, tmp_path / "mine.npz")
    assert (tmp_path / "notes.txt").read_text() == "precious"
    assert not (tmp_path / "mine.npz").exists()


@pytest.mark.parametrize(("error", "says"), [
    (errno.EROFS, r"mine.npz cannot be saved: .* is on a read-only disk: save into a folder of "
                  r"your own"),
    (errno.EACCES, r"mine.npz cannot be saved: its lock file .*\.mine\.npz\.lock belongs to "
                   r"(nobody|user id 65534), .* ask (nobody|user id 65534)"),
    (errno.EPERM, r"mine.npz cannot be saved: this account may not write in "),
    (errno.ENOSPC, r"not enough space for .*mine.npz"),
])
def test_a_lock_that_cannot_be_made_names_the_drawings_file_and_the_fix(
        ada, tmp_path, monkeypatch, error, says):
    import os

    lock_file = tmp_path / ".mine.npz.lock"
    if error == errno.EACCES:  # another student's lock, left behind
        lock_file.touch()
        if os.geteuid() == 0:
            os.chown(lock_file, 65534, 65534)
        elif lock_file.stat().st_uid == os.geteuid():
            pytest.skip("making a file another user owns needs root")

    class Refused:
        def __init__(self, path):
            self.lock_file = str(lock_file)

        def acquire(self, timeout):
            raise OSError(error, os.strerror(error), str(lock_file))

    monkeypatch.setattr(drawings, "lock", Refused)
    with pytest.raises(OSError, match=says) as refused:
        drawings.save(some(1), tmp_path / "mine.npz")
    assert isinstance(refused.value, drawings.files.DiskFull) == (error == errno.ENOSPC)
    assert not (tmp_path / "mine.npz").exists()
