"""The 14-day chart reads well empty, sparse and busy: axis limits and labels, not pixels."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from bot.services import chart
from bot.services.digest import ChartSeries

pytest.importorskip("matplotlib")

DAYS = tuple(date(2026, 11, 17) + timedelta(days=n) for n in range(14))


def series(started, completed, coverage) -> ChartSeries:
    return ChartSeries(DAYS, tuple(started), tuple(completed), tuple(coverage))


EMPTY = series([0] * 14, [0] * 14, [None] * 14)
SPARSE = series([0] * 12 + [1, 0], [0] * 12 + [1, 0], [None] * 10 + [0.5] * 4)
BUSY = series(
    [8, 5, 9, 6, 3, 1, 1, 7, 16, 6, 10, 6, 2, 4],
    [7, 4, 8, 5, 3, 1, 1, 6, 14, 6, 9, 5, 2, 3],
    [0.79] * 3 + [0.89] * 11,
)


def axes_of(s: ChartSeries):
    figure = chart.draw(s)
    runs, coverage = figure.axes
    return figure, runs, coverage


def texts(axes) -> list[str]:
    return [t.get_text() for t in axes.texts]


def integer_ticks(axes) -> list[float]:
    low, high = axes.get_ylim()
    return [t for t in axes.get_yticks() if low <= t <= high]


@pytest.mark.parametrize("s", [EMPTY, SPARSE, BUSY], ids=["empty", "sparse", "busy"])
def test_runs_count_on_whole_numbers_from_zero_and_coverage_has_its_own_percent_axis(s):
    figure, runs, coverage = axes_of(s)
    low, high = runs.get_ylim()
    assert low == 0 and high >= max((*s.runs_started, 1))
    ticks = integer_ticks(runs)
    assert ticks[0] == 0 and all(t == int(t) and t >= 0 for t in ticks), ticks
    assert runs.get_ylabel() == "runs"
    assert coverage.get_ylim() == (0, 100)
    labels = [t.get_text() for t in coverage.get_yticklabels()]
    assert labels == ["0%", "50%", "100%"]
    assert coverage.get_ylabel() == "coverage"
    # Readable as Slack previews it: a landscape image, text no smaller than 9 pt.
    width, height = figure.get_size_inches()
    assert width / height > 1.4
    assert min(t.get_fontsize() for t in coverage.get_xticklabels()) >= 9
    assert figure.texts[0].get_text() == chart.TITLE


def test_an_empty_fortnight_says_so_instead_of_an_empty_frame():
    _, runs, coverage = axes_of(EMPTY)
    assert texts(runs) == [chart.NO_RUNS] and runs.get_ylim() == (0, 1)
    assert integer_ticks(runs) == [0, 1]
    assert texts(coverage) == [chart.NO_COVERAGE]
    assert runs.get_legend() is None


def test_a_sparse_fortnight_has_a_legend_and_one_run_on_a_whole_tick():
    _, runs, coverage = axes_of(SPARSE)
    assert texts(runs) == [] and runs.get_legend() is not None
    assert integer_ticks(runs) == [0, 1, 2] and runs.get_ylim() == (0, 2)
    assert [len(line.get_xdata()) for line in coverage.get_lines()] == [4]
    assert texts(coverage) == []


def test_a_busy_fortnight_fits_its_busiest_day_and_labels_every_other_day():
    _, runs, coverage = axes_of(BUSY)
    assert runs.get_ylim() == (0, 19)  # 16 runs and some room above
    assert integer_ticks(runs) == [0, 5, 10, 15]
    labels = [t.get_text() for t in coverage.get_xticklabels()]
    assert labels[-1] == "30 Nov" and labels[-2] == "" and labels[0] == "" and labels[1] == "18 Nov"
    assert [p[1] for p in coverage.get_lines()[0].get_xydata()][0] == pytest.approx(79)


def test_the_png_is_the_same_for_the_same_series():
    assert chart.render_png(BUSY) == chart.render_png(BUSY)
    assert chart.render_png(EMPTY).startswith(b"\x89PNG")
