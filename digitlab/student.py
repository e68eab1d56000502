"""Student versions of the notebooks: each solution replaced by a skeleton, outputs cleared.

The source notebooks mark solutions as nbgrader does (`### BEGIN SOLUTION` ... `### END
SOLUTION`, in cells whose metadata marks them as solution cells), so `nbgrader
generate_assignment` can use them as they are. `digitlab student SRC OUT` makes the same
student versions without nbgrader, and turns each `assert checks.…(…)` into a plain call, so a
wrong answer gets a hint rather than an error.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
SKELETON = "# YOUR CODE HERE\nraise NotImplementedError()"  # nbgrader's own code stub
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


def student_notebook(nb):
    """A copy of the notebook `nb` as students get it: no solutions, no outputs."""
    import copy

    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.source = strip_solutions(cell.source)
            cell.outputs, cell.execution_count = [], None
    return nb


def write_student_versions(src: str | os.PathLike, out: str | os.PathLike) -> list[Path]:
    """Write the student version of every notebook in folder `src` to folder `out`."""
    import nbformat

    from digitlab.data import write_atomically

    src, out = Path(src), Path(out)
    sources = sorted(src.glob("*.ipynb"))
    if not sources:
        raise FileNotFoundError(f"no notebooks (*.ipynb) in {src}")
    if out.resolve() == src.resolve():
        raise ValueError("OUT must differ from SRC: the sources keep their solutions")
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for path in sources:
        try:
            student = student_notebook(nbformat.read(path, as_version=4))
        except ValueError as e:
            raise ValueError(f"{path}: {e}") from None
        write_atomically(out / path.name, nbformat.writes(student).encode())
        written.append(out / path.name)
    return written
