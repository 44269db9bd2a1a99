"""Outcome metrics checked analytically on synthetic series, for one run and for many."""

from __future__ import annotations

import math

import numpy as np
import pytest

from regionsoft_sd.model.catalogue import catalogue
from regionsoft_sd.model.metrics import (
    DISCOUNT_RATE,
    METRIC_NAMES,
    METRICS,
    PROJECTION_START,
    REQUIRED_VARIABLES,
    compute_metrics,
    metric_units,
    npv,
    required_variables,
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


# A v2-shaped run: history 2005-2023, projection from 2024 (PROJECTION_START).
H = np.arange(2005.0, 2076.0)
P0 = PROJECTION_START


def _synthetic(n: int | None = None):
    """Hand-made series whose metrics are known in closed form (see the tests)."""
    shape = (len(H),) if n is None else (len(H), n)
    col = (H - P0).reshape(-1, *([1] * (len(shape) - 1)))
    scale = np.ones(shape) if n is None else np.ones(shape) * np.arange(1, n + 1)
    return {
        # 1 in 2024, +0.04 a year (times the run's scale): 3.04 in 2075 for scale 1
        "Dominant Soft Power": 1.0 + 0.04 * col * scale,
        # 0.88 in 2024, reaches 1 in 2030 (scale 1); its history crosses 0.6 in 2010
        "Dominant soft power relative": 0.88 + 0.02 * col * scale,
        "GDP": np.full(shape, 500.0),
        # 99 in history (must not count), 10 a person from 2024 on
        "Consumption per capita": np.where(col < 0, 99.0, 10.0) * np.ones(shape),
        "Population": np.full(shape, 80.0),
        "Human Quality": np.full(shape, 9.5),
        # nothing spent before 2024, then 60 a year: 3060 by 2075
        "Cumulative soft power spending": np.maximum(col, 0) * 60.0 * np.ones(shape),
    }


def test_compute_metrics_single_run():
    m = compute_metrics(H, _synthetic())
    assert set(m) == set(METRIC_NAMES)
    assert m["dominant_soft_power_end"] == pytest.approx(3.04)
    assert m["gdp_end"] == 500.0 and m["population_end"] == 80.0
    assert m["human_quality_end"] == 9.5 and m["consumption_per_capita_end"] == 10.0
    assert m["cumulative_spending"] == pytest.approx(3060.0)
    # projection only: 10 a year over 2024-2075, not the 99 of history
    exact = 10.0 * (1 - math.exp(-DISCOUNT_RATE * (2075 - P0))) / DISCOUNT_RATE
    assert m["npv_consumption"] == pytest.approx(exact, rel=1e-4)
    assert m["threshold_year"] == pytest.approx(2030.0)
    # gain over the projection (3.04 - 1) per 1000 of money spent
    assert m["soft_power_per_money"] == pytest.approx(2.04 / 3060.0 * 1000)


def test_history_counts_only_when_asked():
    """With start = the first saved year, the whole run counts: history's consumption too."""
    m = compute_metrics(H, _synthetic(), start=2005.0, threshold=0.6)
    assert m["threshold_year"] == pytest.approx(2010.0)
    assert m["npv_consumption"] > 99.0 * (1 - math.exp(-DISCOUNT_RATE * 19)) / DISCOUNT_RATE
    # a threshold reached before the projection counts from its first year
    assert compute_metrics(H, _synthetic(), threshold=0.6)["threshold_year"] == P0


def test_compute_metrics_is_vectorised_over_runs():
    many = compute_metrics(H, _synthetic(3))
    assert all(np.shape(v) == (3,) for v in many.values())
    assert many["threshold_year"] == pytest.approx([2030.0, 2027.0, 2026.0])
    one = compute_metrics(H, {k: v[:, 1] for k, v in _synthetic(3).items()})
    for k in METRIC_NAMES:
        assert np.asarray(one[k]) == pytest.approx(many[k][1])


def test_missing_variable_is_reported():
    data = _synthetic()
    del data["GDP"]
    with pytest.raises(KeyError, match="GDP"):
        compute_metrics(H, data)


def test_only_the_metrics_asked_for_need_their_variables():
    """Each metric, asked alone, runs on exactly the variables it declares: a small model
    that defines only those can be swept on it."""
    full = _synthetic()
    every = compute_metrics(H, full)
    for m in METRICS:
        needed = required_variables([m.name])
        assert set(needed) == set(m.variables) <= set(REQUIRED_VARIABLES)
        alone = compute_metrics(H, {v: full[v] for v in needed}, names=[m.name])
        assert list(alone) == [m.name]
        assert float(alone[m.name]) == pytest.approx(float(every[m.name]))
    two = compute_metrics(H, full, names=["gdp_end", "dominant_soft_power_end"])
    assert list(two) == ["gdp_end", "dominant_soft_power_end"]
    with pytest.raises(KeyError, match="unknown metrics"):
        compute_metrics(H, full, names=["hard_power_index_end"])
    assert set(metric_units(catalogue().units(), ["gdp_end"])) == {"gdp_end"}


def test_metric_table_is_complete_and_units_derive_from_the_model():
    cat = catalogue()
    assert all(v in cat for v in REQUIRED_VARIABLES)
    units = metric_units(cat.units())
    assert set(units) == set(METRIC_NAMES)
    assert units["npv_consumption"] == cat["Consumption per capita"].units.removesuffix("/Year")
    assert units["dominant_soft_power_end"] == cat["Dominant Soft Power"].units
    assert units["threshold_year"] == "Year"
    for m in METRICS:
        assert m.description and m.better in ("higher", "lower", None) and m.label


def test_model_projection_start_is_the_metrics_default():
    """Sums and discounting start where the model's policies start."""
    assert catalogue()["Projection start year"].default == PROJECTION_START


def test_descriptions_follow_the_rate_and_threshold():
    from regionsoft_sd.model.metrics import describe, label

    by_name = {m.name: m for m in METRICS}
    assert describe("npv_consumption") == by_name["npv_consumption"].description
    assert "3 %/yr" in describe("npv_consumption")
    assert "7 %/yr" in describe("npv_consumption", discount_rate=0.07)
    assert "2.5 times the rest of China" in describe("threshold_year", threshold=2.5)
    assert "par with the rest of China" in describe("threshold_year")
    assert label("threshold_year", threshold=2.5) == "year SP rel>=2.5"
    assert describe("human_quality_end", threshold=9) == by_name["human_quality_end"].description
