"""Outcome metrics checked analytically on synthetic series, for one run and for many."""

from __future__ import annotations

import math

import numpy as np
import pytest

from regionsoft_sd.catalogue import catalogue
from regionsoft_sd.metrics import (
    METRIC_NAMES,
    METRICS,
    REQUIRED_VARIABLES,
    compute_metrics,
    metric_units,
    npv,
    threshold_year,
)

T = np.arange(2025.0, 2076.0)


def test_npv_of_a_constant_stream_matches_the_closed_form():
    rate, c = 0.03, 100.0
    exact = c * (1 - math.exp(-rate * (T[-1] - T[0]))) / rate
    assert npv(T, np.full_like(T, c), rate) == pytest.approx(exact, rel=1e-4)


def test_npv_without_discounting_is_the_integral():
    flow = 2.0 * (T - T[0])  # integral of 2t over 0..50 = 2500, exact for trapezoid
    assert npv(T, flow, 0.0) == pytest.approx(2500.0)


def test_threshold_year_on_a_known_ramp():
    values = 1.0 + 0.04 * (T - T[0])  # reaches 2.0 at 2050.0 exactly
    assert threshold_year(T, values, 2.0) == pytest.approx(2050.0)
    assert threshold_year(T, values, 1.5) == pytest.approx(2037.5)
    assert threshold_year(T, values, 1.0) == 2025.0
    assert math.isnan(threshold_year(T, values, 9.0))


def _synthetic(n: int | None = None):
    shape = (len(T),) if n is None else (len(T), n)
    ramp = (T - T[0]).reshape(-1, *([1] * (len(shape) - 1)))
    scale = np.ones(shape) if n is None else np.ones(shape) * np.arange(1, n + 1)
    return {
        "Dominant Soft Power": 1.0 + 0.04 * ramp * scale,
        "Hard Power Index": np.full(shape, 2.0),
        "Human Quality": np.full(shape, 1.2),
        "Output": np.full(shape, 1000.0),
        "Cumulative soft power spending": 60.0 * ramp * np.ones(shape),
    }


def test_compute_metrics_single_run():
    m = compute_metrics(T, _synthetic())
    assert set(m) == set(METRIC_NAMES)
    assert m["dominant_soft_power_end"] == pytest.approx(3.0)
    assert m["hard_power_index_end"] == 2.0 and m["human_quality_end"] == 1.2
    assert m["cumulative_spending"] == pytest.approx(3000.0)
    assert m["threshold_year"] == pytest.approx(2050.0)
    assert m["soft_power_per_money"] == pytest.approx(2.0 / 3000.0 * 1000)


def test_compute_metrics_is_vectorised_over_runs():
    many = compute_metrics(T, _synthetic(3))
    assert all(np.shape(v) == (3,) for v in many.values())
    assert many["threshold_year"] == pytest.approx([2050.0, 2037.5, 2025 + 25 / 3])
    one = compute_metrics(T, {k: v[:, 1] for k, v in _synthetic(3).items()})
    for k in METRIC_NAMES:
        assert np.asarray(one[k]) == pytest.approx(many[k][1])


def test_missing_variable_is_reported():
    data = _synthetic()
    del data["Output"]
    with pytest.raises(KeyError, match="Output"):
        compute_metrics(T, data)


def test_metric_table_is_complete_and_units_derive_from_the_model():
    cat = catalogue()
    assert all(v in cat for v in REQUIRED_VARIABLES)
    units = metric_units(cat.units())
    assert units["npv_output"] == cat["Output"].units.removesuffix("/Year")
    assert units["dominant_soft_power_end"] == cat["Dominant Soft Power"].units
    for m in METRICS:
        assert m.description and m.better in ("higher", "lower", None) and m.label


def test_descriptions_follow_the_rate_and_threshold():
    from regionsoft_sd.metrics import describe, label

    by_name = {m.name: m for m in METRICS}
    assert describe("npv_output") == by_name["npv_output"].description
    assert "3 %/yr" in describe("npv_output")
    assert "7 %/yr" in describe("npv_output", discount_rate=0.07)
    assert "reaches 2.5" in describe("threshold_year", threshold=2.5)
    assert label("threshold_year", threshold=2.5) == "year SP>=2.5"
    assert describe("human_quality_end", threshold=9) == by_name["human_quality_end"].description
