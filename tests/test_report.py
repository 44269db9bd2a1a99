"""Text and Markdown tables of a comparison."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from regionsoft_sd.metrics import METRIC_NAMES
from regionsoft_sd.report import comparison_markdown, format_value, metrics_table
from regionsoft_sd.simulate import Comparison, rank


def fake() -> Comparison:
    metrics = pd.DataFrame(
        np.arange(2 * len(METRIC_NAMES), dtype=float).reshape(2, -1) + 1,
        index=pd.Index(["a", "b"], name="scenario"),
        columns=list(METRIC_NAMES),
    )
    metrics.loc["a", "threshold_year"] = math.nan
    return Comparison(metrics, rank(metrics), {}, {m: "U" for m in METRIC_NAMES})


def test_format_value():
    assert format_value("threshold_year", math.nan) == "never"
    assert format_value("threshold_year", 2064.37) == "2064.4"
    assert format_value("npv_output", 34964.6) == "34,965"
    assert format_value("hard_power_index_end", 2.4436) == "2.444"


def test_markdown_table_is_well_formed_and_in_ranking_order():
    md = comparison_markdown(fake(), {"a": "first", "b": "second"})
    table = [line for line in md.splitlines() if line.startswith("|")]
    assert len({line.count("|") for line in table}) == 1  # every row has the same columns
    rows = [line for line in table if line.startswith("| 1 ") or line.startswith("| 2 ")]
    assert "b" in rows[0] and "never" in rows[1]  # b is better on dominant soft power
    assert "- **a**: first" in md


def test_terminal_table_has_units_row():
    lines = metrics_table(fake()).splitlines()
    assert "[U]" in lines[1] and set(lines[2]) <= {"-", " "}


def test_params_calibration_lists_only_constants():
    from regionsoft_sd.catalogue import catalogue
    from regionsoft_sd.report import params_text

    cat = catalogue()
    computed = [e for e in cat if e.name.startswith("Initial ") and e.kind != "constant"]
    assert computed  # e.g. Initial productive capital, computed from other constants
    blocks = params_text(list(cat)).split("\n\n")
    calibration = next(b for b in blocks if b.startswith("Calibration"))
    listed = [ln.split("  ")[0] for ln in calibration.splitlines()[2:] if not ln.startswith(" ")]
    assert listed and all(cat[n].kind == "constant" for n in listed)
    assert not {e.name for e in computed} & set(listed)


def test_markdown_and_metrics_frame_state_the_rate_and_threshold_used():
    from regionsoft_sd.report import metrics_frame

    c = fake()
    c.discount_rate, c.threshold = 0.05, 3.0
    md = comparison_markdown(c, {"a": "first", "b": "second"})
    assert "5 %/yr" in md and "3 %/yr" not in md
    assert "reaches 3 (3 times its 2025 level)" in md and "reaches 2" not in md
    assert "year SP>=3" in metrics_table(c)
    frame = metrics_frame(
        dict.fromkeys(METRIC_NAMES, 1.0), c.units, discount_rate=0.035, threshold=1.5
    )
    assert "3.5 %/yr" in frame.at["npv_output", "description"]
    assert "reaches 1.5" in frame.at["threshold_year", "description"]


def test_default_markdown_states_the_defaults():
    md = comparison_markdown(fake(), {"a": "first", "b": "second"})
    assert "3 %/yr" in md and "reaches 2 (twice its 2025 level)" in md
