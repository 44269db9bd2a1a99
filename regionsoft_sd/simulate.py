"""Run scenarios with PySD, the reference engine, and compare them on outcome metrics.

`run(scenario)` returns a tidy DataFrame: one row per saved year, one column per
model variable, with units in `df.attrs["units"]`. `compare(scenarios)` runs
each one and returns a `Comparison`: the metrics table, the ranking and the
trajectories. Each run gets a fresh PySD model, because PySD keeps parameter
changes between runs of one instance.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

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


def default_variables() -> list[str]:
    """Every variable that changes over a run: stocks and auxiliaries, in model order."""
    return [e.name for e in catalogue() if e.kind in ("stock", "auxiliary")]


def units_of(df: pd.DataFrame) -> dict[str, str]:
    """Units of the columns of a `run()` result (from the model's catalogue)."""
    known = df.attrs.get("units") or {}
    cat = catalogue()
    return {c: known.get(c) or (cat[c].units if c in cat else "") for c in df.columns}


def run(scenario: Scenario, *, variables: Sequence[str] | None = None) -> pd.DataFrame:
    """Simulate one scenario with PySD; return time x variables with units in attrs.

    `variables` (any spelling of model names) selects columns; by default every
    stock and auxiliary is returned. The index is the year (float, named "time").
    """
    cat = catalogue()
    if variables is None:
        cols = default_variables()
    else:
        cols = list(dict.fromkeys(cat.resolve(v, key="variables") for v in variables))
    model = load_model()
    with warnings.catch_warnings():
        # PySD warns when a constant becomes a time series: that is what a series is for.
        warnings.filterwarnings("ignore", message="Replacing a constant value")
        df = model.run(params=scenario.pysd_params(), return_columns=cols)
    df = df[cols].astype(float)
    df.index = pd.Index(df.index.astype(float), name="time")
    df.columns.name = "variable"
    df.attrs["units"] = {c: cat[c].units for c in cols}
    df.attrs["scenario"] = scenario.name
    return df


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
    """

    metrics: pd.DataFrame
    ranking: pd.DataFrame
    trajectories: dict[str, pd.DataFrame]
    units: dict[str, str]
    discount_rate: float = DISCOUNT_RATE
    threshold: float = THRESHOLD

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
) -> Comparison:
    """Run each scenario and score it with the outcome metrics of `regionsoft_sd.model.metrics`.

    Scenario names must be unique (they label rows and plot lines). `progress`
    shows a progress bar on stderr; `rank_by` names the metric that orders the
    ranking (see `rank`).
    """
    if not scenarios:
        raise InputError(None, "scenarios", "nothing to compare", "give at least one scenario")
    check_rank_by(rank_by)
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
    ):
        df = run(s, variables=cols)
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
