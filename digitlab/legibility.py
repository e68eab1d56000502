"""What makes a figure hard to read, found in the figure itself: every figure a test draws, and
the lessons' own checks, ask `glitches(fig)` for an empty list.
"""

from __future__ import annotations

from matplotlib.figure import Figure


def glitches(fig: Figure) -> list[str]:
    """What makes a figure hard to read, in words: a legend over data, fractional ticks on an
    axis of steps or epochs, points of different series on one spot, numbers written to
    different decimals, tick labels under 8 points."""
    fig.canvas.draw()
    found = []
    for ax in fig.axes:
        name = ax.get_title() or fig.get_suptitle() or "a panel"
        if _under_legend(ax):
            found.append(f"{name}: the legend covers data")
        for axis, label in ((ax.xaxis, ax.get_xlabel()), (ax.yaxis, ax.get_ylabel())):
            low, high = sorted(axis.get_view_interval())
            ticks = [t for t in axis.get_ticklocs() if low <= t <= high]
            if ("step" in label or "epoch" in label) and any(t != round(t) for t in ticks):
                found.append(f"{name}: fractional ticks on '{label}'")
            sizes = [t.get_fontsize() for t in axis.get_ticklabels() if t.get_text()]
            if sizes and min(sizes) < 8:
                found.append(f"{name}: tick labels of {min(sizes)} points")
        spots = [(round(x), round(y), i) for i, line in enumerate(ax.lines)
                 if line.get_linestyle() == "None" and line.get_marker() not in ("None", "")
                 for x, y in ax.transData.transform(line.get_xydata())]
        if len({(x, y) for x, y, _ in spots}) < len({(x, y, i) for x, y, i in spots}):
            found.append(f"{name}: points of different series on one spot")
        decimals = {len(t.get_text().rstrip("%").partition(".")[2]) for t in ax.texts
                    if t.get_text().endswith("%")}
        if len(decimals) > 1:
            found.append(f"{name}: percentages written to {sorted(decimals)} decimals")
    return found


def _under_legend(ax) -> list:
    """The bars and data points of `ax` that its legend covers."""
    legend = ax.get_legend()
    if legend is None:
        return []
    box = legend.get_window_extent()
    bars = [p for p in ax.patches if p.get_window_extent().overlaps(box)]
    points = [xy for line in ax.lines for xy in ax.transData.transform(line.get_xydata())
              if box.contains(*xy)]
    return bars + points
