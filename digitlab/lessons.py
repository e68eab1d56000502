"""Run the notebooks and report what they measured.

In a notebook, `report(test_accuracy=0.981, target=0.98)` shows the figures as a small table and
tags them for the runner. `python -m digitlab.lessons` executes every notebook in full mode (or
`--quick`), times it, measures its kernel's peak memory, and prints one Markdown table of the
figures: the README's results table and the instructor guide's timings.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import sys
import time
from pathlib import Path

from digitlab.config import QUICK_ENV

MIME = "application/vnd.digitlab.report+json"
NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
# Run last in the notebook's kernel: its peak resident memory.
PEAK_MEMORY_CELL = f"""\
from IPython.display import display
from digitlab.lessons import peak_memory_mb
display({{"{MIME}": {{"peak_memory_mb": peak_memory_mb()}}}}, raw=True)
"""


def peak_memory_mb() -> float | None:
    """This process's peak resident memory in MB (None where the OS cannot say, e.g. Windows)."""
    try:
        import resource
    except ImportError:
        return None
    # ru_maxrss is KiB on Linux, bytes on macOS
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (2**20 if sys.platform == "darwin" else 2**10)


def _format(name: str, value) -> str:
    """Durations in seconds, shares in [0, 1] as percentages, other floats to one decimal."""
    if isinstance(value, float):
        if "seconds" in name:  # a short epoch is not a share: 0.98 s, not 98%
            return f"{value:,.1f} s"
        return f"{value:.2%}" if 0 <= value <= 1 else f"{value:,.1f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def report(**figures) -> None:
    """Show a notebook's headline figures as a table, tagged for `python -m digitlab.lessons`."""
    from IPython.display import display

    figures = {k: v.item() if hasattr(v, "item") else v for k, v in figures.items()}  # numpy
    rows = "\n".join(f"| {name.replace('_', ' ')} | {_format(name, v)} |"
                     for name, v in figures.items())
    display({"text/markdown": f"| measured | value |\n|---|---|\n{rows}", MIME: figures}, raw=True)


def run(path: Path, quick: bool, save_dir: Path | None) -> dict:
    """Execute one notebook top to bottom in a fresh kernel; return its figures and run time."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(PEAK_MEMORY_CELL))
    before = os.environ.get(QUICK_ENV)
    os.environ[QUICK_ENV] = "1" if quick else "0"  # the kernel inherits our environment
    error = None
    start = time.perf_counter()
    try:
        NotebookClient(nb, timeout=None, kernel_name="python3",
                       resources={"metadata": {"path": str(path.parent)}}).execute()
    except CellExecutionError as e:  # keep what ran: the figures so far, the executed notebook
        error = re.sub(r"\x1b\[[0-9;]*m", "", str(e)).strip().splitlines()[-1]  # no colours
    finally:
        seconds = time.perf_counter() - start
        if before is None:
            os.environ.pop(QUICK_ENV)
        else:
            os.environ[QUICK_ENV] = before
    figures = {}
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            figures.update(output.get("data", {}).get(MIME, {}))
    peak = figures.pop("peak_memory_mb", None)
    if save_dir:
        save_dir.mkdir(parents=True, exist_ok=True)
        nb.cells.pop()  # the executed copy as the student would see it
        nbformat.write(nb, save_dir / path.name)
    return {"notebook": path.name, "seconds": seconds, "peak_memory_mb": peak,
            "figures": figures, "error": error}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m digitlab.lessons", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("notebooks", nargs="*", type=Path, help="default: every notebook, in order")
    p.add_argument("--quick", action="store_true", help="run in quick mode instead of full")
    p.add_argument("--out", type=Path, default=Path("bench-results/lessons"),
                   help="where the executed notebooks and lessons.json go")
    args = p.parse_args(argv)
    paths = args.notebooks or sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    print("| notebook | run time | peak memory | measured |\n|---|---|---|---|", flush=True)
    results = []
    for path in paths:
        result = run(path, args.quick, args.out)
        results.append(result)
        measured = ", ".join(f"{k.replace('_', ' ')} {_format(k, v)}"
                             for k, v in result["figures"].items())
        if result["error"]:
            measured = f"**FAILED**: {result['error']}; before that: {measured}"
        memory = f"{result['peak_memory_mb']:,.0f} MB" if result["peak_memory_mb"] else "?"
        print(f"| {result['notebook']} | {result['seconds']:.0f} s | {memory} | {measured} |",
              flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "lessons.json").write_text(json.dumps({
        "mode": "quick" if args.quick else "full", "date": time.strftime("%Y-%m-%d"),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python "
                   f"{platform.python_version()}", "results": results}, indent=2))
    return 1 if any(r["error"] for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
