"""The digest's 14-day trend chart as a PNG, drawn with matplotlib when it is installed.

matplotlib is an optional extra (`pip install -e .[charts]`); without it `available()` is
False and the digest goes out without an image.

Two panels, readable at the size Slack previews an image (about 360 px wide): runs started
and completed as bars on whole-number ticks from 0, and training coverage on its own axis
from 0 to 100 %. A fortnight without runs says so instead of drawing an empty frame.
"""

from __future__ import annotations

import importlib.util
import io
import math
from typing import Any

from bot.services.digest import ChartSeries

TITLE = "Runs and training coverage, last 14 days"
NO_RUNS = "no runs in these 14 days"
NO_COVERAGE = "no training assigned yet"
STARTED, COMPLETED, COVERAGE = "#9db4d8", "#2f5d9e", "#d9822b"


def _matplotlib() -> dict[str, Any] | None:
    """matplotlib's Figure (Agg backend) and tick helpers, or None when matplotlib is missing."""
    try:
        import matplotlib

        matplotlib.use("Agg")  # no display; must be chosen before anything draws
        from matplotlib.figure import Figure
        from matplotlib.ticker import FixedLocator, MaxNLocator, PercentFormatter
    except ImportError:
        return None
    return {
        "Figure": Figure,
        "FixedLocator": FixedLocator,
        "MaxNLocator": MaxNLocator,
        "PercentFormatter": PercentFormatter,
    }


def available() -> bool:
    """Whether charts can be drawn in this process (matplotlib is installed)."""
    # Found, not imported: the import takes about 0.35 s CPU and only drawing needs it (a
    # digest is queued long before its chart is drawn; a playground history queues seven).
    return importlib.util.find_spec("matplotlib") is not None


def filename(series: ChartSeries) -> str:
    """`sopbot-trend-2026-03-28.png`: the chart's name, unique per digest day."""
    return f"sopbot-trend-{series.days[-1].isoformat()}.png"


def runs_top(series: ChartSeries) -> int:
    """The runs axis' upper limit: a whole number a little above the busiest day, at least 1."""
    busiest = max((*series.runs_started, *series.runs_completed, 0))
    return max(1, math.ceil(busiest * 1.15))


def day_labels(series: ChartSeries) -> list[str]:
    """Every other day as "16 Nov" (the last day always), so 14 labels fit a preview."""
    last = len(series.days) - 1
    return [
        d.strftime("%d %b").lstrip("0") if (last - i) % 2 == 0 else ""
        for i, d in enumerate(series.days)
    ]


def draw(series: ChartSeries) -> Any:
    """The chart as a matplotlib Figure (None without matplotlib); tests read its axes."""
    mpl = _matplotlib()
    if mpl is None:
        return None
    # A Figure made directly (not through pyplot) keeps no global state: safe on job threads.
    figure = mpl["Figure"](figsize=(6.4, 4.0), dpi=100)
    runs, coverage = figure.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [2, 1]})
    figure.subplots_adjust(left=0.11, right=0.98, top=0.86, bottom=0.1, hspace=0.2)
    figure.suptitle(TITLE, fontsize=12)
    x = list(range(len(series.days)))
    runs.bar([i - 0.2 for i in x], series.runs_started, width=0.4, color=STARTED,
             label="started")  # fmt: skip
    runs.bar([i + 0.2 for i in x], series.runs_completed, width=0.4, color=COMPLETED,
             label="completed")  # fmt: skip
    runs.set_ylim(0, runs_top(series))
    runs.yaxis.set_major_locator(mpl["MaxNLocator"](nbins=4, integer=True, min_n_ticks=1))
    runs.set_ylabel("runs", fontsize=10)
    if not any(series.runs_started) and not any(series.runs_completed):
        runs.text(0.5, 0.5, NO_RUNS, transform=runs.transAxes, ha="center", va="center",
                  fontsize=12, color="#666666")  # fmt: skip
    else:
        runs.legend(loc="upper left", fontsize=9, ncols=2, frameon=False)
    points = [(i, c * 100) for i, c in zip(x, series.coverage, strict=True) if c is not None]
    if points:
        coverage.plot([p[0] for p in points], [p[1] for p in points], color=COVERAGE,
                      marker="o", markersize=3, linewidth=2)  # fmt: skip
    else:
        coverage.text(0.5, 0.5, NO_COVERAGE, transform=coverage.transAxes, ha="center",
                      va="center", fontsize=10, color="#666666")  # fmt: skip
    coverage.set_ylim(0, 100)
    coverage.yaxis.set_major_locator(mpl["FixedLocator"]([0, 50, 100]))
    coverage.yaxis.set_major_formatter(mpl["PercentFormatter"](decimals=0))
    coverage.set_ylabel("coverage", fontsize=10)
    coverage.set_xlim(-0.6, len(x) - 0.4)
    coverage.set_xticks(x, day_labels(series), fontsize=9)
    for axes in (runs, coverage):
        axes.tick_params(labelsize=9)
        axes.spines[["top", "right"]].set_visible(False)
        axes.grid(axis="y", color="#e5e5e5", linewidth=0.8)
        axes.set_axisbelow(True)
    return figure


def render_png(series: ChartSeries) -> bytes | None:
    """The chart as PNG bytes, or None when matplotlib is missing."""
    figure = draw(series)
    if figure is None:
        return None
    out = io.BytesIO()
    # No metadata: the same series always gives the same bytes (a retried upload re-sends them).
    figure.savefig(out, format="png", metadata={"Software": None})
    return out.getvalue()
