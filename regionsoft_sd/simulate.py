"""Run scenarios and compare them on outcome metrics.

`run(scenario)` returns a tidy DataFrame: one row per saved year, one column per
model variable, with units in `df.attrs["units"]`. `compare(scenarios)` runs
each one and returns a `Comparison`: the metrics table, the ranking and the
trajectories.

Two engines give the same tables (to 1e-9, see tests/test_engines_agree.py):
"batch" (the default), the batch engine of `regionsoft_sd.batch` with one run
per scenario, a few milliseconds each once the model is compiled; and "pysd",
PySD itself, the reference the batch engine is checked against, several seconds
a run. Each PySD run gets a fresh model, because PySD keeps parameter changes
between runs of one instance.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from regionsoft_sd.common.errors import InputError
from regionsoft_sd.model.catalogue import catalogue
from regionsoft_sd.model.metrics import (
    DISCOUNT_RATE,
    METRIC_NAMES,
    METRICS,
    REQUIRED_VARIABLES,
    THRESHOLD,
    compute_metrics,
    metric_units,
)
from regionsoft_sd.model.translate import load_model
from regionsoft_sd.scenarios.scenario import Scenario

RANK_BY = "dominant_soft_power_end"
"""Default ranking criterion: the toolkit's headline outcome, realised soft power."""

ENGINES = ("batch", "pysd")
"""Engines `run` and `compare` can use: the batch engine (default) or PySD (the reference)."""
ENGINE = "batch"

PROGRESS_DELAY = 1.0
"""Seconds of work before `compare` shows its progress bar (fast comparisons show none)."""


def default_variables() -> list[str]:
    """Every variable that changes over a run: stocks and auxiliaries, in model order."""
    return [e.name for e in catalogue() if e.kind in ("stock", "auxiliary")]


def units_of(df: pd.DataFrame) -> dict[str, str]:
    """Units of the columns of a `run()` result (from the model's catalogue)."""
    known = df.attrs.get("units") or {}
    cat = catalogue()
    return {c: known.get(c) or (cat[c].units if c in cat else "") for c in df.columns}


def with_params(
    scenario: Scenario | str | Path | None, params: Mapping[str, Any] | None
) -> Scenario:
    """`scenario` (default: the shipped baseline) with `params` set, validated as a file is.

    `scenario` may also be a shipped name or a file path (`load_scenario`'s rule).

    `params` maps model names (any spelling) to numbers or `[[year, value], ...]`
    series, as a scenario file's `[parameters]`. The result is checked by the same
    code as a scenario file: an unknown name, a value outside the `.mdl`'s range,
    or the shares of a split group that no longer sum to 1 is an InputError (key
    `parameters.NAME`), so the model never silently normalises a policy. Without
    `params` the scenario is returned unchanged.
    """
    if not isinstance(scenario, Scenario):
        from regionsoft_sd.scenarios.shipped import load_scenario

        scenario = load_scenario("baseline" if scenario is None else scenario)
    if not params:
        return scenario
    if not isinstance(params, Mapping):
        raise InputError(None, "params", f"expected a dict, got {params!r}", "pass name -> value")
    cat = catalogue()
    given = {}
    for name, value in params.items():
        canon = cat.resolve(str(name), key=f"parameters.{name}")
        given[canon] = value.tolist() if isinstance(value, np.ndarray) else value
    base = scenario.to_dict()
    merged = {k: v for k, v in base["parameters"].items() if k not in given}
    data = {
        "name": base["name"],
        "description": base["description"],
        "parameters": {**merged, **given},
    }
    return Scenario.from_dict(data)


def run(
    scenario: Scenario | str | Path | None = None,
    *,
    params: Mapping[str, Any] | None = None,
    variables: Sequence[str] | None = None,
    engine: str = ENGINE,
) -> pd.DataFrame:
    """Simulate one scenario; return time x variables with units in attrs.

    `scenario` (a `Scenario`, a shipped name or a file) defaults to the shipped
    baseline; `params` (model name -> number or
    series) changes it, validated like a scenario file (`with_params`: unknown
    names, out-of-range values and split shares that do not sum to 1 are
    InputError). `variables` (any spelling of model names) selects columns; by
    default every stock and auxiliary is returned. The index is the year (float,
    named "time"), one row per saved time (SAVEPER). `engine` is "batch" (default,
    milliseconds) or "pysd" (the reference engine, seconds); both give the same table.
    """
    check_engine(engine)
    scenario = with_params(scenario, params)
    cat = catalogue()
    if variables is None:
        cols = default_variables()
    else:
        cols = list(dict.fromkeys(cat.resolve(v, key="variables") for v in variables))
    df = _run_batch(scenario, cols) if engine == "batch" else _run_pysd(scenario, cols)
    df = df[cols].astype(float)
    df.index = pd.Index(df.index.astype(float), name="time")
    df.columns.name = "variable"
    df.attrs["units"] = {c: cat[c].units for c in cols}
    df.attrs["scenario"] = scenario.name
    return df


def _run_pysd(scenario: Scenario, cols: list[str]) -> pd.DataFrame:
    """One PySD run of `scenario` in a fresh model, columns `cols`."""
    model = load_model()
    with warnings.catch_warnings():
        # PySD warns when a constant becomes a time series: that is what a series is for.
        warnings.filterwarnings("ignore", message="Replacing a constant value")
        return model.run(params=scenario.pysd_params(), return_columns=cols)


def _run_batch(scenario: Scenario, cols: list[str]) -> pd.DataFrame:
    """One run (N = 1) of `scenario` on the batch engine, recorded at the model's saved times.

    The scenario is the batch's base: its constants and series (held at their end
    values outside their years, as PySD does) replace the model's. The backend is
    chosen as everywhere else (the C kernel where a compiler exists, else NumPy).
    """
    from regionsoft_sd.batch import simulate as simulate_batch  # loaded when first used

    res = simulate_batch(base=scenario, record=cols)
    return pd.DataFrame({c: res.data[c][:, 0] for c in cols}, index=res.times)


HISTORY_TOLERANCE = 1e-9
"""Relative difference in any year before the projection above which history has changed."""


def history_check(scenario: Scenario, *, measure: bool = True) -> str | None:
    """One warning line if `scenario` changes its region's history (2005-2023), else None.

    Structural first (`scenarios.history.history_changes`: which values the
    history depends on), backed by a measured run of the history years on the
    batch engine (NumPy, no compile) against the scenario's reference region: a
    value the structure names warns only if the run confirms it (relative
    difference above `HISTORY_TOLERANCE` in some variable and year), and a measured
    difference the structure did not explain warns with the variable that moved.
    `measure=False` runs the history only to confirm a structural finding (what
    `run` and `compare` do, so that a clean scenario costs nothing); `check` measures
    every scenario.
    """
    from regionsoft_sd.scenarios.history import history_changes, history_message

    changes = history_changes(scenario)
    if not changes and not measure:
        return None
    moved = _history_moved(scenario)
    if moved is None:
        return None
    if changes:
        return history_message(scenario.name, changes)
    variable, year, rel = moved
    return (
        f"{scenario.name}: changes history (the years before the projection): "
        f"{variable!r} differs from its region's by {rel:.2g} (relative) in {year:g}. "
        "Its results are not comparable with the other scenarios'"
    )


def _history_moved(scenario: Scenario) -> tuple[str, float, float] | None:
    """(variable, year, relative difference) of the largest change before the projection."""
    from regionsoft_sd.batch import simulate as simulate_batch
    from regionsoft_sd.scenarios.history import history_reference

    cat = catalogue()
    start, first = cat.horizon[0], cat.policy_start
    years = np.arange(start, first)
    if not len(years):
        return None
    cols = default_variables()
    ref = history_reference(scenario)
    runs = [
        simulate_batch(base=b, record=cols, times=years, backend="numpy") for b in (scenario, ref)
    ]
    worst: tuple[str, float, float] | None = None
    for c in cols:
        a, b = runs[0].data[c][:, 0], runs[1].data[c][:, 0]
        rel = np.abs(a - b) / np.maximum(np.abs(b), 1e-12)
        i = int(np.argmax(rel))
        if rel[i] > HISTORY_TOLERANCE and (worst is None or rel[i] > worst[2]):
            worst = (c, float(years[i]), float(rel[i]))
    return worst


def run_metrics(
    df: pd.DataFrame, *, discount_rate: float = DISCOUNT_RATE, threshold: float = THRESHOLD
) -> dict[str, float]:
    """The outcome metrics of one `run()` result, as plain floats."""
    series = {v: df[v].to_numpy() for v in REQUIRED_VARIABLES}
    values = compute_metrics(
        df.index.to_numpy(),
        series,
        discount_rate=discount_rate,
        threshold=threshold,
        start=catalogue().policy_start,
    )
    return {k: float(v) for k, v in values.items()}


@dataclass
class Comparison:
    """Result of `compare()`.

    `metrics`: one row per scenario (in the given order), one column per metric.
    `ranking`: scenarios best first, with each ranked metric's rank and the mean.
    `trajectories`: each scenario's `run()` DataFrame, by scenario name.
    `units`: units of each metric.
    `discount_rate`, `threshold`: the values the metrics were computed with.
    `engine`: the engine that ran the scenarios (one of ENGINES).
    """

    metrics: pd.DataFrame
    ranking: pd.DataFrame
    trajectories: dict[str, pd.DataFrame]
    units: dict[str, str]
    discount_rate: float = DISCOUNT_RATE
    threshold: float = THRESHOLD
    engine: str = ENGINE

    def long_trajectories(self) -> pd.DataFrame:
        """All trajectories in long form: scenario, time, variable, units, value."""
        frames = []
        for name, df in self.trajectories.items():
            long = df.reset_index().melt(id_vars="time", var_name="variable", value_name="value")
            long.insert(0, "scenario", name)
            long.insert(3, "units", long["variable"].map(units_of(df)))
            frames.append(long)
        return pd.concat(frames, ignore_index=True)


def compare(
    scenarios: Sequence[Scenario],
    *,
    variables: Sequence[str] | None = None,
    discount_rate: float = DISCOUNT_RATE,
    threshold: float = THRESHOLD,
    rank_by: str = RANK_BY,
    progress: bool = False,
    engine: str = ENGINE,
) -> Comparison:
    """Run each scenario and score it with the outcome metrics of `regionsoft_sd.model.metrics`.

    Scenario names must be unique (they label rows and plot lines). `progress`
    shows a progress bar (on stderr in a terminal, a widget in a notebook) once
    the work has taken more than `PROGRESS_DELAY` seconds, so a comparison on the
    batch engine shows none and one on PySD does. `rank_by` names the metric that
    orders the ranking (see `rank`); `engine` is as in `run`.
    """
    if not scenarios:
        raise InputError(None, "scenarios", "nothing to compare", "give at least one scenario")
    check_rank_by(rank_by)
    check_engine(engine)
    seen: dict[str, Scenario] = {}
    for s in scenarios:
        if s.name in seen:
            other = seen[s.name].source or "another scenario"
            raise InputError(
                s.source, "name", f"{s.name!r} is also the name of {other}", "rename one of them"
            )
        seen[s.name] = s
    cols = None
    if variables is not None:
        cat = catalogue()
        named = [cat.resolve(v, key="variables") for v in (*variables, *REQUIRED_VARIABLES)]
        cols = list(dict.fromkeys(named))  # the caller's order, then what metrics need
    trajectories: dict[str, pd.DataFrame] = {}
    rows = {}
    for s in tqdm(
        scenarios,
        desc="simulating",
        unit="scenario",
        file=sys.stderr,
        disable=None if progress else True,
        delay=PROGRESS_DELAY,
    ):
        df = run(s, variables=cols, engine=engine)
        trajectories[s.name] = df
        rows[s.name] = run_metrics(df, discount_rate=discount_rate, threshold=threshold)
    metrics = pd.DataFrame.from_dict(rows, orient="index")[list(METRIC_NAMES)]
    metrics.index.name = "scenario"
    return Comparison(
        metrics,
        rank(metrics, rank_by),
        trajectories,
        metric_units(catalogue().units()),
        discount_rate=discount_rate,
        threshold=threshold,
        engine=engine,
    )


def rank(metrics: pd.DataFrame, by: str = RANK_BY) -> pd.DataFrame:
    """Rank scenarios by one metric, and show their rank on every other metric.

    Rank 1 is best, in the metric's own direction (METRICS[...].better); NaN
    (e.g. a threshold never reached) ranks last. `position` orders by `by`,
    ties broken by `mean_rank`, the mean over all ranked metrics, which shows
    the trade-offs at a glance.
    """
    check_rank_by(by)
    ranked = {m.name: m for m in METRICS if m.better and m.name in metrics}
    ranks = pd.DataFrame(index=metrics.index)
    for name, m in ranked.items():
        ranks[name] = metrics[name].rank(
            ascending=m.better == "lower", method="min", na_option="bottom"
        )
    ranks["mean_rank"] = ranks.mean(axis=1)
    order = sorted(ranks.index, key=lambda s: (ranks.at[s, by], ranks.at[s, "mean_rank"]))
    out = ranks.loc[order].astype({n: int for n in ranked})
    out.insert(0, "position", np.arange(1, len(out) + 1))
    out.attrs["by"] = by
    return out


def rankable() -> list[str]:
    """Metrics that have a direction and so can order a ranking."""
    return [m.name for m in METRICS if m.better]


def check_rank_by(by: str) -> None:
    """Raise InputError unless `by` is a metric a ranking can use."""
    if by not in rankable():
        raise InputError(
            None, "--rank-by", f"cannot rank by {by!r}", f"use one of {', '.join(rankable())}"
        )


def check_engine(engine: str) -> None:
    """Raise InputError unless `engine` is one of ENGINES."""
    if engine not in ENGINES:
        raise InputError(
            None, "engine", f"no engine {engine!r}", f"use one of {', '.join(ENGINES)}"
        )
