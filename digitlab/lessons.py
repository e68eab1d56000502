"""What every lesson calls: `start_lesson()` first, and `report(test_accuracy=0.981,
target=0.98)` for its headline figures, shown as a small table and tagged, so that
`python -m tools.run_lessons` can collect every notebook's figures."""

from __future__ import annotations

from digitlab.config import is_quick
from digitlab.quiet import start_tensorflow

MIME = "application/vnd.digitlab.report+json"
QUICK_BANNER = (
    "**Quick mode is on** (`DIGITLAB_QUICK` is set): every training run below is cut short, so "
    "its accuracies and timings are a smoke test, not the lesson's; a figure quoted in the "
    "text is the full lesson's. For the full lesson, unset `DIGITLAB_QUICK` and restart the "
    "kernel.")


def start_lesson() -> None:
    """A lesson's first call: TensorFlow loaded now, quietly and with oneDNN (before any import
    loads it as it is), and in quick mode a banner that says so."""
    start_tensorflow()
    if is_quick():
        from IPython.display import Markdown, display

        display(Markdown(f"> ⚠️ {QUICK_BANNER}"))


def format_figure(name: str, value) -> str:
    """Durations in seconds, speedups as ×, shares in [0, 1] as percentages, other floats to one
    decimal."""
    if isinstance(value, float):
        if "seconds" in name:  # a short epoch is not a share: 0.98 s, not 98%
            return f"{value:,.1f} s"
        if "speedup" in name:  # a ratio of two durations, not a share
            return f"{value:.1f}×"
        return f"{value:.2%}" if 0 <= value <= 1 else f"{value:,.1f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def report(**figures) -> None:
    """Show a notebook's headline figures as a table, tagged for `tools.run_lessons`."""
    from IPython.display import display

    figures = {k: v.item() if hasattr(v, "item") else v for k, v in figures.items()}  # numpy
    rows = "\n".join(f"| {name.replace('_', ' ')} | {format_figure(name, v)} |"
                     for name, v in figures.items())
    display({"text/markdown": f"| measured | value |\n|---|---|\n{rows}", MIME: figures}, raw=True)
