"""Student versions of the notebooks: solutions and hidden tests cleared, outputs cleared.

The source notebooks are nbgrader source notebooks: each exercise is a solution cell
(`### BEGIN SOLUTION` ... `### END SOLUTION`) ending in a friendly check the student sees, then
an autograded test cell whose test is hidden (`### BEGIN HIDDEN TESTS` ... `### END HIDDEN
TESTS`), and the task above it is read-only. `nbgrader generate_assignment`, with the settings in
`classroom/nbgrader_config.py`, makes the student versions a graded class gets.
`digitlab student SRC OUT` makes the same versions without nbgrader, for a class that grades
nothing (tests/test_classroom.py checks that the two agree), and leaves out the cells tagged
`check`, which only test the lesson's own results (nbval runs them in CI).

Each exercise cell starts, outside its solution, with the names the student is to define set to
a placeholder (`first_seven = ...`). The skeleton is a comment, not nbgrader's default `raise
NotImplementedError()`: so an untouched exercise reaches its check, which answers the
placeholder with "not yet: define `first_seven`", and Run All goes on to the end.
"""

from __future__ import annotations

import os
from pathlib import Path

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
BEGIN_HIDDEN, END_HIDDEN = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
SKELETON = "# YOUR CODE HERE"  # nbgrader's code stub, less its `raise`


def _split_regions(source: str, begin: str, end: str, stub: str | None) -> tuple[str, str]:
    """`source` with each region from a `begin` line to an `end` line replaced by `stub`
    (indented as `begin` was), or dropped where `stub` is None; and the lines those held."""
    kept, held, inside = [], [], False
    for line in source.split("\n"):
        if line.strip() == begin:
            if inside:
                raise ValueError(f"a {begin!r} inside another")
            inside = True
            if stub is not None:
                kept.append(line[:line.index(begin)] + stub)
        elif line.strip() == end:
            if not inside:
                raise ValueError(f"an {end!r} without its {begin!r}")
            inside = False
        else:
            (held if inside else kept).append(line)
    if inside:
        raise ValueError(f"a {begin!r} without its {end!r}")
    return "\n".join(kept), "\n".join(held)


def strip_solutions(source: str) -> str:
    """A code cell's text with each solution replaced by SKELETON and hidden tests removed."""
    source = _split_regions(source, BEGIN, END, SKELETON)[0]
    return _split_regions(source, BEGIN_HIDDEN, END_HIDDEN, None)[0]


def hidden_tests(source: str) -> str:
    """The lines of an autograded test cell that its student version leaves out."""
    return _split_regions(source, BEGIN_HIDDEN, END_HIDDEN, None)[1]


CHECK_TAG = "check"  # a cell that only checks the lesson's results: CI runs it, students skip it


def student_notebook(nb):
    """A copy of the notebook `nb` as students get it: no solutions, hidden tests, check cells
    or outputs, and the cells nbgrader locks locked alike (JupyterLab will not edit them)."""
    import copy

    nb = copy.deepcopy(nb)
    nb.cells = [c for c in nb.cells if CHECK_TAG not in c.metadata.get("tags", [])]
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.source = strip_solutions(cell.source)
            cell.outputs, cell.execution_count = [], None
        grading = cell.metadata.get("nbgrader", {})
        if grading.get("solution") or grading.get("grade") or grading.get("locked"):
            cell.metadata["deletable"] = False
            if not grading.get("solution"):  # a test or a task: the student only reads it
                cell.metadata["editable"] = False
    return nb


def write_student_versions(src: str | os.PathLike, out: str | os.PathLike,
                           force: bool = False) -> list[Path]:
    """Write the student version of every notebook in folder `src` to folder `out`. Every
    notebook is converted before any is written, and a file already in `out` is replaced only
    with `force`: a half-written set, or a student's copy silently overwritten, helps nobody."""
    import nbformat

    from digitlab.data import write_atomically

    src, out = Path(src), Path(out)
    sources = sorted(src.glob("*.ipynb"))
    if not sources:
        raise FileNotFoundError(f"no notebooks (*.ipynb) in {src}")
    if out.resolve() == src.resolve():
        raise ValueError("OUT must differ from SRC: the sources keep their solutions")
    students = {}
    for path in sources:
        try:
            nb = nbformat.reads(path.read_text(encoding="utf-8"), as_version=4)
            nbformat.validate(nb)
            students[path.name] = student_notebook(nb)
        except (nbformat.ValidationError, TypeError, AttributeError, KeyError) as e:
            reason = getattr(e, "message", None) or e
            raise ValueError(f"{path}: not a valid notebook ({reason})") from None
        except ValueError as e:  # not JSON, or unbalanced solution markers
            raise ValueError(f"{path}: {e}") from None
    taken = sorted(name for name in students if (out / name).exists())
    if taken and not force:
        raise FileExistsError(f"{out} already holds {', '.join(taken)}: nothing was written "
                              "(--force replaces them)")
    out.mkdir(parents=True, exist_ok=True)
    for name, student in students.items():
        write_atomically(out / name, nbformat.writes(student).encode())
    return [out / name for name in students]
