"""Outcome metrics of a run, vectorised over runs, with one table that documents them.

`compute_metrics(times, series)` takes each model variable as an array of shape
(T,) for one run or (T, N) for N runs (time on axis 0), so the same code scores
a single PySD run and a batch of thousands. `METRICS` is the single source of
truth for each metric's name, meaning and direction; `metric_units()` derives
their units from the model's own units.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

DISCOUNT_RATE = 0.03
"""Real discount rate for the NPV of output, per year, continuous compounding.

3 %/yr sits among the real rates used to appraise public investment (3 % in the
2003 US OMB Circular A-4, 3.5 % in the UK Green Book). Pass another to
`compute_metrics(discount_rate=...)` for a sensitivity check."""

THRESHOLD = 2.0
"""Default threshold of `threshold_year`: dominant soft power at twice its 2025 level."""

THRESHOLD_VARIABLE = "Dominant Soft Power"

SOFT_POWER = "Dominant Soft Power"
HARD_POWER = "Hard Power Index"
HUMAN_QUALITY = "Human Quality"
OUTPUT = "Output"
CUMULATIVE_SPENDING = "Cumulative soft power spending"


def _rate_text(rate: float) -> str:
    return f"{rate * 100:.4g} %/yr"


def _npv_text(rate: float) -> str:
    return (
        "Net present value of Output over the horizon, discounted continuously at "
        f"{_rate_text(rate)} to the start year (trapezoid rule on the saved points)."
    )


def _threshold_text(threshold: float) -> str:
    times = "twice" if threshold == 2 else f"{threshold:g} times"
    return (
        f"First year {THRESHOLD_VARIABLE} reaches {threshold:g} ({times} its 2025 level), "
        "interpolated linearly between saved points; NaN if it never does."
    )


def _threshold_label(threshold: float) -> str:
    return f"year SP>={threshold:g}"


@dataclass(frozen=True)
class Metric:
    """One outcome metric: its column name, what it measures and which way is better.

    `better` is "higher", "lower" or None (a quantity to report, not to rank by).
    """

    name: str
    description: str
    better: str | None
    variable: str  # the model variable its units derive from
    unit_rule: str = "same"  # "same", "times Year", "per money"
    label: str = ""  # short column label for terminal tables


METRICS: tuple[Metric, ...] = (
    Metric(
        "dominant_soft_power_end",
        "Dominant Soft Power at the horizon (1 = 2025): realised soft power (§3.1).",
        "higher",
        SOFT_POWER,
        label="soft power",
    ),
    Metric(
        "hard_power_index_end",
        "Hard Power Index at the horizon: output relative to 2025 (§3.2, §4.5).",
        "higher",
        HARD_POWER,
        label="hard power",
    ),
    Metric(
        "human_quality_end",
        "Human Quality at the horizon (1 = 2025): skills and knowledge of the people (§4.3).",
        "higher",
        HUMAN_QUALITY,
        label="human quality",
    ),
    Metric(
        "npv_output",
        _npv_text(DISCOUNT_RATE),
        "higher",
        OUTPUT,
        "times Year",
        label="NPV output",
    ),
    Metric(
        "cumulative_spending",
        "Soft-power money spent from the start to the horizon (the model's accounting "
        "stock). Equal-budget strategies share one budget rule, so theirs differ only "
        "through output (loop R1).",
        None,
        CUMULATIVE_SPENDING,
        label="spent",
    ),
    Metric(
        "threshold_year",
        _threshold_text(THRESHOLD),
        "lower",
        "INITIAL TIME",
        label=_threshold_label(THRESHOLD),
    ),
    Metric(
        "soft_power_per_money",
        "Dominant Soft Power gained over the horizon per 1000 units of soft-power money "
        "spent: the efficiency of the spending.",
        "higher",
        SOFT_POWER,
        "per money",
        label="SP gain/money",
    ),
)
METRIC_NAMES = tuple(m.name for m in METRICS)


def describe(
    name: str, *, discount_rate: float = DISCOUNT_RATE, threshold: float = THRESHOLD
) -> str:
    """The description of metric `name` for the discount rate and threshold actually used."""
    if name == "npv_output":
        return _npv_text(discount_rate)
    if name == "threshold_year":
        return _threshold_text(threshold)
    return next(m.description for m in METRICS if m.name == name)


def label(name: str, *, threshold: float = THRESHOLD) -> str:
    """The short terminal label of metric `name` (the threshold year's names its threshold)."""
    if name == "threshold_year":
        return _threshold_label(threshold)
    return next(m.label or m.name for m in METRICS if m.name == name)


REQUIRED_VARIABLES = (SOFT_POWER, HARD_POWER, HUMAN_QUALITY, OUTPUT, CUMULATIVE_SPENDING)


def metric_units(units: Mapping[str, str]) -> dict[str, str]:
    """Units of each metric, derived from the model's units (`Catalogue.units()`)."""
    out = {}
    for m in METRICS:
        u = units[m.variable]
        if m.unit_rule == "times Year":
            u = u[: -len("/Year")] if u.endswith("/Year") else f"{u}*Year"
        elif m.unit_rule == "per money":
            u = f"{u}/(1000 {units[CUMULATIVE_SPENDING]})"
        out[m.name] = u
    return out


def value_at_end(values: np.ndarray) -> np.ndarray:
    """Last saved value along time (axis 0)."""
    return np.asarray(values, dtype=float)[-1]


def npv(times: np.ndarray, flow: np.ndarray, rate: float = DISCOUNT_RATE) -> np.ndarray:
    """Present value at times[0] of a flow, discounted continuously at `rate`.

    Integrates flow(t) * exp(-rate * (t - t0)) with the trapezoid rule.
    """
    t = np.asarray(times, dtype=float)
    f = np.asarray(flow, dtype=float)
    w = np.exp(-rate * (t - t[0]))
    g = f * w.reshape((-1,) + (1,) * (f.ndim - 1))
    dt = np.diff(t).reshape((-1,) + (1,) * (f.ndim - 1))
    return np.sum((g[1:] + g[:-1]) * 0.5 * dt, axis=0)


def threshold_year(times: np.ndarray, values: np.ndarray, threshold: float) -> np.ndarray:
    """First time `values` reaches `threshold`, interpolated linearly; NaN if never.

    Reached at the first saved point means that point's time.
    """
    t = np.asarray(times, dtype=float)
    v = np.asarray(values, dtype=float)
    flat = v.reshape(len(t), -1)
    above = flat >= threshold
    first = np.argmax(above, axis=0)
    hit = above.any(axis=0)
    out = np.full(flat.shape[1], np.nan)
    for j in np.flatnonzero(hit):
        i = first[j]
        if i == 0:
            out[j] = t[0]
        else:
            v0, v1 = flat[i - 1, j], flat[i, j]
            out[j] = t[i - 1] + (threshold - v0) / (v1 - v0) * (t[i] - t[i - 1])
    return out.reshape(v.shape[1:]) if v.ndim > 1 else out[0]


def compute_metrics(
    times: np.ndarray,
    series: Mapping[str, np.ndarray],
    *,
    discount_rate: float = DISCOUNT_RATE,
    threshold: float = THRESHOLD,
) -> dict[str, np.ndarray]:
    """Every metric in METRICS for one run (arrays (T,)) or N runs (arrays (T, N)).

    `series` must hold REQUIRED_VARIABLES, keyed by model name. Results are
    scalars (0-d arrays) for one run and (N,) arrays for N runs.
    """
    missing = [v for v in REQUIRED_VARIABLES if v not in series]
    if missing:
        raise KeyError(f"compute_metrics needs the variables {missing}")
    soft = np.asarray(series[SOFT_POWER], dtype=float)
    spent = value_at_end(series[CUMULATIVE_SPENDING])
    with np.errstate(divide="ignore", invalid="ignore"):
        per_money = (soft[-1] - soft[0]) / spent * 1000.0
    return {
        "dominant_soft_power_end": value_at_end(soft),
        "hard_power_index_end": value_at_end(series[HARD_POWER]),
        "human_quality_end": value_at_end(series[HUMAN_QUALITY]),
        "npv_output": npv(times, series[OUTPUT], discount_rate),
        "cumulative_spending": spent,
        "threshold_year": np.asarray(threshold_year(times, series[THRESHOLD_VARIABLE], threshold)),
        "soft_power_per_money": np.asarray(per_money),
    }
