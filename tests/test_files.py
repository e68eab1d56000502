"""digitlab.files: writes whole or not at all, reads only of plain files within limits."""

import errno
import os
import stat
import time
import zipfile

import numpy as np
import pytest

from digitlab import files


@pytest.fixture
def umask():
    """Set the umask for one test, then put it back."""
    old = os.umask(0o022)
    yield os.umask
    os.umask(old)


def test_new_files_follow_the_umask_and_replaced_ones_keep_their_mode(tmp_path, umask):
    umask(0o077)
    files.write_atomically(tmp_path / "private", b"x")
    assert stat.S_IMODE((tmp_path / "private").stat().st_mode) == 0o600
    umask(0o022)
    files.write_atomically(tmp_path / "shared", b"x")
    assert stat.S_IMODE((tmp_path / "shared").stat().st_mode) == 0o644
    files.write_atomically(tmp_path / "private", b"y")  # replaced: still private
    assert stat.S_IMODE((tmp_path / "private").stat().st_mode) == 0o600


def test_a_killed_writes_leftovers_are_removed_by_the_next_write_to_the_folder(tmp_path):
    old = tmp_path / ".model.keras.k1ll3d_x.part"
    older = tmp_path / ".other.npz.a8c_d9x2.part"  # left by a write to another file
    fresh = tmp_path / ".model.keras.wr1t1ng.part"  # another process's write, under way
    not_ours = tmp_path / ".notes.txt.abc.part"
    for leftover in (old, older, fresh, not_ours):
        leftover.write_bytes(b"half")
    long_ago = time.time() - files.STALE_SECONDS - 60
    for leftover in (old, older, not_ours):
        os.utime(leftover, (long_ago, long_ago))
    files.write_atomically(tmp_path / "model.keras", b"whole")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [fresh.name, not_ours.name, "model.keras"])

def test_a_set_of_files_appears_whole_and_keeps_what_else_the_folder_holds(tmp_path, umask):
    out = tmp_path / "out"
    assert files.write_files(out, {"a": b"1", "b": b"2"}) == [out / "a", out / "b"]
    assert stat.S_IMODE(out.stat().st_mode) == 0o755  # as mkdir would make it, not private
    (out / "mine").write_text("a student's own")
    files.write_files(out, {"a": b"3"})
    assert {p.name: p.read_bytes() for p in out.iterdir()} == {"a": b"3", "b": b"2",
                                                                "mine": b"a student's own"}


def test_a_failed_set_leaves_the_folder_as_it_was(tmp_path, monkeypatch):
    out = tmp_path / "out"
    files.write_files(out, {"a": b"old"})
    real, written = files._write, []

    def full_after_one(path, data):
        if written:
            raise OSError(errno.ENOSPC, "No space left on device")
        written.append(path)
        real(path, data)

    monkeypatch.setattr(files, "_write", full_after_one)
    says = r"needs 6 bytes, the disk has [\d,.]+ (MB|kB|bytes) free"  # not "needs 0.0 MB"
    with pytest.raises(files.DiskFull, match=says):
        files.write_files(out, {"a": b"new", "b": b"new"})
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # no temporary folder left
    assert {p.name: p.read_bytes() for p in out.iterdir()} == {"a": b"old"}


def test_only_regular_files_are_read(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    for path, kind in ((fifo, "a pipe"), (tmp_path, "a folder"), ("/dev/zero", "a device")):
        with pytest.raises(OSError, match=kind):
            files.regular_file(path)
    (tmp_path / "plain").write_text("x")
    assert files.regular_file(tmp_path / "plain") == tmp_path / "plain"


def test_an_archive_that_unpacks_too_large_is_refused(tmp_path):
    path = tmp_path / "bomb.npz"
    np.savez_compressed(path, a=np.zeros(100_000, np.uint8))  # 100 kB unpacked, 100 bytes packed
    with pytest.raises(files.TooLarge, match=r"would unpack to 0\.1 MB"):
        files.check_zip(path, max_unpacked=50_000)
    files.check_zip(path, max_unpacked=200_000)


def test_an_array_header_that_claims_more_than_its_member_holds_is_refused(tmp_path):
    """An .npy header saying (6e9,) over a few bytes: numpy would set 6 GB aside first."""
    path = tmp_path / "liar.npz"
    header = np.lib.format.header_data_from_array_1_0(np.zeros(1, np.uint8))
    header["shape"] = (6_000_000_000,)
    member = zipfile.ZipFile(path, "w")
    with member.open("labels.npy", "w") as f:
        np.lib.format.write_array_header_1_0(f, header)
        f.write(b"\0" * 10)
    member.close()
    with pytest.raises(files.TooLarge, match="6,000.0 MB"):
        files.check_zip(path)


def test_json_is_read_only_within_size_and_depth():
    assert files.load_json('{"a": [[1, "]]]]"]]}', "x") == {"a": [[1, "]]]]"]]}
    with pytest.raises(files.TooLarge, match="nests 100,000 deep"):
        files.load_json("[" * 100_000 + "]" * 100_000, "x")
    with pytest.raises(files.TooLarge, match="MB of JSON"):
        files.load_json(" " * (files.MAX_JSON + 1), "x")


def test_a_set_of_files_is_made_inside_its_folder_so_only_that_folder_need_be_writable(
        tmp_path, monkeypatch):
    out = tmp_path / "out"
    out.mkdir()
    real, seen = files._write, []

    def watched(path, data):
        seen.append(path.parent.parent)
        assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # nothing beside it
        real(path, data)

    monkeypatch.setattr(files, "_write", watched)
    files.write_files(out, {"a": b"1"})
    assert seen == [out] and [p.name for p in out.iterdir()] == ["a"]
    seen.clear()
    monkeypatch.setattr(files, "_write", real)
    files.write_files(tmp_path / "new", {"a": b"1"})  # a new folder is made whole beside it
    assert sorted(p.name for p in tmp_path.iterdir()) == ["new", "out"]


def test_a_link_to_no_folder_is_named_with_the_fix(tmp_path):
    (tmp_path / "out").symlink_to(tmp_path / "gone")
    with pytest.raises(FileNotFoundError, match=r"out is a link to .*gone, which does not "
                                                r"exist: remove the link, or make that folder"):
        files.write_files(tmp_path / "out", {"a": b"1"})


def test_no_inode_left_is_a_full_disk_said_as_such(tmp_path, monkeypatch):
    def no_inode(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    class Statvfs:
        f_favail = 0

    monkeypatch.setattr(files.tempfile, "mkstemp", no_inode)
    monkeypatch.setattr(files.tempfile, "mkdtemp", no_inode)
    monkeypatch.setattr(files.os, "statvfs", lambda path: Statvfs)
    for write in (lambda: files.write_atomically(tmp_path / "m.keras", b"x"),
                  lambda: files.write_files(tmp_path / "out", {"a": b"1"})):
        with pytest.raises(files.DiskFull, match="the disk has no room for another file "
                                                 r"\(all its inodes are used\)"):
            write()
    assert sorted(p.name for p in tmp_path.iterdir()) in ([], ["out"])
