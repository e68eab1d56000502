"""The course under nbgrader, as an instructor runs it: `classroom/new_course.py` makes the
course folder, `nbgrader generate_assignment` the student versions (the same as `digitlab
student` makes), `nbgrader autograde` and `generate_feedback` grade three students' notebook 00:
the solutions score full marks, an untouched notebook zero, one wrong answer its point off."""

import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook

from conftest import needs_real_mnist
from digitlab import student

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "classroom"))
from new_course import LESSONS, new_course  # noqa: E402


def nbgrader(course: Path, *args: str) -> str:
    """Run an nbgrader command in the course folder, as an instructor would; its log."""
    bin_dir = str(Path(sys.executable).parent)  # nbgrader calls `alembic` from its environment
    env = {**os.environ, "PATH": bin_dir + os.pathsep + os.environ["PATH"]}
    done = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=env,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stderr


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    folder = tmp_path_factory.mktemp("course")
    assert len(new_course(folder)) == len(LESSONS)
    nbgrader(folder, "generate_assignment", "*")
    return folder


def test_a_course_folder_is_never_set_up_twice(course):
    with pytest.raises(FileExistsError):
        new_course(course)


def test_nbgrader_releases_what_digitlab_student_makes(course):
    for lesson in LESSONS:
        released = nbformat.read(course / "release" / lesson.stem / lesson.name, as_version=4)
        ours = student.student_notebook(nbformat.read(lesson, as_version=4))

        def cells(nb):  # nbgrader adds checksums and cell state to its own metadata
            return [(c.cell_type, c.source, {k: v for k, v in c.metadata.items()
                                             if k != "nbgrader"}) for c in nb.cells]

        assert cells(released) == cells(ours), lesson.name
        assert "HIDDEN TESTS" not in nbformat.writes(released)


def answered(course: Path, wrong: str | None = None):
    """Notebook 00 as released, each exercise answered with the source's solution; the
    exercise `wrong` answered with the two values swapped."""
    name = LESSONS[0]
    nb = nbformat.read(course / "release" / name.stem / name.name, as_version=4)
    solutions = {c.id: c.source for c in nbformat.read(name, as_version=4).cells}
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("solution"):
            cell.source = solutions[cell.id]
        if cell.metadata.get("nbgrader", {}).get("grade_id") == wrong:
            cell.source += "\nheaviest, lightest = lightest, heaviest"
    return nb


@needs_real_mnist
def test_autograde_scores_solutions_full_untouched_zero_and_a_wrong_answer_its_point(course):
    name = LESSONS[0]
    release = nbformat.read(course / "release" / name.stem / name.name, as_version=4)
    for who, nb in {"ada": answered(course), "ben": release,
                    "cy": answered(course, wrong="nb00_ex2")}.items():
        folder = course / "submitted" / who / name.stem
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / name.name)
    # (its log warns that every hidden-test cell's checksum changed: nbgrader#1961, harmless)
    nbgrader(course, "autograde", name.stem)
    nbgrader(course, "generate_feedback", name.stem)

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        scores = {who: {g.name: g.score for g in gradebook.find_submission_notebook(
            name.stem, name.stem, who).grades} for who in ("ada", "ben", "cy")}
    assert scores == {"ada": {"nb00_ex1_test": 1, "nb00_ex2_test": 1, "nb00_ex3_test": 1},
                      "ben": {"nb00_ex1_test": 0, "nb00_ex2_test": 0, "nb00_ex3_test": 0},
                      "cy": {"nb00_ex1_test": 1, "nb00_ex2_test": 0, "nb00_ex3_test": 1}}
    feedback = (course / "feedback" / "cy" / name.stem / f"{name.stem}.html").read_text()
    assert "Not yet" in feedback  # the friendly check's hint reaches the student's feedback
