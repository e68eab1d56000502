"""Faults a classroom meets, injected for real: every writer in digitlab against a disk that fills
up part-way (a small tmpfs, mounted for the test) and against a kill part-way (SIGKILL in the
middle of the write). Each time the old file or set must be whole, or none left, and the message
digitlab's own, with no traceback."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from helpers import REAL_DATA, needs_real_mnist, require

from digitlab import cli, drawings, files

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"


class SmallDisk:
    """A folder on a disk of its own (tmpfs, 16 MB) that can be filled up."""

    def __init__(self, path: Path):
        self.path = path

    def fill(self, free: int) -> None:
        """Leave only `free` bytes of the disk free."""
        room = os.statvfs(self.path).f_bavail * os.statvfs(self.path).f_frsize
        with open(self.path / ".filler", "wb") as f:
            f.write(b"\0" * max(0, room - free))


@pytest.fixture
def small_disk(tmp_path):
    require(os.geteuid() == 0, "root, to mount a small disk (tmpfs) for the full-disk tests")
    disk = tmp_path / "disk"
    disk.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(disk)], check=True)
    try:
        yield SmallDisk(disk)
    finally:
        subprocess.run(["umount", str(disk)], check=True)


def listing(folder: Path) -> list[str]:
    """What `folder` holds, less the filler and the drawings files' locks (which stay)."""
    return sorted(p.name for p in folder.iterdir()
                  if p.name != ".filler" and not p.name.endswith(".lock"))


@needs_real_mnist
@pytest.mark.parametrize("free_mb", [2, 10])
def test_export_onto_a_full_disk_writes_nothing_and_says_how_much_it_needs(
        small_disk, capsys, free_mb):
    small_disk.fill(free_mb * 10**6)
    room = small_disk.path / "mnist"
    assert cli.main(["data", "--path", REAL_DATA, "--export", str(room)]) == 1
    err = capsys.readouterr().err
    assert f"not enough space for {room}: it needs 11.3 MB, the disk has {free_mb}." in err
    assert "Traceback" not in err
    assert listing(small_disk.path) == []  # no half set, no temporary folder


def test_student_versions_onto_a_full_disk_write_nothing_and_a_rerun_works(small_disk, capsys):
    small_disk.fill(64 << 10)
    out = small_disk.path / "student"
    assert cli.main(["student", str(NOTEBOOKS), str(out)]) == 1
    assert "not enough space for" in capsys.readouterr().err
    assert listing(small_disk.path) == []
    (small_disk.path / ".filler").unlink()
    assert cli.main(["student", str(NOTEBOOKS), str(out)]) == 0  # not "already holds"
    assert len(listing(out)) == len(list(NOTEBOOKS.glob("*.ipynb")))


@pytest.fixture(scope="module")
def tiny_model():
    from digitlab import models

    return models.mlp(hidden=(8,))


def _drawings_save(path):
    drawings.save(drawings.stand_in(per_digit=3), path, overwrite=True)


def _keras_save(path, model):
    from digitlab import saving

    saving.save(model, path, overwrite=True)


def _tflite_save(path, model):
    from digitlab import saving

    saving.save_tflite(model, path, overwrite=True)


def _saved_model(path, model):
    from digitlab import saving

    saving.export_saved_model(model, path, overwrite=True)


WRITERS = {  # each writes `name`; the full disk leaves room for the old one, not the new
    "drawings": ("my_digits.npz", _drawings_save),
    "keras": ("model.keras", _keras_save),
    "tflite": ("model.tflite", _tflite_save),
    "saved_model": ("served", _saved_model),
}


@pytest.mark.parametrize("writer", WRITERS)
def test_every_writer_on_a_full_disk_keeps_the_old_file_whole(small_disk, tiny_model, writer):
    name, write = WRITERS[writer]
    target = small_disk.path / name
    args = () if writer == "drawings" else (tiny_model,)
    write(target, *args)
    before = files_of(target)
    small_disk.fill(0)
    with pytest.raises(files.DiskFull, match=f"not enough space for {target}"):
        write(target, *args)
    assert files_of(target) == before  # the old one, whole
    assert listing(small_disk.path) == [name]  # and nothing beside it


def files_of(path: Path) -> dict[str, bytes]:
    """Every file at `path` (one, or a folder's), by name, with its bytes."""
    if path.is_file():
        return {path.name: path.read_bytes()}
    return {str(p.relative_to(path)): p.read_bytes() for p in sorted(path.rglob("*"))
            if p.is_file()}


# A writer in a process of its own that is killed (SIGKILL: no clean-up runs) in the middle of
# the write: at the second fsync of a set (one file written, the next not), at the first of a
# file (written, not yet in place).
KILLED_MID_WRITE = """
import os, signal, sys
from pathlib import Path

real, calls = os.fsync, []
what, target = sys.argv[1], Path(sys.argv[2])

def fsync(fd):
    calls.append(fd)
    if len(calls) == (1 if what == "drawings" else 2):
        os.kill(os.getpid(), signal.SIGKILL)
    real(fd)

os.fsync = fsync
if what == "student":
    from digitlab import student
    student.write_student_versions(sys.argv[3], target, force=True)
elif what == "export":
    from digitlab import data
    data.export_mnist(target, sys.argv[3])
else:
    from digitlab import drawings
    drawings.save(drawings.stand_in(per_digit=2), target, overwrite=True)
"""


def killed(what: str, target: Path, *extra: str) -> int:
    done = subprocess.run([sys.executable, "-c", KILLED_MID_WRITE, what, str(target),
                           *extra], capture_output=True, text=True, timeout=300)
    return done.returncode


def age(folder: Path) -> None:
    """Make the leftovers in `folder` look as old as a killed write's."""
    long_ago = time.time() - files.STALE_SECONDS - 60
    for leftover in folder.glob(".*"):  # .part, or .keras where Keras insists on it
        os.utime(leftover, (long_ago, long_ago))


def test_a_killed_student_command_leaves_the_old_versions_whole(tmp_path):
    out = tmp_path / "student"
    assert cli.main(["student", str(NOTEBOOKS), str(out)]) == 0
    before = files_of(out)
    (tmp_path / "src").mkdir()
    for path in NOTEBOOKS.glob("*.ipynb"):  # new sources: every version would change
        (tmp_path / "src" / path.name).write_text(path.read_text().replace("MNIST", "Mnist"))
    assert killed("student", out, str(tmp_path / "src")) == -signal.SIGKILL
    # its half-written set is in a hidden folder inside `out` (which alone need be writable)
    assert {name: data for name, data in files_of(out).items()
            if not name.startswith(".student.")} == before
    age(out)
    assert cli.main(["student", str(tmp_path / "src"), str(out), "--force"]) == 0
    assert listing(tmp_path) == ["src", "student"]  # the killed run's leftovers are gone
    assert not [p for p in out.iterdir() if p.name.startswith(".")]


@needs_real_mnist
def test_a_killed_export_leaves_no_half_set(tmp_path):
    room = tmp_path / "mnist"
    assert killed("export", room, REAL_DATA) == -signal.SIGKILL
    assert not room.exists()
    age(tmp_path)
    assert cli.main(["data", "--path", REAL_DATA, "--export", str(room)]) == 0
    assert listing(tmp_path) == ["mnist"]


def test_a_killed_drawings_save_leaves_the_old_file_whole(tmp_path):
    path = tmp_path / "my_digits.npz"
    drawings.save(drawings.stand_in(per_digit=1), path)
    before = path.read_bytes()
    assert killed("drawings", path) == -signal.SIGKILL
    assert path.read_bytes() == before and len(drawings.load(path)) == 10
    np.testing.assert_array_equal(drawings.load(path).labels, np.tile(np.arange(10), 1))


# A model writer killed just before its result moves into place: the old file (or exported
# folder) is whole, and the next write removes what the killed one left.
KILLED_AT_THE_MOVE = """
import os, signal, sys
from pathlib import Path
from digitlab import models, saving

what, target = sys.argv[1], Path(sys.argv[2])
write = {"keras": saving.save, "tflite": saving.save_tflite,
         "saved_model": saving.export_saved_model}[what]
model = models.mlp(hidden=(8,))

def killed(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)

os.replace = os.rename = killed
write(model, target, overwrite=True)
"""


@pytest.mark.parametrize("writer", ["keras", "tflite", "saved_model"])
def test_a_killed_model_write_leaves_the_old_file_whole(tmp_path, tiny_model, writer):
    name, write = WRITERS[writer]
    target = tmp_path / name
    write(target, tiny_model)
    before = files_of(target)
    done = subprocess.run([sys.executable, "-c", KILLED_AT_THE_MOVE, writer, str(target)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == -signal.SIGKILL, done.stderr[-2000:]
    assert files_of(target) == before
    age(tmp_path)
    write(target, tiny_model)
    assert listing(tmp_path) == [name]  # the killed write's leftovers are gone
