"""The digest's 14-day trend chart as a PNG, drawn with matplotlib when it is installed.

matplotlib is an optional extra (`pip install -e .[charts]`); without it `available()` is
False and the digest goes out without an image.
"""

from __future__ import annotations

import io
import logging
from typing import Any

from bot.services.digest import ChartSeries

log = logging.getLogger(__name__)

TITLE = "Runs and training coverage, last 14 days"


def _matplotlib() -> tuple[Any, Any] | None:
    """matplotlib's Figure (Agg backend) and MaxNLocator, or None when matplotlib is missing."""
    try:
        import matplotlib

        matplotlib.use("Agg")  # no display; must be chosen before anything draws
        from matplotlib.figure import Figure
        from matplotlib.ticker import MaxNLocator
    except ImportError:
        return None
    return Figure, MaxNLocator


def available() -> bool:
    """Whether charts can be drawn in this process."""
    return _matplotlib() is not None


def filename(series: ChartSeries) -> str:
    """`sopbot-trend-2026-03-28.png`: the chart's name, unique per digest day."""
    return f"sopbot-trend-{series.days[-1].isoformat()}.png"


def render_png(series: ChartSeries) -> bytes | None:
    """The chart as PNG bytes: bars of runs started and completed, coverage as a line."""
    found = _matplotlib()
    if found is None:
        return None
    figure_class, integer_ticks = found
    # A Figure made directly (not through pyplot) keeps no global state: safe on job threads.
    figure = figure_class(figsize=(8, 3.6), dpi=100)
    runs = figure.add_subplot()
    x = list(range(len(series.days)))
    labels = [d.strftime("%d %b") for d in series.days]
    runs.bar([i - 0.2 for i in x], series.runs_started, width=0.4, label="runs started",
             color="#b8c7e0")  # fmt: skip
    runs.bar([i + 0.2 for i in x], series.runs_completed, width=0.4, label="runs completed",
             color="#2f5d9e")  # fmt: skip
    runs.set_ylabel("runs")
    runs.yaxis.set_major_locator(integer_ticks(integer=True))
    runs.set_xticks(x, labels, rotation=45, ha="right", fontsize=8)
    coverage = runs.twinx()
    points = [(i, c * 100) for i, c in zip(x, series.coverage, strict=True) if c is not None]
    if points:
        coverage.plot([p[0] for p in points], [p[1] for p in points], color="#d9822b",
                      marker="o", label="training coverage %")  # fmt: skip
    coverage.set_ylim(0, 105)
    coverage.set_ylabel("coverage %")
    handles = runs.get_legend_handles_labels()
    more = coverage.get_legend_handles_labels()
    runs.legend(handles[0] + more[0], handles[1] + more[1], loc="upper left", fontsize=8)
    runs.set_title(TITLE, fontsize=10)
    figure.tight_layout()
    out = io.BytesIO()
    # No metadata: the same series always gives the same bytes (a retried upload re-sends them).
    figure.savefig(out, format="png", metadata={"Software": None})
    return out.getvalue()
