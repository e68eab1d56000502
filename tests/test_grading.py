"""Grading a class of strangers, piece by piece (tests/test_classroom.py runs it all on a hub):
what collect refuses and how it copies, what comes back from the sandbox, what feedback keeps."""

import os

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from digitlab import grading


def submission(folder, files=None):
    folder.mkdir()
    for name, text in (files or {"00_start_here.ipynb": "{}"}).items():
        (folder / name).write_text(text)
    return folder


def test_a_submission_of_the_students_own_regular_files_is_collected_whole(tmp_path):
    src = submission(tmp_path / "ada+00+ts", {"00.ipynb": "{}", "notes.txt": "mine"})
    (src / "sub").mkdir()
    (src / "sub" / "x.txt").write_text("deeper")
    assert grading.refusal(str(src), os.getuid()) is None
    grading.copy_own(str(src), str(tmp_path / "copy"), os.getuid())
    assert (tmp_path / "copy" / "sub" / "x.txt").read_text() == "deeper"


def test_each_student_submits_into_her_own_folder_where_the_class_made_one(tmp_path):
    (tmp_path / "ada").mkdir()
    assert grading.own_inbound(str(tmp_path), "ada") == str(tmp_path / "ada")
    assert grading.own_inbound(str(tmp_path), "ben") == str(tmp_path)  # nbgrader's own layout


def test_the_newest_submission_is_collected_or_the_newest_before_the_due_date():
    sent = [{"username": u, "timestamp": t} for u, t in
            [("ada", 1), ("ada", 3), ("ada", 5), ("ben", 4), ("ben", 6), ("cy", 9)]]
    assert {r["username"]: r["timestamp"] for r in grading.newest(sent)} == {
        "ada": 5, "ben": 6, "cy": 9}
    # due at 4: ada's 3, ben's 4 (on time counts), cy's late one as she sent no other
    assert {r["username"]: r["timestamp"] for r in grading.newest(sent, duedate=4)} == {
        "ada": 3, "ben": 4, "cy": 9}


@pytest.mark.parametrize("odd", ["link", "fifo", "too big", "not hers"])
def test_links_pipes_big_or_foreign_submissions_are_refused(tmp_path, odd):
    src = submission(tmp_path / "eve+00+ts")
    secret = tmp_path / "gradebook.db"
    secret.write_text("the instructor's")
    uid = os.getuid()
    if odd == "link":
        (src / "gradebook.db").symlink_to(secret)
    elif odd == "fifo":
        os.mkfifo(src / "pipe.ipynb")
    elif odd == "too big":
        (src / "big.bin").write_bytes(b"x" * 2000)
    else:
        uid += 1
    why = grading.refusal(str(src), uid, limit=1000)
    assert why and ("regular file" in why or "MB" in why or "belongs to" in why)
    with pytest.raises(OSError):  # and the copy checks again what it opens
        grading.copy_own(str(src), str(tmp_path / "copy"), uid, limit=1000)
    assert not (tmp_path / "copy" / "gradebook.db").exists()


def test_a_folder_that_is_a_link_is_refused(tmp_path):
    real = submission(tmp_path / "source")
    (tmp_path / "eve+00+ts").symlink_to(real)
    assert "regular file" in grading.refusal(str(tmp_path / "eve+00+ts"), os.getuid())
    with pytest.raises(OSError):
        grading.copy_own(str(tmp_path / "eve+00+ts"), str(tmp_path / "copy"), os.getuid())


def notebook():
    return new_notebook(cells=[new_markdown_cell("# Task"), new_code_cell("x = 1")])


def test_only_the_outputs_of_code_cells_come_back_from_the_sandbox():
    mine, theirs = notebook(), notebook()
    theirs.cells[1].source = "print('forged source')"
    theirs.cells[1].metadata["nbgrader"] = {"points": 100}
    theirs.cells[1].outputs = [new_output("stream", name="stdout", text="hi\n")]
    grading.take_outputs(mine, nbformat.writes(theirs))
    assert mine.cells[1].source == "x = 1" and "nbgrader" not in mine.cells[1].metadata
    assert mine.cells[1].outputs[0].text == "hi\n"


@pytest.mark.parametrize("returned", ["not json", '{"cells": 3}', "fewer cells"])
def test_a_broken_or_altered_notebook_from_the_sandbox_is_refused(returned):
    if returned == "fewer cells":
        returned = nbformat.writes(new_notebook(cells=[new_code_cell("x = 1")]))
    with pytest.raises(grading.SandboxError):
        grading.take_outputs(notebook(), returned)


def test_autograde_without_the_sandbox_refuses_to_run_anything():
    with pytest.raises(grading.SandboxError, match="only in the class's sandbox"):
        grading.SandboxedExecute().preprocess(notebook(), {})


def test_feedback_keeps_no_script():
    nb = notebook()
    nb.cells[0].source = "My answer <script>steal()</script>"
    nb.cells[0].attachments = {"x.png": {"image/png": "AAAA"}}
    nb.cells[1].outputs = [new_output("display_data", data={
        "text/html": "<b>ok</b><script>steal()</script><img src=x onerror=steal()>",
        "application/javascript": "steal()", "image/svg+xml": "<svg onload='steal()'/>",
        "text/plain": "ok"})]
    grading.SanitizeFeedback().preprocess(nb, {})
    text = nbformat.writes(nb)
    assert "<script>" not in text and "<img" not in text and "svg" not in text
    assert "attachments" not in nb.cells[0] and nb.cells[1].outputs[0].data["text/plain"] == "ok"
