"""After the search: the found strategies against the shipped ones, and the weight path.

- `score_table`: each strategy's objective scores and constraint statistics on
  one sample of futures (the same code the search scores candidates with).
- `reevaluate`: the found strategies and the shipped ones on a *fresh* sample:
  their scores, the share of futures in which each is best (`win_shares`:
  strategies tied for best within `futures.ties.decision_tolerance` share the future),
  and their regret against the best of them in each future (a shortfall within
  the tolerance is 0).
- `weight_path`: for a Pareto set, the point a decision maker would pick as the
  weight on the first objective goes from 0 to 1 (the others share the rest),
  after rescaling each score to [0, 1] across the set (0: the set's worst,
  1: its best), so that the weights do not depend on units.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from regionsoft_sd.futures.ties import decision_tolerance
from regionsoft_sd.optimise import robust
from regionsoft_sd.optimise.problem import (
    constraint_columns,
    constraint_values,
    objective_scores,
)
from regionsoft_sd.optimise.spec import Constraint, Objective

WEIGHT_STEPS = 21


def score_table(
    names: Sequence[str],
    cube: np.ndarray,
    metrics: list[str],
    objectives: tuple[Objective, ...],
    constraints: tuple[Constraint, ...],
    best: dict[str, np.ndarray] | None = None,
) -> pd.DataFrame:
    """Scores and constraint statistics of each strategy (rows) on the cube's futures."""
    scores = objective_scores(cube, metrics, objectives, best)
    stats, g = constraint_values(cube, metrics, constraints)
    df = pd.DataFrame(scores, columns=[o.label for o in objectives], index=list(names))
    for name, col in zip(constraint_columns(constraints), stats.T, strict=True):
        df[name] = col
    if constraints:
        df["feasible"] = np.all(g <= 0, axis=1)
    df.index.name = "strategy"
    return df


def reevaluate(
    names: Sequence[str],
    cube: np.ndarray,
    metrics: list[str],
    objectives: tuple[Objective, ...],
    constraints: tuple[Constraint, ...],
) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """Scores, win shares and regret of each strategy on a fresh sample.

    Returns the table (one row per strategy) and, per objective metric, the
    regret of each strategy in each future (futures x strategies), measured
    against the best of these strategies in that future.
    """
    table = score_table(names, cube, metrics, objectives, constraints)
    regrets: dict[str, pd.DataFrame] = {}
    seen: dict[str, str] = {}
    for o in objectives:
        seen.setdefault(o.metric, o.better)
    for metric, better in seen.items():
        y = cube[:, :, metrics.index(metric)]
        table[f"win_share:{metric}"] = win_shares(y, better)
        r = robust.regret_table(y, better)
        table[f"max_regret:{metric}"] = r.max(axis=1)
        table[f"mean_regret:{metric}"] = r.mean(axis=1)
        regrets[metric] = pd.DataFrame(r.T, columns=list(names))
        regrets[metric].index.name = "future"
    return table, regrets


def win_shares(y: np.ndarray, better: str) -> np.ndarray:
    """Share of the futures (columns of `y`) in which each strategy (row) is best.

    Strategies tied for best in a future (within `ties.decision_tolerance` of the
    best, 0.1 %) share it equally, so a difference the model cannot tell from
    noise is nobody's win; a NaN outcome is
    the worst; a future where every outcome is NaN counts for nobody.
    """
    y = np.asarray(y, dtype=float)
    filled = robust._worst_filled(y, better)
    best = robust.best_per_future(y, better)
    with np.errstate(invalid="ignore"):
        tie = np.abs(filled - best[None, :]) <= decision_tolerance(filled, best[None, :])
        top = (filled == best[None, :]) | tie
    top[:, np.isnan(y).all(axis=0)] = False
    k = top.sum(axis=0)
    credit = np.where(k > 0, 1.0 / np.maximum(k, 1), 0.0)
    return (top * credit[None, :]).sum(axis=1) / max(y.shape[1], 1)


def normalised(scores: np.ndarray, directions: Sequence[str]) -> np.ndarray:
    """Each column rescaled to [0, 1] across the rows: 1 is the best, 0 the worst."""
    s = np.asarray(scores, dtype=float)
    lo, hi = np.nanmin(s, axis=0), np.nanmax(s, axis=0)
    span = np.where(hi > lo, hi - lo, 1.0)
    up = (s - lo) / span
    out = np.where([d == "higher" for d in directions], up, 1.0 - up)
    return np.where(hi > lo, out, 1.0)


def weight_path(
    levers: pd.DataFrame,
    scores: pd.DataFrame,
    objectives: tuple[Objective, ...],
    steps: int = WEIGHT_STEPS,
) -> pd.DataFrame:
    """The Pareto point with the best weighted score, for each weight on the first objective."""
    norm = normalised(scores.to_numpy(), [o.direction for o in objectives])
    n = len(objectives)
    rows = []
    for w in np.linspace(0.0, 1.0, steps):
        weights = np.array([w] + [(1.0 - w) / (n - 1)] * (n - 1))
        pick = int(np.argmax(norm @ weights))
        rows.append(
            {
                "weight": float(w),
                "point": pick + 1,
                **levers.iloc[pick].to_dict(),
                **scores.iloc[pick].to_dict(),
            }
        )
    return pd.DataFrame(rows)
