"""`python -m tools.run_lessons`: run the notebooks and report what they measured.

It executes every notebook in full mode (or `--quick`) in a fresh kernel, times it, measures the
kernel's peak memory, and prints one Markdown table of the figures each notebook shows with
`digitlab.lessons.report`; `--record` keeps the run times and memory in docs/lessons.json.
In full mode it checks those figures against what each lesson promises (`FULL_MODE_TARGETS`) and
exits 1 if a notebook fails or misses one.
"""

from __future__ import annotations

import argparse
import inspect
import json
import math
import os
import platform
import re
import sys
import time
from pathlib import Path

from digitlab.config import QUICK_ENV
from digitlab.lessons import MIME, format_figure

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
# What each lesson promises in full mode, checked on the figures it reports: (lowest, highest).
# Quick mode trains too little to promise anything; the notebooks' own checks cover it.
FULL_MODE_TARGETS = {
    "01_raw_mlp.ipynb": {"classic_test_accuracy": (0.90, 0.94),  # the classic tutorial's 92%
                         "fixed_test_accuracy": (0.975, 1)},
    "02_keras_mlp.ipynb": {"test_accuracy": (0.98, 1), "fast_recipe_test_accuracy": (0.98, 1),
                           "fast_recipe_speedup": (1.0, math.inf)},  # timed: full mode only
    "03_lenet_cnn.ipynb": {"test_accuracy": (0.99, 1)},
    "04_going_further.ipynb": {"sgd_test_accuracy": (0, 0.90),  # 150 steps: SGD stalls,
                               "adam_validation_accuracy": (0.95, 1),  # Adam does not
                               "test_accuracy": (0.994, 1)},
    "05_your_handwriting.ipynb": {"digitlab_accuracy": (0.95, 1)},
    "07_fine_tune_your_hand.ipynb": {"last_layers_yours": (0.9, 1),  # on the stand-in hand
                                     "mixed_mnist": (0.98, 1)},
}


def missed_targets(notebook: str, figures: dict) -> list[str]:
    """The full-mode targets of `notebook` that its reported `figures` miss, in words."""
    missed = []
    for name, (low, high) in FULL_MODE_TARGETS.get(notebook, {}).items():
        value = figures.get(name)
        if value is None or not low <= value <= high:
            shown = "not reported" if value is None else format_figure(name, value)
            expected = (f"at least {format_figure(name, float(low))}" if high == math.inf else
                        f"{format_figure(name, float(low))} to {format_figure(name, float(high))}")
            missed.append(f"{name.replace('_', ' ')} {shown}, expected {expected}")
    return missed


def peak_memory_mb() -> float | None:
    """This process's peak resident memory in MB (None where the OS cannot say, e.g. Windows)."""
    try:
        import resource
    except ImportError:
        return None
    # ru_maxrss is KiB on Linux, bytes on macOS
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (2**20 if sys.platform == "darwin" else 2**10)


def cpu_seconds() -> float | None:
    """The CPU time this process has used so far, all its threads together (None on Windows)."""
    try:
        import resource
    except ImportError:
        return None
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# Run last in the notebook's kernel (where this folder cannot be imported): its peak memory and
# CPU time, what a student's kernel costs a shared server.
COST_CELL = f"""\
import sys
from IPython.display import display
{inspect.getsource(peak_memory_mb)}
{inspect.getsource(cpu_seconds)}
display({{"{MIME}": {{"peak_memory_mb": peak_memory_mb(),
                      "cpu_seconds": cpu_seconds()}}}}, raw=True)
"""


def run(path: Path, quick: bool, save_dir: Path | None) -> dict:
    """Execute one notebook top to bottom in a fresh kernel; return its figures and run time."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(COST_CELL))
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
    peak, cpu = figures.pop("peak_memory_mb", None), figures.pop("cpu_seconds", None)
    if save_dir:
        save_dir.mkdir(parents=True, exist_ok=True)
        nb.cells.pop()  # the executed copy as the student would see it
        nbformat.write(nb, save_dir / path.name)
    return {"notebook": path.name, "seconds": seconds, "peak_memory_mb": peak, "cpu_seconds": cpu,
            "figures": figures, "error": error}


RECORD = Path(__file__).resolve().parent.parent / "docs" / "lessons.json"


def about(seconds: float) -> str:
    """A run time as a lesson's intro states it: "about 15 seconds", "about 7.5 minutes"."""
    if seconds < 60:
        return f"about {5 * round(seconds / 5)} seconds"
    minutes = round(seconds / 30) / 2
    return f"about {minutes:g} minute{'' if minutes == 1 else 's'}"


def short(seconds: float) -> str:
    """A run time as the README's table states it: "16 s", "4 min", "7.5 min"."""
    return f"{seconds:.0f} s" if seconds < 60 else f"{round(seconds / 30) / 2:g} min"


def record(results: list[dict]) -> None:
    """Write the full-mode runs that succeeded into docs/lessons.json (the others stay)."""
    saved = json.loads(RECORD.read_text())
    for r in results:
        if not r["error"] and r["peak_memory_mb"]:
            saved["lessons"][Path(r["notebook"]).stem] = {
                "seconds": round(r["seconds"]),
                "peak_memory_gb": round(r["peak_memory_mb"] / 1024, 1),
                "measured": time.strftime("%Y-%m-%d")}
    lessons = ",\n".join(f"    {json.dumps(name)}: {json.dumps(run)}"
                          for name, run in saved["lessons"].items())  # a lesson a line
    RECORD.write_text(f'{{\n  "about": {json.dumps(saved["about"])},\n  "lessons": {{\n'
                      f"{lessons}\n  }}\n}}\n")


# The class server the instructor guide sizes, and what each student's Jupyter server costs
# before any kernel starts (tests/test_classroom.py prints it: about 170 MB).
SERVER_GB, SERVER_CORES, PERIOD_MINUTES, JUPYTER_SERVER_MB = 16, 8, 45, 170


def sizing(results: list[dict]) -> str:
    """How many students one server holds for each notebook, as a Markdown table: by memory
    (each student's kernel at its peak plus their Jupyter server, 1 GB kept for the system and
    the hub) and by CPU (every student runs the notebook once within a class period)."""
    lines = [f"| notebook | per student: peak memory | CPU time | students on {SERVER_GB} GB "
             f"| on {SERVER_CORES} cores in {PERIOD_MINUTES} min | students |",
             "|---|---|---|---|---|---|"]
    for r in results:
        if not (r["peak_memory_mb"] and r["cpu_seconds"]):
            continue
        by_memory = int((SERVER_GB - 1) * 1024 // (r["peak_memory_mb"] + JUPYTER_SERVER_MB))
        by_cpu = int(SERVER_CORES * PERIOD_MINUTES * 60 // r["cpu_seconds"])
        lines.append(f"| {r['notebook']} | {r['peak_memory_mb'] / 1024:.1f} GB | "
                     f"{r['cpu_seconds'] / 60:.1f} min | {by_memory} | {by_cpu} | "
                     f"**{min(by_memory, by_cpu)}** |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m tools.run_lessons", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("notebooks", nargs="*", type=Path, help="default: every notebook, in order")
    p.add_argument("--quick", action="store_true", help="run in quick mode instead of full")
    p.add_argument("--out", type=Path, default=Path("bench-results/lessons"),
                   help="where the executed notebooks and lessons.json go")
    p.add_argument("--record", action="store_true",
                   help="full mode: write the times and memory into docs/lessons.json, then "
                        "update what the tests say disagrees with it")
    args = p.parse_args(argv)
    if args.record and args.quick:
        p.error("--record keeps full-mode runs only")
    paths = args.notebooks or sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    print("| notebook | run time | CPU time | peak memory | measured |\n|---|---|---|---|---|",
          flush=True)
    results = []
    for path in paths:
        result = run(path, args.quick, args.out)
        results.append(result)
        measured = ", ".join(f"{k.replace('_', ' ')} {format_figure(k, v)}"
                             for k, v in result["figures"].items())
        if not args.quick and not result["error"]:
            result["missed"] = missed_targets(path.name, result["figures"])
            if result["missed"]:
                measured = f"**MISSED**: {'; '.join(result['missed'])}; {measured}"
        if result["error"]:
            measured = f"**FAILED**: {result['error']}; before that: {measured}"
        memory = f"{result['peak_memory_mb']:,.0f} MB" if result["peak_memory_mb"] else "?"
        cpu = f"{result['cpu_seconds']:,.0f} s" if result["cpu_seconds"] else "?"
        print(f"| {result['notebook']} | {result['seconds']:.0f} s | {cpu} | {memory} | "
              f"{measured} |", flush=True)
    print("\n" + sizing(results))
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "lessons.json").write_text(json.dumps({
        "mode": "quick" if args.quick else "full", "date": time.strftime("%Y-%m-%d"),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python "
                   f"{platform.python_version()}", "results": results}, indent=2))
    if args.record:
        record(results)
    return 1 if any(r["error"] or r.get("missed") for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
