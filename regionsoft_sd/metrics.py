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
"""Real discount rate for NPVs, per year, continuous compounding.

3 %/yr sits among the real rates used to appraise public investment (3 % in the
2003 US OMB Circular A-4, 3.5 % in the UK Green Book). Pass another to
`compute_metrics(discount_rate=...)` for a sensitivity check."""

THRESHOLD = 1.0
"""Default threshold of `threshold_year`: dominant soft power at par with the rest of China."""

PROJECTION_START = 2024.0
"""First projection year: metrics that sum or discount over time start here, so the
shared history (2005-2023) counts the same in every scenario. The model's own
`Projection start year` has the same default (a test keeps them equal)."""

SOFT_POWER = "Dominant Soft Power"
SOFT_POWER_RELATIVE = "Dominant soft power relative"
THRESHOLD_VARIABLE = SOFT_POWER_RELATIVE
GDP = "GDP"
CONSUMPTION = "Consumption per capita"
POPULATION = "Population"
HUMAN_QUALITY = "Human Quality"
CUMULATIVE_SPENDING = "Cumulative soft power spending"


def _rate_text(rate: float) -> str:
    return f"{rate * 100:.4g} %/yr"


def _npv_text(rate: float) -> str:
    return (
        "Present value of consumption per person over the projection, discounted "
        f"continuously at {_rate_text(rate)} to the first projection year (trapezoid rule "
        "on the saved points): the welfare outcome."
    )


def _threshold_text(threshold: float) -> str:
    what = (
        "par with the rest of China"
        if threshold == 1
        else f"{threshold:g} times the rest of China's"
    )
    return (
        f"First year dominant soft power reaches {what} ({THRESHOLD_VARIABLE} >= {threshold:g}), "
        "interpolated linearly between saved points; NaN if it never does."
    )


def _threshold_label(threshold: float) -> str:
    return f"year SP rel>={threshold:g}"


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
        "Dominant soft power at the horizon: potential soft power (1 = par with the rest "
        "of China) times the share converted through value identity and the hard-power "
        "carrier (§3.1, §3.2).",
        "higher",
        SOFT_POWER,
        label="soft power",
    ),
    Metric(
        "gdp_end",
        "GDP at the horizon: hard power (§3.2, §4.5).",
        "higher",
        GDP,
        label="GDP",
    ),
    Metric(
        "consumption_per_capita_end",
        "Final consumption (households and government) per person at the horizon.",
        "higher",
        CONSUMPTION,
        label="consumption/person",
    ),
    Metric(
        "npv_consumption",
        _npv_text(DISCOUNT_RATE),
        "higher",
        CONSUMPTION,
        "times Year",
        label="NPV consumption",
    ),
    Metric(
        "population_end",
        "Population at the horizon: people vote with their feet (migration follows "
        "consumption, soft power and congestion).",
        "higher",
        POPULATION,
        label="population",
    ),
    Metric(
        "human_quality_end",
        "Mean years of schooling of adults at the horizon (§4.3).",
        "higher",
        HUMAN_QUALITY,
        label="schooling",
    ),
    Metric(
        "cumulative_spending",
        "Money spent on the four elements over the projection (budget lines plus any "
        "programme). Strategies with the same programme budget spend the same programme "
        "money; the budget lines still follow each strategy's own GDP.",
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
        "Dominant soft power gained over the projection per 1000 units of money spent on "
        "the four elements: the efficiency of the spending.",
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
    if name == "npv_consumption":
        return _npv_text(discount_rate)
    if name == "threshold_year":
        return _threshold_text(threshold)
    return next(m.description for m in METRICS if m.name == name)


def label(name: str, *, threshold: float = THRESHOLD) -> str:
    """The short terminal label of metric `name` (the threshold year's names its threshold)."""
    if name == "threshold_year":
        return _threshold_label(threshold)
    return next(m.label or m.name for m in METRICS if m.name == name)


REQUIRED_VARIABLES = (
    SOFT_POWER,
    SOFT_POWER_RELATIVE,
    GDP,
    CONSUMPTION,
    POPULATION,
    HUMAN_QUALITY,
    CUMULATIVE_SPENDING,
)


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
    start: float = PROJECTION_START,
) -> dict[str, np.ndarray]:
    """Every metric in METRICS for one run (arrays (T,)) or N runs (arrays (T, N)).

    `series` must hold REQUIRED_VARIABLES, keyed by model name. Sums, gains and
    discounting run over the projection (`times >= start`); if no saved time
    lies before `start`, the whole run counts. Results are scalars (0-d arrays)
    for one run and (N,) arrays for N runs.
    """
    missing = [v for v in REQUIRED_VARIABLES if v not in series]
    if missing:
        raise KeyError(f"compute_metrics needs the variables {missing}")
    t = np.asarray(times, dtype=float)
    proj = t >= start - 1e-9
    if not proj.any():
        proj[:] = True
    i0 = int(np.argmax(proj))
    soft = np.asarray(series[SOFT_POWER], dtype=float)
    spent = value_at_end(series[CUMULATIVE_SPENDING])
    with np.errstate(divide="ignore", invalid="ignore"):
        per_money = (soft[-1] - soft[i0]) / spent * 1000.0
    consumption = np.asarray(series[CONSUMPTION], dtype=float)
    rel = np.asarray(series[THRESHOLD_VARIABLE], dtype=float)
    return {
        "dominant_soft_power_end": value_at_end(soft),
        "gdp_end": value_at_end(series[GDP]),
        "consumption_per_capita_end": value_at_end(consumption),
        "npv_consumption": npv(t[proj], consumption[proj], discount_rate),
        "population_end": value_at_end(series[POPULATION]),
        "human_quality_end": value_at_end(series[HUMAN_QUALITY]),
        "cumulative_spending": spent,
        "threshold_year": np.asarray(threshold_year(t[proj], rel[proj], threshold)),
        "soft_power_per_money": np.asarray(per_money),
    }
