"""Run a student's notebook where it can harm no one: the autograde sandbox of a class server.

`nbgrader autograde` runs each submission's code. On the class hub it does not run it as the
instructor: `digitlab.grading.SandboxedExecute` hands the notebook, on standard input, to
`CLASS/grade`, a root-owned script that setup_class.py writes and lets the instructor run with
sudo, and that runs `python -m digitlab.sandbox CLASS GRADER`. This module then, as root:

1. starts fresh namespaces (util-linux `unshare`): no network but a loopback of its own, no
   other process to see or signal, and a mount table of its own;
2. in them mounts the whole file system read-only, puts empty memory-backed folders over /tmp,
   /var/tmp, /dev/shm and the class folder (the hub's state, the exchange and the submissions),
   and shows the class's MNIST read-only at /tmp/mnist;
3. becomes GRADER, a user with no home, no group of the class's and no sudo, with limits on
   memory, processes, file size and CPU time, an environment of five variables (no token, no
   instructor's secrets), and no way to gain privileges back;
4. executes the notebook there with nbgrader's own Execute preprocessor and prints the executed
   notebook on standard output.

When the notebook is done, or its time is up, the namespace's first process ends and the kernel
ends every process left in it. The instructor's process reads the outputs back and writes the
gradebook itself.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import pwd
import resource
import subprocess
import sys
from pathlib import Path

GRADER_MARK = "digitlab grader"  # the comment setup_class.py gives the grading user
MEMORY = 4 << 30  # address space per process: notebook 04 peaks at 1.8 GB resident
PROCESSES = 512  # the grading user's processes and threads, all sandboxes together
FILE_SIZE = 1 << 30
NOTEBOOK_BYTES = 64 << 20  # a submitted notebook, and an executed one, at most
TMP_SIZE = "1g"  # the private /tmp, in memory
MAX_SECONDS = 4 * 3600
DATA = "/tmp/mnist"  # where the sandbox sees the class's MNIST
PYTHON = sys.executable


class SandboxError(Exception):
    """The sandbox could not be set up, or returned no notebook: nothing is graded."""


def grader(name: str) -> pwd.struct_passwd:
    """The grading user `name`, refused unless setup_class.py made it for this."""
    try:
        user = pwd.getpwnam(name)
    except KeyError:
        raise SandboxError(f"no user {name}: run classroom/setup_class.py again") from None
    if user.pw_uid == 0 or user.pw_gid == 0 or user.pw_gecos != GRADER_MARK:
        raise SandboxError(f"{name} is not a grading user that setup_class.py made")
    return user


def command(class_folder: Path, user: str, cell_timeout: int, quick: bool) -> list[str]:
    """The command that runs a notebook from standard input in fresh namespaces (run as root)."""
    confine = ("from digitlab.sandbox import confine; "
               f"confine({str(class_folder)!r}, {user!r}, {cell_timeout}, {quick})")
    return ["unshare", "--net", "--pid", "--fork", "--kill-child", "--mount-proc", "--mount",
            "--ipc", "--uts", PYTHON, "-I", "-c", confine]


def mount_points() -> list[str]:
    """Every mount point, parents first (from /proc/self/mountinfo)."""
    lines = Path("/proc/self/mountinfo").read_text().splitlines()
    points = [line.split()[4].encode().decode("unicode_escape") for line in lines]
    return sorted(set(points), key=len)


def _mount(*args: str, fds: tuple[int, ...] = ()) -> None:
    subprocess.run(["mount", *args], check=True, capture_output=True, pass_fds=fds)


def confine(class_folder: str, user: str, cell_timeout: int, quick: bool) -> None:
    """Inside the new namespaces, as root: hide and freeze the file system, become the grading
    user within limits, and run the notebook read from standard input (this never returns)."""
    if os.getpid() != 1:
        raise SandboxError("confine() runs only as the first process of a new namespace")
    account = grader(user)
    # What the notebook needs from places the empty folders cover (a Python, or digitlab, kept
    # under /tmp, say), held open now and shown again, read-only, once they are covered.
    needed = {DATA: (Path(class_folder) / "mnist").resolve()}
    for path in (Path(sys.base_prefix), Path(sys.prefix), Path(__file__).parent.parent):
        needed.setdefault(str(path.resolve()), path.resolve())
    held = {place: os.open(path, os.O_PATH) for place, path in needed.items() if path.is_dir()}
    for point in mount_points():
        if not point.startswith(("/proc", "/sys")):
            _mount("-o", "remount,bind,ro", point)
    covered = []
    for point, options in (("/tmp", f"size={TMP_SIZE},mode=1777"),
                           ("/var/tmp", "size=64m,mode=1777"), ("/dev/shm", "size=256m,mode=1777"),
                           (class_folder, "size=1m,mode=0755,ro")):  # an empty, unwritable class
        if point == class_folder:
            os.makedirs(point, exist_ok=True)  # under /tmp, the class is in the new, empty one
        if Path(point).is_dir():
            _mount("-t", "tmpfs", "-o", f"{options},nosuid,nodev", "tmpfs", point)
            covered.append(Path(point))
    shown: list[Path] = []
    for place in sorted(held, key=len):
        inside = Path(place)
        if place != DATA and (not any(inside.is_relative_to(c) for c in covered)
                              or any(inside.is_relative_to(s) for s in shown)):
            continue  # still in sight, or inside one shown already
        os.makedirs(inside, exist_ok=True)
        _mount("--no-canonicalize", "--bind", f"/proc/self/fd/{held[place]}", place,
               fds=(held[place],))  # the open folder itself, not its name: covered now
        _mount("-o", "remount,bind,ro", place)
        shown.append(inside)
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True, capture_output=True)
    work = Path("/tmp/work")
    work.mkdir(mode=0o700)
    notebook = work / "submission.ipynb"
    notebook.write_bytes(sys.stdin.buffer.read(NOTEBOOK_BYTES + 1)[:NOTEBOOK_BYTES])
    for path in (work, notebook):
        os.chown(path, account.pw_uid, account.pw_gid)
    os.chdir(work)
    for limit, value in ((resource.RLIMIT_AS, MEMORY), (resource.RLIMIT_NPROC, PROCESSES),
                         (resource.RLIMIT_FSIZE, FILE_SIZE), (resource.RLIMIT_CORE, 0),
                         (resource.RLIMIT_NOFILE, 1024), (resource.RLIMIT_CPU, MAX_SECONDS)):
        resource.setrlimit(limit, (value, value))
    os.setgroups([])
    os.setgid(account.pw_gid)
    os.setuid(account.pw_uid)
    if ctypes.CDLL(None, use_errno=True).prctl(38, 1, 0, 0, 0):  # PR_SET_NO_NEW_PRIVS
        raise SandboxError("could not forbid new privileges")
    env = {"PATH": f"{Path(PYTHON).parent}:/usr/bin:/bin", "HOME": str(work),
           "LANG": "C.UTF-8", "DIGITLAB_DATA": DATA, "NBGRADER_EXECUTION": "autograde",
           **({"DIGITLAB_QUICK": "1"} if quick else {})}
    run = f"from digitlab.sandbox import execute; execute({str(notebook)!r}, {cell_timeout})"
    os.execve(PYTHON, [PYTHON, "-I", "-c", run], env)


def execute(path: str, cell_timeout: int) -> None:
    """As the grading user: run the notebook at `path` as nbgrader does, and print the result."""
    import nbformat
    from nbgrader.preprocessors import Execute

    result = os.fdopen(os.dup(1), "w")  # a descriptor the kernel does not inherit
    os.dup2(2, 1)  # whatever the kernel writes to its own stdout goes to stderr
    nb = nbformat.read(path, as_version=4)
    Execute(timeout=cell_timeout).preprocess(nb, {"metadata": {"path": str(Path(path).parent)}})
    nbformat.write(nb, result)
    result.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m digitlab.sandbox",
        description="Run the notebook on standard input in the autograde sandbox (as root); "
                    "print the executed notebook.")
    parser.add_argument("class_folder", type=Path, help="the class folder (setup_class.py's)")
    parser.add_argument("user", help="the grading user")
    parser.add_argument("--cell-timeout", type=int, default=1800, help="seconds per cell")
    parser.add_argument("--timeout", type=int, default=3600, help="seconds for the notebook")
    parser.add_argument("--quick", action="store_true", help="run the lesson in quick mode")
    args = parser.parse_args(argv)
    try:
        if os.geteuid() != 0:
            raise SandboxError("run me as root (the instructor runs CLASS/grade with sudo)")
        grader(args.user)
        seconds = min(max(args.timeout, 1), MAX_SECONDS)
        done = subprocess.run(["timeout", "--kill-after=10", str(seconds),
                               *command(args.class_folder.resolve(), args.user,
                                        min(max(args.cell_timeout, 1), seconds), args.quick)])
    except (SandboxError, OSError) as e:
        print(f"digitlab.sandbox: {e}", file=sys.stderr)
        return 2
    if done.returncode == 124:
        print(f"digitlab.sandbox: the notebook ran past {seconds} s and was stopped",
              file=sys.stderr)
    return done.returncode


if __name__ == "__main__":
    sys.exit(main())
