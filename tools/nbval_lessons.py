"""The pytest plugin that runs the lessons under nbval (registered by the root conftest.py).

Each notebook nbval runs goes on, in the same kernel, into its student version's exercises, and
a run with no MNIST to be had leaves the notebooks out with one line that says what to do,
rather than failing every cell. Notebooks are marked `slow`: `make test-fast` leaves them out.
"""

import os
import textwrap
from collections import defaultdict

import nbformat
import pytest
from nbval.plugin import IPyNbCell, IPyNbFile


class LessonThenStudentExercises(IPyNbFile):
    """A lesson's cells, then, in the same kernel, the exercise cells of its student version.

    Up to its first exercise a student version is the lesson less its check cells, cell for
    cell (tests/test_student.py checks it), so this runs every student notebook top to bottom
    without running a lesson twice. An untouched exercise must end in a hint, never an error,
    and then fail every hidden test nbgrader grades it with: untouched, it scores zero.
    """

    def collect(self):
        from digitlab import student

        lesson = list(super().collect())  # reads the notebook into self.nb
        yield from lesson
        cells = student.student_notebook(self.nb).cells
        start = next((i for i, c in enumerate(cells) if c.source.startswith("## Exercises")),
                     len(cells))  # a notebook without exercises: nothing more to run
        exercises = [c for c in cells[start:] if c.cell_type == "code"]
        graded = [c for c in self.nb.cells if c.metadata.get("nbgrader", {}).get("grade")]
        if graded:
            exercises.append(nbformat.v4.new_code_cell("\n".join(
                _must_fail(c.id, student.hidden_tests(c.source)) for c in graded)))
        for number, cell in enumerate(exercises, start=len(lesson)):
            yield IPyNbCell.from_parent(self, name=f"Cell {number} (student version)",
                                        cell_num=number, cell=cell,
                                        options=defaultdict(bool, check=False))


def _must_fail(name: str, test: str) -> str:
    """Code that runs the hidden `test` and raises unless it fails as nbgrader would grade it."""
    return (f"try:\n{textwrap.indent(test, '    ')}\nexcept AssertionError:\n    pass\n"
            f"else:\n    raise RuntimeError('an untouched exercise passed {name}')")


NO_MNIST = "DIGITLAB_TEST_NO_MNIST"  # set by the main process for its workers: what is missing


def pytest_configure(config):
    """Once, before any test: can the notebooks have MNIST (here, or downloaded now)? If not,
    they are left out with one line that says what to do, rather than each failing."""
    if hasattr(config, "workerinput") or NO_MNIST in os.environ:
        return  # a worker: the main process looked already
    from digitlab import data

    try:
        data.find_mnist()
    except data.DataError as e:
        if os.environ.get("DIGITLAB_STRICT") == "1":
            pytest.exit(f"no MNIST for the notebooks: {e}", returncode=1)
        os.environ[NO_MNIST] = str(e).replace("\n", " ")


def pytest_report_header(config):
    if os.environ.get(NO_MNIST):
        return [f"The notebooks are not run: {os.environ[NO_MNIST]}"]


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.path.suffix == ".ipynb":
            item.add_marker(pytest.mark.slow)
    if os.environ.get(NO_MNIST):
        notebooks = [item for item in items if item.path.suffix == ".ipynb"]
        config.hook.pytest_deselected(items=notebooks)
        items[:] = [item for item in items if item.path.suffix != ".ipynb"]


def pytest_terminal_summary(terminalreporter):
    if os.environ.get(NO_MNIST):
        terminalreporter.write_line(f"The notebooks were not run: {os.environ[NO_MNIST]}",
                                    yellow=True)


@pytest.hookimpl(wrapper=True)
def pytest_collect_file(file_path, parent):
    collected = yield
    return [LessonThenStudentExercises.from_parent(parent, path=file_path)
            if type(node) is IPyNbFile else node for node in collected or []]
