"""The optimisation problem: candidate decisions in, objectives and constraints out.

`Problem` joins the pieces behind the optimisers' seam:

    points (unit or natural form) --Space--> lever values
        --cube()--> metrics (candidates x futures x metrics)
        --robust scores--> objectives (n, n_obj) and constraints (n, n_con)

`cube` is any callable from a lever table to a metric cube: the toolkit passes
the shared runner (`evaluate.Evaluator.candidates`); tests pass formulas.
Objectives are returned for minimisation (a score where higher is better is
negated); constraints as g <= 0 when met. A candidate whose runs failed (NaN
metrics) gets `WORST` on every objective and constraint, so it never wins.
Every evaluated candidate is kept in `archive` (the candidates table).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from regionsoft_sd.optimise import robust
from regionsoft_sd.optimise.decisions import Space
from regionsoft_sd.optimise.spec import Constraint, Objective

WORST = 1e30
CubeFunction = Callable[[pd.DataFrame], np.ndarray]


def constraint_columns(constraints: tuple[Constraint, ...]) -> list[str]:
    """One column per bound, naming the statistic and the bound: `mean:<metric> >= 2.3`,
    `p10:<metric> <= 5` (the column holds the statistic)."""
    out = []
    for c in constraints:
        stat = "mean" if c.robustness == "mean" else f"p{c.percentile:g}"
        for sign, bound in ((">=", c.low), ("<=", c.high)):
            if bound is not None:
                out.append(f"{stat}:{c.metric} {sign} {bound:g}")
    return out


def constraint_values(
    cube: np.ndarray, metrics: list[str], constraints: tuple[Constraint, ...]
) -> tuple[np.ndarray, np.ndarray]:
    """Per candidate: each bound's statistic over the futures, and g (<= 0 when met)."""
    stats, g = [], []
    for c in constraints:
        y = cube[:, :, metrics.index(c.metric)]
        for bound, bad_side in ((c.low, "higher"), (c.high, "lower")):
            if bound is None:
                continue
            if c.robustness == "mean":
                s = robust.mean(y, bad_side)
            else:
                s = robust.percentile(y, bad_side, c.percentile)
            stats.append(s)
            g.append(bound - s if bad_side == "higher" else s - bound)
    n = cube.shape[0]
    if not stats:
        return np.empty((n, 0)), np.empty((n, 0))
    return np.column_stack(stats), np.column_stack(g)


def objective_scores(
    cube: np.ndarray,
    metrics: list[str],
    objectives: tuple[Objective, ...],
    best: dict[str, np.ndarray] | None = None,
) -> np.ndarray:
    """Robust score of each objective, per candidate: (n, n_obj), in the score's own units."""
    cols = []
    for o in objectives:
        y = cube[:, :, metrics.index(o.metric)]
        ref = None if best is None else best.get(o.metric)
        cols.append(
            robust.score(y, o.robustness, o.better, p=o.percentile, threshold=o.threshold, best=ref)
        )
    return np.column_stack(cols)


class Problem:
    """Decisions -> lever values -> metric cube -> objectives and constraints."""

    def __init__(
        self,
        space: Space,
        objectives: tuple[Objective, ...],
        constraints: tuple[Constraint, ...],
        metrics: list[str],
        cube: CubeFunction,
        regret_best: dict[str, np.ndarray] | None = None,
    ) -> None:
        self.space = space
        self.objectives = objectives
        self.constraints = constraints
        self.metrics = metrics
        self.cube = cube
        self.regret_best = regret_best
        self.archive: list[pd.DataFrame] = []

    @property
    def signs(self) -> np.ndarray:
        """+1 where a score is minimised as is, -1 where it is negated (higher is better)."""
        return np.array([-1.0 if o.direction == "higher" else 1.0 for o in self.objectives])

    def evaluate(self, levers: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(scores (n, n_obj), constraint statistics, g) of lever tables; archived."""
        cube = np.asarray(self.cube(levers), dtype=float)
        scores = objective_scores(cube, self.metrics, self.objectives, self.regret_best)
        stats, g = constraint_values(cube, self.metrics, self.constraints)
        table = levers.reset_index(drop=True).copy()
        for o, col in zip(self.objectives, scores.T, strict=True):
            table[o.label] = col
        for name, col in zip(constraint_columns(self.constraints), stats.T, strict=True):
            table[name] = col
        table["feasible"] = np.all(g <= 0, axis=1) & np.all(np.isfinite(scores), axis=1)
        self.archive.append(table)
        return scores, stats, g

    def minimised(self, scores: np.ndarray, g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Objectives to minimise and constraints, with failed runs set to WORST."""
        F = scores * self.signs
        F = np.where(np.isfinite(F), F, WORST)
        G = np.where(np.isfinite(g), g, WORST)
        return F, G

    def unit(self, U: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The seam for differential evolution: unit-cube points -> (f (n,), g)."""
        scores, _, g = self.evaluate(self.space.from_unit(U))
        F, G = self.minimised(scores, g)
        return F[:, 0], G

    def natural(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The seam for the genetic algorithms: natural-form points -> (F, G)."""
        scores, _, g = self.evaluate(self.space.from_natural(X))
        return self.minimised(scores, g)

    def candidates(self) -> pd.DataFrame:
        """Every candidate evaluated so far, in order (index `candidate`)."""
        if not self.archive:
            return pd.DataFrame()
        df = pd.concat(self.archive, ignore_index=True)
        df.index.name = "candidate"
        return df
