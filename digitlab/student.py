"""Student versions of the notebooks: each solution replaced by a skeleton, outputs cleared.

The source notebooks mark solutions as nbgrader does (`### BEGIN SOLUTION` ... `### END
SOLUTION`, in cells whose metadata marks them as solution cells), so `nbgrader
generate_assignment` can use them as they are. `digitlab student SRC OUT` makes the same
student versions without nbgrader, turns each `assert checks.…(…)` into a plain call, so a
wrong answer gets a hint rather than an error, and leaves out the cells tagged `check`, which
only test the lesson's own results (nbval runs them in CI).

Each exercise cell starts, outside its solution, with the names the student is to define set to
a placeholder (`first_seven = ...`). The skeleton is a comment, not nbgrader's default `raise
NotImplementedError()`: so an untouched exercise reaches its check, which answers the
placeholder with "not yet: define `first_seven`", and Run All goes on to the end.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
SKELETON = "# YOUR CODE HERE"  # nbgrader's code stub, less its `raise`
_CHECK = re.compile(r"^(\s*)assert (checks\.\w+\(.*\))\s*$", re.MULTILINE)


def strip_solutions(source: str) -> str:
    """A code cell's text with each solution region replaced by SKELETON, indented alike."""
    lines, inside = [], False
    for line in source.split("\n"):
        if line.strip() == BEGIN:
            if inside:
                raise ValueError(f"a {BEGIN!r} inside another solution")
            inside = True
            indent = line[:line.index(BEGIN)]
            lines += [indent + stub for stub in SKELETON.split("\n")]
        elif line.strip() == END:
            if not inside:
                raise ValueError(f"an {END!r} without its {BEGIN!r}")
            inside = False
        elif not inside:
            lines.append(line)
    if inside:
        raise ValueError(f"a {BEGIN!r} without its {END!r}")
    # `checks.f(x);` prints its hint; the semicolon stops Jupyter echoing True or False
    return _CHECK.sub(r"\1\2;", "\n".join(lines))


CHECK_TAG = "check"  # a cell that only checks the lesson's results: CI runs it, students skip it


def student_notebook(nb):
    """A copy of the notebook `nb` as students get it: no solutions, no check cells, no outputs."""
    import copy

    nb = copy.deepcopy(nb)
    nb.cells = [c for c in nb.cells if CHECK_TAG not in c.metadata.get("tags", [])]
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.source = strip_solutions(cell.source)
            cell.outputs, cell.execution_count = [], None
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
