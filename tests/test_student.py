"""Student versions: every exercise has a solution, none leaks, and each version runs."""

import ast
import inspect
import os
import re
import textwrap
from pathlib import Path

import nbformat
import pytest

from digitlab import cli, student

NOTEBOOKS = sorted((Path(__file__).parent.parent / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def exercises(nb):
    """(question markdown, answer code cell, test cell) of each exercise."""
    start = next(i for i, c in enumerate(nb.cells) if c.source.startswith("## Exercises"))
    cells = nb.cells[start:]
    return [(q, a, t) for q, a, t in zip(cells, cells[1:], cells[2:], strict=False)
            if q.cell_type == "markdown" and re.search(r"^\*\*\d+\.\*\*", q.source, re.M)]


def solution_lines(source):
    inside, lines = False, []
    for line in source.split("\n"):
        if line.strip() in (student.BEGIN, student.END):
            inside = line.strip() == student.BEGIN
        elif inside and len(line.strip()) > 3:
            lines.append(line.strip())
    return lines


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_exercise_is_graded_by_nbgrader(path):
    """A read-only task, a solution cell ending in the friendly check the student sees, and an
    autograded test cell whose hidden test asserts that same check (nbval runs it here)."""
    nb = nbformat.read(path, as_version=4)
    found = exercises(nb)
    assert 2 <= len(found) <= 4
    ids = []
    for question, answer, test in found:
        task, solution, grade = (c.metadata.get("nbgrader", {}) for c in (question, answer, test))
        assert task["locked"] and not task["solution"] and not task["grade"], question.source
        assert answer.cell_type == "code" and solution_lines(answer.source), question.source
        assert solution["solution"] and not solution["grade"] and not solution["locked"]
        assert grade["grade"] and grade["locked"] and grade["points"] > 0 and test.id == grade[
            "grade_id"]
        check = answer.source.split(student.END)[1].strip()
        assert re.fullmatch(r"checks\.\w+\(.*\);", check)  # the hint, echo off
        assert student.hidden_tests(test.source) == f"assert {check[:-1]}"
        assert test.source.startswith("# ")  # what the student sees of it: a comment
        ids += [task["grade_id"], solution["grade_id"], grade["grade_id"]]
    assert len(set(ids)) == len(ids)


def placeholders(source):
    """The names an exercise cell sets to `...` before its solution: what the student defines."""
    head = source.split(student.BEGIN)[0]
    return re.findall(r"^(\w+) = \.\.\.  # \S", head, re.M)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_exercise_names_what_to_define(path):
    """The task names each value its check reads; the cell leaves it as a placeholder, `...`;
    the check's parameter has the same name, so its hint can say what is still to define."""
    from digitlab import checks

    for question, answer, _ in exercises(nbformat.read(path, as_version=4)):
        names = placeholders(answer.source)
        solution = answer.source.split(student.BEGIN)[1].split(student.END)[0]
        call = ast.parse(answer.source.split(student.END)[1])
        check = call.body[0].value
        given = [a.id for a in check.args]
        tree = ast.parse(textwrap.dedent(solution))
        defined = {node.id for node in ast.walk(tree)
                   if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store)}
        defined |= {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}
        assert names and set(names) == defined & set(given), (path.name, names, given)
        assert all(re.search(rf"`{name}\b", question.source) for name in names), question.source
        parameters = list(inspect.signature(getattr(checks, check.func.attr)).parameters)
        assert all(parameters[given.index(name)] == name for name in names), check.func.attr


def test_hidden_tests_are_the_lines_nbgrader_hides():
    test = "# graded\n### BEGIN HIDDEN TESTS\nassert f(y)\n### END HIDDEN TESTS"
    assert student.hidden_tests(test) == "assert f(y)"
    assert student.hidden_tests(test.replace("###", "##")) == "assert f(y)"  # as nbgrader reads


@pytest.fixture(scope="module")
def versions(tmp_path_factory):
    out = tmp_path_factory.mktemp("student")
    assert cli.main(["student", str(NOTEBOOKS[0].parent), str(out)]) == 0
    return out


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_solution_leaks(path, versions):
    source = nbformat.read(path, as_version=4)
    text = "\n".join(c.source for c in nbformat.read(versions / path.name, as_version=4).cells)
    # A solution may reuse a line the lesson itself shows: only the others count as leaks.
    lesson = "\n".join(c.source for c in source.cells if "SOLUTION" not in c.source
                       and not c.metadata.get("nbgrader", {}).get("grade"))
    leaked = [line for _, answer, test in exercises(source)
              for line in solution_lines(answer.source) + [student.hidden_tests(test.source)]
              if line in text and line not in lesson]
    assert not leaked
    assert "BEGIN SOLUTION" not in text and "HIDDEN TESTS" not in text
    assert text.count(student.SKELETON) == len(exercises(source))


def test_student_command_refuses_to_overwrite_sources(tmp_path, capsys):
    assert cli.main(["student", str(NOTEBOOKS[0].parent), str(NOTEBOOKS[0].parent)]) == 2
    assert cli.main(["student", str(tmp_path), str(tmp_path / "out")]) == 2
    assert "no notebooks" in capsys.readouterr().err


def test_student_command_never_replaces_a_version_without_force(tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / NOTEBOOKS[0].name).write_text("a student's own work")
    assert cli.main(["student", str(NOTEBOOKS[0].parent), str(out)]) == 2
    assert "--force" in capsys.readouterr().err
    assert (out / NOTEBOOKS[0].name).read_text() == "a student's own work"
    assert sorted(out.iterdir()) == [out / NOTEBOOKS[0].name]  # nothing else written either
    assert cli.main(["student", str(NOTEBOOKS[0].parent), str(out), "--force"]) == 0
    assert len(list(out.glob("*.ipynb"))) == len(NOTEBOOKS)


@pytest.mark.parametrize("broken", ["{}", "not json", '{"cells": 1}', "[" * 5000 + "]" * 5000])
def test_a_broken_notebook_stops_the_command_before_anything_is_written(tmp_path, capsys,
                                                                         broken):
    src, out = tmp_path / "src", tmp_path / "out"
    src.mkdir()
    for path in NOTEBOOKS[:2]:
        (src / path.name).write_bytes(path.read_bytes())
    (src / "99_broken.ipynb").write_text(broken)
    assert cli.main(["student", str(src), str(out)]) == 2
    said = capsys.readouterr().err
    assert "99_broken.ipynb" in said and "Traceback" not in said  # deep JSON: no RecursionError
    assert not out.exists()


def test_a_pipe_or_a_macos_companion_is_skipped_and_said(tmp_path, capsys):
    src, out = tmp_path / "src", tmp_path / "out"
    src.mkdir()
    (src / NOTEBOOKS[0].name).write_bytes(NOTEBOOKS[0].read_bytes())
    os.mkfifo(src / "x.ipynb")  # reading it would wait for a writer for ever
    (src / f"._{NOTEBOOKS[0].name}").write_bytes(b"\x00\x05\x16\x07 AppleDouble")
    assert cli.main(["student", str(src), str(out)]) == 0
    said = capsys.readouterr().err
    assert f"skipped {src / 'x.ipynb'}: not a regular notebook file" in said
    assert f"skipped {src / ('._' + NOTEBOOKS[0].name)}" in said
    assert [p.name for p in out.iterdir()] == [NOTEBOOKS[0].name]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_student_version_is_the_lesson_up_to_its_first_exercise(path, versions):
    """Up to its first exercise a student version is the lesson less its check cells, cell for
    cell (cleared of outputs), so nbval's run of the lesson runs it too: running it again would
    test nothing."""
    lesson = [c for c in nbformat.read(path, as_version=4).cells
              if student.CHECK_TAG not in c.metadata.get("tags", [])]
    cells = nbformat.read(versions / path.name, as_version=4).cells
    first = next(i for i, c in enumerate(cells) if student.SKELETON in c.source)
    assert [(c.cell_type, c.source) for c in cells[:first]] == [
        (c.cell_type, c.source) for c in lesson[:first]]


def test_check_cells_stay_in_the_lesson_and_leave_the_student_version(versions):
    for path in NOTEBOOKS:
        lesson = nbformat.read(path, as_version=4).cells
        checks = [c for c in lesson if student.CHECK_TAG in c.metadata.get("tags", [])]
        assert all(c.source.lstrip().startswith(("assert", "#", "TARGET", "np.testing"))
                   for c in checks), path.name
        version = nbformat.read(versions / path.name, as_version=4).cells
        assert not [c for c in version if student.CHECK_TAG in c.metadata.get("tags", [])]
    assert checks  # the last lesson has some


def test_add_new_brings_a_new_lesson_and_keeps_the_students_work(tmp_path, capsys):
    src, out = tmp_path / "src", tmp_path / "course"
    src.mkdir()
    (src / NOTEBOOKS[0].name).write_bytes(NOTEBOOKS[0].read_bytes())
    assert cli.main(["student", str(src), str(out), "--add-new"]) == 0
    (out / NOTEBOOKS[0].name).write_text("the student's own work")
    (src / NOTEBOOKS[1].name).write_bytes(NOTEBOOKS[1].read_bytes())  # a `git pull` later
    capsys.readouterr()
    assert cli.main(["student", str(src), str(out), "--add-new"]) == 0
    assert capsys.readouterr().out.strip() == str(out / NOTEBOOKS[1].name)
    assert (out / NOTEBOOKS[0].name).read_text() == "the student's own work"
    assert cli.main(["student", str(src), str(out), "--add-new"]) == 0  # nothing new: fine
