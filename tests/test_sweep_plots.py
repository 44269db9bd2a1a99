"""Sweep figures: no global backend change, honest Morris labels, fans on shared axes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.text import Text

from regionsoft_sd.sweep import plots

ROOT = Path(__file__).resolve().parents[1]
STRATEGIES = ["baseline", "balanced", "education_first"]
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)


def fake_fan(scale: dict[str, float]) -> pd.DataFrame:
    """Bands that fan out over time; strategy s is `scale[s]` times the baseline."""
    years = np.arange(2025, 2076, 5)
    rows = []
    for s in STRATEGIES:
        for var in ("Dominant Soft Power", "Output"):
            for q in QUANTILES:
                values = scale[s] * (1 + (years - 2025) / 50 * (0.5 + q))
                rows.append(
                    {
                        "strategy": s,
                        "variable": var,
                        "quantile": q,
                        "runs": 500,
                        **{str(float(y)): v for y, v in zip(years, values, strict=True)},
                    }
                )
    return pd.DataFrame(rows)


def test_importing_and_running_a_sweep_leaves_the_matplotlib_backend_alone(tmp_path):
    """A notebook's inline backend must survive `run_sweep` (it imports these plots)."""
    code = (
        "import matplotlib\n"
        "before = matplotlib.get_backend()\n"
        "from regionsoft_sd.sweep import run_sweep\n"
        f"run_sweep({str(ROOT / 'tests' / 'sweep_data' / 'known.toml')!r}, "
        f"{str(tmp_path / 'out')!r}, progress=False)\n"
        "print(before, matplotlib.get_backend())\n"
    )
    env = {**os.environ, "MPLBACKEND": "svg"}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert out.stdout.split() == ["svg", "svg"]
    assert (tmp_path / "out" / "figures" / "fans.png").is_file()


def test_no_library_module_sets_the_backend_or_uses_pyplot():
    for path in (ROOT / "regionsoft_sd").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "matplotlib.use(" not in text, path
        assert (
            "import matplotlib.pyplot" not in text and "from matplotlib import pyplot" not in text
        ), path


def test_fans_of_all_strategies_share_axes_in_one_figure():
    fan = fake_fan({"baseline": 1.0, "balanced": 1.5, "education_first": 0.8})
    fig = plots.fan_charts(fan, STRATEGIES, "sobol")
    axes = np.array(fig.axes).reshape(2, 3)
    for row in axes:
        assert all(row[0].get_shared_y_axes().joined(row[0], ax) for ax in row)
        lo, hi = row[0].get_ylim()
        assert hi >= 1.5 * 2.45 - 1e-9  # balanced's 95 % band fits every panel of the row
    assert [ax.get_title() for ax in axes[0]] == STRATEGIES
    assert fig.get_suptitle().startswith("Range of futures")


@pytest.mark.parametrize("method", ["morris", "oat"])
def test_screening_designs_are_not_called_a_range_of_futures(method):
    fan = fake_fan(dict.fromkeys(STRATEGIES, 1.0))
    title = plots.fan_charts(fan, STRATEGIES, method).get_suptitle()
    assert "Not a range of futures" in title or "not a range of futures" in title
    assert not title.startswith("Range of futures")


def fake_morris(names: list[str]) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    mu = np.linspace(1, 2, len(names)) + rng.uniform(0, 0.01, len(names))
    return pd.DataFrame(
        {
            "strategy": "baseline",
            "metric": "dominant_soft_power_end",
            "parameter": names,
            "mu_star": mu,
            "sigma": mu * 1.001,  # points almost on top of each other
            "mu_star_conf": 0.1,
        }
    )


def test_morris_labels_are_whole_names_and_never_overlap():
    names = [f"A rather long parameter name number {i}" for i in range(8)]
    fig = plots.morris_plot(fake_morris(names), "baseline", {"dominant_soft_power_end": "Index"})
    texts = fig.axes[0].texts
    assert len(texts) == 6
    assert all(t.get_text().replace("\n", " ") in names for t in texts)  # wrapped, not cut
    renderer = FigureCanvasAgg(fig).get_renderer()
    fig.draw(renderer)
    # the text alone: an annotation's own extent includes its leader line
    boxes = sorted((Text.get_window_extent(t, renderer) for t in texts), key=lambda b: b.y0)
    assert all(a.y1 <= b.y0 for a, b in zip(boxes, boxes[1:], strict=False))
    assert "not a range of futures" in fig.get_suptitle()


def test_metric_axes_use_round_ticks_with_separators():
    tornado = pd.DataFrame(
        {
            "strategy": "baseline",
            "metric": "cumulative_spending",
            "parameter": ["p1", "p2"],
            "base_outcome": 59_960.0,
            "outcome_at_low": [52_000.0, 59_000.0],
            "outcome_at_high": [102_000.0, 61_000.0],
            "swing": [50_000.0, 2_000.0],
        }
    )
    fig = plots.tornado_plot(tornado, "baseline", {"cumulative_spending": "Byuan"})
    ax = fig.axes[0]
    FigureCanvasAgg(fig).draw()
    ticks = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
    assert 2 <= len(ticks) <= 6 and all("," in t for t in ticks if len(t) > 4)
    assert ax.get_xlabel().replace("\n", " ") == "billion yuan at 2005 prices"
