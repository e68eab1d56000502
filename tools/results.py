"""docs/results.md, written from the measurements in docs/results/ (part of `make docs`).

Each measuring command saves what it measured as JSON; `make results` runs them all into
docs/results/ (about an hour on a 2-core CPU), and this page is only ever written from those
files, so a number on it is the one its command measured, with its date.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from digitlab.quiet import stderr_held

with stderr_held():  # tools.bench loads TensorFlow, whose C++ start-up lines say nothing here
    from tools import bench, conditions, handwriting, number_grid

ROOT = Path(__file__).resolve().parent.parent
SAVED = ROOT / "docs" / "results"
PAGE = ROOT / "docs" / "results.md"


@dataclass(frozen=True)
class Section:
    """One table of the page: its title, the commands that measure it (the first one's file
    dates it), what it measures, and how its saved files become the table."""

    title: str
    commands: tuple[str, ...]
    what: str
    table: Callable[..., str]
    figure: str = ""


def _saved(command: str) -> Path:
    return ROOT / command.split("--json ")[1].split()[0]


SECTIONS = [
    Section("Waiting", ("python -m tools.bench --only import load draw photo number "
                        "--json docs/results/waiting.json",),
            "what a student waits for in one process: the median and 95th percentile of many "
            "runs.", lambda saved: bench.tables(saved)["timings"]),
    Section("Reading speed", ("python -m tools.bench --only reader "
                              "--json docs/results/reader.json",),
            "fresh `digitlab predict` processes, as a user runs them, with LiteRT beside the "
            "TensorFlow path it replaced (the same three networks as one `.keras` file, "
            "`--model`); the best of three runs.", lambda saved: bench.tables(saved)["reader"]),
    Section("Training speed", ("python -m tools.bench --only raw_mlp mlp lenet deep_cnn "
                               "--json docs/results/training.json",),
            "each network trained from scratch by the classic tutorial's recipe (once) and by "
            "digitlab's (three seeds, medians), each run in a fresh process; the test accuracy "
            "is taken after every epoch, off the clock.",
            lambda saved: bench.tables(saved)["training"], "results/training.png"),
    Section("Real handwriting", ("python -m tools.handwriting "
                                 "--json docs/results/handwriting.json",),
            "handwriting that is not MNIST, through digitlab's preprocessing and the shipped "
            "model, beside the naive resize-and-invert.", handwriting.table),
    Section("Pictures taken the way students take them",
            ("python -m tools.conditions --split test --figure docs/results/conditions.png "
             "--json docs/results/conditions-test.json",
             "python -m tools.conditions --split test --fresh "
             "--json docs/results/conditions-fresh.json",
             "python -m tools.conditions --split validation "
             "--json docs/results/conditions-validation.json"),
            "1,000 MNIST test digits under each capture condition, through the preprocessing "
            "and the shipped model; beside them 1,000 other test digits no earlier run read, "
            "and the validation digits the preprocessing was tuned on.", conditions.table,
            "results/conditions.png"),
    Section("Whole numbers in photos",
            ("python -m tools.number_grid --split test --seed 1 "
             "--figure docs/results/numbers.png --json docs/results/numbers-test.json",
             "python -m tools.number_grid --split validation "
             "--json docs/results/numbers-validation.json"),
            "numbers of 2 to 10 MNIST test digits (in the last two conditions, the same digits "
            "drawn again: with a 1-pixel pencil, set in handwriting fonts), 200 under each "
            "condition, read by `digitlab predict "
            "--number`'s reader; the reader was tuned on numbers of validation digits (seed 0).",
            lambda test, validation: _numbers(test, validation), "results/numbers.png"),
    Section("One digit alone on a page",
            ("python -m tools.number_grid --split test --seed 1 --digits 1 1 "
             "--json docs/results/one-digit-test.json",
             "python -m tools.number_grid --split validation --digits 1 1 "
             "--json docs/results/one-digit-validation.json"),
            "the same grid with numbers of one digit: what `--number` reads on a page that "
            "holds a single digit, and what plain `predict` reads there.",
            lambda test, validation: _numbers(test, validation)),
]


def _numbers(saved: dict, validation: dict) -> str:
    reads = saved["reads"]
    return (f"These test numbers (seed {saved['seed']}) have been read {reads} "
            f"time{'s' * (reads != 1)}.\n\n" + number_grid.table(saved)
            + f"\n\nOn the validation numbers the reader was tuned on: {validation['mean']:.1%} "
            f"exact on average, against a ceiling of {validation['ceiling']:.1%}.")


def section(part: Section) -> str:
    """One section: title, commands, the date measured, what it measures, table, figure."""
    files = [_saved(c) for c in part.commands]
    missing = [str(f.relative_to(ROOT)) for f in files if not f.exists()]
    commands = "\n".join(part.commands)
    head = f"## {part.title}\n\n```sh\n{commands}\n```\n\n"
    if missing:
        return head + f"Not measured yet: no {', '.join(missing)}.\n"
    saved = [json.loads(f.read_text()) for f in files]
    date = saved[0].get("date") or saved[0]["machine"]["date"]
    figure = f"\n\n![{part.title}]({part.figure})" if part.figure else ""
    return head + f"Measured {date}: {part.what}\n\n{part.table(*saved)}{figure}\n"


def page() -> str:
    """The whole of docs/results.md."""
    return ("# Results\n\n<!-- written by `make docs` from docs/results/: edit tools/results.py "
            "-->\n\nWhat digitlab measures now, on a 2-core x86-64 CPU with no GPU. Each table "
            "is written from the file its command saved; `make results` runs every command "
            "again (about an hour) and writes this page. What was tried on the way, and why, is "
            "in [lab-notes.md](lab-notes.md).\n\n"
            + "\n".join(section(part) for part in SECTIONS))


def commands() -> list[str]:
    """Every measuring command, in the page's order (what `make results` runs)."""
    return [c for part in SECTIONS for c in part.commands]


if __name__ == "__main__":
    print("\n".join(commands()))
