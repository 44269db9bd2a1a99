"""End labels sit at their lines' ends and never overlap; axis labels wrap without orphans."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.text import Text

from regionsoft_sd.model.style import wrap
from regionsoft_sd.reports.plots import plot_trajectories, spread


def test_spread_pushes_neighbours_apart_symmetrically_and_keeps_order():
    # three labels at one spot: the middle one stays, the others move one gap each way
    assert spread([0.5, 0.5, 0.5], 0.1) == pytest.approx([0.4, 0.5, 0.6])
    # far-apart labels do not move
    assert spread([0.9, 0.1, 0.5], 0.1) == pytest.approx([0.9, 0.1, 0.5])
    # a crowd at the top is kept inside the range, gaps kept
    out = spread([1.0, 0.99, 0.98], 0.1, hi=1.0)
    assert sorted(out) == pytest.approx([0.8, 0.9, 1.0])
    assert out[0] > out[1] > out[2]


def crowded_runs(n: int = 6) -> dict[str, pd.DataFrame]:
    """`n` lines that end within 0.1 % of one another, and one far below."""
    t = np.arange(2005.0, 2076.0)
    runs = {
        f"strategy_{i}": pd.DataFrame({"GDP": 1000 + 10 * (t - 2005) + i * 0.5}, index=t)
        for i in range(n)
    }
    runs["baseline"] = pd.DataFrame({"GDP": 1000 + 1 * (t - 2005)}, index=t)
    return runs


def test_end_labels_do_not_overlap_and_sit_beside_their_lines():
    runs = crowded_runs()
    fig = plot_trajectories(runs, ["GDP"], end_labels=True)
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    ax = fig.axes[0]
    labels = [t for t in ax.texts if t.get_text() in runs or "reference" in t.get_text()]
    assert len(labels) == len(runs)
    # the text alone, not the leader an Annotation adds to its extent
    boxes = [Text.get_window_extent(t, renderer) for t in labels]
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert not a.overlaps(b), "two end labels overlap"
    right = ax.get_window_extent(renderer).x1
    for box in boxes:
        assert 0 <= box.x0 - right < 25  # just right of the axes, where the lines end
    # the lone label (the baseline, far below the crowd) sits at its line's end
    base = next(t for t, b in zip(labels, boxes, strict=True) if "baseline" in t.get_text())
    y_end = ax.transData.transform((2075.0, float(runs["baseline"]["GDP"].iloc[-1])))[1]
    box = Text.get_window_extent(base, renderer)
    assert box.y0 <= y_end <= box.y1
    # the axes end where the lines end, so the labels follow the lines directly
    assert ax.get_xlim()[1] == 2075.0


def test_units_label_keeps_short_words_with_the_line_before():
    assert wrap("index, rest of China = 1", 22) == "index, rest of China = 1"
    assert "\n" in wrap("billion yuan at 2005 prices per year", 22)
    assert all(len(line) > 3 for line in wrap("one two three four five six 1", 10).splitlines())
