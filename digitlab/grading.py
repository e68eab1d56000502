"""nbgrader for a class of strangers: what classroom/nbgrader_config.py plugs into nbgrader.

Every path that runs or copies a student's work treats it as hostile:
- `SandboxedExecute` runs a submission in the class's sandbox (digitlab.sandbox), never as the
  instructor, and takes back only the outputs of the notebook's own code cells;
- `OwnSubmissionsCollect` collects only what the student wrote: a real folder of regular files,
  all owned by the student whose name it carries, under a size limit; anything else is refused
  whole, with a log line naming the student, and nothing is followed or opened on the way;
- each student submits into a folder of her own where the class has one (`inbound/NAME`, a disk
  of its own on the class hub: setup_class.py), so filling it fills no one else's;
- `SanitizeFeedback` strips scripts from the outputs and answers before feedback is written;
- `exchange_classes()` lets the exchange's root be root's (no student makes folders there).
"""

from __future__ import annotations

import fnmatch
import glob
import os
import pwd
import shutil
import stat
import subprocess
import tempfile

import nbformat
from nbgrader.exchange.default import (
    ExchangeFetchAssignment,
    ExchangeFetchFeedback,
    ExchangeList,
    ExchangeReleaseAssignment,
    ExchangeReleaseFeedback,
    ExchangeSubmit,
)
from nbgrader.exchange.default.collect import ExchangeCollect
from nbgrader.preprocessors import Execute, NbGraderPreprocessor
from nbgrader.utils import get_username
from traitlets import Bool, Integer, List, Unicode

from digitlab.files import user_name
from digitlab.sandbox import NOTEBOOK_BYTES, SandboxError

SUBMISSION_BYTES = 50 << 20  # a lesson's notebook with its plots is about 1 MB
SUBMISSION_ENTRIES = 1000


class SandboxedExecute(Execute):
    """nbgrader's Execute, run by the class's sandbox as an unprivileged user of its own."""

    command = List(Unicode(), help="The sandbox's command (setup_class.py's CLASS/grade, "
                   "with sudo); the notebook goes to its standard input.").tag(config=True)
    notebook_timeout = Integer(7200, help="Seconds for a whole notebook.").tag(config=True)
    quick = Bool(False, help="Run the lessons in quick mode.").tag(config=True)

    def preprocess(self, nb, resources=None, km=None):
        if not self.command:
            raise SandboxError("autograde runs submissions only in the class's sandbox: run "
                               "it on the class hub (classroom/README.md), where "
                               "DIGITLAB_CLASS is set")
        options = [f"--cell-timeout={self.timeout or 1800}",
                   f"--timeout={self.notebook_timeout}", *(["--quick"] if self.quick else [])]
        with tempfile.TemporaryFile() as errors:
            process = subprocess.Popen([*self.command, *options], stdin=subprocess.PIPE,
                                       stdout=subprocess.PIPE, stderr=errors)
            process.stdin.write(nbformat.writes(nb).encode())
            process.stdin.close()
            text = process.stdout.read(NOTEBOOK_BYTES + 1)  # a submission may print without end
            if len(text) > NOTEBOOK_BYTES:
                process.kill()
            process.wait()
            errors.seek(0)
            said = errors.read()[-3000:].decode(errors="replace")
        if process.returncode or len(text) > NOTEBOOK_BYTES:
            raise SandboxError(f"the sandbox ended with status {process.returncode}: {said}")
        take_outputs(nb, text.decode(errors="replace"))
        return nb, resources


def take_outputs(nb, executed: str) -> None:
    """Copy the outputs of `executed` (a notebook's JSON, from the sandbox: untrusted) into the
    code cells of `nb`, which keeps its own sources and metadata."""
    try:
        ran = nbformat.reads(executed, as_version=4)
        nbformat.validate(ran)
    except Exception as e:  # any way a notebook can be malformed
        raise SandboxError(f"the sandbox returned no valid notebook: {e}") from None
    if [c.cell_type for c in ran.cells] != [c.cell_type for c in nb.cells]:
        raise SandboxError("the sandbox returned other cells than it was given")
    for mine, theirs in zip(nb.cells, ran.cells, strict=True):
        if mine.cell_type == "code":
            mine.outputs, mine.execution_count = theirs.outputs, theirs.execution_count


def student_uid(folder: str, name: str) -> int:
    """The Unix user a submission must be made by: the one called `name`, or where no user is
    (a laptop where one user plays every student), whoever made the folder."""
    try:
        return pwd.getpwnam(name).pw_uid
    except KeyError:
        return os.lstat(folder).st_uid


def refusal(folder: str, uid: int, limit: int = SUBMISSION_BYTES) -> str | None:
    """Why the submission `folder` is not collected, or None: it must be a real folder holding
    only folders and regular files, each owned by `uid`, `limit` bytes in all."""
    total, entries, todo = 0, 0, [folder]
    while todo:
        path = todo.pop()
        info = os.lstat(path)
        if info.st_uid != uid:
            return f"{path} belongs to {user_name(info.st_uid)}"
        if stat.S_ISDIR(info.st_mode):
            todo += [os.path.join(path, name) for name in os.listdir(path)]
        elif not stat.S_ISREG(info.st_mode):
            return f"{path} is not a regular file (a link, a device or a pipe)"
        total, entries = total + info.st_size, entries + 1
        if total > limit or entries > SUBMISSION_ENTRIES:
            return f"it holds more than {limit >> 20} MB or {SUBMISSION_ENTRIES} files"
    return None


def copy_own(src: str, dest: str, uid: int, limit: int = SUBMISSION_BYTES,
             ignore: tuple[str, ...] = ()) -> None:
    """Copy the folder `src` to `dest`, opening each thing without following a link and checking
    what was opened (a student may swap a file for a link after `refusal` looked)."""
    budget = [limit]

    def copy_folder(fd: int, to: str) -> None:
        os.mkdir(to, 0o700)
        for entry in os.scandir(fd):
            if any(fnmatch.fnmatch(entry.name, pattern) for pattern in ignore):
                continue
            flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY
            child = os.open(entry.name, flags, dir_fd=fd)
            try:
                info = os.fstat(child)
                if info.st_uid != uid:
                    raise PermissionError(f"{entry.name} belongs to {user_name(info.st_uid)}")
                if stat.S_ISDIR(info.st_mode):
                    copy_folder(child, os.path.join(to, entry.name))
                elif stat.S_ISREG(info.st_mode):
                    copy_file(child, os.path.join(to, entry.name))
                else:
                    raise PermissionError(f"{entry.name} is not a regular file")
            finally:
                os.close(child)
        os.chmod(to, 0o755)

    def copy_file(fd: int, to: str) -> None:
        with open(to, "xb") as out:
            while chunk := os.read(fd, 1 << 20):
                budget[0] -= len(chunk)
                if budget[0] < 0:
                    raise PermissionError(f"more than {limit >> 20} MB")
                out.write(chunk)
        os.chmod(to, 0o644)

    top = os.open(src, os.O_RDONLY | os.O_NOFOLLOW | os.O_DIRECTORY)
    try:
        if os.fstat(top).st_uid != uid:
            raise PermissionError(f"{src} belongs to {user_name(os.fstat(top).st_uid)}")
        copy_folder(top, dest)
    finally:
        os.close(top)


class _RootsRoot:
    """The exchange's root belongs to root (setup_class.py makes it, with the course's folder):
    a student needs to reach it, never to write in it."""

    def ensure_root(self):
        if not os.path.isdir(self.root):
            self.fail(f"No exchange at {self.root}: ask your instructor")


def own_inbound(inbound: str, user: str) -> str:
    """Where `user` submits: her own folder in `inbound` where the class made one, else the
    course's shared folder (nbgrader's own layout, on a laptop)."""
    mine = os.path.join(inbound, user)
    return mine if os.path.isdir(mine) else inbound


def newest(records: list[dict], duedate=None) -> list[dict]:
    """Each student's newest submission; with a `duedate`, her newest before it where she has
    one (nbgrader's `--before-duedate`)."""
    chosen: dict[str, dict] = {}
    for record in sorted(records, key=lambda r: r["timestamp"]):
        old = chosen.get(record["username"])
        if (old is None or duedate is None or record["timestamp"] <= duedate
                or old["timestamp"] > duedate):
            chosen[record["username"]] = record
    return list(chosen.values())


class OwnSubmissionsCollect(_RootsRoot, ExchangeCollect):
    """Collect each student's newest submission that is wholly their own. nbgrader takes the
    student's name from the folder's name, which the submitter chooses (`nbgrader submit
    --student=ben`), and copies whatever the folder holds, links included; here the folder and
    everything in it must belong to the student's own Unix user. A refused submission is named
    in the log and never chosen over an acceptable one, whatever its time. Submissions are
    looked for in the students' own folders too (`own_inbound`)."""

    max_bytes = Integer(SUBMISSION_BYTES, help="A submission's size limit.").tag(config=True)

    def _path_to_record(self, path):
        record = super()._path_to_record(path)
        record["filename"] = os.path.relpath(path, self.inbound_path)
        record["refused"] = refusal(path, student_uid(path, record["username"]), self.max_bytes)
        return record

    def init_src(self):
        super().init_src()  # nbgrader's checks of the course, and its due date
        name = f"{self.coursedir.student_id or '*'}+{self.coursedir.assignment_id}+*"
        found = [*glob.glob(os.path.join(self.inbound_path, name)),
                 *glob.glob(os.path.join(self.inbound_path, "*", name))]
        records = [self._path_to_record(path) for path in found]
        for record in records:
            if record["refused"]:
                self.log.warning("Not collected: %s from %s: %s", record["filename"],
                                 record["username"], record["refused"])
        self.src_records = newest([r for r in records if not r["refused"]],
                                  self.duedate if self.before_duedate else None)

    def do_copy(self, src, dest, log=None):
        name = os.path.basename(src).rsplit("+", 3)[0]
        try:
            copy_own(src, dest, student_uid(src, name), self.max_bytes,
                     tuple(self.coursedir.ignore))
        except OSError as e:  # a link met (ELOOP), a stranger's file, the size limit
            shutil.rmtree(dest, ignore_errors=True)
            self.log.warning("Not collected: %s from %s: %s", os.path.basename(src), name, e)


class OwnInboundSubmit(_RootsRoot, ExchangeSubmit):
    """nbgrader's submit, into the student's own folder where the class made one."""

    @property
    def inbound_path(self) -> str:
        return self._inbound

    @inbound_path.setter
    def inbound_path(self, shared: str) -> None:  # nbgrader sets the shared one, then checks it
        self._inbound = own_inbound(shared, get_username())


class OwnInboundList(_RootsRoot, ExchangeList):
    """nbgrader's list; with `--inbound`, the students' own folders listed too."""

    def init_dest(self):
        super().init_dest()
        if self.inbound:
            course = self.coursedir.course_id or "*"
            name = f"{self.coursedir.student_id or '*'}+{self.coursedir.assignment_id or '*'}+*"
            self.assignments = sorted(self.assignments + glob.glob(
                os.path.join(self.root, course, "inbound", "*", name)))

    def parse_assignment(self, assignment):
        if self.inbound:  # .../inbound/ada/ada+ps1+... reads as nbgrader's .../inbound/ada+ps1+...
            head, _, tail = assignment.rpartition("/inbound/")
            assignment = f"{head}/inbound/{tail.rsplit('/', 1)[-1]}"
        return super().parse_assignment(assignment)


class SanitizeFeedback(NbGraderPreprocessor):
    """Leave no script in the feedback: outputs and answers cleaned, scripts and SVG dropped."""

    def preprocess(self, nb, resources):
        from nbconvert.filters import clean_html

        for cell in nb.cells:
            if cell.cell_type == "markdown" and not cell.metadata.get("nbgrader", {}).get("locked"):
                cell.source = clean_html(cell.source)
            if cell.cell_type == "raw":
                for key in ("raw_mimetype", "format"):  # shown as text, never as HTML
                    cell.metadata.pop(key, None)
            cell.pop("attachments", None)
            for output in cell.get("outputs", []):
                data = output.get("data", {})
                for mime in list(data):
                    if mime in ("text/html", "text/markdown"):
                        data[mime] = clean_html(data[mime])
                    elif mime not in ("text/plain", "image/png", "image/jpeg", "text/latex"):
                        del data[mime]
        return nb, resources


def exchange_classes() -> dict:
    """nbgrader's exchange classes for ExchangeFactory: each accepts a root it cannot write, and
    submit, collect and list know the students' own folders."""
    plain = {"fetch_assignment": ExchangeFetchAssignment, "fetch_feedback": ExchangeFetchFeedback,
             "release_assignment": ExchangeReleaseAssignment,
             "release_feedback": ExchangeReleaseFeedback}
    return {**{key: type(cls.__name__, (_RootsRoot, cls), {"__module__": __name__})
               for key, cls in plain.items()},
            "list": OwnInboundList, "submit": OwnInboundSubmit, "collect": OwnSubmissionsCollect}
