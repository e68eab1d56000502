"""The project keeps its promises: one dependency set, clean notebooks, CI as the README says."""

import importlib.metadata
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def parse(requirement: str) -> tuple[str, frozenset[str]]:
    """`name>=1,<2` as (name, {'>=1', '<2'}): the bounds compare in any order."""
    name, spec = re.fullmatch(r"([A-Za-z0-9_.\-]+)\s*(.*)", requirement.strip()).groups()
    return name.lower().replace("_", "-"), frozenset(filter(None, spec.replace(" ", "").split(",")))


def test_environment_yml_matches_pyproject():
    # pyproject.toml as installed (Python 3.10 has no toml reader): base, test and classroom
    # requirements (the test extra takes in the classroom one: digitlab[classroom])
    meta = importlib.metadata.metadata("digitlab")
    requires = [r.split(";")[0] for r in meta.get_all("Requires-Dist")
                if (";" not in r or 'extra == "test"' in r or 'extra == "classroom"' in r)
                and not r.startswith("digitlab[")]
    wanted = dict(map(parse, requires))
    wanted["python"] = parse("python" + meta["Requires-Python"])[1]
    env = yaml.safe_load((ROOT / "environment.yml").read_text())["dependencies"]
    conda = dict(parse(d) for d in env if isinstance(d, str) and d != "pip")
    pip_section = next(d["pip"] for d in env if isinstance(d, dict))
    assert pip_section[-1] == "--editable ."  # digitlab itself, from this checkout
    from_pip = dict(parse(d.split("#")[0].strip()) for d in pip_section[:-1])  # not on conda-forge
    assert {**conda, **from_pip} == wanted and not conda.keys() & from_pip.keys()


def test_notebooks_are_committed_without_outputs():
    notebooks = sorted((ROOT / "notebooks").glob("*.ipynb"))
    assert notebooks, "the course has notebooks"
    for path in notebooks:
        cells = json.loads(path.read_text())["cells"]
        dirty = [i for i, c in enumerate(cells)
                 if c["cell_type"] == "code" and (c["outputs"] or c["execution_count"])]
        assert not dirty, f"{path.name}: cells {dirty} have outputs; clear them before committing"


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    command = re.search(r"```(?:sh|bash)\n(?:.*\n)*?(make test)\b", readme).group(1)
    ci = (ROOT / ".ci" / "run").read_text()
    assert re.search(rf"^{re.escape(command)}$", ci, re.MULTILINE), ".ci/run must call it as is"


def test_self_checks_are_collapsed_so_the_lesson_reads_first():
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        checks = [c for c in json.loads(path.read_text())["cells"]
                  if "check" in c["metadata"].get("tags", [])]
        assert checks and all(c["metadata"].get("jupyter", {}).get("source_hidden")
                              for c in checks), path.name


def test_notebooks_follow_the_course_shape():
    """Goals and measured run time first; a summary; 2-4 exercises with marked solutions."""
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        cells = json.loads(path.read_text())["cells"]
        source = ["".join(c["source"]) for c in cells]
        intro = source[0]
        assert "**In this notebook you will**" in intro, path.name
        stated = r"\*\*Run time:\*\* about [\d.]+ (seconds?|minutes?) in full mode"
        assert re.search(stated, intro), f"{path.name}: state the measured full-mode run time"
        assert any(c["cell_type"] == "markdown" and "## " in s and "Summary" in s for c, s in
                   zip(cells, source, strict=True)), f"{path.name}: a summary section"
        solutions = [s for s in source if "### BEGIN SOLUTION" in s]
        assert 2 <= len(solutions) <= 4, f"{path.name}: {len(solutions)} exercises"
        assert all(s.count("### END SOLUTION") == 1 for s in solutions)
        summary_at = next(i for i, s in enumerate(source) if "Summary" in s)
        first_exercise = next(i for i, s in enumerate(source) if "### BEGIN SOLUTION" in s)
        assert summary_at < first_exercise, f"{path.name}: the exercises come last"


def test_every_bad_input_promise_names_tests_that_exist():
    testing = (ROOT / "docs" / "testing.md").read_text()
    table = testing[testing.index("| promise | tests |"):].split("\n\n")[0]
    named = set(re.findall(r"`(test_\w+)`", table))
    defined = set(re.findall(r"^def (test_\w+)", "\n".join(
        p.read_text() for p in (ROOT / "tests").glob("test_*.py")), re.M))
    assert len(named) >= 20 and not named - defined, named - defined


def test_make_test_without_mnist_says_so_once_instead_of_failing_every_notebook(tmp_path):
    env = {k: v for k, v in os.environ.items()
           if k not in ("DIGITLAB_DATA", "DIGITLAB_STRICT", "DIGITLAB_TEST_NO_MNIST")}
    env.update(XDG_CACHE_HOME=str(tmp_path), DIGITLAB_MIRROR="http://127.0.0.1:9/")  # offline
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "notebooks/00_start_here.ipynb", "tests/test_config.py",
         "-p", "no:cacheprovider", "-o", "addopts=--nbval-lax --nbval-current-env -n 2"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:]
    assert done.stdout.count("The notebooks were not run: MNIST's") == 1
    assert "DIGITLAB_DATA=/that/folder" in done.stdout and " failed" not in done.stdout


def test_make_lab_opens_an_ignored_working_copy_with_the_students_settings():
    """What `make lab` runs: the student versions into a folder git ignores, opened with the
    settings in jupyter/ that the browser tests share."""
    lab = subprocess.run(["make", "-n", "lab"], cwd=ROOT, capture_output=True, text=True).stdout
    assert "digitlab student notebooks my-course --add-new" in lab
    assert f"JUPYTER_CONFIG_PATH={ROOT}/jupyter" in lab and "jupyter lab my-course" in lab
    ignored = subprocess.run(["git", "check-ignore", "my-course/00_start_here.ipynb",
                              "my-course/my_digits.npz", "my-course/.my_digits.npz.lock"],
                             cwd=ROOT, capture_output=True, text=True).stdout.split()
    assert len(ignored) == 3
    from tools import browser

    assert browser.STUDENT_SETTINGS == ROOT / "jupyter"
    pages = json.loads((ROOT / "jupyter/labconfig/page_config.json").read_text())
    assert pages["disabledExtensions"] == {"@jupyter/nbgrader": True}


def test_docs_modules_says_who_imports_each_module_as_the_code_does():
    from tools import modules

    page = modules.DOC.read_text()
    assert modules.written(page) == page, "run `python -m tools.modules --write`"
    assert set(re.findall(r"^\| `(\w+)` \|", page.split("## `tools`")[0], re.M)) == set(
        modules.modules())  # every module has its row
