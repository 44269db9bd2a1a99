"""Outcome metrics of a run, vectorised over runs, with one table that documents them.

`compute_metrics(times, series)` takes each model variable as an array of shape
(T,) for one run or (T, N) for N runs (time on axis 0), so the same code scores
a single PySD run and a batch of thousands. `METRICS` is the single source of
truth for each metric's name, meaning and direction; `metric_units()` derives
their units from the model's own units.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
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
    `needs` lists the model variables it is computed from (default: `variable`), so
    that a sweep of a small model asks only for what its metrics read.
    """

    name: str
    description: str
    better: str | None
    variable: str  # the model variable its units derive from
    unit_rule: str = "same"  # "same", "times Year", "per money"
    label: str = ""  # short column label for terminal tables
    needs: tuple[str, ...] = ()

    @property
    def variables(self) -> tuple[str, ...]:
        """The model variables this metric is computed from."""
        return self.needs or (self.variable,)


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
        "Final consumption per person at the horizon (households and government).",
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
        needs=(THRESHOLD_VARIABLE,),
    ),
    Metric(
        "soft_power_per_money",
        "Dominant soft power gained over the projection, in index points, per trillion yuan "
        "(1,000 billion yuan at 2005 prices) spent on the four elements: the efficiency of "
        "the spending. It is a small number (a gain of 0.2 points for 60 trillion yuan is "
        "0.0033), so tables show it to 3 significant digits.",
        "higher",
        SOFT_POWER,
        "per money",
        label="SP gain/trillion",
        needs=(SOFT_POWER, CUMULATIVE_SPENDING),
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


_BY_NAME = {m.name: m for m in METRICS}


def _metrics(names: Iterable[str] | None) -> list[Metric]:
    """The Metric of each name (every metric for None); an unknown name is a KeyError."""
    if names is None:
        return list(METRICS)
    if isinstance(names, str):
        names = [names]
    unknown = [n for n in names if n not in _BY_NAME]
    if unknown:
        raise KeyError(f"unknown metrics {unknown}; known: {', '.join(METRIC_NAMES)}")
    return [_BY_NAME[n] for n in dict.fromkeys(names)]


def required_variables(names: Iterable[str] | None = None) -> tuple[str, ...]:
    """The model variables the metrics `names` (default: every metric) are computed from."""
    return tuple(dict.fromkeys(v for m in _metrics(names) for v in m.variables))


REQUIRED_VARIABLES = required_variables()
"""The model variables every metric together needs."""


def metric_units(units: Mapping[str, str], names: Iterable[str] | None = None) -> dict[str, str]:
    """Units of the metrics `names` (default: every metric), derived from the model's units
    (`Catalogue.units()`)."""
    out = {}
    for m in _metrics(names):
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
    names: Iterable[str] | None = None,
    discount_rate: float = DISCOUNT_RATE,
    threshold: float = THRESHOLD,
    start: float = PROJECTION_START,
) -> dict[str, np.ndarray]:
    """The metrics `names` (default: every metric in METRICS) for one run (arrays (T,))
    or N runs (arrays (T, N)), in the order asked.

    `series` must hold `required_variables(names)`, keyed by model name; other
    variables may be absent. Sums, gains and discounting run over the projection
    (`times >= start`); if no saved time lies before `start`, the whole run
    counts. Results are scalars (0-d arrays) for one run and (N,) arrays for N runs.
    """
    chosen = _metrics(names)
    needed = required_variables([m.name for m in chosen])
    missing = [v for v in needed if v not in series]
    if missing:
        raise KeyError(f"compute_metrics needs the variables {missing}")
    t = np.asarray(times, dtype=float)
    proj = t >= start - 1e-9
    if not proj.any():
        proj[:] = True
    i0 = int(np.argmax(proj))

    def arr(name: str) -> np.ndarray:
        return np.asarray(series[name], dtype=float)

    def per_money() -> np.ndarray:
        soft = arr(SOFT_POWER)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.asarray((soft[-1] - soft[i0]) / value_at_end(arr(CUMULATIVE_SPENDING)) * 1e3)

    formulas = {
        "dominant_soft_power_end": lambda: value_at_end(arr(SOFT_POWER)),
        "gdp_end": lambda: value_at_end(arr(GDP)),
        "consumption_per_capita_end": lambda: value_at_end(arr(CONSUMPTION)),
        "npv_consumption": lambda: npv(t[proj], arr(CONSUMPTION)[proj], discount_rate),
        "population_end": lambda: value_at_end(arr(POPULATION)),
        "human_quality_end": lambda: value_at_end(arr(HUMAN_QUALITY)),
        "cumulative_spending": lambda: value_at_end(arr(CUMULATIVE_SPENDING)),
        "threshold_year": lambda: np.asarray(
            threshold_year(t[proj], arr(THRESHOLD_VARIABLE)[proj], threshold)
        ),
        "soft_power_per_money": per_money,
    }
    return {m.name: formulas[m.name]() for m in chosen}
