"""Set for the whole test run, notebooks included (nbval's kernels inherit the environment):
quick mode, so the series runs in minutes, and quiet TensorFlow start-up. And each notebook
nbval runs goes on into its student version's exercises (below)."""

import os
from collections import defaultdict

import pytest

os.environ.setdefault("DIGITLAB_QUICK", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from nbval.plugin import IPyNbCell, IPyNbFile  # noqa: E402  (after the environment is set)


class LessonThenStudentExercises(IPyNbFile):
    """A lesson's cells, then, in the same kernel, the exercise cells of its student version.

    Up to its first exercise a student version is the lesson less its check cells, cell for
    cell (tests/test_student.py checks it), so this runs every student notebook top to bottom
    without running a lesson twice. An untouched exercise must end in a hint, never an error.
    """

    def collect(self):
        from digitlab import student

        lesson = list(super().collect())  # reads the notebook into self.nb
        yield from lesson
        cells = student.student_notebook(self.nb).cells
        start = next((i for i, c in enumerate(cells) if c.source.startswith("## Exercises")),
                     len(cells))  # a notebook without exercises: nothing more to run
        exercises = [c for c in cells[start:] if c.cell_type == "code"]
        for number, cell in enumerate(exercises, start=len(lesson)):
            yield IPyNbCell.from_parent(self, name=f"Cell {number} (student version)",
                                        cell_num=number, cell=cell,
                                        options=defaultdict(bool, check=False))


@pytest.hookimpl(wrapper=True)
def pytest_collect_file(file_path, parent):
    collected = yield
    return [LessonThenStudentExercises.from_parent(parent, path=file_path)
            if type(node) is IPyNbFile else node for node in collected or []]
