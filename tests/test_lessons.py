"""The lessons runner (tools.run_lessons): notebooks report figures, the runner collects them."""

import ast
import json
import re

import nbformat
import numpy as np
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from digitlab import lessons
from tools import docs, run_lessons


def test_report_shows_a_table_and_tags_the_figures(monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj, raw: shown.append(obj))
    lessons.report(test_accuracy=np.float32(0.9812), epochs=np.int64(3), images=60000,
                   seconds_per_epoch=0.98, fast_recipe_speedup=0.8)
    table = shown[0]["text/markdown"]
    assert "| test accuracy | 98.12% |" in table and "| epochs | 3 |" in table
    assert "| images | 60,000 |" in table
    assert "| seconds per epoch | 1.0 s |" in table  # a duration, never a percentage
    assert "| fast recipe speedup | 0.8× |" in table  # a ratio, never a percentage
    figures = shown[0][lessons.MIME]  # plain JSON types, numpy scalars unwrapped
    assert figures == {"test_accuracy": pytest.approx(0.9812), "epochs": 3, "images": 60000,
                       "seconds_per_epoch": 0.98, "fast_recipe_speedup": 0.8}
    assert type(figures["epochs"]) is int


def test_runner_executes_and_collects(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("DIGITLAB_QUICK", "untouched")
    nb = new_notebook(cells=[new_code_cell(
        "import os\nfrom digitlab.lessons import report\n"
        "report(quick=os.environ['DIGITLAB_QUICK'] == '1', answer=0.5)")])
    path = tmp_path / "99_tiny.ipynb"
    nbformat.write(nb, path)
    assert run_lessons.main([str(path), "--quick", "--out", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert "| 99_tiny.ipynb |" in out
    saved = json.loads((tmp_path / "out" / "lessons.json").read_text())
    assert saved["mode"] == "quick"
    result = saved["results"][0]
    assert result["figures"] == {"quick": True, "answer": 0.5}
    assert 20 < result["peak_memory_mb"] < 4000  # a Python kernel's resident size
    assert 0 < result["cpu_seconds"] < 60
    assert out.count("| 99_tiny.ipynb |") == 2  # its run, then how many students a server holds
    assert (tmp_path / "out" / "99_tiny.ipynb").is_file()  # the executed copy, for inspection
    import os

    assert os.environ["DIGITLAB_QUICK"] == "untouched"


def test_a_failing_notebook_is_reported_and_the_rest_still_run(tmp_path, capsys):
    bad, good = tmp_path / "01_bad.ipynb", tmp_path / "02_good.ipynb"
    nbformat.write(new_notebook(cells=[new_code_cell(
        "from digitlab.lessons import report\nreport(before=1)"),
        new_code_cell("assert 1 == 2, 'broken on purpose'")]), bad)
    nbformat.write(new_notebook(cells=[new_code_cell(
        "from digitlab.lessons import report\nreport(after=2)")]), good)
    assert run_lessons.main([str(bad), str(good), "--quick", "--out", str(tmp_path / "out")]) == 1
    out = capsys.readouterr().out
    assert "| 01_bad.ipynb |" in out and "**FAILED**: AssertionError: broken on purpose" in out
    results = json.loads((tmp_path / "out" / "lessons.json").read_text())["results"]
    assert results[0]["figures"] == {"before": 1} and results[1]["figures"] == {"after": 2}
    assert results[1]["error"] is None


def test_full_mode_targets_are_checked_on_the_reported_figures():
    assert run_lessons.missed_targets("03_lenet_cnn.ipynb", {"test_accuracy": 0.992}) == []
    missed = run_lessons.missed_targets("04_going_further.ipynb", {
        "sgd_test_accuracy": 0.95, "adam_validation_accuracy": 0.98, "test_accuracy": 0.995})
    assert missed == ["sgd test accuracy 95.00%, expected 0.00% to 90.00%"]
    assert "not reported" in run_lessons.missed_targets("02_keras_mlp.ipynb", {})[0]
    slower = run_lessons.missed_targets("02_keras_mlp.ipynb", {
        "test_accuracy": 0.981, "fast_recipe_test_accuracy": 0.982, "fast_recipe_speedup": 0.9})
    assert slower == ["fast recipe speedup 0.9×, expected at least 1.0×"]
    assert run_lessons.missed_targets("00_start_here.ipynb", {}) == []  # promises nothing
    for notebook, targets in run_lessons.FULL_MODE_TARGETS.items():  # names the lessons report
        source = (run_lessons.NOTEBOOKS / notebook).read_text()
        assert all(f"{name}=" in source for name in targets), notebook
        # the target a lesson's report shows is one of the runner's: stated once, checked here
        shown = [float(t) for t in re.findall(r"target=([\d.]+)", source)]
        assert all(t in {low for low, _ in targets.values()} for t in shown), notebook


def _reported(cells: list[str]) -> dict[str, str]:
    """What each figure a notebook reports is, as source: {"test_accuracy": "final_test"}."""
    return {kw.arg: ast.unparse(kw.value) for cell in cells for node in ast.walk(ast.parse(cell))
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "report"
            for kw in node.keywords}


def test_every_check_cells_full_mode_threshold_is_the_runners_target():
    """A check cell that holds a reported figure to `pick(full=X, ...)` uses the runner's target
    for that figure: the threshold is stated in FULL_MODE_TARGETS and nowhere else different."""
    checked = 0
    for notebook, targets in run_lessons.FULL_MODE_TARGETS.items():
        cells = [c.source for c in nbformat.read(run_lessons.NOTEBOOKS / notebook, 4).cells
                 if c.cell_type == "code"]
        reported = _reported(cells)
        for cell in cells:
            tree = ast.parse(cell)
            picks = {node: kw.value.value for node in ast.walk(tree) if isinstance(node, ast.Call)
                     and getattr(node.func, "id", None) == "pick" for kw in node.keywords
                     if kw.arg == "full" and isinstance(kw.value, ast.Constant)}
            named = {target.id: picks[node.value] for node in ast.walk(tree)  # TARGET = pick(..)
                     if isinstance(node, ast.Assign) and node.value in picks
                     for target in node.targets}
            for check in (n for n in ast.walk(tree) if isinstance(n, ast.Assert)):
                inside = list(ast.walk(check))
                held = {picks[n] for n in inside if n in picks} | {
                    named[n.id] for n in inside if isinstance(n, ast.Name) and n.id in named}
                for name, (low, high) in targets.items():
                    if held and re.search(rf"\b{re.escape(reported[name])}\b", ast.unparse(check)):
                        assert held & {low, high}, (notebook, name, held, (low, high))
                        checked += 1
    assert checked >= 6  # 01 twice, 02 twice, 03, 04, 05


def test_every_generated_page_is_current():
    """The README's lessons table, the instructor guide's, each intro's run-time line and
    docs/results.md are written by `make docs` from docs/lessons.json and docs/results/."""
    assert docs.main(["--check"]) == 0, "run `make docs`"


def test_class_time_counts_reading_exercises_the_run_and_what_is_done_by_hand():
    plain = docs.class_minutes("06_evaluate", 0)
    assert docs.class_minutes("06_evaluate", 600) == plain + 10  # the machine's run counts
    assert 30 <= plain <= 60 and plain % 5 == 0
    drawing = docs.BY_HAND["07_fine_tune_your_hand"][0]
    assert docs.class_minutes("07_fine_tune_your_hand", 0) >= drawing


