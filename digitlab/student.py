"""Student versions of the notebooks, made by nbgrader's own code.

The source notebooks are nbgrader source notebooks: each exercise is a solution cell
(`### BEGIN SOLUTION` ... `### END SOLUTION`) ending in a friendly check the student sees, then
an autograded test cell whose test is hidden (`### BEGIN HIDDEN TESTS` ... `### END HIDDEN
TESTS`), and the task above it is read-only. `nbgrader generate_assignment` makes the student
versions a graded class gets; `digitlab student SRC OUT` runs the same preprocessors of
nbgrader's, less the one that records the cells in nbgrader's database, so a class that grades
nothing gets the same versions (tests/test_classroom.py compares the two on notebooks written
in every way nbgrader accepts), and a notebook nbgrader refuses is refused here too.

The course's own settings live here, and classroom/nbgrader_config.py reads them from here:
the skeleton is a comment, not nbgrader's default `raise NotImplementedError()`, so an untouched
exercise reaches its check, which answers the placeholder with "not yet: define `first_seven`",
and Run All goes on to the end; and cells tagged `check`, which only test the lesson's own
results (nbval runs them in CI), are left out.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
BEGIN_HIDDEN, END_HIDDEN = "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"  # nbgrader's delimiters
SKELETON = "# YOUR CODE HERE"  # nbgrader's code stub, less its `raise`
CHECK_TAG = "check"  # a cell that only checks the lesson's results: CI runs it, students skip it
# nbgrader logs what it refuses, then raises: the raised error is our message, so no log lines.
_QUIET = logging.getLogger("digitlab.student")
_QUIET.addHandler(logging.NullHandler())
_QUIET.propagate = False


def nbgrader_settings():
    """The course's nbgrader settings: the skeleton, and the check cells left out."""
    from traitlets.config import Config

    c = Config()
    c.ClearSolutions.code_stub = {"python": SKELETON}
    c.TagRemovePreprocessor.enabled = True
    c.TagRemovePreprocessor.remove_cell_tags = [CHECK_TAG]
    return c


def preprocessors(with_database: bool) -> list:
    """`generate_assignment`'s preprocessors after the course's tag remover and answer cleaner;
    `with_database` False leaves out SaveCells, the one that needs nbgrader's gradebook."""
    from nbconvert.preprocessors import TagRemovePreprocessor
    from nbgrader.converters import GenerateAssignment
    from nbgrader.preprocessors import SaveCells

    steps = GenerateAssignment.class_traits()["preprocessors"].default()
    return [TagRemovePreprocessor, _answer_cleaner(),
            *(p for p in steps if with_database or p is not SaveCells)]


def _answer_cleaner():
    """A preprocessor that refuses a raw cell marked for grading (nbgrader's gradebook keeps only
    code and markdown cells, so generate_assignment fails on it) and clears the attachments of
    answer cells (an image pasted into the solution would reach the students)."""
    from nbgrader.preprocessors import NbGraderPreprocessor  # enabled, as nbgrader's own are

    class CleanAnswers(NbGraderPreprocessor):
        def preprocess(self, nb, resources):
            for cell in nb.cells:
                marks = cell.metadata.get("nbgrader", {})
                if cell.cell_type == "raw" and any(marks.get(k) for k in
                                                   ("solution", "grade", "locked")):
                    raise RuntimeError(f"a raw cell is marked for grading ({marks.get('grade_id')})"
                                       ": nbgrader grades only code and markdown cells")
                if marks.get("solution"):
                    cell.pop("attachments", None)
            return nb, resources

    return CleanAnswers


def hidden_tests(source: str) -> str:
    """The lines of an autograded test cell that its student version leaves out."""
    held, inside = [], False
    for line in source.split("\n"):
        if BEGIN_HIDDEN in line or END_HIDDEN in line:
            inside = BEGIN_HIDDEN in line
        elif inside:
            held.append(line)
    return "\n".join(held)


def student_notebook(nb):
    """A copy of the notebook `nb` as `nbgrader generate_assignment` releases it. Raises
    ValueError where nbgrader would refuse the notebook (a solution region in a cell that is
    not a solution cell, say)."""
    import copy

    from jsonschema import ValidationError

    config = nbgrader_settings()
    nb = copy.deepcopy(nb)
    resources = {"nbgrader": {"notebook": "", "assignment": ""}, "metadata": {"path": "."}}
    for step in preprocessors(with_database=False):
        try:
            nb, resources = step(config=config, log=_QUIET).preprocess(nb, resources)
        except (RuntimeError, ValidationError) as e:  # nbgrader's word for a badly marked cell
            raise ValueError(getattr(e, "message", None) or str(e)) from None
    return nb


def skipped(src: str | os.PathLike) -> list[Path]:
    """The `*.ipynb` entries of `src` that are not notebooks to convert: what is not a regular
    file (a pipe would hang the reader) and macOS's `._` companions, which copies leave behind."""
    return [path for path in sorted(Path(src).glob("*.ipynb"))
            if path.name.startswith("._") or not path.is_file()]


def write_student_versions(src: str | os.PathLike, out: str | os.PathLike,
                           force: bool = False, add_new: bool = False) -> list[Path]:
    """Write the student version of every notebook in folder `src` to folder `out`, all or
    none (a full disk leaves `out` as it was); the paths written. Every notebook is converted
    before any is written, and a file already in `out` is replaced only with `force`: a
    half-written set, or a student's copy silently overwritten, helps nobody. With `add_new`,
    only the notebooks `out` lacks are written (a new lesson), and the student's stay."""
    import nbformat

    from digitlab.files import load_json, write_files

    src, out = Path(src), Path(out)
    sources = [path for path in sorted(src.glob("*.ipynb")) if path not in skipped(src)]
    if not sources:
        raise FileNotFoundError(f"no notebooks (*.ipynb) in {src}")
    if out.resolve() == src.resolve():
        raise ValueError("OUT must differ from SRC: the sources keep their solutions")
    students = {}
    for path in sources:
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
            load_json(text, str(path))  # nesting too deep for Python's parser: TooLarge
            nb = nbformat.reads(text, as_version=4)
            nbformat.validate(nb)
            students[path.name] = student_notebook(nb)
        except (nbformat.ValidationError, TypeError, AttributeError, KeyError) as e:
            reason = getattr(e, "message", None) or e
            raise ValueError(f"{path}: not a valid notebook ({reason})") from None
        except ValueError as e:  # not JSON, or solution markers nbgrader refuses
            raise ValueError(f"{path}: {e}") from None
    taken = sorted(name for name in students if (out / name).exists())
    if add_new:
        students = {name: nb for name, nb in students.items() if name not in taken}
    elif taken and not force:
        raise FileExistsError(f"{out} already holds {', '.join(taken)}: nothing was written "
                              "(--force replaces them)")
    if not students:
        return []
    return write_files(out, {name: nbformat.writes(nb).encode() for name, nb in students.items()})
