"""Files written whole or not at all, and read only when they are plain files within limits.

Every writer in digitlab goes through here: a file, or a set of files, is written beside its
target under a hidden temporary name and moved into place only when complete, so a full disk,
Ctrl-C or a killed kernel leaves the old file (or set) whole, or nothing. A full disk is said
in words: how much was needed and how much is free. Every reader of a file a user names checks
first that it is a regular file (a FIFO or a device would hang it or never end) and that a zip
archive (`.npz`, `.keras`) would not expand past what a student's server can hold.
"""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
import stat
import tempfile
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import numpy as np

STALE_SECONDS = 600  # no write of ours takes this long: an older temporary file is a leftover
MAX_UNPACKED = 1 << 30  # 1 GiB: a zip member or archive larger than this, unpacked, is refused
MAX_JSON = 16 << 20  # 16 MiB of JSON: a model's config is a few kB, the shipped one 40 kB
MAX_JSON_DEPTH = 200  # nesting: Keras' configs nest about 10 deep; Python's parser stops at ~1000


class DiskFull(OSError):
    """A write that the disk had no room for; nothing of it was left behind."""

    def __init__(self, target: Path, needed: int):
        where = _existing(Path(target))
        if os.statvfs(where).f_favail == 0:  # bytes to spare, but no inode for a new file
            said = "the disk has no room for another file (all its inodes are used)"
        else:
            free = f"the disk has {_mb(shutil.disk_usage(where).free)} free"
            said = f"it needs {_mb(needed)}, {free}" if needed else free
        super().__init__(errno.ENOSPC, f"not enough space for {target}: {said}; delete files "
                         "you no longer need; nothing was written")

    def __str__(self) -> str:
        return self.strerror


class TooLarge(ValueError):
    """A file that would take more memory than a student's server has, or is nested too deep."""


def _mb(size: int) -> str:
    """A size in words: MB, or kB and bytes where MB would say 0.0."""
    if size >= 50_000:
        return f"{size / 1e6:,.1f} MB"
    return f"{size / 1e3:,.1f} kB" if size >= 1000 else f"{size} bytes"


def user_name(uid: int) -> str:
    """The name of the user with this id (their number where the system has no name for it)."""
    try:
        import pwd  # not on Windows
    except ImportError:
        return f"user id {uid}"
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"user id {uid}"


def _existing(path: Path) -> Path:
    """`path`, or the nearest folder above it that exists."""
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def remove_leftovers(folder: Path, suffix: str) -> None:
    """Remove the temporary files and folders that killed writes left in `folder`."""
    ours = re.compile(r"\..+\.[a-z0-9_]{8}" + re.escape(suffix))  # as mkstemp names them
    for leftover in folder.glob(f".*{suffix}"):
        with suppress(OSError):  # another process may remove it first
            if (ours.fullmatch(leftover.name)
                    and time.time() - leftover.stat().st_mtime > STALE_SECONDS):
                shutil.rmtree(leftover) if leftover.is_dir() else leftover.unlink()


def _mode_for(path: Path, new: int = 0o666) -> int:
    """The permissions `path` has now, or else those the umask gives a new one."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        umask = os.umask(0)  # the only way to read it is to set it
        os.umask(umask)
        return new & ~umask


@contextmanager
def atomic_path(path: Path, suffix: str = ".part", size: int = 0) -> Iterator[Path]:
    """A temporary path beside `path` that becomes `path` only when the block completes, so a
    file is either whole or absent, even after Ctrl-C. The file keeps the mode of the one it
    replaces, or takes the umask's; a full disk raises DiskFull (`size`: the bytes needed)."""
    path = Path(path)
    remove_leftovers(path.parent, suffix)
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=suffix)
    except OSError as e:  # no inode left for even an empty file
        if e.errno in (errno.ENOSPC, errno.EDQUOT):
            raise DiskFull(path, size) from None
        raise
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, _mode_for(path))  # mkstemp makes it private, whatever the umask says
        os.replace(tmp, path)
    except OSError as e:
        Path(tmp).unlink(missing_ok=True)
        if e.errno in (errno.ENOSPC, errno.EDQUOT):
            raise DiskFull(path, size) from None
        raise
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _write(path: Path, data: bytes) -> None:
    with open(path, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())  # on the disk before it is moved into place


def write_atomically(path: str | os.PathLike, data: bytes) -> None:
    """Write `data` to `path` so that it is either complete or absent, even on Ctrl-C."""
    with atomic_path(Path(path), size=len(data)) as tmp:
        _write(tmp, data)


def write_files(folder: str | os.PathLike, files: dict[str, bytes]) -> list[Path]:
    """Write every file of `files` (name: bytes) into `folder`, all or none: they are written
    into a hidden temporary folder and moved in once all are on the disk. Into a folder that
    exists, the temporary one is made inside it (so only it need be writable); a new folder
    is made whole beside it and appears at once. Files of `folder` not named stay; named ones
    are replaced, keeping their modes."""
    folder = Path(folder)
    if folder.is_symlink() and not folder.exists():
        raise FileNotFoundError(errno.ENOENT, f"{folder} is a link to {os.readlink(folder)}, "
                                "which does not exist: remove the link, or make that folder")
    new = not folder.exists()
    where = folder.parent if new else folder
    needed = sum(map(len, files.values()))
    try:
        where.mkdir(parents=True, exist_ok=True)
        remove_leftovers(where, ".part")
        tmp = Path(tempfile.mkdtemp(dir=where, prefix=f".{folder.name}.", suffix=".part"))
    except OSError as e:  # no inode left for the folder
        if e.errno in (errno.ENOSPC, errno.EDQUOT):
            raise DiskFull(folder, needed) from None
        raise
    try:
        for name, data in files.items():
            _write(tmp / name, data)
            os.chmod(tmp / name, _mode_for(folder / name))
        if new:
            os.chmod(tmp, _mode_for(folder, 0o777))
            tmp.rename(folder)  # the whole set appears at once
        else:  # renames within one disk need no space: none of these fails for want of it
            for name in files:
                os.replace(tmp / name, folder / name)
    except OSError as e:
        shutil.rmtree(tmp, ignore_errors=True)  # first, so that the free space said is true
        if e.errno in (errno.ENOSPC, errno.EDQUOT):
            raise DiskFull(folder, needed) from None
        raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return [folder / name for name in files]


def regular_file(path: str | os.PathLike) -> Path:
    """`path`, if it is a regular file (following links); else an error that says what it is,
    before anything opens it: reading a FIFO waits for a writer, a device may never end."""
    path = Path(path)
    mode = path.stat().st_mode  # FileNotFoundError, PermissionError: the caller's to word
    if stat.S_ISDIR(mode):
        raise IsADirectoryError(errno.EISDIR, "a folder, not a file", str(path))
    if not stat.S_ISREG(mode):
        kind = ("a pipe (FIFO)" if stat.S_ISFIFO(mode) else "a device" if stat.S_ISCHR(mode)
                or stat.S_ISBLK(mode) else "a socket" if stat.S_ISSOCK(mode) else "not a file")
        raise OSError(errno.EINVAL, f"{kind}, not a regular file: not read", str(path))
    return path


def check_zip(path: Path, max_unpacked: int = MAX_UNPACKED) -> None:
    """Refuse a zip archive (`.keras`, `.npz`) that would unpack to more than `max_unpacked`
    bytes: a zip bomb is a few MB on disk and gigabytes in memory. For an `.npz`, each array's
    own header counts too: it could claim a shape far larger than its member holds, and numpy
    would set aside the memory for it before reading a byte. A damaged archive is zipfile's or
    numpy's to report."""
    with zipfile.ZipFile(regular_file(path)) as archive:
        total = sum(info.file_size for info in archive.infolist())
        if path.suffix == ".npz":
            total = max(total, sum(_npy_bytes(archive, info) for info in archive.infolist()
                                   if info.filename.endswith(".npy")))
    if total > max_unpacked:
        raise TooLarge(f"{path} would unpack to {_mb(total)}, more than the {_mb(max_unpacked)} "
                       "digitlab reads (a student's server has 3 GB): not read")


def _npy_bytes(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> int:
    """The bytes that an `.npy` member's header says its array takes."""
    readers = {(1, 0): np.lib.format.read_array_header_1_0,
               (2, 0): np.lib.format.read_array_header_2_0}
    with archive.open(info) as member:
        try:
            shape, _, dtype = readers[np.lib.format.read_magic(member)](member)
        except (KeyError, ValueError, EOFError, SyntaxError):
            return 0  # not an array numpy reads: np.load says so
    count = 1
    for side in shape:
        count *= side
    return count * dtype.itemsize


def zip_archive(path: Path, kind: str, max_unpacked: int = MAX_UNPACKED) -> Path:
    """`path`, checked before anything unpacks it: a regular file (else OSError, or
    FileNotFoundError where there is none), a zip archive (else ValueError, naming the `kind`
    of file expected) that unpacks within `max_unpacked` (else TooLarge)."""
    regular_file(path)
    if not zipfile.is_zipfile(path):
        raise ValueError(f"{path} is not a {kind}: it is some other kind of file, or damaged "
                         f"(a {kind} is a zip archive)")
    check_zip(path, max_unpacked)
    return path


def load_json(text: bytes | str, source: str, max_size: int = MAX_JSON,
              max_depth: int = MAX_JSON_DEPTH):
    """Parse JSON that a file holds, after checking its size and how deep it nests."""
    if len(text) > max_size:
        raise TooLarge(f"{source} is {_mb(len(text))} of JSON, more than the {_mb(max_size)} "
                       "digitlab reads: not read")
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    depth = deepest = 0
    for bracket in re.findall(r'[\[\]{}]', re.sub(r'"(?:[^"\\]|\\.)*"', '""', text)):
        depth += 1 if bracket in "[{" else -1
        deepest = max(deepest, depth)
    if deepest > max_depth:
        raise TooLarge(f"{source} nests {deepest:,} deep, more than the {max_depth} digitlab "
                       "reads: not read")
    return json.loads(text)

