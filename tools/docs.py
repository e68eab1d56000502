"""`python -m tools.docs` (`make docs`): write the pages generated from what they state: the
README's lessons table, from each notebook's title (its first heading) and its last full-mode
run (docs/lessons.json, which `make lessons` records), and docs/results.md, from the
measurements saved in docs/results/ (`tools.results`). `--check` changes nothing and fails if
a page is out of date.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import nbformat

from tools import results
from tools.run_lessons import RECORD, short

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
START = "<!-- the lessons: written by `make docs` from the notebooks and docs/lessons.json -->"
END = "<!-- end of the lessons -->"


def lessons_table() -> str:
    """The table, a lesson a row, and the line under it: when and where it was measured."""
    runs = json.loads(RECORD.read_text())["lessons"]
    rows = ["| notebook | lesson | full mode, about |", "|---|---|---|"]
    for name, run in runs.items():
        title = nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", as_version=4).cells[0].source
        rows.append(f"| `{name}` | {title.splitlines()[0].split(' · ', 1)[1]} | "
                    f"{short(run['seconds'])} |")
    total = sum(run["seconds"] for run in runs.values())
    dates = " and ".join(sorted({run["measured"] for run in runs.values()}))
    return "\n".join(rows) + (f"\n\nOn a 2-core CPU, measured {dates} (`make lessons`): "
                              f"{round(total / 60)} minutes in all.")


def written(readme: str) -> str:
    """`readme` with its lessons table as the notebooks and docs/lessons.json have it."""
    before, rest = readme.split(START, 1)
    _, after = rest.split(END, 1)
    return f"{before}{START}\n{lessons_table()}\n{END}{after}"


def pages() -> dict[Path, str]:
    """Each generated page, as it should read."""
    return {README: written(README.read_text()), results.PAGE: results.page()}


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
