"""`python -m tools.docs` (`make docs`): write the pages generated from what they state.

From each notebook's title (its first heading) and its last full-mode run (docs/lessons.json,
which `make lessons` records): the README's lessons table, the instructor guide's table of
class time, run time and memory, the run-time line of each notebook's intro, and the
Kubernetes guide's table of students a node holds. From the
measurements saved in docs/results/: docs/results.md (`tools.results`). `--check` changes
nothing and fails if a page is out of date.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from pathlib import Path

import nbformat

from tools import results
from tools.run_lessons import RECORD, about, short

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
GUIDE = ROOT / "docs" / "instructor-guide.md"
Z2JH = ROOT / "classroom" / "z2jh" / "README.md"
START = "<!-- the lessons: written by `make docs` from the notebooks and docs/lessons.json -->"
END = "<!-- end of the lessons -->"
SIZING = ("<!-- the sizing: written by `make docs` from docs/lessons.json -->",
          "<!-- end of the sizing -->")
# A node keeps part of its memory for Kubernetes: the tiered reserve the large clouds publish
# (GB, and the share kept of each), plus 0.1 GB; each student's Jupyter server takes about
# 0.17 GB beside the kernel (tools/run_lessons.py's one-server measurements).
NODE_RESERVE = [(4, 0.25), (4, 0.20), (8, 0.10), (112, 0.06)]
JUPYTER_SERVER_GB = 0.17
# What a student spends on a lesson besides the machine's run: reading its text and code at
# READING words a minute, EXERCISE minutes an exercise, and what a lesson asks by hand.
READING, EXERCISE = 150, 10
BY_HAND = {"07_fine_tune_your_hand": (5, "drawing")}  # minutes, doing what
RUN_TIME = re.compile(r"\*\*Run time:\*\* about [^(]*\(\d+ s measured\s+on\s+\d{4}-\d\d-\d\d\)")


def _runs() -> dict[str, dict]:
    return json.loads(RECORD.read_text())["lessons"]


def _notebook(name: str):
    return nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", as_version=4)


def _title(name: str) -> str:
    return _notebook(name).cells[0].source.splitlines()[0].split(" · ", 1)[1]


def _measured(runs: dict) -> str:
    total = sum(run["seconds"] for run in runs.values())
    dates = " and ".join(sorted({run["measured"] for run in runs.values()}))
    return (f"On a 2-core CPU, measured {dates} (`make lessons`): {round(total / 60)} minutes "
            "in all.")


def lessons_table() -> str:
    """The README's table, a lesson a row, and the line under it: when and where measured."""
    runs = _runs()
    rows = ["| notebook | lesson | full mode, about |", "|---|---|---|"]
    rows += [f"| `{name}` | {_title(name)} | {short(run['seconds'])} |"
             for name, run in runs.items()]
    return "\n".join(rows) + f"\n\n{_measured(runs)}"


def class_minutes(name: str, seconds: float) -> int:
    """About how long a student spends on a lesson, to 5 minutes: reading, exercises, the
    machine's full-mode run and what the lesson asks by hand."""
    cells = _notebook(name).cells
    words = sum(len(c.source.split()) for c in cells
                if "check" not in c.metadata.get("tags", []))
    exercises = sum("### BEGIN SOLUTION" in c.source for c in cells)
    minutes = words / READING + EXERCISE * exercises + seconds / 60 + BY_HAND.get(name, (0,))[0]
    return 5 * round(minutes / 5)


def guide_table() -> str:
    """The instructor guide's table: class time, run time and peak memory per lesson."""
    runs = _runs()
    rows = ["| notebook | a student's class time, about | full-mode run | peak memory |",
            "|---|---|---|---|"]
    for name, run in runs.items():
        hand = BY_HAND.get(name)
        rows.append(f"| {name[:2]} {_title(name)} | {class_minutes(name, run['seconds'])} min"
                    f"{f' (with {hand[0]} min of {hand[1]})' if hand else ''} | "
                    f"{_run_time(run['seconds'])} | {run['peak_memory_gb']} GB |")
    total = sum(run["seconds"] for run in runs.values())
    minutes = sum(class_minutes(name, run["seconds"]) for name, run in runs.items())
    rows.append(f"| **the whole course** | **{minutes / 60:.1f} hours** | "
                f"**{round(total / 60)} min ({total:,} s)** | |")
    return "\n".join(rows) + (
        f"\n\nClass time is an estimate, made the same way for every lesson: its text and code "
        f"read at {READING} words a minute, {EXERCISE} minutes an exercise, the full-mode run, "
        f"and what it asks by hand. {_measured(runs)}")


def _run_time(seconds: int) -> str:
    return short(seconds) if seconds < 60 else f"{short(seconds)} ({seconds} s)"


def intro(name: str, run: dict) -> str:
    """A notebook's intro with its run-time line stating its last full-mode run."""
    stated = (f"**Run time:** {about(run['seconds'])} in full mode on this project's 2-core CPU "
              f"({run['seconds']} s measured on {run['measured']})")
    source = _notebook(name).cells[0].source
    if not RUN_TIME.search(source):
        raise ValueError(f"{name}'s intro has no run-time line like {stated!r}")
    return RUN_TIME.sub(stated, source, count=1)


def allocatable(node_gb: float) -> float:
    """What a node of `node_gb` leaves for pods: less Kubernetes' tiered reserve and 0.1 GB."""
    reserve, left = 0.1, node_gb
    for size, share in NODE_RESERVE:
        reserve, left = reserve + min(left, size) * share, left - min(left, size)
    return node_gb - reserve


def student_needs() -> dict[str, float]:
    """GB a student needs for each lesson: its measured peak and a Jupyter server."""
    return {name: round(run["peak_memory_gb"] + JUPYTER_SERVER_GB, 1)
            for name, run in _runs().items()}


def sizing_table() -> str:
    """The Kubernetes guide's table: what each lesson needs, and students a node holds; and
    what the guarantee of the largest need gives a class."""
    needs = student_needs()
    lines = ["| notebook | a student needs | students on a 16 GB node | on a 64 GB node |",
             "|---|---|---|---|"]
    lines += [f"| `{name}` | {need} GB | {math.floor(allocatable(16) / need)} | "
              f"{math.floor(allocatable(64) / need)} |" for name, need in needs.items()]
    most = max(needs.values())
    small, big = (math.floor(allocatable(gb) / most) for gb in (16, 64))
    return "\n".join(lines) + (
        f"\n\n`config.yaml` guarantees every student {most} GB, the largest need, so any lesson "
        f"fits: {small} students a 16 GB node, {big} a 64 GB node; a class of thirty takes "
        f"{math.ceil(30 / small)} nodes of 16 GB or {math.ceil(30 / big)} of 64 GB.")


def _between(text: str, start: str, end: str, inside: str) -> str:
    before, rest = text.split(start, 1)
    _, after = rest.split(end, 1)
    return f"{before}{start}\n{inside}\n{end}{after}"


def written(readme: str) -> str:
    """`readme` with its lessons table as the notebooks and docs/lessons.json have it."""
    return _between(readme, START, END, lessons_table())


def pages() -> dict[Path, str]:
    """Each generated page, as it should read."""
    guide = _between(GUIDE.read_text(), START, END, guide_table())
    found = {README: written(README.read_text()), GUIDE: guide, results.PAGE: results.page(),
             Z2JH: _between(Z2JH.read_text(), *SIZING, sizing_table())}
    for name, run in _runs().items():
        notebook = _notebook(name)
        notebook.cells[0].source = intro(name, run)
        found[ROOT / "notebooks" / f"{name}.ipynb"] = nbformat.writes(notebook) + "\n"
    return found


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m tools.docs", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--check", action="store_true", help="fail if a page is out of date")
    args = p.parse_args(argv)
    stale = [path for path, text in pages().items()
             if not path.exists() or path.read_text() != text]
    if args.check:
        for path in stale:
            print(f"{path.relative_to(ROOT)} is out of date: run `make docs`", file=sys.stderr)
        return int(bool(stale))
    for path, text in pages().items():
        path.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
