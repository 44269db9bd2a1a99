"""Analysis of sweep outcomes: Sobol and Morris indices, tornado swings, win shares.

Every function takes plain arrays (per-run outcomes in run order) and returns a
DataFrame, so it works the same on the Ishigami function in a test and on model
runs. Sobol and Morris use SALib on the unit-hypercube `problem` of
`designs.unit_problem` (SALib resamples with a fixed seed, so the confidence
intervals are reproducible too).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

CONF_LEVEL = 0.95
NUM_RESAMPLES = 100
NO_WINNER = "(none)"
"""Win-share column for samples where no strategy has a finite outcome (e.g. a
threshold never reached by any)."""


def sobol_indices(
    problem: dict[str, Any], y: np.ndarray, *, second_order: bool = True, seed: int = 0
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """First-order (S1) and total (ST) Sobol indices, and second-order (S2) pairs.

    Returns (first/total indexed by parameter with columns S1, S1_conf, ST,
    ST_conf; S2 with columns parameter_1, parameter_2, S2, S2_conf). The conf
    columns are half-widths of the 95 % bootstrap interval. An outcome that does
    not vary at all has every index 0.
    """
    from SALib.analyze import sobol

    names = list(problem["names"])
    y = np.asarray(y, dtype=float)
    if np.ptp(y) == 0:
        first = pd.DataFrame(0.0, index=names, columns=["S1", "S1_conf", "ST", "ST_conf"])
        res = None
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            res = sobol.analyze(
                problem,
                y,
                calc_second_order=second_order,
                num_resamples=NUM_RESAMPLES,
                conf_level=CONF_LEVEL,
                seed=seed,
            )
        first = pd.DataFrame(
            {k: np.asarray(res[k]) for k in ("S1", "S1_conf", "ST", "ST_conf")}, index=names
        )
    first.index.name = "parameter"
    rows = []
    if second_order:
        for i in range(len(names)):
            for j in range(i + 1, len(names)):
                s2 = 0.0 if res is None else float(res["S2"][i, j])
                conf = 0.0 if res is None else float(res["S2_conf"][i, j])
                rows.append((names[i], names[j], s2, conf))
    second = pd.DataFrame(rows, columns=["parameter_1", "parameter_2", "S2", "S2_conf"])
    return first, second


def morris_indices(
    problem: dict[str, Any], x: np.ndarray, y: np.ndarray, *, levels: int = 4, seed: int = 0
) -> pd.DataFrame:
    """Morris elementary-effect statistics: mu, mu_star, sigma and mu_star_conf.

    `x` is the unit design, so an effect is the outcome's change per unit of
    probability of the input: comparable across parameters with different units.
    """
    from SALib.analyze import morris

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        res = morris.analyze(
            problem,
            np.asarray(x, dtype=float),
            np.asarray(y, dtype=float),
            num_resamples=NUM_RESAMPLES,
            conf_level=CONF_LEVEL,
            num_levels=levels,
            seed=seed,
        )
    df = pd.DataFrame(
        {k: np.asarray(res[k], dtype=float) for k in ("mu", "mu_star", "sigma", "mu_star_conf")},
        index=pd.Index(list(problem["names"]), name="parameter"),
    )
    return df


def tornado(
    names: Sequence[str],
    values: np.ndarray,
    y: np.ndarray,
) -> pd.DataFrame:
    """Outcome swing of each parameter from a one-at-a-time design.

    `values` (1 + 2k, k) and `y` (1 + 2k,) follow `designs.oat_design`: row 0
    is the base, rows 1 + 2i and 2 + 2i move parameter i to its low and high
    quantile. Sorted by swing = |y(high) - y(low)|, largest first.
    """
    k = len(names)
    base = float(y[0])
    rows = []
    for i, name in enumerate(names):
        lo, hi = 1 + 2 * i, 2 + 2 * i
        rows.append(
            {
                "parameter": name,
                "low_value": float(values[lo, i]),
                "high_value": float(values[hi, i]),
                "base_outcome": base,
                "outcome_at_low": float(y[lo]),
                "outcome_at_high": float(y[hi]),
                "swing": float(abs(y[hi] - y[lo])),
            }
        )
    df = pd.DataFrame(rows).set_index("parameter")
    assert len(df) == k
    return df.sort_values("swing", ascending=False, kind="stable")


def best_strategy(outcomes: Mapping[str, np.ndarray], better: str) -> np.ndarray:
    """Per sample, the name of the best strategy (NaN outcomes count as worst).

    Exact ties go to the strategy listed first. Samples where every outcome is
    NaN get NO_WINNER.
    """
    names = list(outcomes)
    y = np.column_stack([np.asarray(outcomes[n], dtype=float) for n in names])
    sign = 1.0 if better == "higher" else -1.0
    score = np.where(np.isnan(y), -np.inf, sign * y)
    idx = np.argmax(score, axis=1)
    winners = np.asarray(names, dtype=object)[idx]
    winners[np.isnan(y).all(axis=1)] = NO_WINNER
    return winners


def win_share(
    outcomes_by_metric: Mapping[str, Mapping[str, np.ndarray]], better: Mapping[str, str]
) -> pd.DataFrame:
    """Fraction of samples in which each strategy is best, one row per metric.

    `outcomes_by_metric[metric][strategy]` holds the per-sample outcome.
    Columns are the strategies (in order) plus NO_WINNER when it occurs.
    """
    counts: dict[str, dict[str, int]] = {}
    strategies: list[str] = []
    n = 0
    for metric, outcomes in outcomes_by_metric.items():
        strategies = list(outcomes)
        winners = best_strategy(outcomes, better[metric])
        counts[metric] = win_counts(winners)
        n = len(winners)
    return win_share_from_counts(counts, n, strategies)


def win_counts(winners: np.ndarray) -> dict[str, int]:
    """How many samples each strategy (or NO_WINNER) wins, from `best_strategy`'s output."""
    names, k = np.unique(np.asarray(winners, dtype=str), return_counts=True)
    return {str(a): int(b) for a, b in zip(names, k, strict=True)}


def win_share_from_counts(
    counts: Mapping[str, Mapping[str, int]], n: int, strategies: Sequence[str]
) -> pd.DataFrame:
    """`win_share`'s table from win counts per metric over `n` samples (streamed sweeps)."""
    rows = {
        metric: {s: c.get(s, 0) / n for s in [*strategies, NO_WINNER]}
        for metric, c in counts.items()
    }
    df = pd.DataFrame.from_dict(rows, orient="index")
    if NO_WINNER in df and (df[NO_WINNER] == 0).all():
        df = df.drop(columns=NO_WINNER)
    df.index.name = "metric"
    return df


def outcome_summary(
    outcomes: Mapping[str, np.ndarray], quantiles: Sequence[float] = (0.05, 0.25, 0.5, 0.75, 0.95)
) -> pd.DataFrame:
    """Mean and quantiles of each strategy's outcome (NaN runs ignored, counted)."""
    rows = {}
    for name, y in outcomes.items():
        y = np.asarray(y, dtype=float)
        ok = y[~np.isnan(y)]
        row = {"mean": float(ok.mean()) if ok.size else np.nan}
        for q in quantiles:
            row[f"q{round(q * 100):02d}"] = float(np.quantile(ok, q)) if ok.size else np.nan
        row["nan_share"] = 1.0 - ok.size / max(y.size, 1)
        rows[name] = row
    df = pd.DataFrame.from_dict(rows, orient="index")
    df.index.name = "strategy"
    return df
