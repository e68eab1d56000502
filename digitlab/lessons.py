"""A lesson's headline figures: `report(test_accuracy=0.981, target=0.98)` shows them as a small
table and tags them, so `python -m tools.run_lessons` can collect every notebook's figures."""

from __future__ import annotations

MIME = "application/vnd.digitlab.report+json"


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
